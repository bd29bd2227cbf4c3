//! Isolated build environments: a fresh virtual environment per build, made with the target
//! interpreter, which the caller fills through [`BuildRequirementsInstaller`].
//!
//! Traps:
//! - the venv is created `--without-pip`: nothing but the standard library is importable until
//!   the installer adds the build requirements;
//! - Python's startup reads environment variables that would leak the caller's packages into
//!   the build (`PYTHONPATH`, `PYTHONHOME`, `PYTHONUSERBASE`, user site-packages): they are
//!   removed, and `PYTHONNOUSERSITE=1` is set, as pip's build isolation does; `PATH` is kept
//!   (compilers) and the venv's scripts directory is put first by the hook runner;
//! - paths are asked of the venv's own interpreter (`sysconfig`), never guessed: PyPy, Debian and
//!   Windows lay them out differently.

use std::path::{Path, PathBuf};
use std::process::Command;

use volley_packaging::Requirement;

use crate::BuildError;

/// Installs requirements into a build environment. The binary implements it with volley's
/// resolver and installer; tests may run `python -m pip --python <env python> install ...`.
pub trait BuildRequirementsInstaller: Send + Sync {
    /// Installs `requirements` (with their dependencies, honouring
    /// [`BuildEnvironmentInfo::constraints`]) into `environment`. The environment may already
    /// hold what an earlier call for the same build installed (`build-system.requires`, before
    /// the backend was asked for more): add what is missing and replace a distribution whose
    /// version the new resolution changed, so that each is there once. The error is shown to
    /// the user after "installing build requirements ... failed: ".
    fn install(
        &self,
        requirements: &[Requirement],
        environment: &BuildEnvironmentInfo,
    ) -> Result<(), String>;
}

/// A build environment, as the installer needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildEnvironmentInfo {
    /// The virtual environment's directory.
    pub root: PathBuf,
    /// Its interpreter (`<root>/bin/python`, `<root>\Scripts\python.exe`).
    pub python: PathBuf,
    /// Its `purelib` directory, where packages go.
    pub site_packages: PathBuf,
    /// Its scripts directory (`bin`, `Scripts`).
    pub scripts: PathBuf,
    /// The build constraints (`--build-constraint`) the resolution must respect.
    pub constraints: Vec<Requirement>,
}

/// Variables that make Python import from outside the build environment.
const LEAKING_VARIABLES: [&str; 6] = [
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONUSERBASE",
    "PYTHONSTARTUP",
    "PYTHONEXECUTABLE",
    "__PYVENV_LAUNCHER__",
];

/// Makes `command` run isolated from the caller's Python configuration, inside `venv`.
pub(crate) fn isolate(command: &mut Command, venv: &Path) {
    for name in LEAKING_VARIABLES {
        command.env_remove(name);
    }
    command
        .env("PYTHONNOUSERSITE", "1")
        .env("VIRTUAL_ENV", venv);
}

/// Asks a venv's interpreter for its paths, as JSON.
const PATHS_SCRIPT: &str = "import json, sys, sysconfig; paths = sysconfig.get_paths(); \
print(json.dumps({'purelib': paths['purelib'], 'scripts': paths['scripts'], \
'executable': sys.executable}))";

/// Creates a virtual environment at `root` with `python` (`python -m venv --without-pip`) and
/// asks it for its paths.
pub(crate) fn create_venv(
    python: &Path,
    root: &Path,
    constraints: &[Requirement],
) -> Result<BuildEnvironmentInfo, BuildError> {
    let mut command = Command::new(python);
    command.args(["-m", "venv", "--without-pip"]).arg(root);
    isolate(&mut command, root);
    command.env_remove("VIRTUAL_ENV");
    run_checked(command, python)?;

    let venv_python = if cfg!(windows) {
        root.join("Scripts").join("python.exe")
    } else {
        root.join("bin").join("python")
    };
    let mut command = Command::new(&venv_python);
    command.args(["-c", PATHS_SCRIPT]);
    isolate(&mut command, root);
    let stdout = run_checked(command, python)?;
    let paths: serde_json::Value =
        serde_json::from_str(stdout.trim()).map_err(|error| BuildError::Environment {
            python: python.to_path_buf(),
            output: format!("unexpected answer from {}: {error}", venv_python.display()),
        })?;
    let path = |key: &str| {
        paths
            .get(key)
            .and_then(serde_json::Value::as_str)
            .map(PathBuf::from)
            .ok_or_else(|| BuildError::Environment {
                python: python.to_path_buf(),
                output: format!("{} did not report its {key} path", venv_python.display()),
            })
    };
    Ok(BuildEnvironmentInfo {
        root: root.to_path_buf(),
        python: venv_python.clone(),
        site_packages: path("purelib")?,
        scripts: path("scripts")?,
        constraints: constraints.to_vec(),
    })
}

/// Runs `command` and returns its stdout; its output becomes the error when it fails.
fn run_checked(mut command: Command, python: &Path) -> Result<String, BuildError> {
    let program = PathBuf::from(command.get_program());
    let output = command
        .output()
        .map_err(|source| BuildError::Spawn { program, source })?;
    if !output.status.success() {
        let mut text = String::from_utf8_lossy(&output.stderr).trim().to_string();
        if text.is_empty() {
            text = String::from_utf8_lossy(&output.stdout).trim().to_string();
        }
        return Err(BuildError::Environment {
            python: python.to_path_buf(),
            output: format!("{} ({})", text, output.status),
        });
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}
