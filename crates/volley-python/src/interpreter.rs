//! What volley knows about an interpreter: [`Interpreter`], built from the answer of the query
//! script (`query_interpreter.py`, run by [`Interpreter::query`]).
//!
//! The script reports facts; Rust derives the rest: the marker environment (through
//! `MarkerEnvironmentBuilder`) and the wheel tags (through [`Tags::from_input`]).
//!
//! Traps:
//! - The platform that decides tags is not `platform.machine()`: packaging takes the
//!   architecture from `sysconfig.get_platform()`, and a 32-bit interpreter on a 64-bit kernel
//!   reports `linux-x86_64` there but needs `i686` tags (`armv8l` for 32-bit ARM on aarch64).
//!   The script applies these rules.
//! - manylinux tags need both a glibc version and an interpreter whose ELF header matches the
//!   architecture (packaging's `_have_compatible_abi`); without either, only `linux_<arch>`
//!   (and musllinux, when linked against musl) apply.
//! - A development build reports `python_full_version` with a trailing `+` (`3.13.0a1+`),
//!   which is not a PEP 440 version; it is dropped for the marker environment.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use volley_packaging::{
    Arch, Libc, MarkerEnvironment, MarkerEnvironmentBuilder, Platform, Tags, TagsInput,
};

use crate::PythonError;

/// A queried Python interpreter. The fields are plain data, filled once by
/// [`Interpreter::query`]; tests elsewhere may build one by hand.
#[derive(Debug, Clone)]
pub struct Interpreter {
    /// The path that was queried, absolute but not canonicalized (e.g. `.venv/bin/python`).
    pub executable: PathBuf,
    /// `sys.executable`: the real interpreter behind a shim; the path for script shebangs.
    pub sys_executable: PathBuf,
    /// `sys.prefix`: the environment's root.
    pub sys_prefix: PathBuf,
    /// `sys.base_prefix`: the base installation's root (equal to `sys_prefix` outside a venv).
    pub sys_base_prefix: PathBuf,
    /// A virtual environment (`sys.prefix != sys.base_prefix`, or a legacy `sys.real_prefix`).
    pub is_virtualenv: bool,
    /// `sysconfig.get_path("stdlib")`: where a distributor puts the PEP 668
    /// `EXTERNALLY-MANAGED` marker ([`Interpreter::externally_managed`]).
    pub stdlib: PathBuf,
    /// `sys.implementation.name`, e.g. `cpython`, `pypy`.
    pub implementation_name: String,
    /// `sys.version_info[:3]`.
    pub python_version: (u8, u8, u8),
    /// `platform.python_version()`, e.g. `3.11.7`, `3.13.0rc1`.
    pub python_full_version: String,
    /// Pointer size in bits (`struct.calcsize("P") * 8`): 64 or 32.
    pub pointer_size: u8,
    /// A free-threaded build (`Py_GIL_DISABLED`).
    pub gil_disabled: bool,
    /// The PEP 508 marker environment, as `packaging.markers.default_environment()` gives it.
    pub markers: MarkerEnvironment,
    /// The interpreter's own ABI tag (`cp311`, `cp313t`, `cp311d`, `pypy310_pp73`), when known.
    pub abi_tag: Option<String>,
    /// The platform facts that decide the platform tags.
    pub platform: Platform,
    /// Supported wheel tags, best first.
    pub tags: Tags,
    /// The name of the install scheme: a sysconfig scheme (`venv`, `posix_prefix`, `nt`,
    /// `posix_local` on Debian, ...) or `distutils` (pip's choice before Python 3.10).
    pub scheme_name: String,
    /// Where pip would install for this interpreter.
    pub scheme: Scheme,
}

/// Install locations, as pip computes them for a plain install (no `--user`, `--prefix`,
/// `--home` or `--root`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scheme {
    /// Pure-Python packages (`site-packages`).
    pub purelib: PathBuf,
    /// Packages with extension modules (often equal to `purelib`; `lib64` on some systems).
    pub platlib: PathBuf,
    /// Entry-point scripts and `*.data/scripts`.
    pub scripts: PathBuf,
    /// `*.data/data`: the prefix itself.
    pub data: PathBuf,
    /// C headers (`*.data/headers`); a distribution's headers go into `<include>/<name>`. In a
    /// virtual environment this is pip's `<prefix>/include/site/pythonX.Y`.
    pub include: PathBuf,
}

impl Interpreter {
    /// Where installed distributions live: `purelib` then `platlib`, without duplicates.
    pub fn site_packages(&self) -> Vec<PathBuf> {
        let mut directories = vec![self.scheme.purelib.clone()];
        if self.scheme.platlib != self.scheme.purelib {
            directories.push(self.scheme.platlib.clone());
        }
        directories
    }

    /// `(major, minor)` of [`Interpreter::python_version`].
    pub fn python_minor_version(&self) -> (u8, u8) {
        (self.python_version.0, self.python_version.1)
    }
}

/// The query script's answer.
#[derive(Debug, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub(crate) enum QueryAnswer {
    Success(Box<QueryOutput>),
    Error(QueryErrorOutput),
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum QueryErrorOutput {
    UnsupportedPythonVersion { python_version: String },
}

/// The facts the query script reports (see `query_interpreter.py` for each one's source).
#[derive(Debug, Deserialize)]
pub(crate) struct QueryOutput {
    markers: MarkerOutput,
    sys_executable: PathBuf,
    sys_prefix: PathBuf,
    sys_base_prefix: PathBuf,
    is_virtualenv: bool,
    stdlib: PathBuf,
    implementation_name: String,
    python_version: (u8, u8, u8),
    python_full_version: String,
    pointer_size: u8,
    gil_disabled: bool,
    abi_tag: Option<String>,
    platform: PlatformOutput,
    scheme_name: String,
    scheme: Scheme,
}

#[derive(Debug, Deserialize)]
struct MarkerOutput {
    implementation_name: String,
    implementation_version: String,
    os_name: String,
    platform_machine: String,
    platform_python_implementation: String,
    platform_release: String,
    platform_system: String,
    platform_version: String,
    python_full_version: String,
    python_version: String,
    sys_platform: String,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "os", rename_all = "snake_case")]
enum PlatformOutput {
    Linux {
        /// From `sysconfig.get_platform()`, after the 32-bit adjustment.
        arch: String,
        glibc: Option<(u16, u16)>,
        musl: Option<(u16, u16)>,
        manylinux_abi_compatible: bool,
        /// The interpreter ships a `_manylinux` module (a distributor's override of manylinux
        /// compatibility); volley does not consult it.
        manylinux_module: bool,
    },
    Macos {
        major: u16,
        minor: u16,
        arch: String,
    },
    Windows {
        /// The normalized `sysconfig.get_platform()`, e.g. `win_amd64`.
        platform: String,
    },
    Other {
        platform: String,
    },
}

impl QueryOutput {
    /// Build the [`Interpreter`]: marker environment, platform and tags.
    pub(crate) fn into_interpreter(self, executable: PathBuf) -> Result<Interpreter, PythonError> {
        let markers = self
            .markers
            .build()
            .map_err(|reason| PythonError::InvalidQueryOutput {
                executable: executable.clone(),
                reason,
            })?;
        let platform = self.platform.into_platform(&executable);
        let (major, minor, _) = self.python_version;
        let tags = Tags::from_input(&TagsInput {
            implementation_name: self.implementation_name.clone(),
            python_version: (major, minor),
            abi_tag: self.abi_tag.clone(),
            gil_disabled: self.gil_disabled,
            platform: platform.clone(),
        })
        .map_err(|source| PythonError::Tags {
            executable: executable.clone(),
            source,
        })?;
        Ok(Interpreter {
            executable,
            sys_executable: self.sys_executable,
            sys_prefix: self.sys_prefix,
            sys_base_prefix: self.sys_base_prefix,
            is_virtualenv: self.is_virtualenv,
            stdlib: self.stdlib,
            implementation_name: self.implementation_name,
            python_version: self.python_version,
            python_full_version: self.python_full_version,
            pointer_size: self.pointer_size,
            gil_disabled: self.gil_disabled,
            markers,
            abi_tag: self.abi_tag,
            platform,
            tags,
            scheme_name: self.scheme_name,
            scheme: self.scheme,
        })
    }
}

impl MarkerOutput {
    fn build(&self) -> Result<MarkerEnvironment, String> {
        MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
            implementation_name: &self.implementation_name,
            implementation_version: &self.implementation_version,
            os_name: &self.os_name,
            platform_machine: &self.platform_machine,
            platform_python_implementation: &self.platform_python_implementation,
            platform_release: &self.platform_release,
            platform_system: &self.platform_system,
            platform_version: &self.platform_version,
            python_full_version: self.python_full_version.trim_end_matches('+'),
            python_version: &self.python_version,
            sys_platform: &self.sys_platform,
        })
        .map_err(|error| format!("invalid marker environment: {error}"))
    }
}

impl PlatformOutput {
    fn into_platform(self, executable: &std::path::Path) -> Platform {
        match self {
            Self::Linux {
                arch,
                glibc,
                musl,
                manylinux_abi_compatible,
                manylinux_module,
            } => {
                if manylinux_module {
                    tracing::debug!(
                        "{} has a `_manylinux` module; its manylinux overrides are not applied",
                        executable.display()
                    );
                }
                let libc = match (glibc, musl) {
                    (Some((major, minor)), _) if manylinux_abi_compatible => {
                        Libc::Glibc { major, minor }
                    }
                    (_, Some((major, minor))) => Libc::Musl { major, minor },
                    _ => Libc::Unknown,
                };
                Platform::Linux {
                    arch: linux_arch(&arch),
                    libc,
                }
            }
            Self::Macos { major, minor, arch } => Platform::MacOs {
                major,
                minor,
                arch: macos_arch(&arch),
            },
            Self::Windows { platform } => match platform.as_str() {
                "win_amd64" => Platform::Windows { arch: Arch::X86_64 },
                "win32" => Platform::Windows { arch: Arch::I686 },
                "win_arm64" => Platform::Windows {
                    arch: Arch::Aarch64,
                },
                _ => Platform::Other(platform),
            },
            Self::Other { platform } => Platform::Other(platform),
        }
    }
}

/// The Linux architecture exactly as packaging names it in tags: only exact names map to the
/// known variants, so `i586` stays `i586` (packaging gives it no manylinux tags).
fn linux_arch(arch: &str) -> Arch {
    match arch {
        "x86_64" => Arch::X86_64,
        "aarch64" => Arch::Aarch64,
        "i686" => Arch::I686,
        "armv7l" => Arch::Armv7l,
        "ppc64le" => Arch::Ppc64le,
        "s390x" => Arch::S390x,
        other => Arch::Other(other.to_string()),
    }
}

/// The macOS architecture of `platform.mac_ver()` (after packaging's 32-bit rule).
fn macos_arch(arch: &str) -> Arch {
    match arch {
        "x86_64" => Arch::X86_64,
        "arm64" => Arch::Aarch64,
        "i386" => Arch::I686,
        other => Arch::Other(other.to_string()),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::collections::HashSet;
    use std::path::Path;

    use super::*;
    use crate::testing::{base_python, make_venv, make_venv_with, pyenv_pythons, python_output};

    /// `packaging.markers.default_environment()` from the pip vendored in `python`.
    fn pip_markers(python: &Path) -> serde_json::Value {
        let output = python_output(
            python,
            "import json; from pip._vendor.packaging.markers import default_environment as d; \
             print(json.dumps(d()))",
        );
        serde_json::from_str(&output).unwrap()
    }

    /// The tags pip selects wheels with, as strings: `get_supported()`, which is
    /// `packaging.tags.sys_tags()` except that its `<interpreter>-none-any` tag is always the
    /// versioned interpreter (`cp311-none-any`; packaging before 22 left it out for CPython).
    fn pip_tags(python: &Path) -> Vec<String> {
        python_output(
            python,
            "from pip._internal.utils.compatibility_tags import get_supported\n\
             for t in get_supported(): print(t)",
        )
        .lines()
        .map(str::to_string)
        .collect()
    }

    /// Does `python` have a pip whose vendored packaging we can compare against?
    fn has_pip(python: &Path) -> bool {
        crate::testing::clean_command(python)
            .args(["-c", "import pip._internal.utils.compatibility_tags"])
            .output()
            .is_ok_and(|output| output.status.success())
    }

    /// packaging 26.3 orders `linux_<arch>` before manylinux and musllinux (pypa/packaging#160);
    /// older vendored copies put it last. Within each run of one interpreter and ABI, move the
    /// `linux_*` platforms to the front, keeping everything else in place.
    fn linux_first(tags: &[String]) -> Vec<String> {
        let mut result = Vec::with_capacity(tags.len());
        let mut start = 0;
        while start < tags.len() {
            let prefix = |tag: &str| {
                tag.rsplit_once('-')
                    .map_or("", |(group, _)| group)
                    .to_string()
            };
            let group = prefix(&tags[start]);
            let end = tags[start..]
                .iter()
                .position(|tag| prefix(tag) != group)
                .map_or(tags.len(), |offset| start + offset);
            let run = &tags[start..end];
            let is_linux = |tag: &&String| tag.rsplit('-').next().unwrap().starts_with("linux_");
            result.extend(run.iter().filter(is_linux).cloned());
            result.extend(run.iter().filter(|tag| !is_linux(tag)).cloned());
            start = end;
        }
        result
    }

    fn volley_tags(interpreter: &Interpreter) -> Vec<String> {
        interpreter.tags.iter().map(ToString::to_string).collect()
    }

    /// The tags volley computes are the tags pip computes: the same set, and the same order
    /// once packaging 26.3's `linux_*`-first rule is applied to the older vendored copy.
    fn assert_tags_match_pip(python: &Path, interpreter: &Interpreter) {
        let expected = linux_first(&pip_tags(python));
        let actual = volley_tags(interpreter);
        let expected_set: HashSet<&String> = expected.iter().collect();
        let actual_set: HashSet<&String> = actual.iter().collect();
        let missing: Vec<_> = expected_set.difference(&actual_set).take(10).collect();
        let extra: Vec<_> = actual_set.difference(&expected_set).take(10).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{}: tags missing {missing:?}, extra {extra:?}",
            python.display()
        );
        assert_eq!(
            actual[..50],
            expected[..50],
            "{}: first 50 tags",
            python.display()
        );
        assert_eq!(actual, expected, "{}: tag order", python.display());
    }

    #[test]
    fn venv_query_matches_pip() {
        let temp = tempfile::tempdir().unwrap();
        let venv = make_venv(&temp.path().join("venv"));
        let executable = venv.join("bin").join("python");
        let interpreter = Interpreter::query(&executable, None).unwrap();

        assert_eq!(interpreter.executable, executable);
        assert_eq!(interpreter.sys_executable, executable);
        assert_eq!(interpreter.sys_prefix, venv);
        assert!(interpreter.is_virtualenv);
        assert_ne!(interpreter.sys_base_prefix, venv);
        assert_eq!(interpreter.implementation_name, "cpython");
        assert_eq!(interpreter.pointer_size, 64);
        assert!(!interpreter.gil_disabled);
        let (major, minor) = interpreter.python_minor_version();
        assert_eq!(major, 3);
        assert_eq!(
            interpreter.abi_tag.as_deref(),
            Some(format!("cp3{minor}").as_str())
        );
        assert_eq!(
            interpreter.python_full_version,
            interpreter.markers.python_full_version().string
        );

        // Scheme: the venv's own site-packages (sysconfig's `venv` scheme on 3.11+).
        let python_xy = format!("python{major}.{minor}");
        let site_packages = venv.join("lib").join(&python_xy).join("site-packages");
        assert_eq!(interpreter.scheme.purelib, site_packages);
        assert_eq!(interpreter.site_packages(), vec![site_packages]);
        assert_eq!(interpreter.scheme.scripts, venv.join("bin"));
        assert_eq!(interpreter.scheme.data, venv);
        assert_eq!(
            interpreter.scheme.include,
            venv.join("include").join("site").join(&python_xy)
        );

        // The base interpreter has pip; its vendored packaging is the reference.
        let base = base_python();
        assert_eq!(
            serde_json::to_value(&interpreter.markers).unwrap(),
            pip_markers(base)
        );
        assert_tags_match_pip(base, &interpreter);
    }

    /// Every pyenv interpreter that volley supports (3.8+) and that has pip: markers, tags and
    /// the install scheme equal pip's. Skips cleanly where pyenv is absent.
    #[test]
    fn pyenv_interpreters_match_pip() {
        for python in pyenv_pythons() {
            let interpreter = match Interpreter::query(&python, None) {
                Ok(interpreter) => interpreter,
                Err(PythonError::UnsupportedVersion { .. }) => continue,
                Err(error) => panic!("{}: {error}", python.display()),
            };
            if !has_pip(&python) {
                continue;
            }
            assert_eq!(
                serde_json::to_value(&interpreter.markers).unwrap(),
                pip_markers(&python),
                "{}",
                python.display()
            );
            assert_tags_match_pip(&python, &interpreter);

            // pip's own scheme (sysconfig on 3.10+, distutils before); headers end with the
            // distribution's name.
            let pip_scheme: serde_json::Value = serde_json::from_str(&python_output(
                &python,
                "import json, os; from pip._internal.locations import get_scheme\n\
                 s = get_scheme('dist')\n\
                 print(json.dumps({'purelib': s.purelib, 'platlib': s.platlib, \
                 'scripts': s.scripts, 'data': s.data, \
                 'include': os.path.dirname(s.headers)}))",
            ))
            .unwrap();
            assert_eq!(
                serde_json::to_value(&interpreter.scheme).unwrap(),
                pip_scheme,
                "{}",
                python.display()
            );
        }
    }

    #[test]
    fn pyenv_venvs_of_every_version() {
        let temp = tempfile::tempdir().unwrap();
        for (index, python) in pyenv_pythons().into_iter().enumerate() {
            let Ok(base) = Interpreter::query(&python, None) else {
                continue;
            };
            let venv = make_venv_with(&python, &temp.path().join(index.to_string()), &[]);
            let interpreter = Interpreter::query(&venv.join("bin").join("python"), None).unwrap();
            assert!(interpreter.is_virtualenv, "{}", python.display());
            assert_eq!(interpreter.sys_prefix, venv);
            assert_eq!(interpreter.sys_base_prefix, base.sys_prefix);
            assert_eq!(volley_tags(&interpreter), volley_tags(&base));
            let (major, minor) = interpreter.python_minor_version();
            assert_eq!(
                interpreter.scheme.purelib,
                venv.join("lib")
                    .join(format!("python{major}.{minor}"))
                    .join("site-packages"),
                "{}",
                python.display()
            );
        }
    }

    #[test]
    fn old_pythons_are_refused() {
        for python in pyenv_pythons() {
            let version = python_output(
                &python,
                "import sys; print(sys.version_info[0] * 100 + sys.version_info[1])",
            );
            let version: u32 = version.trim().parse().unwrap();
            let result = Interpreter::query(&python, None);
            if version >= 308 {
                assert!(result.is_ok(), "{}: {:?}", python.display(), result.err());
                continue;
            }
            let error = result.unwrap_err();
            assert!(
                matches!(error, PythonError::UnsupportedVersion { .. }),
                "{}: {error}",
                python.display()
            );
            let message = error
                .to_string()
                .replace(&python.display().to_string(), "[PYTHON]");
            if version >= 304 {
                assert!(message.starts_with("Python 3."), "{message}");
                assert!(message.ends_with(
                    "at \"[PYTHON]\" is not supported: volley needs Python 3.8 or newer"
                ));
            } else {
                insta::assert_snapshot!(message, @r#"Python 2 (or 3 older than 3.4) at "[PYTHON]" is not supported: volley needs Python 3.8 or newer"#);
            }
        }
    }

    #[test]
    fn platform_mapping() {
        let linux = |arch: &str, glibc, musl, compatible| PlatformOutput::Linux {
            arch: arch.to_string(),
            glibc,
            musl,
            manylinux_abi_compatible: compatible,
            manylinux_module: false,
        };
        let path = Path::new("python");
        assert_eq!(
            linux("x86_64", Some((2, 36)), None, true).into_platform(path),
            Platform::Linux {
                arch: Arch::X86_64,
                libc: Libc::Glibc {
                    major: 2,
                    minor: 36
                }
            }
        );
        // A 32-bit ARM interpreter without the hard-float ABI gets no manylinux tags.
        assert_eq!(
            linux("armv8l", Some((2, 31)), None, false).into_platform(path),
            Platform::Linux {
                arch: Arch::Other("armv8l".to_string()),
                libc: Libc::Unknown
            }
        );
        assert_eq!(
            linux("aarch64", None, Some((1, 2)), false).into_platform(path),
            Platform::Linux {
                arch: Arch::Aarch64,
                libc: Libc::Musl { major: 1, minor: 2 }
            }
        );
        assert_eq!(
            linux("i586", None, None, false).into_platform(path),
            Platform::Linux {
                arch: Arch::Other("i586".to_string()),
                libc: Libc::Unknown
            }
        );
        assert_eq!(
            PlatformOutput::Macos {
                major: 14,
                minor: 2,
                arch: "arm64".to_string()
            }
            .into_platform(path),
            Platform::MacOs {
                major: 14,
                minor: 2,
                arch: Arch::Aarch64
            }
        );
        assert_eq!(
            PlatformOutput::Windows {
                platform: "win32".to_string()
            }
            .into_platform(path),
            Platform::Windows { arch: Arch::I686 }
        );
        assert_eq!(
            PlatformOutput::Windows {
                platform: "mingw_x86_64_ucrt".to_string()
            }
            .into_platform(path),
            Platform::Other("mingw_x86_64_ucrt".to_string())
        );
    }

    #[test]
    fn development_version_markers() {
        let markers = MarkerOutput {
            implementation_name: "cpython".to_string(),
            implementation_version: "3.14.0a1".to_string(),
            os_name: "posix".to_string(),
            platform_machine: "x86_64".to_string(),
            platform_python_implementation: "CPython".to_string(),
            platform_release: "6.1.0".to_string(),
            platform_system: "Linux".to_string(),
            platform_version: "#1 SMP".to_string(),
            python_full_version: "3.14.0a1+".to_string(),
            python_version: "3.14".to_string(),
            sys_platform: "linux".to_string(),
        };
        let environment = markers.build().unwrap();
        assert_eq!(environment.python_full_version().string, "3.14.0a1");

        let broken = MarkerOutput {
            python_version: "three".to_string(),
            ..markers
        };
        insta::assert_snapshot!(broken.build().unwrap_err(), @"invalid marker environment: expected version to start with a number, but no leading ASCII digits were found");
    }
}
