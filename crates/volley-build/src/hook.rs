//! Calling one backend hook in a subprocess, through `backend_shim.py`.
//!
//! Each call writes a request file, runs `python backend_shim.py REQUEST RESULT` in the project
//! directory, and reads the result file. The backend's stdout and stderr go together (in order)
//! to a log file next to them, never into the result, so a backend that prints cannot corrupt
//! it; when the hook fails, the last [`OUTPUT_LINES`] lines of that log are the error.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::BuildError;
use crate::environment::isolate;

/// The hook runner, written next to each build's files.
pub(crate) const BACKEND_SHIM: &str = include_str!("backend_shim.py");
/// How many lines of a failed hook's output the error shows.
pub(crate) const OUTPUT_LINES: usize = 30;

/// The PEP 517 and PEP 660 hooks volley calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hook {
    GetRequiresForBuildWheel,
    PrepareMetadataForBuildWheel,
    BuildWheel,
    GetRequiresForBuildEditable,
    BuildEditable,
}

impl Hook {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::GetRequiresForBuildWheel => "get_requires_for_build_wheel",
            Self::PrepareMetadataForBuildWheel => "prepare_metadata_for_build_wheel",
            Self::BuildWheel => "build_wheel",
            Self::GetRequiresForBuildEditable => "get_requires_for_build_editable",
            Self::BuildEditable => "build_editable",
        }
    }
}

/// What a hook call gave back.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum HookOutcome {
    Returned(Value),
    /// The backend does not define the hook.
    Missing,
}

/// Everything needed to call the hooks of one project's backend.
#[derive(Debug)]
pub(crate) struct HookRunner {
    /// The interpreter: the build venv's, or the target's without isolation.
    pub(crate) python: PathBuf,
    /// The project directory (absolute): the hooks' working directory.
    pub(crate) package_dir: PathBuf,
    pub(crate) backend: String,
    /// Absolute `backend-path` directories.
    pub(crate) backend_path: Vec<PathBuf>,
    /// The build venv (root, scripts dir), when isolated.
    pub(crate) venv: Option<(PathBuf, PathBuf)>,
    /// Where the shim, requests, results and logs go.
    pub(crate) work_dir: PathBuf,
    pub(crate) config_settings: Value,
}

impl HookRunner {
    /// Writes the shim into the work directory.
    pub(crate) fn prepare(&self) -> Result<(), BuildError> {
        fs_err::write(self.shim_path(), BACKEND_SHIM)?;
        Ok(())
    }

    fn shim_path(&self) -> PathBuf {
        self.work_dir.join("backend_shim.py")
    }

    /// The `config_settings` argument of every hook.
    pub(crate) fn config_settings(&self) -> Value {
        self.config_settings.clone()
    }

    /// Calls `hook` with positional `args`.
    pub(crate) fn call(&self, hook: Hook, args: Vec<Value>) -> Result<HookOutcome, BuildError> {
        let name = hook.name();
        let request_path = self.work_dir.join(format!("{name}.request.json"));
        let result_path = self.work_dir.join(format!("{name}.result.json"));
        let log_path = self.work_dir.join(format!("{name}.log"));
        let request = json!({
            "backend": self.backend,
            "backend_path": self.backend_path.iter().map(|path| path_value(path)).collect::<Vec<_>>(),
            "hook": name,
            "args": args,
            "scripts_dir": self.venv.as_ref().map(|(_, scripts)| path_value(scripts)),
        });
        fs_err::write(&request_path, request.to_string())?;
        if result_path.exists() {
            fs_err::remove_file(&result_path)?;
        }
        let log = fs_err::File::create(&log_path)?;
        let log_for_stderr = log.file().try_clone()?;

        let mut command = Command::new(&self.python);
        command
            .arg(self.shim_path())
            .arg(&request_path)
            .arg(&result_path)
            .current_dir(&self.package_dir)
            .env("PYTHONIOENCODING", "utf-8:backslashreplace")
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.into_file()))
            .stderr(Stdio::from(log_for_stderr));
        if let Some((root, _)) = &self.venv {
            isolate(&mut command, root);
        }
        tracing::debug!(
            "calling `{name}` of {} in {}",
            self.backend,
            self.package_dir.display()
        );
        let status = command.status().map_err(|source| BuildError::Spawn {
            program: self.python.clone(),
            source,
        })?;
        let output = fs_err::read(&log_path)?;
        let output = String::from_utf8_lossy(&output);
        tracing::trace!("output of `{name}`:\n{output}");

        if !status.success() || !result_path.is_file() {
            return Err(BuildError::Backend {
                hook: name,
                package_dir: self.package_dir.clone(),
                status: status.to_string(),
                output: last_lines(&output, OUTPUT_LINES),
            });
        }
        let result: Value =
            serde_json::from_slice(&fs_err::read(&result_path)?).map_err(|error| {
                BuildError::InvalidHookResult {
                    hook: name,
                    package_dir: self.package_dir.clone(),
                    message: format!("unreadable result file: {error}"),
                }
            })?;
        if let Some(value) = result.get("return") {
            return Ok(HookOutcome::Returned(value.clone()));
        }
        if result.get("missing_hook").is_some() {
            return Ok(HookOutcome::Missing);
        }
        if let Some(message) = result.get("backend_unavailable") {
            let traceback = result
                .get("traceback")
                .and_then(Value::as_str)
                .unwrap_or_default();
            return Err(BuildError::BackendUnavailable {
                backend: self.backend.clone(),
                package_dir: self.package_dir.clone(),
                message: message.as_str().unwrap_or_default().to_string(),
                output: last_lines(&format!("{output}{traceback}"), OUTPUT_LINES),
            });
        }
        if let Some(message) = result.get("backend_invalid") {
            return Err(BuildError::BackendInvalid {
                backend: self.backend.clone(),
                package_dir: self.package_dir.clone(),
                message: message.as_str().unwrap_or_default().to_string(),
            });
        }
        Err(BuildError::InvalidHookResult {
            hook: name,
            package_dir: self.package_dir.clone(),
            message: format!("unexpected result {result}"),
        })
    }

    /// Calls `hook` and expects a file name (of a wheel, or a `.dist-info` directory) that the
    /// hook created in `directory`.
    pub(crate) fn call_for_file(
        &self,
        hook: Hook,
        args: Vec<Value>,
        directory: &Path,
    ) -> Result<HookOutcome, BuildError> {
        let outcome = self.call(hook, args)?;
        if let HookOutcome::Returned(value) = &outcome {
            let invalid = |message: String| BuildError::InvalidHookResult {
                hook: hook.name(),
                package_dir: self.package_dir.clone(),
                message,
            };
            let name = value
                .as_str()
                .ok_or_else(|| invalid(format!("expected a file name, got {value}")))?;
            let plain = Path::new(name).file_name().is_some_and(|file| file == name);
            if !plain {
                return Err(invalid(format!("\"{name}\" is not a plain file name")));
            }
            if !directory.join(name).exists() {
                return Err(invalid(format!(
                    "\"{name}\" does not exist in {}",
                    directory.display()
                )));
            }
        }
        Ok(outcome)
    }
}

/// A path as a JSON string for the shim (Python decodes it back; non-UTF-8 bytes are replaced).
pub(crate) fn path_value(path: &Path) -> Value {
    Value::String(path.to_string_lossy().into_owned())
}

/// The last `count` lines of `text`, or a note when there is no output.
pub(crate) fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    if lines.is_empty() {
        return "(no output)".to_string();
    }
    lines[lines.len().saturating_sub(count)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_lines_keeps_the_tail() {
        let text: String = (1..=40).map(|line| format!("line {line}\n")).collect();
        let tail = last_lines(&text, 3);
        assert_eq!(tail, "line 38\nline 39\nline 40");
        assert_eq!(last_lines("  \n", 3), "(no output)");
        assert_eq!(last_lines("one", 30), "one");
    }
}
