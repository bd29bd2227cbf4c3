//! Which interpreter a command targets: `--python`, `--system`, or the active environment.
//!
//! Start at [`Interpreter::find`]; [`find_python_executable`] is the same search without
//! running anything.
//!
//! pip installs into the interpreter that runs it. volley is not run by Python, so it has to pick
//! one, and it never falls back to a system interpreter silently (that is what `--system` is
//! for). With no flag ([`PythonRequest::Default`]) it takes, in order: `$VIRTUAL_ENV`, a `.venv`
//! directory in the current directory or any parent, then `$CONDA_PREFIX`. Conda comes last
//! because a conda base environment is often active in every shell, and a project's `.venv` is
//! the more specific choice.
//!
//! Traps:
//! - Paths are made absolute against [`DiscoveryEnv::cwd`] but never canonicalized: a venv's
//!   `bin/python` is usually a symlink to the base interpreter, and resolving it loses the venv.
//! - An environment directory holds `bin/python` on Unix and `Scripts/python.exe` on Windows;
//!   both are tried on every platform, as pip does (MSYS and Cygwin mix them). A conda
//!   environment's interpreter is `<prefix>/bin/python` or `<prefix>/python.exe`.
//! - `python3` on `PATH` may be a shim (pyenv, asdf) that picks the real interpreter each time it
//!   runs; the query records the real `sys.executable`, and shims are never cached (see
//!   [`Interpreter::query`]).

use std::ffi::{OsStr, OsString};
use std::path::{Component, Path, PathBuf};

use volley_cache::Cache;

use crate::{Interpreter, PythonError};

/// Which interpreter the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PythonRequest {
    /// `--python <value>`: an interpreter file, an environment directory (its `bin/python` or
    /// `Scripts/python.exe`), or a command name such as `python3.12` looked up on `PATH`.
    /// Relative paths are relative to [`DiscoveryEnv::cwd`].
    Path(PathBuf),
    /// `--system`: the first `python3` on `PATH` (`python`, then `python3` on Windows).
    System,
    /// No flag: the active or nearby environment (see the module doc).
    Default,
    /// No flag with `--user`: as [`PythonRequest::Default`] when it finds an environment, else
    /// as [`PythonRequest::System`] (pip's `--user` is the user site of the interpreter that
    /// runs it, usually the system's).
    DefaultOrSystem,
}

/// The process environment that discovery depends on. The binary fills it from environment
/// variables; libraries never read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryEnv {
    /// `$VIRTUAL_ENV` (an empty value counts as unset).
    pub virtual_env: Option<PathBuf>,
    /// `$CONDA_PREFIX` (an empty value counts as unset).
    pub conda_prefix: Option<PathBuf>,
    /// The current directory, absolute.
    pub cwd: PathBuf,
    /// `$PATH`.
    pub path: Option<OsString>,
}

/// Interpreter paths inside a virtual environment, Unix first.
const VENV_INTERPRETERS: [&str; 2] = ["bin/python", "Scripts/python.exe"];
/// Interpreter paths inside a conda environment, Unix first.
const CONDA_INTERPRETERS: [&str; 2] = ["bin/python", "python.exe"];
/// What `--system` looks for on `PATH`, best first.
const SYSTEM_NAMES: &[&str] = if cfg!(windows) {
    &["python", "python3"]
} else {
    &["python3"]
};

impl Interpreter {
    /// Find the interpreter for `request` and query it (see [`Interpreter::query`]).
    pub fn find(
        request: &PythonRequest,
        env: &DiscoveryEnv,
        cache: Option<&Cache>,
    ) -> Result<Self, PythonError> {
        let executable = find_python_executable(request, env)?;
        tracing::debug!(
            "using Python interpreter {} for {request:?}",
            executable.display()
        );
        Self::query(&executable, cache)
    }
}

/// The absolute path of the interpreter for `request`, without running it.
pub fn find_python_executable(
    request: &PythonRequest,
    env: &DiscoveryEnv,
) -> Result<PathBuf, PythonError> {
    match request {
        PythonRequest::Path(path) => find_requested(path, env),
        PythonRequest::System => SYSTEM_NAMES
            .iter()
            .find_map(|name| find_on_path(OsStr::new(name), env))
            .ok_or(PythonError::SystemNotFound {
                name: SYSTEM_NAMES[0],
            }),
        PythonRequest::Default => find_default(env),
        PythonRequest::DefaultOrSystem => match find_default(env) {
            Err(PythonError::NotFound { .. }) => {
                find_python_executable(&PythonRequest::System, env)
            }
            found => found,
        },
    }
}

/// `--python <path>`: a file, an environment directory, or a command name on `PATH`.
fn find_requested(request: &Path, env: &DiscoveryEnv) -> Result<PathBuf, PythonError> {
    let candidate = env.cwd.join(request);
    match fs_err::metadata(&candidate) {
        Ok(metadata) if metadata.is_dir() => {
            environment_interpreter(&candidate, &VENV_INTERPRETERS).ok_or(
                PythonError::NoInterpreterInEnvironment {
                    environment: candidate,
                    origin: "--python",
                },
            )
        }
        Ok(_) => Ok(candidate),
        Err(_) if is_bare_name(request) => {
            find_on_path(request.as_os_str(), env).ok_or_else(|| PythonError::RequestNotFound {
                request: request.to_path_buf(),
            })
        }
        Err(_) => Err(PythonError::RequestNotFound {
            request: request.to_path_buf(),
        }),
    }
}

/// No flag: `$VIRTUAL_ENV`, a `.venv` here or in a parent, `$CONDA_PREFIX`.
fn find_default(env: &DiscoveryEnv) -> Result<PathBuf, PythonError> {
    if let Some(virtual_env) = non_empty(env.virtual_env.as_deref()) {
        let environment = env.cwd.join(virtual_env);
        return environment_interpreter(&environment, &VENV_INTERPRETERS).ok_or(
            PythonError::NoInterpreterInEnvironment {
                environment,
                origin: "$VIRTUAL_ENV",
            },
        );
    }
    for directory in env.cwd.ancestors() {
        let environment = directory.join(".venv");
        if environment.is_dir() {
            return environment_interpreter(&environment, &VENV_INTERPRETERS).ok_or(
                PythonError::NoInterpreterInEnvironment {
                    environment,
                    origin: ".venv",
                },
            );
        }
    }
    if let Some(conda_prefix) = non_empty(env.conda_prefix.as_deref()) {
        let environment = env.cwd.join(conda_prefix);
        return environment_interpreter(&environment, &CONDA_INTERPRETERS).ok_or(
            PythonError::NoInterpreterInEnvironment {
                environment,
                origin: "$CONDA_PREFIX",
            },
        );
    }
    Err(PythonError::NotFound {
        cwd: env.cwd.clone(),
    })
}

fn non_empty(path: Option<&Path>) -> Option<&Path> {
    path.filter(|path| !path.as_os_str().is_empty())
}

/// The first of `candidates` that exists in `environment`. A dangling symlink counts (its base
/// interpreter was removed): running it then fails with a message naming it.
fn environment_interpreter(environment: &Path, candidates: &[&str]) -> Option<PathBuf> {
    candidates
        .iter()
        .map(|candidate| environment.join(candidate))
        .find(|path| fs_err::symlink_metadata(path).is_ok_and(|metadata| !metadata.is_dir()))
}

/// A single plain name such as `python3.12`, not a path.
fn is_bare_name(path: &Path) -> bool {
    let mut components = path.components();
    matches!(
        (components.next(), components.next()),
        (Some(Component::Normal(_)), None)
    )
}

/// The first executable called `name` in the directories of `$PATH` (with `.exe` appended on
/// Windows when `name` has no extension).
fn find_on_path(name: &OsStr, env: &DiscoveryEnv) -> Option<PathBuf> {
    let path = env.path.as_ref()?;
    let mut names = vec![name.to_os_string()];
    if cfg!(windows) && Path::new(name).extension().is_none() {
        let mut exe = name.to_os_string();
        exe.push(".exe");
        names.insert(0, exe);
    }
    std::env::split_paths(path)
        // An empty entry means the current directory to a shell; a file named like Python in
        // whatever directory volley runs from is not something to run.
        .filter(|directory| !directory.as_os_str().is_empty())
        .flat_map(|directory| {
            let directory = env.cwd.join(directory);
            names
                .iter()
                .map(move |name| directory.join(name))
                .collect::<Vec<_>>()
        })
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    let Ok(metadata) = fs_err::metadata(path) else {
        return false;
    };
    if !metadata.is_file() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        metadata.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{base_python, make_venv};

    fn env_in(cwd: &Path) -> DiscoveryEnv {
        DiscoveryEnv {
            virtual_env: None,
            conda_prefix: None,
            cwd: cwd.to_path_buf(),
            path: None,
        }
    }

    /// Replace the temporary directory in a message, for stable snapshots.
    fn redact(message: &str, root: &Path) -> String {
        message.replace(&root.display().to_string(), "[TEMP]")
    }

    #[test]
    fn python_venv_directory() {
        let temp = tempfile::tempdir().unwrap();
        let venv = make_venv(&temp.path().join("env"));
        let env = env_in(temp.path());
        let found =
            find_python_executable(&PythonRequest::Path(PathBuf::from("env")), &env).unwrap();
        assert_eq!(found, venv.join("bin").join("python"));
        let interpreter =
            Interpreter::find(&PythonRequest::Path(PathBuf::from("env")), &env, None).unwrap();
        assert!(interpreter.is_virtualenv);
        assert_eq!(interpreter.sys_prefix, venv);
    }

    #[test]
    fn python_interpreter_file() {
        let temp = tempfile::tempdir().unwrap();
        let venv = make_venv(&temp.path().join("env"));
        let executable = venv.join("bin").join("python");
        let env = env_in(Path::new("/"));
        let found = find_python_executable(&PythonRequest::Path(executable.clone()), &env).unwrap();
        assert_eq!(found, executable);
        // Not canonicalized: the symlink into the base interpreter keeps the venv.
        let interpreter = Interpreter::find(&PythonRequest::Path(executable), &env, None).unwrap();
        assert_eq!(interpreter.sys_prefix, venv);
    }

    #[test]
    fn python_command_name_on_path() {
        let temp = tempfile::tempdir().unwrap();
        let bin = temp.path().join("bin");
        fs_err::create_dir(&bin).unwrap();
        let link = bin.join("python3.99");
        std::os::unix::fs::symlink(base_python(), &link).unwrap();
        // A directory earlier on PATH without it, and a non-executable file of that name.
        let other = temp.path().join("other");
        fs_err::create_dir(&other).unwrap();
        fs_err::write(other.join("python3.99"), "not executable").unwrap();
        let mut env = env_in(temp.path());
        env.path = Some(std::env::join_paths([&other, &bin]).unwrap());
        let found = find_python_executable(&PythonRequest::Path(PathBuf::from("python3.99")), &env)
            .unwrap();
        assert_eq!(found, link);

        let error = find_python_executable(&PythonRequest::Path(PathBuf::from("python3.98")), &env)
            .unwrap_err();
        insta::assert_snapshot!(error, @r#"no Python interpreter found for --python "python3.98": it is not a file, a directory or a command on PATH"#);
        // A path (not a bare name) is never looked up on PATH.
        let error =
            find_python_executable(&PythonRequest::Path(PathBuf::from("./python3.99")), &env)
                .unwrap_err();
        assert!(matches!(error, PythonError::RequestNotFound { .. }));
    }

    #[test]
    fn system_is_python3_on_path() {
        let temp = tempfile::tempdir().unwrap();
        let link = temp.path().join("python3");
        std::os::unix::fs::symlink(base_python(), &link).unwrap();
        let mut env = env_in(Path::new("/"));
        env.path = Some(temp.path().as_os_str().to_os_string());
        assert_eq!(
            find_python_executable(&PythonRequest::System, &env).unwrap(),
            link
        );
        let interpreter = Interpreter::find(&PythonRequest::System, &env, None).unwrap();
        assert!(!interpreter.is_virtualenv);

        env.path = Some(OsString::new());
        let error = find_python_executable(&PythonRequest::System, &env).unwrap_err();
        insta::assert_snapshot!(error, @r#"no "python3" found on PATH for --system"#);
    }

    #[test]
    fn virtual_env_variable_wins() {
        let temp = tempfile::tempdir().unwrap();
        let active = make_venv(&temp.path().join("active"));
        make_venv(&temp.path().join("project").join(".venv"));
        let mut env = env_in(&temp.path().join("project"));
        env.virtual_env = Some(PathBuf::from("../active"));
        env.conda_prefix = Some(temp.path().join("conda"));
        let found = find_python_executable(&PythonRequest::Default, &env).unwrap();
        assert_eq!(found, temp.path().join("project/../active/bin/python"));
        let interpreter = Interpreter::find(&PythonRequest::Default, &env, None).unwrap();
        assert_eq!(interpreter.sys_prefix, active);

        // Set but broken.
        env.virtual_env = Some(temp.path().join("missing"));
        let error = find_python_executable(&PythonRequest::Default, &env).unwrap_err();
        insta::assert_snapshot!(redact(&error.to_string(), temp.path()), @r#"the environment "[TEMP]/missing" (from $VIRTUAL_ENV) has no Python interpreter at "bin/python" or "Scripts/python.exe""#);
    }

    #[test]
    fn dot_venv_in_a_parent() {
        let temp = tempfile::tempdir().unwrap();
        let venv = make_venv(&temp.path().join(".venv"));
        let nested = temp.path().join("src").join("package");
        fs_err::create_dir_all(&nested).unwrap();
        let mut env = env_in(&nested);
        env.virtual_env = Some(PathBuf::new());
        env.conda_prefix = Some(temp.path().join("conda"));
        let found = find_python_executable(&PythonRequest::Default, &env).unwrap();
        assert_eq!(found, venv.join("bin").join("python"));
    }

    #[test]
    fn conda_prefix_when_no_venv() {
        let temp = tempfile::tempdir().unwrap();
        let conda = temp.path().join("conda");
        fs_err::create_dir_all(conda.join("bin")).unwrap();
        std::os::unix::fs::symlink(base_python(), conda.join("bin").join("python")).unwrap();
        let mut env = env_in(temp.path());
        env.conda_prefix = Some(conda.clone());
        assert_eq!(
            find_python_executable(&PythonRequest::Default, &env).unwrap(),
            conda.join("bin").join("python")
        );
    }

    #[test]
    fn not_found() {
        let temp = tempfile::tempdir().unwrap();
        let env = env_in(temp.path());
        let error = find_python_executable(&PythonRequest::Default, &env).unwrap_err();
        assert!(matches!(error, PythonError::NotFound { .. }));
        insta::assert_snapshot!(redact(&error.to_string(), temp.path()), @r#"no virtual environment found: $VIRTUAL_ENV and $CONDA_PREFIX are unset and there is no `.venv` in "[TEMP]" or its parents"#);

        // A `.venv` without an interpreter is reported, not skipped.
        fs_err::create_dir(temp.path().join(".venv")).unwrap();
        let error = find_python_executable(&PythonRequest::Default, &env).unwrap_err();
        insta::assert_snapshot!(redact(&error.to_string(), temp.path()), @r#"the environment "[TEMP]/.venv" (from .venv) has no Python interpreter at "bin/python" or "Scripts/python.exe""#);
    }
}
