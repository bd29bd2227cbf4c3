"""volley, a pip-compatible package installer written in Rust.

This package holds no installer code: the wheel installs the ``volley`` executable into the
environment's scripts directory, and :func:`find_volley_bin` finds it for ``python -m volley``.
"""

import os
import sys
import sysconfig

__all__ = ["find_volley_bin"]


def find_volley_bin() -> str:
    """Return the path of the ``volley`` executable installed with this package."""
    name = "volley" + (sysconfig.get_config_var("EXE") or "")
    candidates = [sysconfig.get_path("scripts")]
    # `pip install --user` puts scripts in the user scheme; `--target` and `--prefix` put the
    # package somewhere else and the scripts in a `bin` (or `Scripts`) folder beside it.
    user_scheme = {"nt": "nt_user", "posix": "posix_user"}.get(os.name)
    if sys.platform == "darwin" and getattr(sys, "_framework", None):
        user_scheme = "osx_framework_user"
    if user_scheme in sysconfig.get_scheme_names():
        candidates.append(sysconfig.get_path("scripts", scheme=user_scheme))
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    candidates.append(os.path.join(package_parent, "bin"))
    candidates.append(os.path.join(package_parent, "Scripts"))
    for directory in candidates:
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(
        "the volley executable is not in any of: " + ", ".join(candidates)
    )
