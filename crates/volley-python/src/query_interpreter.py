# Reports the facts volley needs about the Python interpreter that runs it, as one JSON object
# on stdout. volley runs it with `python -I -B -c <this file>`.
#
# Compatibility: Python 2 and Python 3 before 3.4 reject `-I` before reading this file (volley
# reports that). Python 3.4 to 3.7 must reach the version check below and report themselves, so
# the whole file keeps to syntax they parse (no f-strings, no walrus, no annotations); the code
# past the check may use Python 3.8 features. Standard library only, and nothing imported that
# changes state (no `site`, no `pip`).
#
# The tag-related facts follow `packaging.tags` (the pieces that decide tags: the ABI tag,
# `_linux_platforms`, `_manylinux`, `_musllinux`, `mac_platforms`); the marker environment
# follows `packaging.markers.default_environment`; the install scheme follows pip's
# `pip._internal.locations` (sysconfig on 3.10+, distutils before).

import json
import sys

if sys.version_info < (3, 8):
    print(
        json.dumps(
            {
                "result": "error",
                "kind": "unsupported_python_version",
                "python_version": ".".join(str(part) for part in sys.version_info[:3]),
            }
        )
    )
    sys.exit(0)

import os
import platform
import struct
import sysconfig


def format_full_version(info):
    # packaging.markers.format_full_version
    version = "{}.{}.{}".format(info.major, info.minor, info.micro)
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return version


def marker_environment():
    # packaging.markers.default_environment
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": format_full_version(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def normalize(string):
    # packaging.tags._normalize_string
    return string.replace(".", "_").replace("-", "_").replace(" ", "_")


def is_virtualenv():
    # pip._internal.utils.virtualenv.running_under_virtualenv
    return sys.prefix != getattr(sys, "base_prefix", sys.prefix) or hasattr(sys, "real_prefix")


def cpython_abi_tag():
    # The first ABI of packaging.tags._cpython_abis for the running version.
    from importlib.machinery import EXTENSION_SUFFIXES

    version = "{}{}".format(*sys.version_info[:2])
    debug = ""
    threading = ""
    with_debug = sysconfig.get_config_var("Py_DEBUG")
    has_refcount = hasattr(sys, "gettotalrefcount")
    has_ext = "_d.pyd" in EXTENSION_SUFFIXES
    if with_debug or (with_debug is None and (has_refcount or has_ext)):
        debug = "d"
    if sys.version_info >= (3, 13) and sysconfig.get_config_var("Py_GIL_DISABLED"):
        threading = "t"
    return "cp" + version + threading + debug


def generic_abi_tag():
    # packaging.tags._generic_abi, for interpreters other than CPython.
    ext_suffix = sysconfig.get_config_var("EXT_SUFFIX")
    if not isinstance(ext_suffix, str) or not ext_suffix.startswith("."):
        return None
    parts = ext_suffix.split(".")
    if len(parts) < 3:
        return None
    soabi = parts[1]
    if soabi.startswith("cpython"):
        abi = "cp" + soabi.split("-")[1]
    elif soabi.startswith("cp"):
        abi = soabi.split("-")[0]
    elif soabi.startswith("pypy"):
        abi = "-".join(soabi.split("-")[:2])
    elif soabi.startswith("graalpy"):
        abi = "-".join(soabi.split("-")[:3])
    elif soabi:
        abi = soabi
    else:
        return None
    return normalize(abi)


def abi_tag():
    if sys.implementation.name == "cpython":
        return cpython_abi_tag()
    return generic_abi_tag()


ELF_MACHINE_I386 = 3
ELF_MACHINE_ARM = 40
EF_ARM_ABIMASK = 0xFF000000
EF_ARM_ABI_VER5 = 0x05000000
EF_ARM_ABI_FLOAT_HARD = 0x00000400


def elf_header(path):
    # The parts of an ELF header that packaging's _elffile reads: class (1 = 32-bit,
    # 2 = 64-bit), data encoding (1 = little endian), machine, flags, and the program
    # interpreter (PT_INTERP), i.e. the dynamic loader.
    try:
        with open(path, "rb") as file:
            ident = file.read(16)
            if len(ident) < 16 or ident[:4] != b"\x7fELF":
                return None
            capacity, encoding = ident[4], ident[5]
            formats = {
                (1, 1): ("<HHIIIIIHHH", "<IIIIIIII", (0, 1, 4)),
                (1, 2): (">HHIIIIIHHH", ">IIIIIIII", (0, 1, 4)),
                (2, 1): ("<HHIQQQIHHH", "<IIQQQQQQ", (0, 2, 5)),
                (2, 2): (">HHIQQQIHHH", ">IIQQQQQQ", (0, 2, 5)),
            }
            if (capacity, encoding) not in formats:
                return None
            header_format, program_format, indexes = formats[(capacity, encoding)]
            header = struct.unpack(header_format, file.read(struct.calcsize(header_format)))
            machine, program_offset, flags = header[1], header[4], header[6]
            entry_size, entry_count = header[8], header[9]
            interpreter = None
            for index in range(entry_count):
                file.seek(program_offset + entry_size * index)
                data = file.read(struct.calcsize(program_format))
                if len(data) < struct.calcsize(program_format):
                    continue
                entry = struct.unpack(program_format, data)
                if entry[indexes[0]] != 3:  # PT_INTERP
                    continue
                file.seek(entry[indexes[1]])
                interpreter = os.fsdecode(file.read(entry[indexes[2]])).strip("\0")
                break
            return {
                "capacity": capacity,
                "encoding": encoding,
                "machine": machine,
                "flags": flags,
                "interpreter": interpreter,
            }
    except (OSError, ValueError, struct.error):
        return None


def have_compatible_abi(archs):
    # packaging._manylinux._have_compatible_abi
    if "armv7l" in archs:
        elf = elf_header(sys.executable)
        return (
            elf is not None
            and elf["capacity"] == 1
            and elf["encoding"] == 1
            and elf["machine"] == ELF_MACHINE_ARM
            and elf["flags"] & EF_ARM_ABIMASK == EF_ARM_ABI_VER5
            and elf["flags"] & EF_ARM_ABI_FLOAT_HARD == EF_ARM_ABI_FLOAT_HARD
        )
    if "i686" in archs:
        elf = elf_header(sys.executable)
        return (
            elf is not None
            and elf["capacity"] == 1
            and elf["encoding"] == 1
            and elf["machine"] == ELF_MACHINE_I386
        )
    allowed = {"x86_64", "aarch64", "ppc64", "ppc64le", "s390x", "loongarch64", "riscv64"}
    return any(arch in allowed for arch in archs)


def glibc_version():
    # packaging._manylinux._glibc_version_string: os.confstr, else ctypes.
    version = None
    try:
        version_string = os.confstr("CS_GNU_LIBC_VERSION")
        if version_string is not None:
            _, version = version_string.rsplit()
    except (AttributeError, OSError, ValueError):
        version = None
    if version is None:
        try:
            import ctypes

            process = ctypes.CDLL(None)
            function = process.gnu_get_libc_version
            function.restype = ctypes.c_char_p
            version = function()
            if not isinstance(version, str):
                version = version.decode("ascii")
        except (ImportError, OSError, AttributeError, UnicodeDecodeError):
            version = None
    if version is None:
        return None
    # packaging._manylinux._parse_glibc_version: discard anything after major.minor.
    import re

    match = re.match(r"(?P<major>[0-9]+)\.(?P<minor>[0-9]+)", version)
    if not match:
        return None
    return [int(match.group("major")), int(match.group("minor"))]


def musl_version():
    # packaging._musllinux._get_musl_version: run the dynamic loader of sys.executable if it is
    # musl's; it prints "musl libc (x86_64)\nVersion 1.2.2\n..." on stderr.
    elf = elf_header(sys.executable)
    if elf is None or elf["interpreter"] is None or "musl" not in elf["interpreter"]:
        return None
    import subprocess

    try:
        process = subprocess.run(
            [elf["interpreter"]], stderr=subprocess.PIPE, universal_newlines=True
        )
    except OSError:
        return None
    lines = [line.strip() for line in process.stderr.splitlines() if line.strip()]
    if len(lines) < 2 or lines[0][:4] != "musl":
        return None
    words = lines[1].split()
    if len(words) < 2 or words[0] != "Version":
        return None
    numbers = words[1].split(".")
    try:
        return [int(numbers[0]), int(numbers[1])]
    except (IndexError, ValueError):
        return None


def linux_platform(sysconfig_platform, is_32bit):
    # packaging.tags._linux_platforms, up to the architecture list.
    linux = normalize(sysconfig_platform)
    if not linux.startswith("linux_"):
        return {"os": "other", "platform": linux}
    if is_32bit:
        if linux == "linux_x86_64":
            linux = "linux_i686"
        elif linux == "linux_aarch64":
            linux = "linux_armv8l"
    _, arch = linux.split("_", 1)
    archs = {"armv8l": ["armv8l", "armv7l"]}.get(arch, [arch])
    try:
        import _manylinux  # noqa: F401

        manylinux_module = True
    except ImportError:
        manylinux_module = False
    return {
        "os": "linux",
        "arch": arch,
        "glibc": glibc_version(),
        "musl": musl_version(),
        "manylinux_abi_compatible": have_compatible_abi(archs),
        "manylinux_module": manylinux_module,
    }


def macos_platform(is_32bit):
    # packaging.tags.mac_platforms and _mac_arch.
    version_string, _, arch = platform.mac_ver()
    version = [int(part) for part in version_string.split(".")[:2]]
    if version == [10, 16]:
        # Built against an old SDK, Python reports 10.16 instead of the real version.
        import subprocess

        version_string = subprocess.run(
            [sys.executable, "-sS", "-c", "import platform; print(platform.mac_ver()[0])"],
            check=True,
            env={"SYSTEM_VERSION_COMPAT": "0"},
            stdout=subprocess.PIPE,
            universal_newlines=True,
        ).stdout
        version = [int(part) for part in version_string.split(".")[:2]]
    if len(version) < 2:
        version.append(0)
    if is_32bit:
        arch = "ppc" if arch.startswith("ppc") else "i386"
    return {"os": "macos", "major": version[0], "minor": version[1], "arch": arch}


def tag_platform(pointer_size):
    # packaging.tags.platform_tags: macOS, Linux, or the normalized sysconfig platform.
    is_32bit = pointer_size == 32
    sysconfig_platform = sysconfig.get_platform()
    system = platform.system()
    if system == "Darwin":
        return macos_platform(is_32bit)
    if system == "Linux":
        return linux_platform(sysconfig_platform, is_32bit)
    if system == "Windows":
        return {"os": "windows", "platform": normalize(sysconfig_platform)}
    return {"os": "other", "platform": normalize(sysconfig_platform)}


# The keys of sysconfig's variables that pip sets to the prefix for `--prefix` (and `--home`).
HOME_KEYS = ["installed_base", "base", "installed_platbase", "platbase", "prefix", "exec_prefix"]


def sysconfig_scheme_name(kind):
    # pip._internal.locations._sysconfig._infer_prefix and _infer_user.
    preferred = getattr(sysconfig, "get_preferred_scheme", None)
    available = set(sysconfig.get_scheme_names())
    if preferred is not None:
        return preferred(kind)
    if kind == "user":
        framework = bool(sysconfig.get_config_var("PYTHONFRAMEWORK"))
        if framework and not is_virtualenv():
            suffixed = "osx_framework_user"
        else:
            suffixed = "{}_user".format(os.name)
        return suffixed if suffixed in available else "posix_user"
    if (
        "osx_framework_library" in available
        and not is_virtualenv()
        and bool(sysconfig.get_config_var("PYTHONFRAMEWORK"))
    ):
        return "osx_framework_library"
    if "{}_{}".format(sys.implementation.name, os.name) in available:
        return "{}_{}".format(sys.implementation.name, os.name)
    if sys.implementation.name in available:
        return sys.implementation.name
    if "{}_prefix".format(os.name) in available:
        return "{}_prefix".format(os.name)
    if os.name in available:
        return os.name
    return "posix_prefix"


def scheme_from_sysconfig(kind, prefix):
    # pip._internal.locations._sysconfig.get_scheme: `kind` is "prefix" (a plain install, or
    # `--prefix` when `prefix` is set) or "user" (`--user`).
    name = sysconfig_scheme_name(kind)
    variables = {}
    if prefix is not None:
        # A custom prefix never uses the framework's library scheme.
        if name == "osx_framework_library":
            name = "posix_prefix"
        variables = dict((key, prefix) for key in HOME_KEYS)
        if sysconfig.get_config_var("userbase") is not None:
            variables["userbase"] = prefix
    paths = sysconfig.get_paths(scheme=name, vars=variables)
    # get_paths fills `variables` with every config variable it lacked (pip relies on it, so
    # the base of pip's header location is the user base for `--user`).
    base = variables.get("userbase" if kind == "user" else "base", sys.prefix)
    return name, {
        "purelib": paths["purelib"],
        "platlib": paths["platlib"],
        "scripts": paths["scripts"],
        "data": paths["data"],
        "include": paths["include"],
        "prefix": base,
    }


def scheme_from_distutils(kind, prefix):
    # pip._internal.locations._distutils.distutils_scheme, without config files.
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from distutils.dist import Distribution

        distribution = Distribution({"name": "UNKNOWN"})
        install = distribution.get_command_obj("install", create=True)
        if kind == "user":
            install.user = True
            install.prefix = ""
        if prefix is not None:
            install.prefix = prefix
        install.finalize_options()
    return "distutils", {
        "purelib": install.install_purelib,
        "platlib": install.install_platlib,
        "scripts": install.install_scripts,
        "data": install.install_data,
        # install_headers ends with the distribution name ("UNKNOWN" here).
        "include": os.path.dirname(install.install_headers),
        "prefix": install.install_userbase if kind == "user" else install.prefix,
    }


def scheme(kind="prefix", prefix=None):
    # pip uses sysconfig on 3.10+ and distutils before, unless the distributor says otherwise.
    use_sysconfig = getattr(sysconfig, "_PIP_USE_SYSCONFIG", sys.version_info >= (3, 10))
    name = paths = None
    if not use_sysconfig:
        try:
            name, paths = scheme_from_distutils(kind, prefix)
        except Exception:  # noqa: BLE001: a broken distutils falls back to sysconfig
            name = paths = None
    if paths is None:
        name, paths = scheme_from_sysconfig(kind, prefix)
    # The base of the header location: the prefix, or the user base for `--user`.
    base = paths.pop("prefix") or sys.prefix
    if is_virtualenv():
        # pip's historical header location in virtual environments.
        paths["include"] = os.path.join(
            base, "include", "site", "python{}.{}".format(*sys.version_info[:2])
        )
    return name, paths


def virtualenv_no_global():
    # pip._internal.utils.virtualenv.virtualenv_no_global: user site-packages are invisible in a
    # virtual environment made without access to the global site-packages.
    if hasattr(sys, "real_prefix"):
        import site

        site_dir = os.path.dirname(os.path.abspath(site.__file__))
        return os.path.exists(os.path.join(site_dir, "no-global-site-packages.txt"))
    if sys.prefix == getattr(sys, "base_prefix", sys.prefix):
        return False
    import re

    try:
        with open(os.path.join(sys.prefix, "pyvenv.cfg"), encoding="utf-8") as file:
            lines = file.read().splitlines()
    except OSError:
        return True
    pattern = re.compile(r"include-system-site-packages\s*=\s*(?P<value>true|false)")
    for line in lines:
        match = pattern.match(line)
        if match is not None and match.group("value") == "false":
            return True
    return False


def scheme_main(arguments):
    # `scheme user` or `scheme prefix <dir>`: pip's scheme for `--user` or `--prefix <dir>`.
    if arguments[0] == "user":
        name, paths = scheme("user")
    else:
        name, paths = scheme("prefix", arguments[1])
    result = {
        "result": "success",
        "scheme_name": name,
        "scheme": paths,
        "virtualenv_no_global": virtualenv_no_global(),
    }
    print(json.dumps(result))


def main():
    pointer_size = struct.calcsize("P") * 8
    scheme_name, scheme_paths = scheme()
    gil_disabled = bool(sysconfig.get_config_var("Py_GIL_DISABLED"))
    result = {
        "result": "success",
        "markers": marker_environment(),
        "sys_executable": sys.executable,
        "sys_prefix": sys.prefix,
        "sys_base_prefix": getattr(sys, "base_prefix", sys.prefix),
        "is_virtualenv": is_virtualenv(),
        "stdlib": sysconfig.get_path("stdlib"),
        "implementation_name": sys.implementation.name,
        "python_version": list(sys.version_info[:3]),
        "python_full_version": platform.python_version(),
        "pointer_size": pointer_size,
        "gil_disabled": gil_disabled,
        "abi_tag": abi_tag(),
        "soabi": sysconfig.get_config_var("SOABI"),
        "ext_suffix": sysconfig.get_config_var("EXT_SUFFIX"),
        "sysconfig_platform": sysconfig.get_platform(),
        "platform": tag_platform(pointer_size),
        "scheme_name": scheme_name,
        "scheme": scheme_paths,
    }
    print(json.dumps(result))


if len(sys.argv) > 1 and sys.argv[1] == "scheme":
    scheme_main(sys.argv[2:])
else:
    main()
