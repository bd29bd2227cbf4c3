//! [`SourceBuilder`]: metadata and wheels from source trees, one isolated build at a time per
//! job slot.
//!
//! A build, in order (PEP 517, PEP 518, PEP 660):
//! 1. read `[build-system]` ([`crate::read_build_system`]);
//! 2. with isolation: a fresh venv made with the target interpreter under the scratch root, and
//!    `build-system.requires` installed into it through the [`BuildRequirementsInstaller`] (even
//!    when empty, so the installer sees every environment);
//! 3. with isolation: `get_requires_for_build_wheel` (or `_editable`); when it names anything
//!    new, the installer is called again with the whole set, so it can resolve them together
//!    (it installs only the difference: a requirement named in both places with different
//!    specifiers is resolved once, for both);
//! 4. the hook: `prepare_metadata_for_build_wheel` (falling back to `build_wheel` when the
//!    backend lacks it), `build_wheel` or `build_editable`;
//! 5. the work directory, venv included, is removed.
//!
//! Without isolation (`--no-build-isolation`) steps 2 and 3 are skipped, as pip does: the hooks
//! run with the target interpreter and whatever it has installed.
//!
//! Concurrency: `jobs` bounds the subprocesses running at once (venv creation and hooks). The
//! slot is *not* held while the installer runs, because installing a build requirement may
//! itself need a build (an sdist-only requirement), which would otherwise deadlock at
//! `jobs = 1`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use serde_json::{Map, Value};
use volley_packaging::{CoreMetadata, Requirement, WheelFilename};

use crate::build_system::resolve_backend_path;
use crate::environment::create_venv;
use crate::hook::{Hook, HookOutcome, HookRunner, path_value};
use crate::static_metadata::{from_pkg_info, from_pyproject};
use crate::{
    BuildEnvironmentInfo, BuildError, BuildRequirementsInstaller, SourceTree, read_build_system,
};

/// How builds run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOptions {
    /// `false` with `--no-build-isolation`: run hooks with the target interpreter, installing
    /// nothing.
    pub isolation: bool,
    /// `-C/--config-settings KEY=VALUE`, in order; a key given twice becomes a list, as in pip.
    pub config_settings: Vec<(String, String)>,
    /// `--build-constraint`: handed to the installer with each environment.
    pub build_constraints: Vec<Requirement>,
    /// How many build subprocesses may run at once (0 counts as 1).
    pub jobs: usize,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            isolation: true,
            config_settings: Vec::new(),
            build_constraints: Vec::new(),
            jobs: std::thread::available_parallelism().map_or(1, usize::from),
        }
    }
}

/// Builds metadata and wheels from source trees; cheap to clone (shared state), safe to use
/// from many threads at once.
#[derive(Clone)]
pub struct SourceBuilder {
    inner: Arc<Inner>,
}

struct Inner {
    target_python: PathBuf,
    scratch_root: PathBuf,
    installer: Arc<dyn BuildRequirementsInstaller>,
    options: BuildOptions,
    slots: Slots,
}

impl fmt::Debug for SourceBuilder {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("SourceBuilder")
            .field("target_python", &self.inner.target_python)
            .field("scratch_root", &self.inner.scratch_root)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

/// Which wheel a build is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WheelKind {
    Regular,
    Editable,
}

/// One build's prepared environment: the work directory (removed on drop) and the runner.
struct Session {
    runner: HookRunner,
    work_dir: tempfile::TempDir,
}

impl SourceBuilder {
    /// A builder that builds for `target_python`, keeps build environments and temporary files
    /// under `scratch_root` (created when needed), and fills environments with `installer`.
    pub fn new(
        target_python: PathBuf,
        scratch_root: PathBuf,
        installer: Arc<dyn BuildRequirementsInstaller>,
        options: BuildOptions,
    ) -> Self {
        let slots = Slots::new(options.jobs.max(1));
        Self {
            inner: Arc::new(Inner {
                target_python,
                scratch_root,
                installer,
                options,
                slots,
            }),
        }
    }

    pub fn options(&self) -> &BuildOptions {
        &self.inner.options
    }

    /// The core metadata of `source`, from the cheapest place that is reliable: a static
    /// `[project]` table (PEP 621), else an sdist's `PKG-INFO` at Metadata-Version 2.2+ without
    /// dynamic dependencies (PEP 643), else `prepare_metadata_for_build_wheel` (else
    /// `build_wheel` and the wheel's `METADATA`).
    pub fn metadata(&self, source: &SourceTree) -> Result<CoreMetadata, BuildError> {
        if let Some(metadata) = from_pyproject(&source.path)? {
            tracing::debug!(
                "static metadata from {}/pyproject.toml",
                source.path.display()
            );
            return Ok(metadata);
        }
        if let Some(metadata) = from_pkg_info(&source.path)? {
            tracing::debug!("static metadata from {}/PKG-INFO", source.path.display());
            return Ok(metadata);
        }
        let session = self.start(source, WheelKind::Regular)?;
        let metadata_dir = session.work_dir.path().join("metadata");
        fs_err::create_dir_all(&metadata_dir)?;
        let outcome = self.inner.slots.run(|| {
            session.runner.call_for_file(
                Hook::PrepareMetadataForBuildWheel,
                vec![path_value(&metadata_dir), session.runner.config_settings()],
                &metadata_dir,
            )
        })?;
        match outcome {
            HookOutcome::Returned(name) => {
                let path = metadata_dir
                    .join(name.as_str().unwrap_or_default())
                    .join("METADATA");
                let content = fs_err::read(&path)?;
                CoreMetadata::parse(&content)
                    .map_err(|source| BuildError::Metadata { path, source })
            }
            HookOutcome::Missing => {
                tracing::debug!(
                    "{} has no prepare_metadata_for_build_wheel; building a wheel for metadata",
                    session.runner.backend
                );
                let wheel_dir = session.work_dir.path().join("wheel");
                let wheel = self.call_build(&session, WheelKind::Regular, &wheel_dir)?;
                wheel_metadata(&wheel)
            }
        }
    }

    /// Builds a wheel of `source` into `out_dir` (created when needed) and returns its path.
    pub fn build_wheel(&self, source: &SourceTree, out_dir: &Path) -> Result<PathBuf, BuildError> {
        self.build(source, out_dir, WheelKind::Regular)
    }

    /// Builds an editable wheel of `source` (PEP 660) into `out_dir` and returns its path; an
    /// error when the backend lacks `build_editable`.
    pub fn build_editable(
        &self,
        source: &SourceTree,
        out_dir: &Path,
    ) -> Result<PathBuf, BuildError> {
        self.build(source, out_dir, WheelKind::Editable)
    }

    fn build(
        &self,
        source: &SourceTree,
        out_dir: &Path,
        kind: WheelKind,
    ) -> Result<PathBuf, BuildError> {
        let session = self.start(source, kind)?;
        let wheel_dir = session.work_dir.path().join("wheel");
        let built = self.call_build(&session, kind, &wheel_dir)?;
        fs_err::create_dir_all(out_dir)?;
        let destination = out_dir.join(built.file_name().expect("a built wheel has a file name"));
        if fs_err::rename(&built, &destination).is_err() {
            // Another filesystem: copy, then let the work directory go.
            fs_err::copy(&built, &destination)?;
        }
        tracing::debug!("built {}", destination.display());
        Ok(destination)
    }

    /// Calls `build_wheel` or `build_editable` into `wheel_dir` and returns the wheel's path.
    fn call_build(
        &self,
        session: &Session,
        kind: WheelKind,
        wheel_dir: &Path,
    ) -> Result<PathBuf, BuildError> {
        fs_err::create_dir_all(wheel_dir)?;
        let hook = match kind {
            WheelKind::Regular => Hook::BuildWheel,
            WheelKind::Editable => Hook::BuildEditable,
        };
        let runner = &session.runner;
        let outcome = self.inner.slots.run(|| {
            runner.call_for_file(
                hook,
                vec![path_value(wheel_dir), runner.config_settings(), Value::Null],
                wheel_dir,
            )
        })?;
        let name = match outcome {
            HookOutcome::Returned(name) => name.as_str().unwrap_or_default().to_string(),
            HookOutcome::Missing if kind == WheelKind::Editable => {
                return Err(BuildError::EditableUnsupported {
                    backend: runner.backend.clone(),
                    package_dir: runner.package_dir.clone(),
                });
            }
            HookOutcome::Missing => {
                return Err(BuildError::BackendInvalid {
                    backend: runner.backend.clone(),
                    package_dir: runner.package_dir.clone(),
                    message: "it does not define the mandatory hook `build_wheel`".to_string(),
                });
            }
        };
        if let Err(error) = WheelFilename::from_str(&name) {
            return Err(BuildError::InvalidHookResult {
                hook: hook.name(),
                package_dir: runner.package_dir.clone(),
                message: format!("\"{name}\" is not a wheel filename: {error}"),
            });
        }
        Ok(wheel_dir.join(name))
    }

    /// Steps 1 to 3 of the module documentation.
    fn start(&self, source: &SourceTree, kind: WheelKind) -> Result<Session, BuildError> {
        let inner = &self.inner;
        let package_dir = fs_err::canonicalize(&source.path)?;
        let build_system = read_build_system(&package_dir)?;
        let backend_path =
            resolve_backend_path(&package_dir, &build_system.backend_path).map_err(|reason| {
                BuildError::InvalidBuildSystem {
                    path: package_dir.join("pyproject.toml"),
                    reason,
                }
            })?;
        fs_err::create_dir_all(&inner.scratch_root)?;
        let work_dir = tempfile::Builder::new()
            .prefix("build-")
            .tempdir_in(&inner.scratch_root)
            .map_err(|error| {
                std::io::Error::new(
                    error.kind(),
                    format!(
                        "cannot create a build directory in {}: {error}",
                        inner.scratch_root.display()
                    ),
                )
            })?;

        let environment = if inner.options.isolation {
            let root = work_dir.path().join("env");
            let environment = inner.slots.run(|| {
                create_venv(
                    &inner.target_python,
                    &root,
                    &inner.options.build_constraints,
                )
            })?;
            self.install(&build_system.requires, &environment, &package_dir)?;
            Some(environment)
        } else {
            None
        };
        let runner = HookRunner {
            python: environment
                .as_ref()
                .map_or_else(|| inner.target_python.clone(), |env| env.python.clone()),
            package_dir,
            backend: build_system.build_backend.clone(),
            backend_path,
            venv: environment
                .as_ref()
                .map(|env| (env.root.clone(), env.scripts.clone())),
            work_dir: work_dir.path().to_path_buf(),
            config_settings: config_settings(&inner.options.config_settings),
        };
        runner.prepare()?;
        let session = Session { runner, work_dir };

        if let Some(environment) = environment {
            let hook = match kind {
                WheelKind::Regular => Hook::GetRequiresForBuildWheel,
                WheelKind::Editable => Hook::GetRequiresForBuildEditable,
            };
            let extra = self.get_requires(&session.runner, hook)?;
            let known: Vec<String> = build_system
                .requires
                .iter()
                .map(ToString::to_string)
                .collect();
            let new: Vec<Requirement> = extra
                .into_iter()
                .filter(|requirement| !known.contains(&requirement.to_string()))
                .collect();
            if !new.is_empty() {
                let mut all = build_system.requires.clone();
                all.extend(new);
                self.install(&all, &environment, &session.runner.package_dir)?;
            }
        }
        Ok(session)
    }

    /// Calls a `get_requires_for_build_*` hook; a missing hook means no requirements.
    fn get_requires(
        &self,
        runner: &HookRunner,
        hook: Hook,
    ) -> Result<Vec<Requirement>, BuildError> {
        let outcome = self
            .inner
            .slots
            .run(|| runner.call(hook, vec![runner.config_settings()]))?;
        let value = match outcome {
            HookOutcome::Missing => return Ok(Vec::new()),
            HookOutcome::Returned(value) => value,
        };
        let invalid = |message: String| BuildError::InvalidHookResult {
            hook: hook.name(),
            package_dir: runner.package_dir.clone(),
            message,
        };
        value
            .as_array()
            .ok_or_else(|| invalid(format!("expected a list of requirements, got {value}")))?
            .iter()
            .map(|item| {
                let text = item
                    .as_str()
                    .ok_or_else(|| invalid(format!("expected a requirement string, got {item}")))?;
                volley_packaging::parse_requirement(text).map_err(|error| {
                    invalid(format!(
                        "invalid requirement \"{text}\": {}",
                        error.reason()
                    ))
                })
            })
            .collect()
    }

    fn install(
        &self,
        requirements: &[Requirement],
        environment: &BuildEnvironmentInfo,
        package_dir: &Path,
    ) -> Result<(), BuildError> {
        tracing::debug!(
            "installing build requirements [{}] into {}",
            display_requirements(requirements),
            environment.root.display()
        );
        self.inner
            .installer
            .install(requirements, environment)
            .map_err(|message| BuildError::InstallRequirements {
                package_dir: package_dir.to_path_buf(),
                requirements: display_requirements(requirements),
                message,
            })
    }
}

fn display_requirements(requirements: &[Requirement]) -> String {
    requirements
        .iter()
        .map(|requirement| format!("\"{requirement}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `config_settings` as a hook receives it: `None` when there are none, else a dict whose
/// repeated keys hold lists (pip's rule).
fn config_settings(settings: &[(String, String)]) -> Value {
    if settings.is_empty() {
        return Value::Null;
    }
    let mut map = Map::new();
    for (key, value) in settings {
        match map.get_mut(key) {
            None => {
                map.insert(key.clone(), Value::String(value.clone()));
            }
            Some(Value::Array(values)) => values.push(Value::String(value.clone())),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(value.clone())]);
            }
        }
    }
    Value::Object(map)
}

/// The `METADATA` of a built wheel: the one in its top-level `.dist-info` directory.
pub(crate) fn wheel_metadata(wheel: &Path) -> Result<CoreMetadata, BuildError> {
    let archive_error = |message: String| BuildError::Archive {
        archive: wheel.to_path_buf(),
        message,
    };
    let file = fs_err::File::open(wheel)?;
    let mut archive =
        zip::ZipArchive::new(file).map_err(|error| archive_error(error.to_string()))?;
    let candidates: Vec<String> = archive
        .file_names()
        .filter_map(Result::ok)
        .filter(|name| {
            name.split('/').count() == 2
                && name.ends_with("/METADATA")
                && name
                    .split('/')
                    .next()
                    .is_some_and(|dir| dir.ends_with(".dist-info"))
        })
        .map(|name| name.into_owned())
        .collect();
    let stem = wheel
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let prefix: String = stem.split('-').take(2).collect::<Vec<_>>().join("-");
    let chosen = match candidates.as_slice() {
        [single] => single.clone(),
        _ => candidates
            .iter()
            .find(|name| name.starts_with(&format!("{prefix}.dist-info/")))
            .cloned()
            .ok_or_else(|| archive_error("no .dist-info/METADATA in the wheel".to_string()))?,
    };
    let mut member = archive
        .by_name(&chosen)
        .map_err(|error| archive_error(error.to_string()))?;
    let mut content = Vec::new();
    std::io::Read::read_to_end(&mut member, &mut content)?;
    CoreMetadata::parse(&content).map_err(|source| BuildError::Metadata {
        path: wheel.join(&chosen),
        source,
    })
}

/// A counting semaphore for blocking code: [`Slots::run`] waits for a free slot.
struct Slots {
    available: Mutex<usize>,
    freed: Condvar,
}

impl Slots {
    fn new(count: usize) -> Self {
        Self {
            available: Mutex::new(count),
            freed: Condvar::new(),
        }
    }

    fn run<T>(&self, work: impl FnOnce() -> T) -> T {
        let mut available = self
            .available
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while *available == 0 {
            available = self
                .freed
                .wait(available)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *available -= 1;
        drop(available);
        let _release = SlotRelease(self);
        work()
    }
}

/// Gives the slot back even when the work panics.
struct SlotRelease<'a>(&'a Slots);

impl Drop for SlotRelease<'_> {
    fn drop(&mut self) {
        let mut available = self
            .0
            .available
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *available += 1;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use serde_json::json;

    use super::*;

    #[test]
    fn config_settings_repeat_into_lists() {
        assert_eq!(config_settings(&[]), Value::Null);
        let settings = [
            ("--build-option".to_string(), "--a".to_string()),
            ("editable_mode".to_string(), "compat".to_string()),
            ("--build-option".to_string(), "--b".to_string()),
            ("--build-option".to_string(), "--c".to_string()),
        ];
        assert_eq!(
            config_settings(&settings),
            json!({"--build-option": ["--a", "--b", "--c"], "editable_mode": "compat"})
        );
    }

    #[test]
    fn slots_bound_concurrency() {
        let slots = Arc::new(Slots::new(2));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..6)
            .map(|_| {
                let (slots, running, peak) = (slots.clone(), running.clone(), peak.clone());
                std::thread::spawn(move || {
                    slots.run(|| {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                    });
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }
}
