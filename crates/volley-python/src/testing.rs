//! Test helpers: real interpreters and virtual environments made with them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// A command running `program` with no `PIP_*` or `PYTHON*` variables from the outer shell.
pub(crate) fn clean_command(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut command = Command::new(program);
    for (key, _) in std::env::vars_os() {
        let key_text = key.to_string_lossy();
        if key_text.starts_with("PIP_") || key_text.starts_with("PYTHON") {
            command.env_remove(&key);
        }
    }
    command
}

/// Run `python -c code` and return its standard output; panics on failure.
pub(crate) fn python_output(python: &Path, code: &str) -> String {
    let output = clean_command(python).args(["-c", code]).output().unwrap();
    assert!(
        output.status.success(),
        "{} -c {code} failed: {}",
        python.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The real executable behind `python3` on the test's `PATH` (through any pyenv shim).
pub(crate) fn base_python() -> &'static Path {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        let output = clean_command("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("the tests need `python3` on PATH");
        assert!(output.status.success());
        PathBuf::from(String::from_utf8(output.stdout).unwrap().trim())
    })
}

/// Create a virtual environment (without pip) at `path` with [`base_python`]; returns `path`.
pub(crate) fn make_venv(path: &Path) -> PathBuf {
    make_venv_with(base_python(), path, &[])
}

/// Create a virtual environment at `path` with `python` and extra `venv` options.
pub(crate) fn make_venv_with(python: &Path, path: &Path, options: &[&str]) -> PathBuf {
    let status = clean_command(python)
        .args(["-m", "venv", "--without-pip"])
        .args(options)
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "creating a venv at {}", path.display());
    path.to_path_buf()
}

/// The interpreters under `~/.pyenv/versions/*/bin/python` (none where pyenv is absent).
pub(crate) fn pyenv_pythons() -> Vec<PathBuf> {
    let Some(home) = std::env::home_dir() else {
        return Vec::new();
    };
    let Ok(entries) = fs_err::read_dir(home.join(".pyenv").join("versions")) else {
        return Vec::new();
    };
    let mut pythons: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path().join("bin").join("python"))
        .filter(|python| python.is_file())
        .collect();
    pythons.sort();
    pythons
}
