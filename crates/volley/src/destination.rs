//! Where `install` puts packages: the environment's own scheme, or pip's `--target DIR`,
//! `--prefix DIR` and `--user`. They change the install paths (the [`Scheme`]), which installed
//! distributions count (those the resolver may keep or replace), and the lock file that
//! serializes volley processes.
//!
//! pip's rules, followed here:
//! - `--target DIR` is a flat directory: packages in `DIR`, scripts in `DIR/bin`, data files
//!   and headers under `DIR` (pip installs with the `home` scheme into a temporary directory
//!   and moves its top-level entries into `DIR`). pip then skips an entry that `DIR` already
//!   has, with a warning, unless `--upgrade`. volley reads the distributions already in `DIR`:
//!   one at the version resolved is kept, one at another version is replaced only with
//!   `--upgrade` (else the same warning, and it stays).
//! - `--prefix DIR` is the interpreter's scheme rebased on `DIR` (the interpreter computes it);
//!   the distributions already under it count.
//! - `--user` is the user scheme of the active environment's interpreter, else of the
//!   `python3` on PATH (as `--system`); refused in a virtual environment that does not see the user
//!   site-packages. Distributions in the user site-packages and in the environment count (pip
//!   sees both on `sys.path`), but only those in the user site-packages are ever removed.
//! - `--user` cannot go with `--target` or `--prefix`, nor `--target` with `--prefix`.
//! - The lock that serializes volley processes is `<venv>/.lock` in a virtual environment, and
//!   outside the tree for every other destination ([`Destination::lock_path`]).
//! - PEP 668: the interpreter's environment and its user site-packages are refused when the
//!   interpreter is externally managed, unless `--break-system-packages`
//!   ([`Destination::check_externally_managed`]); `--target` and `--prefix` are not checked,
//!   as pip does not check them (there is no reliable way to find their marker).

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use volley_python::{
    ExternallyManaged, InstalledDist, Interpreter, PythonRequest, Scheme, SchemeRequest,
};

/// An install or uninstall refused because a distributor manages the interpreter (PEP 668).
#[derive(Debug, thiserror::Error)]
#[error(
    "the Python environment under {} is externally managed ({}):\n{}",
    prefix.display(),
    managed.marker.display(),
    indent(&managed.message)
)]
pub struct ExternallyManagedError {
    prefix: PathBuf,
    managed: ExternallyManaged,
}

impl ExternallyManagedError {
    /// pip's note and hint, with volley's way out.
    pub fn hint() -> &'static str {
        "install into a virtual environment (`python3 -m venv .venv`), or pass \
         --break-system-packages to change it anyway, at the risk of breaking your Python \
         installation or OS (PEP 668)"
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.is_empty() {
                String::new()
            } else {
                format!("  {line}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// pip's `check_externally_managed`, for commands that change the interpreter's own
/// environment (`uninstall`).
pub fn check_externally_managed(interpreter: &Interpreter) -> Result<(), ExternallyManagedError> {
    match interpreter.externally_managed() {
        Some(managed) => Err(ExternallyManagedError {
            prefix: interpreter.sys_prefix.clone(),
            managed,
        }),
        None => Ok(()),
    }
}

/// Where an install goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Destination {
    /// The interpreter's environment (no flag).
    #[default]
    Environment,
    /// `--target DIR` (absolute).
    Target(PathBuf),
    /// `--prefix DIR` (absolute).
    Prefix(PathBuf),
    /// `--user`.
    User,
}

impl Destination {
    /// The destination the flags ask for; relative directories are taken from `cwd`.
    pub fn from_flags(
        target: Option<&Path>,
        prefix: Option<&Path>,
        user: bool,
        cwd: &Path,
    ) -> Result<Self> {
        match (target, prefix, user) {
            (Some(_), _, true) => bail!("cannot combine --user and --target"),
            (_, Some(_), true) => bail!(
                "cannot combine --user and --prefix: they imply different installation locations"
            ),
            (Some(_), Some(_), false) => {
                bail!(
                    "cannot combine --target and --prefix: they imply different installation locations"
                )
            }
            (Some(target), None, false) => {
                let target = cwd.join(target);
                if target.exists() && !target.is_dir() {
                    bail!(
                        "the target \"{}\" exists but is not a directory",
                        target.display()
                    );
                }
                Ok(Self::Target(target))
            }
            (None, Some(prefix), false) => Ok(Self::Prefix(cwd.join(prefix))),
            (None, None, true) => Ok(Self::User),
            (None, None, false) => Ok(Self::Environment),
        }
    }

    /// The install paths. Runs the interpreter for `--prefix` and `--user`: blocking.
    pub fn scheme(&self, interpreter: &Interpreter) -> Result<Scheme> {
        Ok(match self {
            Self::Environment => interpreter.scheme.clone(),
            Self::Target(dir) => target_scheme(dir, interpreter),
            Self::Prefix(prefix) => {
                interpreter.scheme_for(&SchemeRequest::Prefix(prefix.clone()))?
            }
            Self::User => interpreter.scheme_for(&SchemeRequest::User)?,
        })
    }

    /// The installed distributions that count, one per name, first found first. Blocking.
    pub fn installed(
        &self,
        interpreter: &Interpreter,
        scheme: &Scheme,
    ) -> Result<Vec<InstalledDist>> {
        let mut directories = vec![scheme.purelib.clone()];
        if scheme.platlib != scheme.purelib {
            directories.push(scheme.platlib.clone());
        }
        if *self == Self::User {
            directories.extend(interpreter.site_packages());
        }
        let mut installed: Vec<InstalledDist> = Vec::new();
        for directory in directories {
            for dist in InstalledDist::scan(&directory)? {
                if !installed.iter().any(|seen| seen.name == dist.name) {
                    installed.push(dist);
                }
            }
        }
        Ok(installed)
    }

    /// Whether installing another version may remove `dist`: only what lies in the scheme's
    /// own site-packages (not the environment's, for `--user`).
    pub fn may_remove(dist: &InstalledDist, scheme: &Scheme) -> bool {
        let location = dist.location();
        location == scheme.purelib || location == scheme.platlib
    }

    /// The file that serializes volley processes changing this destination: `<venv>/.lock` in
    /// a virtual environment (as uv's), else a file in the temporary directory named after the
    /// destination's path, so that nothing is left in a system prefix, a user base, a
    /// `--target` or `--prefix` directory, and an unwritable prefix can still be locked.
    pub fn lock_path(&self, interpreter: &Interpreter, scheme: &Scheme) -> PathBuf {
        match self {
            Self::Environment if interpreter.is_virtualenv => interpreter.sys_prefix.join(".lock"),
            Self::Environment => lock_outside(&interpreter.sys_prefix),
            Self::Target(dir) | Self::Prefix(dir) => lock_outside(dir),
            Self::User => lock_outside(&scheme.data),
        }
    }

    /// The interpreter to look for: with `--user` and no `--python` or `--system`, the
    /// active environment if there is one, else the `python3` on PATH (pip's `--user` is the
    /// user site of the interpreter that runs it).
    pub fn python_request(&self, request: PythonRequest) -> PythonRequest {
        match (self, request) {
            (Self::User, PythonRequest::Default) => PythonRequest::DefaultOrSystem,
            (_, request) => request,
        }
    }

    /// Refuses an externally managed interpreter (PEP 668) for the destinations pip checks:
    /// the environment and `--user`.
    pub fn check_externally_managed(
        &self,
        interpreter: &Interpreter,
    ) -> Result<(), ExternallyManagedError> {
        match self {
            Self::Environment | Self::User => check_externally_managed(interpreter),
            Self::Target(_) | Self::Prefix(_) => Ok(()),
        }
    }

    /// `--target`: replace a distribution already there only with `--upgrade`.
    pub fn is_target(&self) -> bool {
        matches!(self, Self::Target(_))
    }
}

/// `--root DIR`: every path of `scheme` moved under `root`, as pip's `change_root` does (an
/// absolute `/usr/lib/...` becomes `DIR/usr/lib/...`; a drive or root prefix is dropped).
pub fn change_root(scheme: &Scheme, root: &Path) -> Scheme {
    let rebase = |path: &Path| {
        root.join(
            path.components()
                .filter(|component| {
                    !matches!(
                        component,
                        std::path::Component::Prefix(_) | std::path::Component::RootDir
                    )
                })
                .collect::<PathBuf>(),
        )
    };
    Scheme {
        purelib: rebase(&scheme.purelib),
        platlib: rebase(&scheme.platlib),
        scripts: rebase(&scheme.scripts),
        data: rebase(&scheme.data),
        include: rebase(&scheme.include),
    }
}

/// The lock file of the directory `tree`, outside it: `volley-<hash of the path>.lock` in the
/// temporary directory (as uv locks read-only prefixes).
fn lock_outside(tree: &Path) -> PathBuf {
    let key = volley_cache::cache_key(&tree.to_string_lossy());
    std::env::temp_dir().join(format!("volley-{key}.lock"))
}

/// `--target DIR`: what pip's moves out of its `home` scheme leave in `DIR`.
fn target_scheme(dir: &Path, interpreter: &Interpreter) -> Scheme {
    let scripts = if cfg!(windows) { "Scripts" } else { "bin" };
    let (major, minor) = interpreter.python_minor_version();
    // The `home` scheme's headers, or pip's own location for them in a virtual environment.
    let include = if interpreter.is_virtualenv {
        dir.join("include")
            .join("site")
            .join(format!("python{major}.{minor}"))
    } else {
        dir.join("include").join("python")
    };
    Scheme {
        purelib: dir.to_path_buf(),
        platlib: dir.to_path_buf(),
        scripts: dir.join(scripts),
        data: dir.to_path_buf(),
        include,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_combine_as_in_pip() {
        let cwd = Path::new("/work");
        let dir = Some(Path::new("out"));
        assert_eq!(
            Destination::from_flags(dir, None, false, cwd).unwrap(),
            Destination::Target(PathBuf::from("/work/out"))
        );
        assert_eq!(
            Destination::from_flags(None, Some(Path::new("/opt/x")), false, cwd).unwrap(),
            Destination::Prefix(PathBuf::from("/opt/x"))
        );
        assert_eq!(
            Destination::from_flags(None, None, false, cwd).unwrap(),
            Destination::Environment
        );
        let errors: Vec<String> = [(dir, None, true), (None, dir, true), (dir, dir, false)]
            .into_iter()
            .map(|(target, prefix, user)| {
                Destination::from_flags(target, prefix, user, cwd)
                    .unwrap_err()
                    .to_string()
            })
            .collect();
        insta::assert_snapshot!(errors.join("\n"), @r"
        cannot combine --user and --target
        cannot combine --user and --prefix: they imply different installation locations
        cannot combine --target and --prefix: they imply different installation locations
        ");
    }

    #[test]
    fn change_root_moves_every_path_under_the_root() {
        let scheme = Scheme {
            purelib: PathBuf::from("/usr/lib/python3/site-packages"),
            platlib: PathBuf::from("/usr/lib64/python3/site-packages"),
            scripts: PathBuf::from("/usr/bin"),
            data: PathBuf::from("/usr"),
            include: PathBuf::from("/usr/include/python3"),
        };
        let rooted = change_root(&scheme, Path::new("/stage"));
        assert_eq!(
            rooted.purelib,
            PathBuf::from("/stage/usr/lib/python3/site-packages")
        );
        assert_eq!(
            rooted.platlib,
            PathBuf::from("/stage/usr/lib64/python3/site-packages")
        );
        assert_eq!(rooted.scripts, PathBuf::from("/stage/usr/bin"));
        assert_eq!(rooted.data, PathBuf::from("/stage/usr"));
        assert_eq!(rooted.include, PathBuf::from("/stage/usr/include/python3"));
    }
}
