"""Call one PEP 517 / PEP 660 hook of a build backend, for volley.

Usage: python backend_shim.py REQUEST_JSON RESULT_JSON

REQUEST_JSON is an object:
    {"backend": "module:object", "backend_path": [absolute directories],
     "hook": "build_wheel", "args": [positional arguments], "scripts_dir": "/env/bin" or null}

RESULT_JSON receives exactly one of:
    {"return": <what the hook returned>}
    {"missing_hook": "<name>"}                 the backend does not define the hook
    {"backend_unavailable": "<message>", "traceback": "<text>"}
    {"backend_invalid": "<message>"}

When the hook raises, the traceback goes to stderr, the exit status is 1 and no result is
written. The backend's own output goes to this process's stdout and stderr, never into the
result file, so a backend that prints cannot corrupt the result.

Written for every Python from 3.6 on: no walrus, no `match`, no `from __future__` tricks.
"""

import json
import os
import sys
import traceback
from importlib import import_module
from importlib.machinery import PathFinder

HOOKS = (
    "get_requires_for_build_wheel",
    "prepare_metadata_for_build_wheel",
    "build_wheel",
    "get_requires_for_build_editable",
    "prepare_metadata_for_build_editable",
    "build_editable",
)


class BackendUnavailable(Exception):
    """The backend cannot be imported."""


class BackendInvalid(Exception):
    """The backend was imported, but not from where `backend-path` says it must come from."""


class BackendPathFinder:
    """Finds the backend's top-level module in `backend-path` and nowhere else (PEP 517).

    Installed at the front of `sys.meta_path`, so that a module of the same name elsewhere
    (site-packages, the current directory) cannot shadow the in-tree backend.
    """

    def __init__(self, backend_path, top_level):
        self.backend_path = backend_path
        self.top_level = top_level

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.top_level:
            return None
        spec = PathFinder.find_spec(fullname, path=self.backend_path)
        if spec is None:
            raise BackendUnavailable(
                "cannot find module %r in backend-path %r" % (fullname, self.backend_path)
            )
        return spec


def inside(path, directories):
    real = os.path.normcase(os.path.realpath(path))
    for directory in directories:
        root = os.path.normcase(os.path.realpath(directory))
        try:
            if os.path.commonpath([real, root]) == root:
                return True
        except ValueError:  # different drives on Windows
            pass
    return False


def load_backend(spec, backend_path):
    module_name, _, object_path = spec.partition(":")
    module_name = module_name.strip()
    if backend_path:
        top_level = module_name.split(".")[0]
        sys.meta_path.insert(0, BackendPathFinder(backend_path, top_level))
    try:
        backend = import_module(module_name)
    except BackendUnavailable:
        raise
    except ImportError as error:
        raise BackendUnavailable("cannot import %r: %s" % (module_name, error))
    if backend_path:
        # A module imported before this point (by the interpreter or by this file) bypasses
        # the finder: check where it really comes from. Namespace packages have no __file__.
        location = getattr(backend, "__file__", None)
        locations = [location] if location else list(getattr(backend, "__path__", []))
        if not any(inside(path, backend_path) for path in locations):
            raise BackendInvalid(
                "backend %r was loaded from %r, not from backend-path %r"
                % (module_name, location or locations, backend_path)
            )
    for part in object_path.strip().split(".") if object_path.strip() else []:
        backend = getattr(backend, part)
    return backend


def write_result(path, result):
    with open(path, "w", encoding="utf-8") as file:
        json.dump(result, file, default=str)


def main():
    request_path, result_path = sys.argv[1], sys.argv[2]
    # This file's directory holds only volley's request and result files: keep it off sys.path.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != here]
    with open(request_path, encoding="utf-8") as file:
        request = json.load(file)
    hook_name = request["hook"]
    if hook_name not in HOOKS:
        sys.exit("unknown hook %r" % hook_name)
    scripts_dir = request.get("scripts_dir")
    if scripts_dir:
        # Executables installed in the build environment (cmake, ninja, cython) come first.
        os.environ["PATH"] = os.pathsep.join(
            [scripts_dir] + [p for p in [os.environ.get("PATH")] if p]
        )

    try:
        backend = load_backend(request["backend"], request["backend_path"])
    except BackendUnavailable as error:
        write_result(
            result_path,
            {"backend_unavailable": str(error), "traceback": traceback.format_exc()},
        )
        return
    except BackendInvalid as error:
        write_result(result_path, {"backend_invalid": str(error)})
        return

    hook = getattr(backend, hook_name, None)
    if hook is None:
        write_result(result_path, {"missing_hook": hook_name})
        return
    value = hook(*request["args"])
    sys.stdout.flush()
    sys.stderr.flush()
    write_result(result_path, {"return": value})


if __name__ == "__main__":
    main()
