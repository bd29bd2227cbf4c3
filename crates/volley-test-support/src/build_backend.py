"""An in-tree PEP 517 / PEP 660 build backend for volley's tests, standard library only.

It reads `backend.json` in the project directory (the hooks' working directory):
    name, version, dependencies   what the wheel's METADATA says
    get_requires                  what get_requires_for_build_wheel/_editable return
    without                       hook names this module does not define
    fail_in                       a hook that prints a few lines, then raises
    noisy                         print result-like junk to stdout and stderr in every hook
    log_dir                       where the files below go (default: the project directory)
Every hook call appends a line `<hook> <json of config_settings>` to `hooks.log`, and
`build_wheel` also to `build_wheel.marker`; `environment.json` records the interpreter's view
(its `distributions` are `name==version` of every distribution importable, duplicates kept).
"""

import base64
import hashlib
import json
import os
import sys
import zipfile

with open("backend.json", encoding="utf-8") as _file:
    CONFIG = json.load(_file)

LOG_DIR = CONFIG.get("log_dir", ".")


def _log_path(name):
    return os.path.join(LOG_DIR, name)


def _distributions():
    try:
        from importlib import metadata
    except ImportError:
        return []
    return sorted(
        "%s==%s" % (dist.metadata["Name"], dist.version) for dist in metadata.distributions()
    )


def _record(hook, config_settings):
    if CONFIG.get("noisy"):
        print('{"return": "not-a-wheel.whl"}')
        print("noise on stderr", file=sys.stderr)
        os.write(1, b"raw bytes on fd 1\n")
    with open(_log_path("hooks.log"), "a", encoding="utf-8") as file:
        file.write("%s %s\n" % (hook, json.dumps(config_settings, sort_keys=True)))
    with open(_log_path("environment.json"), "w", encoding="utf-8") as file:
        json.dump(
            {
                "executable": sys.executable,
                "prefix": sys.prefix,
                "base_prefix": sys.base_prefix,
                "path": os.environ.get("PATH", ""),
                "nousersite": os.environ.get("PYTHONNOUSERSITE"),
                "sys_path": sys.path,
                "distributions": _distributions(),
            },
            file,
        )
    if CONFIG.get("fail_in") == hook:
        print("about to fail in %s" % hook)
        raise RuntimeError("deliberate failure in %s" % hook)


def _metadata():
    lines = [
        "Metadata-Version: 2.1",
        "Name: %s" % CONFIG["name"],
        "Version: %s" % CONFIG["version"],
    ]
    lines += ["Requires-Dist: %s" % dependency for dependency in CONFIG.get("dependencies", [])]
    return "\n".join(lines) + "\n"


def _dist_info():
    return "%s-%s.dist-info" % (CONFIG["name"].replace("-", "_"), CONFIG["version"])


def _write_wheel(directory, editable):
    name = CONFIG["name"].replace("-", "_")
    files = {}
    if editable:
        files["_%s_editable.pth" % name] = os.path.abspath("src") + "\n"
    else:
        source = os.path.join("src", name, "__init__.py")
        with open(source, encoding="utf-8") as file:
            files["%s/__init__.py" % name] = file.read()
    dist_info = _dist_info()
    files[dist_info + "/METADATA"] = _metadata()
    files[dist_info + "/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: mybackend\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = []
    for path, content in files.items():
        data = content.encode("utf-8")
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        record.append("%s,sha256=%s,%d" % (path, digest.decode("ascii"), len(data)))
    record.append(dist_info + "/RECORD,,")
    files[dist_info + "/RECORD"] = "\n".join(record) + "\n"
    filename = "%s-%s-py3-none-any.whl" % (name, CONFIG["version"])
    with zipfile.ZipFile(os.path.join(directory, filename), "w") as archive:
        for path, content in files.items():
            archive.writestr(path, content)
    return filename


def get_requires_for_build_wheel(config_settings=None):
    _record("get_requires_for_build_wheel", config_settings)
    return CONFIG.get("get_requires", [])


def get_requires_for_build_editable(config_settings=None):
    _record("get_requires_for_build_editable", config_settings)
    return CONFIG.get("get_requires", [])


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    _record("prepare_metadata_for_build_wheel", config_settings)
    dist_info = os.path.join(metadata_directory, _dist_info())
    os.makedirs(dist_info)
    with open(os.path.join(dist_info, "METADATA"), "w", encoding="utf-8") as file:
        file.write(_metadata())
    return _dist_info()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _record("build_wheel", config_settings)
    with open(_log_path("build_wheel.marker"), "a", encoding="utf-8") as file:
        file.write("built\n")
    return _write_wheel(wheel_directory, editable=False)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    _record("build_editable", config_settings)
    return _write_wheel(wheel_directory, editable=True)


def build_sdist(sdist_directory, config_settings=None):
    raise NotImplementedError("volley's tests never build sdists")


for _hook in CONFIG.get("without", []):
    del globals()[_hook]
