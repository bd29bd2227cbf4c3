//! A temporary world for one test: a root directory, a cache, a virtual environment, and
//! commands that run in a clean environment.
//!
//! Start with [`TestContext::new`]; [`TestContext::command`] gives a `volley` command that cannot
//! see the developer's configuration, [`TestContext::pip`] runs the machine's pip against the same
//! environment for comparison, and [`TestContext::filter_paths`] makes output snapshot-stable.
//!
//! Traps:
//! - The shell running the tests may export `PIP_*`, `PYTHON*` (e.g. `PYTHONDONTWRITEBYTECODE`),
//!   `VIRTUAL_ENV`, `UV_*` or `VOLLEY_*`; every command built here removes them. This module reads
//!   the process environment (the names to remove, and the home directory for pyenv), which the
//!   library crates never do.
//! - `python3` on `PATH` may be a pyenv shim; [`find_python`] runs each candidate to be sure it
//!   works and has the version asked for.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use tempfile::TempDir;

/// One test's temporary root, cache and virtual environment.
#[derive(Debug)]
pub struct TestContext {
    root: TempDir,
    root_path: PathBuf,
    cache: PathBuf,
    venv: PathBuf,
    interpreter: PathBuf,
    venv_created: OnceLock<()>,
    site_packages: OnceLock<PathBuf>,
}

impl Default for TestContext {
    fn default() -> Self {
        Self::new()
    }
}

impl TestContext {
    /// A context whose virtual environment will use `python3` from `PATH`.
    pub fn new() -> Self {
        Self::with_python(Path::new("python3"))
    }

    /// A context whose virtual environment will use `interpreter` (a path or a name on `PATH`,
    /// e.g. one returned by [`find_python`]).
    ///
    /// # Panics
    /// When the temporary directory cannot be created.
    pub fn with_python(interpreter: &Path) -> Self {
        let root = tempfile::Builder::new()
            .prefix("volley-test-")
            .tempdir()
            .expect("create the test's temporary directory");
        // Canonical, so that paths printed by Python (which resolves symlinks) match.
        let root_path = fs_err::canonicalize(root.path()).expect("canonicalize the temp root");
        let cache = root_path.join("cache");
        fs_err::create_dir_all(&cache).expect("create the cache directory");
        fs_err::create_dir_all(root_path.join("home")).expect("create the home directory");
        Self {
            venv: root_path.join(".venv"),
            cache,
            root_path,
            root,
            interpreter: interpreter.to_path_buf(),
            venv_created: OnceLock::new(),
            site_packages: OnceLock::new(),
        }
    }

    /// The temporary root directory (deleted when the context is dropped); commands run here.
    pub fn root(&self) -> &Path {
        &self.root_path
    }

    /// The cache directory, `<root>/cache`, which exists.
    pub fn cache_dir(&self) -> &Path {
        &self.cache
    }

    /// The virtual environment's directory, `<root>/.venv`; see [`Self::create_venv`].
    pub fn venv(&self) -> &Path {
        &self.venv
    }

    /// The interpreter the context was made with (`python3` by default).
    pub fn base_python(&self) -> &Path {
        &self.interpreter
    }

    /// Creates the virtual environment (`python -m venv --without-pip`) the first time it is
    /// called, and returns its directory.
    ///
    /// # Panics
    /// When `venv` fails.
    pub fn create_venv(&self) -> &Path {
        self.venv_created.get_or_init(|| {
            let output = self
                .clean_command(&self.interpreter)
                .args(["-m", "venv", "--without-pip"])
                .arg(&self.venv)
                .output()
                .expect("run python -m venv");
            assert!(
                output.status.success(),
                "creating the venv with {} failed: {}",
                self.interpreter.display(),
                String::from_utf8_lossy(&output.stderr)
            );
        });
        &self.venv
    }

    /// A Python installation of its own under `<root>/system-python`, not a virtual
    /// environment, made from the context's interpreter without touching it: a copy of its
    /// executable in `bin/python3`, and a standard library directory whose entries link to the
    /// real one (so the copy finds its prefix there) but whose `site-packages` is empty and
    /// whose files tests may add, such as PEP 668's `EXTERNALLY-MANAGED`. Returns the
    /// interpreter; its standard library directory is
    /// `<root>/system-python/lib/pythonX.Y` (`sysconfig.get_path("stdlib")` of the copy).
    ///
    /// # Panics
    /// When the context's interpreter cannot be asked for its paths or copied.
    #[cfg(unix)]
    pub fn system_like_python(&self) -> PathBuf {
        let script = "import os, sys, sysconfig\n\
            print(os.path.realpath(sys.executable))\n\
            print(sysconfig.get_path('stdlib'))\n\
            print(os.path.relpath(sysconfig.get_path('stdlib'), sys.prefix))\n\
            print(sysconfig.get_config_var('LIBDIR') or '')\n";
        let output = self
            .clean_command(&self.interpreter)
            .args(["-c", script])
            .output()
            .expect("python runs");
        assert!(output.status.success(), "{output:?}");
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        let lines: Vec<&str> = text.lines().collect();
        let [executable, stdlib, relative, libdir] = lines[..] else {
            panic!("unexpected answer: {text}");
        };
        let prefix = self.root().join("system-python");
        let own_stdlib = prefix.join(relative);
        fs_err::create_dir_all(prefix.join("bin")).unwrap();
        fs_err::create_dir_all(own_stdlib.join("site-packages")).unwrap();
        for entry in fs_err::read_dir(stdlib).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name();
            if name == "site-packages" || name == "EXTERNALLY-MANAGED" {
                continue;
            }
            std::os::unix::fs::symlink(entry.path(), own_stdlib.join(&name)).unwrap();
        }
        // An executable that finds its shared library relative to itself (`$ORIGIN/../lib`).
        if let Ok(entries) = fs_err::read_dir(libdir) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                if name.to_string_lossy().starts_with("libpython") {
                    let _ = std::os::unix::fs::symlink(entry.path(), prefix.join("lib").join(name));
                }
            }
        }
        // Copied by a child process, so that no thread here holds the file open for writing
        // (see `write_script`).
        let python = prefix.join("bin").join("python3");
        let status = Command::new("cp")
            .arg(executable)
            .arg(&python)
            .status()
            .expect("cp runs");
        assert!(status.success(), "copying {executable} failed");
        python
    }

    /// The virtual environment's interpreter, `<venv>/bin/python` (it may not exist yet).
    pub fn python(&self) -> PathBuf {
        self.venv.join("bin").join("python")
    }

    /// A command for the `volley` binary at `bin`, run in the root with a clean environment, the
    /// context's cache (`VOLLEY_CACHE_DIR`), its own `HOME` and `XDG_CACHE_HOME`, and `NO_COLOR`.
    pub fn command(&self, bin: &Path) -> Command {
        let mut command = self.clean_command(bin);
        command
            .env("VOLLEY_CACHE_DIR", &self.cache)
            .env("XDG_CACHE_HOME", self.root_path.join("xdg-cache"))
            .env("NO_COLOR", "1");
        command
    }

    /// Runs `code` with the virtual environment's interpreter (creating the environment first if
    /// needed) in a clean environment.
    ///
    /// # Panics
    /// When the interpreter cannot be started.
    pub fn run_python(&self, code: &str) -> Output {
        self.create_venv();
        self.clean_command(&self.python())
            .args(["-c", code])
            .output()
            .expect("run the venv's python")
    }

    /// Runs the machine's pip (with the base interpreter) against the virtual environment:
    /// `python3 -m pip --python <venv>/bin/python <args>`, with no pip configuration.
    ///
    /// # Panics
    /// When the interpreter cannot be started.
    pub fn pip(&self, args: &[&str]) -> Output {
        self.create_venv();
        self.clean_command(&self.interpreter)
            .args(["-m", "pip", "--python"])
            .arg(self.python())
            .args(args)
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .env("PIP_NO_INPUT", "1")
            .env("PIP_CONFIG_FILE", "/dev/null")
            .output()
            .expect("run pip")
    }

    /// The virtual environment's `purelib` directory, asked of its interpreter once.
    ///
    /// # Panics
    /// When the interpreter fails.
    pub fn site_packages(&self) -> PathBuf {
        self.site_packages
            .get_or_init(|| {
                let output =
                    self.run_python("import sysconfig; print(sysconfig.get_paths()['purelib'])");
                assert!(
                    output.status.success(),
                    "asking the venv for its site-packages failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
                PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
            })
            .clone()
    }

    /// Makes `text` stable for snapshots: the cache becomes `[CACHE]`, the root `[TEMP]`, and
    /// `127.0.0.1:<port>` becomes `[SERVER]`.
    pub fn filter_paths(&self, text: &str) -> String {
        let mut text = text.to_string();
        let original_root = self.root.path().to_path_buf();
        for (path, replacement) in [
            (&self.cache, "[CACHE]"),
            (&self.root_path, "[TEMP]"),
            (&original_root, "[TEMP]"),
        ] {
            text = text.replace(path.to_string_lossy().as_ref(), replacement);
        }
        filter_server_addresses(&text)
    }

    /// Every file under `dir` (recursively, symlinks not followed) by relative path, with its
    /// content; a symlink's content is `-> <target>`. For "the environment was not touched"
    /// assertions: take one before and one after, compare.
    pub fn snapshot_tree(&self, dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
        snapshot_tree(dir)
    }

    /// A command for `program` in the root, with the variables that change how volley, pip or
    /// Python behave removed (`PIP_*`, `PYTHON*`, `VIRTUAL_ENV`, `VOLLEY_*`, `UV_*`,
    /// `CONDA_PREFIX`) and `HOME` set to `<root>/home`.
    pub fn clean_command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command.current_dir(&self.root_path);
        for name in polluting_variables() {
            command.env_remove(name);
        }
        command.env("HOME", self.root_path.join("home"));
        command
    }
}

/// The names of the process's environment variables that would change how volley, pip or Python
/// behave.
fn polluting_variables() -> Vec<OsString> {
    const PREFIXES: [&str; 5] = ["PIP_", "VOLLEY_", "UV_", "PYTHON", "CONDA_PREFIX"];
    std::env::vars_os()
        .map(|(name, _)| name)
        .filter(|name| {
            let name = name.to_string_lossy();
            name == "VIRTUAL_ENV" || PREFIXES.iter().any(|prefix| name.starts_with(prefix))
        })
        .collect()
}

/// Replaces `127.0.0.1:<digits>` with `[SERVER]`.
pub fn filter_server_addresses(text: &str) -> String {
    const HOST: &str = "127.0.0.1:";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(index) = rest.find(HOST) {
        let after = &rest[index + HOST.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        out.push_str(&rest[..index]);
        if digits == 0 {
            out.push_str(HOST);
        } else {
            out.push_str("[SERVER]");
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

/// See [`TestContext::snapshot_tree`].
///
/// # Panics
/// When `dir` cannot be read.
pub fn snapshot_tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut tree = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in fs_err::read_dir(&current).expect("read a directory of the tree") {
            let entry = entry.expect("read a directory entry");
            let path = entry.path();
            let relative = path
                .strip_prefix(dir)
                .expect("entries are under the root")
                .to_path_buf();
            let file_type = entry.file_type().expect("read a file type");
            if file_type.is_symlink() {
                let target = fs_err::read_link(&path).expect("read a symlink");
                let content = format!("-> {}", target.display()).into_bytes();
                tree.insert(relative, content);
            } else if file_type.is_dir() {
                pending.push(path);
            } else {
                tree.insert(relative, fs_err::read(&path).expect("read a file"));
            }
        }
    }
    tree
}

/// Finds a working interpreter for `version` (e.g. `"3.12"`): `python3.12` on `PATH`, else the
/// newest `~/.pyenv/versions/3.12.*/bin/python3`. `None` when there is none, so tests can skip.
pub fn find_python(version: &str) -> Option<PathBuf> {
    let on_path = PathBuf::from(format!("python{version}"));
    if let Some(found) = interpreter_with_version(&on_path, version) {
        return Some(found);
    }
    let versions = std::env::home_dir()?.join(".pyenv").join("versions");
    let mut candidates: Vec<PathBuf> = fs_err::read_dir(&versions)
        .ok()?
        .filter_map(Result::ok)
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name == version
                || name
                    .strip_prefix(version)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
        .map(|entry| entry.path().join("bin").join("python3"))
        .collect();
    candidates.sort_by_key(|path| version_key(path));
    candidates
        .iter()
        .rev()
        .find_map(|candidate| interpreter_with_version(candidate, version))
}

/// Sort key for `.../versions/3.12.4/bin/python3`: the numeric parts of the version directory.
fn version_key(path: &Path) -> Vec<u64> {
    path.ancestors()
        .nth(2)
        .and_then(Path::file_name)
        .map(|name| {
            name.to_string_lossy()
                .split('.')
                .map(|part| part.parse().unwrap_or(0))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs `interpreter` and returns its `sys.executable` when its `major.minor` is `version`.
fn interpreter_with_version(interpreter: &Path, version: &str) -> Option<PathBuf> {
    let output = Command::new(interpreter)
        .args([
            "-c",
            "import sys; print('%d.%d' % sys.version_info[:2]); print(sys.executable)",
        ])
        .env_remove("PYTHONHOME")
        .env_remove("PYTHONPATH")
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let stdout = String::from_utf8(output.stdout).ok()?;
    let mut lines = stdout.lines();
    if lines.next()? != version {
        return None;
    }
    Some(PathBuf::from(lines.next()?))
}

/// Writes an executable script (mode 0o755) at `path` without this process ever holding it
/// open for writing: a `sh` child writes it. Were it written here, a test on another thread
/// that forks meanwhile would keep a copy of the write descriptor in its child until the child
/// execs, and running the script in that window fails with "text file busy" (ETXTBSY).
#[cfg(unix)]
pub fn write_script(path: &Path, content: &str) {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new("sh")
        .args(["-c", "cat > \"$1\" && chmod 755 \"$1\"", "sh"])
        .arg(path)
        .stdin(Stdio::piped())
        .spawn()
        .expect("sh runs");
    // The pipe closes when `stdin` is dropped, which ends `cat`.
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(content.as_bytes())
            .expect("sh reads the script");
    }
    let status = child.wait().expect("sh ends");
    assert!(
        status.success(),
        "writing {} failed: {status}",
        path.display()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_are_filtered() {
        assert_eq!(
            filter_server_addresses("GET http://127.0.0.1:4567/simple/ and 127.0.0.1: end"),
            "GET http://[SERVER]/simple/ and 127.0.0.1: end"
        );
    }
}
