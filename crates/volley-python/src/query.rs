//! Running the query script (`query_interpreter.py`) with an interpreter, and caching its answer.
//!
//! The script runs as `python -I -B -c <script>`: isolated mode ignores `PYTHON*` variables, the
//! user site and the current directory (a `json.py` in the project must not shadow the
//! standard library), and `-B` writes no bytecode into the interpreter's directories.
//!
//! Cache layout (bucket [`CacheBucket::Interpreter`], `interpreter-v1/<key>.json`, where `<key>`
//! is [`cache_key`] of the absolute interpreter path): a [`CacheEntry`] holding the script's raw
//! answer and what it was computed for: the path, its canonical target, the target's size and
//! modification time, and a key of the script itself. Any difference is a miss. Replacing a
//! venv's base interpreter changes the target; upgrading Python in place changes its size or
//! time.
//!
//! Traps:
//! - The path is not canonicalized for the key: a venv's `bin/python` is a symlink to the base
//!   interpreter, and the two give different answers (`sys.prefix`, scheme).
//! - A shim (pyenv, asdf: a `#!` script) picks its interpreter at each run from files and
//!   variables the key cannot see, so shims are queried every time and never cached.
//! - A cache that cannot be read or written only costs a query; it is logged, never an error.

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use volley_cache::{Cache, CacheBucket, cache_key, write_atomic};

use crate::interpreter::{QueryAnswer, QueryErrorOutput};
use crate::{Interpreter, PythonError};

/// The script, embedded in the binary.
const QUERY_SCRIPT: &str = include_str!("query_interpreter.py");

impl Interpreter {
    /// Query the interpreter at `executable` (made absolute, never canonicalized), or take its
    /// answer from `cache` when the interpreter has not changed since (no process is spawned
    /// then).
    pub fn query(executable: &Path, cache: Option<&Cache>) -> Result<Self, PythonError> {
        let executable = std::path::absolute(executable)?;
        let key = cache.and_then(|cache| CacheKey::new(&executable, cache));
        if let Some(key) = &key
            && let Some(output) = key.read()
        {
            match parse_answer(&executable, &output) {
                Ok(interpreter) => {
                    tracing::debug!(
                        "interpreter facts for {} from {}",
                        executable.display(),
                        key.path.display()
                    );
                    return Ok(interpreter);
                }
                Err(error) => tracing::debug!("ignoring the cached answer: {error}"),
            }
        }
        let output = run_script(&executable, &[])?;
        let interpreter = parse_answer(&executable, &output)?;
        if let Some(key) = &key {
            key.write(&output);
        }
        Ok(interpreter)
    }
}

/// Run the script with `arguments` (none for the query) and return its standard output.
pub(crate) fn run_script(executable: &Path, arguments: &[&OsStr]) -> Result<String, PythonError> {
    tracing::debug!("querying {} {arguments:?}", executable.display());
    let output = Command::new(executable)
        .args(["-I", "-B", "-c", QUERY_SCRIPT])
        .args(arguments)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| PythonError::Spawn {
            executable: executable.to_path_buf(),
            source,
        })?;
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    if !output.status.success() {
        // Python 2 and Python 3 before 3.4 have no `-I`.
        if stderr.contains("Unknown option: -I") {
            return Err(PythonError::UnsupportedVersion {
                executable: executable.to_path_buf(),
                version: "2 (or 3 older than 3.4)".to_string(),
            });
        }
        return Err(PythonError::QueryFailed {
            executable: executable.to_path_buf(),
            status: output.status,
            stderr,
        });
    }
    if !stderr.is_empty() {
        tracing::debug!("{} wrote to stderr: {stderr}", executable.display());
    }
    String::from_utf8(output.stdout).map_err(|error| PythonError::InvalidQueryOutput {
        executable: executable.to_path_buf(),
        reason: format!("output is not UTF-8: {error}"),
    })
}

/// Turn the script's output into an [`Interpreter`].
fn parse_answer(executable: &Path, output: &str) -> Result<Interpreter, PythonError> {
    let answer: QueryAnswer =
        serde_json::from_str(output).map_err(|error| PythonError::InvalidQueryOutput {
            executable: executable.to_path_buf(),
            reason: format!("{error} in {:?}", truncate(output, 200)),
        })?;
    match answer {
        QueryAnswer::Success(output) => output.into_interpreter(executable.to_path_buf()),
        QueryAnswer::Error(QueryErrorOutput::UnsupportedPythonVersion { python_version }) => {
            Err(PythonError::UnsupportedVersion {
                executable: executable.to_path_buf(),
                version: python_version,
            })
        }
    }
}

fn truncate(text: &str, limit: usize) -> &str {
    match text.char_indices().nth(limit) {
        Some((index, _)) => &text[..index],
        None => text,
    }
}

/// One cached answer and what it was computed for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CacheEntry {
    /// The interpreter path as queried.
    executable: PathBuf,
    /// Its canonical target (a venv's symlink resolves to the base interpreter).
    canonical: PathBuf,
    /// The target's size in bytes.
    size: u64,
    /// The target's modification time, seconds and nanoseconds since the Unix epoch.
    modified: (u64, u32),
    /// [`cache_key`] of the query script: a new script is a miss.
    script: String,
    /// The script's raw answer.
    output: String,
}

/// Where an interpreter's answer is cached, and what makes it valid.
struct CacheKey {
    path: PathBuf,
    /// The entry's fields, with an empty `output`.
    expected: CacheEntry,
}

impl CacheKey {
    /// `None` when the interpreter cannot be cached: a shim, or a file whose metadata cannot be
    /// read (the query reports that better).
    fn new(executable: &Path, cache: &Cache) -> Option<Self> {
        let canonical = fs_err::canonicalize(executable).ok()?;
        let metadata = fs_err::metadata(&canonical).ok()?;
        if is_script(&canonical) {
            tracing::debug!(
                "not caching {}: it is a script (a shim?)",
                executable.display()
            );
            return None;
        }
        let modified = metadata.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
        let executable_text = executable.to_string_lossy();
        let path = cache.entry(
            CacheBucket::Interpreter,
            format!("{}.json", cache_key(&executable_text)),
        );
        Some(Self {
            path,
            expected: CacheEntry {
                executable: executable.to_path_buf(),
                canonical,
                size: metadata.len(),
                modified: (modified.as_secs(), modified.subsec_nanos()),
                script: cache_key(QUERY_SCRIPT),
                output: String::new(),
            },
        })
    }

    /// The cached output, if the entry exists and matches.
    fn read(&self) -> Option<String> {
        let content = fs_err::read(&self.path).ok()?;
        let mut entry: CacheEntry = match serde_json::from_slice(&content) {
            Ok(entry) => entry,
            Err(error) => {
                tracing::debug!("ignoring {}: {error}", self.path.display());
                return None;
            }
        };
        let output = std::mem::take(&mut entry.output);
        if entry != self.expected {
            tracing::debug!("{} is stale", self.path.display());
            return None;
        }
        Some(output)
    }

    fn write(&self, output: &str) {
        let entry = CacheEntry {
            output: output.to_string(),
            ..self.expected.clone()
        };
        let result = serde_json::to_vec(&entry)
            .map_err(|error| error.to_string())
            .and_then(|bytes| write_atomic(&self.path, &bytes).map_err(|error| error.to_string()));
        if let Err(error) = result {
            tracing::warn!(
                "failed to cache the interpreter facts in {}: {error}",
                self.path.display()
            );
        }
    }
}

/// Does the file start with `#!`?
fn is_script(path: &Path) -> bool {
    let mut start = [0u8; 2];
    fs_err::File::open(path)
        .and_then(|mut file| file.read_exact(&mut start))
        .is_ok_and(|()| &start == b"#!")
}

#[cfg(all(test, unix))]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;
    use crate::testing::{base_python, make_venv_with};

    /// The single entry in the interpreter bucket.
    fn only_entry(cache: &Cache) -> PathBuf {
        let entries: Vec<_> = fs_err::read_dir(cache.bucket(CacheBucket::Interpreter))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        assert_eq!(entries.len(), 1, "{entries:?}");
        entries.into_iter().next().unwrap()
    }

    /// Rewrite the cached answer's `sys_prefix`: if a later query reports it, the answer came
    /// from the cache and no process ran.
    fn mark_cached_answer(path: &Path, marker: &str) {
        let mut entry: CacheEntry = serde_json::from_slice(&fs_err::read(path).unwrap()).unwrap();
        let mut output: serde_json::Value = serde_json::from_str(&entry.output).unwrap();
        output["sys_prefix"] = serde_json::Value::String(marker.to_string());
        entry.output = output.to_string();
        fs_err::write(path, serde_json::to_vec(&entry).unwrap()).unwrap();
    }

    #[test]
    fn cache_hit_does_not_spawn() {
        let temp = tempfile::tempdir().unwrap();
        let cache = Cache::from_path(temp.path().join("cache")).unwrap();
        // `--copies`: the venv's interpreter is its own file, so the test can touch it.
        let venv = make_venv_with(base_python(), &temp.path().join("venv"), &["--copies"]);
        let executable = venv.join("bin").join("python");

        let first = Interpreter::query(&executable, Some(&cache)).unwrap();
        assert_eq!(first.sys_prefix, venv);
        let entry = only_entry(&cache);
        assert!(
            entry.starts_with(cache.root().join("interpreter-v1")),
            "{}",
            entry.display()
        );

        mark_cached_answer(&entry, "/from-the-cache");
        let second = Interpreter::query(&executable, Some(&cache)).unwrap();
        assert_eq!(second.sys_prefix, Path::new("/from-the-cache"));
        assert_eq!(
            second.tags.iter().collect::<Vec<_>>(),
            first.tags.iter().collect::<Vec<_>>()
        );

        // Without a cache, the interpreter runs.
        let uncached = Interpreter::query(&executable, None).unwrap();
        assert_eq!(uncached.sys_prefix, venv);

        // A changed interpreter is a miss, and the entry is replaced.
        let file = fs_err::File::options()
            .write(true)
            .open(&executable)
            .unwrap();
        file.file()
            .set_modified(SystemTime::now() + Duration::from_secs(60))
            .unwrap();
        drop(file);
        let third = Interpreter::query(&executable, Some(&cache)).unwrap();
        assert_eq!(third.sys_prefix, venv);
        assert_eq!(only_entry(&cache), entry);
        let fourth = Interpreter::query(&executable, Some(&cache)).unwrap();
        assert_eq!(fourth.sys_prefix, venv);
    }

    #[test]
    fn corrupt_cache_entry_is_a_miss() {
        let temp = tempfile::tempdir().unwrap();
        let cache = Cache::from_path(temp.path().join("cache")).unwrap();
        let venv = make_venv_with(base_python(), &temp.path().join("venv"), &[]);
        let executable = venv.join("bin").join("python");
        Interpreter::query(&executable, Some(&cache)).unwrap();
        let entry = only_entry(&cache);
        fs_err::write(&entry, "{not json").unwrap();
        let interpreter = Interpreter::query(&executable, Some(&cache)).unwrap();
        assert_eq!(interpreter.sys_prefix, venv);
        // Rewritten whole.
        let content: CacheEntry = serde_json::from_slice(&fs_err::read(&entry).unwrap()).unwrap();
        assert_eq!(content.executable, executable);
    }

    #[test]
    fn venv_and_base_have_separate_entries() {
        let temp = tempfile::tempdir().unwrap();
        let cache = Cache::from_path(temp.path().join("cache")).unwrap();
        let venv = make_venv_with(base_python(), &temp.path().join("venv"), &[]);
        let in_venv = Interpreter::query(&venv.join("bin").join("python"), Some(&cache)).unwrap();
        let base = Interpreter::query(base_python(), Some(&cache)).unwrap();
        assert!(in_venv.is_virtualenv);
        assert!(!base.is_virtualenv);
        let again = Interpreter::query(&venv.join("bin").join("python"), Some(&cache)).unwrap();
        assert_eq!(again.sys_prefix, venv);
    }

    #[test]
    fn shims_are_not_cached() {
        let temp = tempfile::tempdir().unwrap();
        let cache = Cache::from_path(temp.path().join("cache")).unwrap();
        let shim = temp.path().join("python");
        volley_test_support::write_script(
            &shim,
            &format!("#!/bin/sh\nexec '{}' \"$@\"\n", base_python().display()),
        );
        let interpreter = Interpreter::query(&shim, Some(&cache)).unwrap();
        assert_eq!(interpreter.executable, shim);
        assert_eq!(interpreter.sys_executable, base_python());
        let entries = fs_err::read_dir(cache.bucket(CacheBucket::Interpreter))
            .unwrap()
            .count();
        assert_eq!(entries, 0);
    }

    #[test]
    fn query_failures() {
        let temp = tempfile::tempdir().unwrap();
        let redact =
            |message: String| message.replace(&temp.path().display().to_string(), "[TEMP]");

        let missing = temp.path().join("missing");
        let error = Interpreter::query(&missing, None).unwrap_err();
        insta::assert_snapshot!(redact(error.to_string()), @r#"failed to run the Python interpreter "[TEMP]/missing""#);

        let failing = temp.path().join("failing");
        volley_test_support::write_script(
            &failing,
            "#!/bin/sh\necho 'something broke' >&2\nexit 3\n",
        );
        let error = Interpreter::query(&failing, None).unwrap_err();
        insta::assert_snapshot!(redact(error.to_string()), @r#"querying the Python interpreter "[TEMP]/failing" failed (exit status: 3): something broke"#);

        let garbage = temp.path().join("garbage");
        volley_test_support::write_script(&garbage, "#!/bin/sh\necho 'Hello'\n");
        let error = Interpreter::query(&garbage, None).unwrap_err();
        insta::assert_snapshot!(redact(error.to_string()), @r#"invalid answer from the Python interpreter "[TEMP]/garbage": expected value at line 1 column 1 in "Hello\n""#);
    }
}
