//! Installing many unpacked wheels, and removing the versions they replace, as one transaction
//! under the environment's lock: [`Installer::execute`].
//!
//! The steps, in order; nothing in the environment changes before step 5:
//! 1. take the environment lock (a second volley on the same environment waits), and roll back
//!    an install that a killed process left unfinished ([`lock_environment`]; a caller that
//!    reads the environment to plan takes it first and calls [`Installer::execute_locked`]);
//! 2. plan: where every file goes (`placement`), what the replaced versions own (`uninstall`),
//!    what is in the way (a directory where a file must go is an error, and so is a file of the
//!    install where another of its files needs a directory; an existing file is backed up and
//!    replaced, as pip overwrites it), which directories must be created;
//! 3. stage: write the files the install generates (launchers, rewritten scripts, `INSTALLER`...)
//!    into the transaction's staging directory, and decide the link mode on the first cached
//!    file (linked to a probe there); the wheels' own files are not staged;
//! 4. compile bytecode of the `.py` files (read from the cache or the staging directory, written
//!    to the staging directory), if asked, then write each `RECORD`;
//! 5. commit (`transaction`), on `threads` threads: create directories, move replaced files into
//!    the backup directory, link every cached file straight into place and rename the staged
//!    ones; a failure or a kill rolls all of it back;
//! 6. remove the directories that the removed versions left empty.
//!
//! Linking into place under the journal, rather than into a staging directory and renaming,
//! makes one system call per file instead of two: an install of many small files costs little
//! more than its links.

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rustc_hash::{FxHashMap, FxHashSet};
use volley_cache::LockedFile;
use volley_packaging::PackageName;

use crate::InstallError;
use crate::bytecode::{CompileJob, CompileOptions, Compiled, compile};
use crate::install::InstalledWheel;
use crate::layout::Layout;
use crate::link::{LinkMode, first_link};
use crate::path::normalize;
use crate::placement::{Placement, Recording, Source, place};
use crate::record::{RecordRow, write_record};
use crate::staging::{for_each_parallel, map_parallel};
use crate::transaction::{self, Cached, CommitError, CommitHook, Operation, Transaction};
use crate::uninstall::{Removal, UninstallSummary};
use crate::unpack::UnpackedWheel;

/// What one [`Installer::execute`] does to an environment.
#[derive(Debug, Clone, Default)]
pub struct InstallPlan {
    pub install: Vec<PlannedInstall>,
    /// `.dist-info` directories of the distributions to remove: versions being replaced, or
    /// removed outright.
    pub remove: Vec<PathBuf>,
}

/// One wheel to install, and how to record it.
#[derive(Debug, Clone)]
pub struct PlannedInstall {
    pub wheel: UnpackedWheel,
    /// Write `REQUESTED`: the user asked for this distribution, it is not only a dependency.
    pub requested: bool,
    /// The JSON of `direct_url.json` (PEP 610), for URL and path installs.
    pub direct_url: Option<String>,
}

/// How an [`Installer`] works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallerOptions {
    pub link_mode: LinkMode,
    /// Threads that link files (at least one is used).
    pub threads: usize,
    /// Written to each `INSTALLER` file, e.g. `volley`.
    pub installer_name: String,
    /// Compile bytecode of the installed `.py` files.
    pub compile: Option<CompileOptions>,
    /// The environment's lock file, e.g. `<sys.prefix>/.lock`; created if missing.
    pub lock_path: PathBuf,
}

/// Progress of an install, for the binary to show. Called from the installer's threads.
pub trait InstallReporter: Send + Sync {
    /// Staging begins, for `total` wheels.
    fn on_install_start(&self, _total: usize) {}
    /// This distribution is in place (called for each, after the commit).
    fn on_package_installed(&self, _name: &PackageName) {}
    /// Bytecode compilation of `files` files begins.
    fn on_compile_start(&self, _files: usize) {}
    fn on_compile_done(&self) {}
}

/// Reports nothing.
impl InstallReporter for () {}

/// What [`Installer::execute`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallSummary {
    /// In the order of the plan.
    pub installed: Vec<InstalledWheel>,
    /// In the order of the plan.
    pub removed: Vec<UninstallSummary>,
    /// `.pyc` files written (and recorded in `RECORD`).
    pub compiled_files: usize,
    /// The link mode that worked on the first file (the requested one when nothing was linked).
    pub link_mode_used: LinkMode,
    /// Files that did not compile: warnings, as in pip; they are installed without bytecode.
    pub bytecode_failures: Vec<BytecodeFailure>,
}

/// A `.py` file that did not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BytecodeFailure {
    /// Where the file is installed.
    pub path: PathBuf,
    pub message: String,
}

/// Installs plans into one environment; see the module documentation.
pub struct Installer {
    layout: Layout,
    options: InstallerOptions,
    commit_hook: Option<Arc<CommitHook>>,
    interrupt: Option<Arc<AtomicBool>>,
}

impl std::fmt::Debug for Installer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Installer")
            .field("layout", &self.layout)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Installer {
    pub fn new(layout: Layout, options: InstallerOptions) -> Self {
        Self {
            layout,
            options,
            commit_hook: None,
            interrupt: None,
        }
    }

    /// Stop when `flag` is set (by a signal handler): an install not yet committing fails with
    /// [`InstallError::Interrupted`] before it touches the environment, and a commit under way
    /// stops at its next step and is rolled back.
    #[must_use]
    pub fn with_interrupt(mut self, flag: Arc<AtomicBool>) -> Self {
        self.interrupt = Some(flag);
        self
    }

    /// For tests of the commit: `hook(steps done, steps in the commit)` runs after each rename
    /// or link; an error fails the commit there (and it is rolled back), and a hook that kills
    /// the process leaves an unfinished transaction for [`recover`].
    #[doc(hidden)]
    #[must_use]
    pub fn with_commit_hook(
        mut self,
        hook: impl Fn(usize, usize) -> io::Result<()> + Send + Sync + 'static,
    ) -> Self {
        self.commit_hook = Some(Arc::new(hook));
        self
    }

    /// Installs and removes what `plan` says, all or nothing, holding the environment lock
    /// (`on_lock_wait` is called once if another process holds it). Blocking.
    ///
    /// The lock is taken here, after the plan was made: a plan made from what another process
    /// was installing meanwhile may fail ([`InstallError::AlreadyInstalled`]). Callers that read
    /// the environment to plan should take the lock first ([`lock_environment`]) and use
    /// [`Self::execute_locked`].
    pub fn execute(
        &self,
        plan: &InstallPlan,
        reporter: &dyn InstallReporter,
        on_lock_wait: impl FnOnce(),
    ) -> Result<InstallSummary, InstallError> {
        let lock = lock_environment(&self.layout, &self.options.lock_path, on_lock_wait)?;
        self.execute_locked(&lock, plan, reporter)
    }

    /// [`Self::execute`] under a lock the caller took with [`lock_environment`] (on this
    /// installer's `lock_path`) before it read the environment to make `plan`. Blocking.
    pub fn execute_locked(
        &self,
        _lock: &EnvironmentLock,
        plan: &InstallPlan,
        reporter: &dyn InstallReporter,
    ) -> Result<InstallSummary, InstallError> {
        let layout = absolute_layout(&self.layout)?;
        // Normally done when the lock was taken; a no-op then.
        if transaction::recover(&layout.data)? {
            tracing::warn!("rolled back an install that was interrupted");
        }
        let settings = Settings {
            link_mode: self.options.link_mode,
            threads: self.options.threads,
            installer_name: &self.options.installer_name,
            compile: self.options.compile.as_ref(),
            interrupt: self.interrupt.as_deref(),
        };
        let (interrupt, test_hook) = (self.interrupt.clone(), self.commit_hook.clone());
        let wanted = interrupt.is_some() || test_hook.is_some();
        let hook = move |done: usize, steps: usize| {
            if interrupt
                .as_deref()
                .is_some_and(|flag| flag.load(Ordering::Acquire))
            {
                return Err(io::Error::new(io::ErrorKind::Interrupted, "interrupted"));
            }
            test_hook
                .as_deref()
                .map_or(Ok(()), |hook| hook(done, steps))
        };
        let hook: Option<&CommitHook> = if wanted { Some(&hook) } else { None };
        apply(&layout, &settings, plan, reporter, hook)
    }

    /// [`recover`] for this installer's environment.
    pub fn recover(&self, on_lock_wait: impl FnOnce()) -> Result<bool, InstallError> {
        recover(&self.layout, &self.options.lock_path, on_lock_wait)
    }
}

/// Rolls back an install that a killed process left unfinished in the environment of `layout`,
/// under the environment lock at `lock_path`; returns whether there was one. Cheap when there is
/// nothing to do: call it when any command that changes the environment starts.
pub fn recover(
    layout: &Layout,
    lock_path: &Path,
    on_lock_wait: impl FnOnce(),
) -> Result<bool, InstallError> {
    Ok(lock_environment(layout, lock_path, on_lock_wait)?.recovered())
}

/// The environment's lock, held until dropped; see [`lock_environment`].
#[derive(Debug)]
pub struct EnvironmentLock {
    _file: LockedFile,
    recovered: bool,
}

impl EnvironmentLock {
    /// Whether taking the lock rolled back an install that a killed process left unfinished.
    pub fn recovered(&self) -> bool {
        self.recovered
    }
}

/// Takes the lock of the environment of `layout` (the file at `lock_path`, as in
/// [`InstallerOptions::lock_path`]; `on_lock_wait` is called once if another process holds it)
/// and rolls back an install that a killed process left unfinished, so that what the caller then
/// reads of the environment is consistent and stays so until the lock is dropped. Blocking.
pub fn lock_environment(
    layout: &Layout,
    lock_path: &Path,
    on_lock_wait: impl FnOnce(),
) -> Result<EnvironmentLock, InstallError> {
    let layout = absolute_layout(layout)?;
    let file = lock(lock_path, on_lock_wait)?;
    let recovered = transaction::recover(&layout.data)?;
    if recovered {
        tracing::warn!("rolled back an install that was interrupted");
    }
    Ok(EnvironmentLock {
        _file: file,
        recovered,
    })
}

fn absolute_layout(layout: &Layout) -> Result<Layout, InstallError> {
    layout.absolute().map_err(|source| InstallError::Stage {
        dir: layout.data.clone(),
        source,
    })
}

fn lock(path: &Path, on_lock_wait: impl FnOnce()) -> Result<LockedFile, InstallError> {
    LockedFile::acquire(path, on_lock_wait).map_err(|source| InstallError::Lock {
        path: path.to_path_buf(),
        source,
    })
}

/// The parts of the options that [`apply`] needs (also used by `install_wheel`).
pub(crate) struct Settings<'a> {
    pub(crate) link_mode: LinkMode,
    pub(crate) threads: usize,
    pub(crate) installer_name: &'a str,
    pub(crate) compile: Option<&'a CompileOptions>,
    /// Set when the install must stop (see [`Installer::with_interrupt`]).
    pub(crate) interrupt: Option<&'a AtomicBool>,
}

impl Settings<'_> {
    fn check_interrupt(&self) -> Result<(), InstallError> {
        if self
            .interrupt
            .is_some_and(|flag| flag.load(Ordering::Acquire))
        {
            return Err(InstallError::Interrupted);
        }
        Ok(())
    }
}

/// Where placement `wheel`'s generated file number `file` is staged.
fn staged_path(stage: &Path, wheel: usize, file: usize) -> PathBuf {
    stage.join(format!("{wheel}-{file}"))
}

/// A compiled `.pyc`, staged.
struct StagedPyc {
    staged: PathBuf,
    destination: PathBuf,
    hash: String,
    size: u64,
}

/// Steps 2 to 6 of the module documentation, for an absolute `layout`; the caller holds the lock
/// (or, for `install_wheel`, none).
pub(crate) fn apply(
    layout: &Layout,
    settings: &Settings<'_>,
    plan: &InstallPlan,
    reporter: &dyn InstallReporter,
    hook: Option<&CommitHook>,
) -> Result<InstallSummary, InstallError> {
    // Plan: nothing is written yet.
    let started = std::time::Instant::now();
    let placements: Vec<Placement<'_>> =
        map_parallel(&plan.install, settings.threads, |planned| {
            place(
                &planned.wheel,
                layout,
                Recording {
                    installer: settings.installer_name,
                    requested: planned.requested,
                    direct_url: planned.direct_url.as_deref(),
                },
            )
        })?;
    let removals: Vec<Removal> = plan
        .remove
        .iter()
        .map(|dist_info| Removal::plan(dist_info, layout))
        .collect::<Result<_, _>>()?;
    let removed_dist_infos: FxHashSet<PathBuf> = plan
        .remove
        .iter()
        .filter_map(|dist_info| std::path::absolute(dist_info).ok())
        .map(|dist_info| normalize(&dist_info))
        .collect();
    for placement in &placements {
        if fs_err::symlink_metadata(&placement.dist_info).is_ok()
            && !removed_dist_infos.contains(&placement.dist_info)
        {
            return Err(InstallError::AlreadyInstalled {
                wheel: placement.wheel_name().to_string(),
                dist_info: placement.dist_info.clone(),
            });
        }
    }
    let removing: FxHashSet<&Path> = removals
        .iter()
        .flat_map(|removal| removal.files.iter().map(PathBuf::as_path))
        .collect();
    let mut targets = Targets::default();
    for placement in &placements {
        for file in &placement.files {
            targets.check(&file.destination, placement.wheel_name(), &removing)?;
        }
        targets.check(&placement.record, placement.wheel_name(), &removing)?;
    }
    // A file where another file of the install needs a directory (one wheel's `pkg/sub`, and
    // another's `pkg/sub/x.py`): known once every directory to create is.
    for placement in &placements {
        for file in &placement.files {
            if targets.creates_dir(&file.destination) {
                return Err(InstallError::PathInTheWay {
                    wheel: placement.wheel_name().to_string(),
                    path: file.destination.clone(),
                    reason: "another file of this install needs a directory there",
                });
            }
        }
    }

    tracing::debug!("planned the install in {:?}", started.elapsed());

    // Stage.
    let mut transaction = Transaction::begin(&layout.data)?;
    let stage = transaction.stage_dir();
    let stage_error = |source: io::Error| InstallError::Stage {
        dir: stage.clone(),
        source,
    };
    reporter.on_install_start(placements.len());
    let link_mode = stage_files(&placements, &stage, settings)?;

    // Bytecode.
    let (pycs, bytecode_failures) = match settings.compile {
        Some(options) => compile_staged(
            &placements,
            &stage,
            options,
            reporter,
            &mut targets,
            &removing,
        )?,
        None => (placements.iter().map(|_| Vec::new()).collect(), Vec::new()),
    };
    let compiled_files = pycs.iter().map(Vec::len).sum();

    // RECORDs, and the commit's operations.
    let files: usize = placements
        .iter()
        .zip(&pycs)
        .map(|(placement, pycs)| placement.files.len() + pycs.len() + 1)
        .sum();
    let mut operations: Vec<Operation<'_>> =
        Vec::with_capacity(targets.created.len() + targets.overwritten.len() + files);
    operations.extend(
        targets
            .created
            .iter()
            .map(|dir| Operation::CreateDir(Cow::Borrowed(dir.as_path()))),
    );
    // Two removed distributions may list the same file; it is moved once.
    let mut backed_up: FxHashSet<&Path> = FxHashSet::default();
    for path in removals
        .iter()
        .flat_map(|removal| &removal.files)
        .chain(&targets.overwritten)
    {
        if !backed_up.insert(path) {
            continue;
        }
        operations.push(Operation::Backup {
            from: Cow::Borrowed(path),
            to: Cow::Owned(transaction.backup_path()),
        });
    }
    // Each wheel's RECORD, written in parallel.
    let wheels: Vec<usize> = (0..placements.len()).collect();
    let records = map_parallel(&wheels, settings.threads, |&wheel| {
        let placement = &placements[wheel];
        let mut rows: Vec<RecordRow<'_>> = placement
            .files
            .iter()
            .map(|file| file.record_row(&placement.lib_dir))
            .collect();
        // A compiled `.pyc` replaces a wheel's own file of the same path: it comes later.
        rows.extend(pycs[wheel].iter().map(|pyc| RecordRow {
            path: Cow::Owned(crate::path::relative_path(
                &placement.lib_dir,
                &pyc.destination,
            )),
            hash: Some((Cow::Borrowed(pyc.hash.as_str()), pyc.size)),
        }));
        rows.push(RecordRow {
            path: Cow::Owned(format!(
                "{}/RECORD",
                placement
                    .dist_info
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
            )),
            hash: None,
        });
        let (record, rows) = write_record(rows);
        let staged = stage.join(format!("{wheel}-RECORD"));
        write_new(&staged, record.as_bytes(), false).map_err(stage_error)?;
        Ok::<_, InstallError>((staged, rows))
    })?;
    let mut places = Places::after(operations, files);
    let mut installed = Vec::with_capacity(placements.len());
    for ((wheel, placement), (record_staged, rows)) in placements.iter().enumerate().zip(records) {
        for (index, file) in placement.files.iter().enumerate() {
            let to = file.destination.as_path();
            places.push(
                to,
                match &file.source {
                    Source::Link(cached) => Operation::Link {
                        from: Cached {
                            root: Cow::Borrowed(placement.wheel.root()),
                            relative: Cow::Borrowed(cached.path.as_str()),
                        },
                        to: Cow::Borrowed(to),
                    },
                    Source::Fresh { .. } => Operation::Place {
                        from: Cow::Owned(staged_path(&stage, wheel, index)),
                        to: Cow::Borrowed(to),
                    },
                },
            );
        }
        for pyc in &pycs[wheel] {
            places.push(
                &pyc.destination,
                Operation::Place {
                    from: Cow::Borrowed(&pyc.staged),
                    to: Cow::Borrowed(&pyc.destination),
                },
            );
        }
        places.push(
            &placement.record,
            Operation::Place {
                from: Cow::Owned(record_staged),
                to: Cow::Borrowed(&placement.record),
            },
        );
        installed.push(InstalledWheel {
            name: placement.wheel.name().clone(),
            version: placement.wheel.version().clone(),
            dist_info: placement.dist_info.clone(),
            files: rows,
        });
    }

    let new_dist_infos: Vec<&Path> = placements
        .iter()
        .map(|placement| placement.dist_info.as_path())
        .collect();
    let old_dist_infos: Vec<&Path> = removed_dist_infos.iter().map(PathBuf::as_path).collect();
    let operations = dist_infos_appear_whole(places.operations, &new_dist_infos, &old_dist_infos);

    tracing::debug!("staged and wrote the RECORDs in {:?}", started.elapsed());

    // Commit.
    settings.check_interrupt()?;
    transaction
        .commit(&operations, link_mode, settings.threads, hook)
        .map_err(|error| match error {
            CommitError::Io(source) if source.kind() == io::ErrorKind::Interrupted => {
                InstallError::Interrupted
            }
            CommitError::Io(source) => InstallError::Commit { source },
            CommitError::MissingSource(path) => missing_from_cache(&placements, &path),
        })?;
    for placement in &placements {
        reporter.on_package_installed(placement.wheel.name());
    }
    tracing::debug!("committed in {:?}", started.elapsed());
    let removed = removals.into_iter().map(Removal::finish).collect();
    Ok(InstallSummary {
        installed,
        removed,
        compiled_files,
        link_mode_used: link_mode,
        bytecode_failures,
    })
}

/// Writes the generated files of `placements` into `stage`, and decides the link mode on the
/// first cached file (linked to a probe in `stage`, then removed); returns the mode.
fn stage_files(
    placements: &[Placement<'_>],
    stage: &Path,
    settings: &Settings<'_>,
) -> Result<LinkMode, InstallError> {
    let stage_error = |source: io::Error| InstallError::Stage {
        dir: stage.to_path_buf(),
        source,
    };
    let mut jobs = Vec::new();
    let mut first_cached = None;
    for (wheel, placement) in placements.iter().enumerate() {
        for (index, file) in placement.files.iter().enumerate() {
            match &file.source {
                Source::Link(cached) => {
                    first_cached.get_or_insert((placement, cached));
                }
                Source::Fresh {
                    content,
                    executable,
                } => jobs.push((staged_path(stage, wheel, index), content, *executable)),
            }
        }
    }
    let mut link_mode = settings.link_mode;
    if let Some((placement, cached)) = first_cached {
        let probe = stage.join("link-probe");
        let path = placement.wheel.root().join(&cached.path);
        link_mode = first_link(settings.link_mode, &path, &probe)
            .map_err(|error| link_error(placement, &path, error, stage))?;
        fs_err::remove_file(&probe).map_err(stage_error)?;
    }
    for_each_parallel(&jobs, settings.threads, |(staged, content, executable)| {
        write_new(staged, content, *executable).map_err(stage_error)
    })?;
    tracing::debug!(
        "staged {} generated files of {} wheels; linking with {link_mode}",
        jobs.len(),
        placements.len()
    );
    Ok(link_mode)
}

/// Compiles the staged `.py` files of `placements` next to them; returns each wheel's bytecode
/// (after checking where it goes, as `targets`) and the files that did not compile.
fn compile_staged(
    placements: &[Placement<'_>],
    stage: &Path,
    options: &CompileOptions,
    reporter: &dyn InstallReporter,
    targets: &mut Targets,
    removing: &FxHashSet<&Path>,
) -> Result<(Vec<Vec<StagedPyc>>, Vec<BytecodeFailure>), InstallError> {
    let mut pycs: Vec<Vec<StagedPyc>> = placements.iter().map(|_| Vec::new()).collect();
    let mut bytecode_failures = Vec::new();
    let mut owners = Vec::new();
    let mut compile_jobs = Vec::new();
    for (wheel, placement) in placements.iter().enumerate() {
        for (index, file) in placement.files.iter().enumerate() {
            if file
                .destination
                .extension()
                .is_none_or(|extension| extension != "py")
            {
                continue;
            }
            let (source, size) = match &file.source {
                Source::Link(cached) => (placement.wheel.root().join(&cached.path), cached.size),
                Source::Fresh { content, .. } => {
                    (staged_path(stage, wheel, index), content.len() as u64)
                }
            };
            owners.push(wheel);
            compile_jobs.push(CompileJob {
                output: stage.join(format!("{wheel}-{index}.pyc")),
                source,
                destination: file.destination.clone(),
                size,
            });
        }
    }
    reporter.on_compile_start(compile_jobs.len());
    let results = compile(options, &compile_jobs)?;
    reporter.on_compile_done();
    for ((job, wheel), result) in compile_jobs.into_iter().zip(owners).zip(results) {
        match result {
            Compiled::Pyc { path, hash, size } => {
                let destination = normalize(&path);
                let expected_dir = job.destination.parent().map(|dir| dir.join("__pycache__"));
                if destination.parent() != expected_dir.as_deref() {
                    return Err(InstallError::Compile {
                        python: options.python.clone(),
                        reason: format!(
                            "the bytecode of \"{}\" would go to \"{}\", outside its __pycache__",
                            job.destination.display(),
                            destination.display()
                        ),
                    });
                }
                targets.check(&destination, placements[wheel].wheel_name(), removing)?;
                pycs[wheel].push(StagedPyc {
                    staged: job.output,
                    destination,
                    hash,
                    size,
                });
            }
            Compiled::Failed(message) => {
                tracing::warn!(
                    "cannot compile \"{}\": {message}",
                    job.destination.display()
                );
                bytecode_failures.push(BytecodeFailure {
                    path: job.destination,
                    message,
                });
            }
        }
    }
    Ok((pycs, bytecode_failures))
}

/// Reorders a commit so that Python (`importlib.metadata`, pip) never sees a `.dist-info`
/// directory half-made, even when the process is killed mid-commit: each replaced one is
/// renamed away first (its files go with it), and each new one is filled under a name that does
/// not end in `.dist-info` (`<name>.dist-info.volley-new-<pid>`, beside it) and renamed into
/// place after every other file ([`Operation::Publish`]). A rollback renames them back.
fn dist_infos_appear_whole<'a>(
    operations: Vec<Operation<'a>>,
    new: &[&Path],
    old: &[&Path],
) -> Vec<Operation<'a>> {
    let beside = |dir: &Path, tag: &str| {
        let mut name = dir.as_os_str().to_owned();
        name.push(format!(".volley-{tag}-{}", std::process::id()));
        PathBuf::from(name)
    };
    let filling: Vec<(&Path, PathBuf)> = new.iter().map(|dir| (*dir, beside(dir, "new"))).collect();
    let hidden: Vec<(&Path, PathBuf)> = old
        .iter()
        .filter(|dir| fs_err::symlink_metadata(dir).is_ok_and(|meta| meta.is_dir()))
        .map(|dir| (*dir, beside(dir, "old")))
        .collect();
    let reroot = |path: &Path| -> Option<PathBuf> {
        filling.iter().find_map(|(dir, temporary)| {
            let rest = path.strip_prefix(dir).ok()?;
            Some(if rest.as_os_str().is_empty() {
                temporary.clone()
            } else {
                temporary.join(rest)
            })
        })
    };
    let in_hidden = |path: &Path| hidden.iter().any(|(dir, _)| path.starts_with(dir));

    let mut dirs = Vec::new();
    let mut backups = Vec::new();
    let mut rest = Vec::new();
    // Every directory of a new `.dist-info`, made under its temporary name (parents first).
    let mut filled_dirs: std::collections::BTreeSet<PathBuf> = filling
        .iter()
        .map(|(_, temporary)| temporary.clone())
        .collect();
    for operation in operations {
        match operation {
            Operation::CreateDir(dir) if reroot(&dir).is_some() => {}
            Operation::CreateDir(dir) => dirs.push(Operation::CreateDir(dir)),
            // It moves with its directory.
            Operation::Backup { from, .. } if in_hidden(&from) => {}
            Operation::Backup { .. } => backups.push(operation),
            Operation::Place { from, to } => match reroot(&to) {
                Some(to) => {
                    filled_dirs.extend(parents_below(&to, &filling));
                    rest.push(Operation::Place {
                        from,
                        to: Cow::Owned(to),
                    });
                }
                None => rest.push(Operation::Place { from, to }),
            },
            Operation::Link { from, to } => match reroot(&to) {
                Some(to) => {
                    filled_dirs.extend(parents_below(&to, &filling));
                    rest.push(Operation::Link {
                        from,
                        to: Cow::Owned(to),
                    });
                }
                None => rest.push(Operation::Link { from, to }),
            },
            Operation::Publish { .. } => rest.push(operation),
        }
    }
    dirs.extend(
        filled_dirs
            .into_iter()
            .map(|dir| Operation::CreateDir(Cow::Owned(dir))),
    );
    let hides = hidden.iter().map(|(dir, aside)| Operation::Backup {
        from: Cow::Owned(dir.to_path_buf()),
        to: Cow::Owned(aside.clone()),
    });
    let publishes = filling.iter().map(|(dir, temporary)| Operation::Publish {
        from: Cow::Owned(temporary.clone()),
        to: Cow::Owned(dir.to_path_buf()),
    });
    dirs.into_iter()
        .chain(hides)
        .chain(backups)
        .chain(rest)
        .chain(publishes)
        .collect()
}

/// The directories between the temporary `.dist-info` that holds `path` and `path` (excluded).
fn parents_below(path: &Path, filling: &[(&Path, PathBuf)]) -> Vec<PathBuf> {
    let Some((_, temporary)) = filling
        .iter()
        .find(|(_, temporary)| path.starts_with(temporary))
    else {
        return Vec::new();
    };
    path.ancestors()
        .skip(1)
        .take_while(|dir| *dir != temporary.as_path() && dir.starts_with(temporary))
        .map(Path::to_path_buf)
        .collect()
}

/// The placements and links of a commit: when two files go to one path (two wheels, or a
/// wheel's own `.pyc` and the compiled one), the later one wins, as in pip, and only it is made.
#[derive(Debug)]
struct Places<'a> {
    operations: Vec<Operation<'a>>,
    /// Keyed by the raw path: destinations are normalized.
    index: FxHashMap<&'a OsStr, usize>,
}

impl<'a> Places<'a> {
    /// Placements pushed after `operations` (which must not place or link anything), for
    /// about `files` destinations.
    fn after(operations: Vec<Operation<'a>>, files: usize) -> Self {
        Self {
            operations,
            index: FxHashMap::with_capacity_and_hasher(files, Default::default()),
        }
    }

    /// `operation` (a [`Operation::Place`] or [`Operation::Link`]) makes `to`.
    fn push(&mut self, to: &'a Path, operation: Operation<'a>) {
        match self.index.entry(to.as_os_str()) {
            std::collections::hash_map::Entry::Occupied(earlier) => {
                self.operations[*earlier.get()] = operation;
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(self.operations.len());
                self.operations.push(operation);
            }
        }
    }
}

/// A commit that failed because the cached file at `path` is gone: the unpacked tree of the
/// placement it belongs to is damaged.
fn missing_from_cache(placements: &[Placement<'_>], path: &Path) -> InstallError {
    let dir = placements
        .iter()
        .find(|placement| path.starts_with(placement.wheel.root()))
        .map_or_else(
            || path.parent().unwrap_or(path).to_path_buf(),
            |placement| placement.wheel.root().to_path_buf(),
        );
    InstallError::CorruptUnpacked {
        dir,
        reason: format!("\"{}\" is missing", path.display()),
    }
}

/// A link that failed: a missing cache file means a damaged unpacked tree.
fn link_error(
    placement: &Placement<'_>,
    path: &Path,
    error: io::Error,
    stage: &Path,
) -> InstallError {
    if error.kind() == io::ErrorKind::NotFound && fs_err::symlink_metadata(path).is_err() {
        InstallError::CorruptUnpacked {
            dir: placement.wheel.root().to_path_buf(),
            reason: format!("\"{}\" is missing", path.display()),
        }
    } else {
        InstallError::Stage {
            dir: stage.to_path_buf(),
            source: error,
        }
    }
}

/// Writes a new file, executable (mode `0o777` less the umask) or not (`0o666` less the umask).
fn write_new(path: &Path, content: &[u8], executable: bool) -> io::Result<()> {
    use std::io::Write;
    let mut options = fs_err::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use fs_err::os::unix::fs::OpenOptionsExt;
        options.mode(if executable { 0o777 } else { 0o666 });
    }
    #[cfg(not(unix))]
    let _ = executable;
    options.open(path)?.write_all(content)
}

/// What is at the destinations of an install, learnt with as few system calls as possible: one
/// listing per existing directory, one `stat` per directory that may be missing.
#[derive(Debug, Default)]
struct Targets {
    /// Directories that exist (false) or that the commit creates (true), by raw path (all
    /// paths here are normalized, and hashing bytes is cheaper than hashing a `Path`).
    dirs: FxHashMap<OsString, bool>,
    /// Directories the commit creates, parents first.
    created: Vec<PathBuf>,
    /// Entries of existing directories: name → is a directory.
    listings: FxHashMap<OsString, FxHashMap<OsString, bool>>,
    /// Existing files that the commit replaces and that no removed distribution owns.
    overwritten: Vec<PathBuf>,
    overwritten_set: FxHashSet<PathBuf>,
    /// The directory of the last file checked, if the commit creates it: the next file of the
    /// same directory needs no more checks (nothing can be in the way in a new directory).
    last_created: Option<PathBuf>,
}

impl Targets {
    /// Notes what a file at `destination` needs: directories to create, a file to move out of
    /// the way (unless `removing` has it already); refuses a directory in the way.
    fn check(
        &mut self,
        destination: &Path,
        wheel: &str,
        removing: &FxHashSet<&Path>,
    ) -> Result<(), InstallError> {
        let in_the_way = |path: &Path, reason: &'static str| InstallError::PathInTheWay {
            wheel: wheel.to_string(),
            path: path.to_path_buf(),
            reason,
        };
        let Some((parent, name)) = crate::path::split_last(destination) else {
            return Err(in_the_way(destination, "it is not a file path"));
        };
        if self
            .last_created
            .as_ref()
            .is_some_and(|last| last.as_os_str() == parent.as_os_str())
        {
            return Ok(());
        }
        if self.ensure_dir(parent, wheel)? {
            self.last_created = Some(parent.to_path_buf());
            return Ok(());
        }
        if !self.listings.contains_key(parent.as_os_str()) {
            let mut listing = FxHashMap::default();
            let entries = fs_err::read_dir(parent).map_err(|source| InstallError::Io {
                wheel: wheel.to_string(),
                source,
            })?;
            for entry in entries {
                let entry = entry.map_err(|source| InstallError::Io {
                    wheel: wheel.to_string(),
                    source,
                })?;
                let is_dir = entry.file_type().is_ok_and(|kind| kind.is_dir());
                listing.insert(entry.file_name(), is_dir);
            }
            self.listings.insert(parent.as_os_str().to_owned(), listing);
        }
        match self.listings[parent.as_os_str()].get(name) {
            None => {}
            Some(true) => return Err(in_the_way(destination, "a directory is in the way")),
            Some(false)
                if !removing.contains(destination)
                    && self.overwritten_set.insert(destination.to_path_buf()) =>
            {
                self.overwritten.push(destination.to_path_buf());
            }
            Some(false) => {}
        }
        Ok(())
    }

    /// Whether the commit creates a directory at `path`.
    fn creates_dir(&self, path: &Path) -> bool {
        self.dirs.get(path.as_os_str()) == Some(&true)
    }

    /// Makes sure `dir` exists or will be created; returns whether the commit creates it.
    fn ensure_dir(&mut self, dir: &Path, wheel: &str) -> Result<bool, InstallError> {
        if let Some(&created) = self.dirs.get(dir.as_os_str()) {
            return Ok(created);
        }
        match fs_err::metadata(dir) {
            Ok(metadata) if metadata.is_dir() => {
                self.dirs.insert(dir.as_os_str().to_owned(), false);
                Ok(false)
            }
            Ok(_) => Err(InstallError::PathInTheWay {
                wheel: wheel.to_string(),
                path: dir.to_path_buf(),
                reason: "a file is where a directory must go",
            }),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                let parent = dir.parent().ok_or_else(|| InstallError::Io {
                    wheel: wheel.to_string(),
                    source: error,
                })?;
                self.ensure_dir(parent, wheel)?;
                self.dirs.insert(dir.as_os_str().to_owned(), true);
                self.created.push(dir.to_path_buf());
                Ok(true)
            }
            Err(source) => Err(InstallError::Io {
                wheel: wheel.to_string(),
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_plan_directories_backups_and_refusals() {
        let root = tempfile::tempdir().unwrap();
        let site = root.path().join("site");
        fs_err::create_dir_all(site.join("pkg/blocked")).unwrap();
        fs_err::write(site.join("pkg/old.py"), "").unwrap();
        fs_err::write(site.join("pkg/owned.py"), "").unwrap();
        fs_err::write(site.join("file"), "").unwrap();
        let owned = site.join("pkg/owned.py");
        let removing: FxHashSet<&Path> = [owned.as_path()].into_iter().collect();
        let mut targets = Targets::default();
        for path in [
            "pkg/old.py",
            "pkg/owned.py",
            "pkg/new.py",
            "new/a/b.py",
            "new/a/c.py",
        ] {
            targets.check(&site.join(path), "w.whl", &removing).unwrap();
        }
        assert_eq!(targets.created, [site.join("new"), site.join("new/a")]);
        assert_eq!(targets.overwritten, [site.join("pkg/old.py")]);

        let mut message = |path: &str| {
            let error = targets
                .check(&site.join(path), "w.whl", &removing)
                .unwrap_err()
                .to_string();
            error.replace(&root.path().display().to_string(), "[ROOT]")
        };
        insta::assert_snapshot!(message("pkg/blocked"), @r#"wheel w.whl: cannot install "[ROOT]/site/pkg/blocked": a directory is in the way"#);
        insta::assert_snapshot!(message("file/x.py"), @r#"wheel w.whl: cannot install "[ROOT]/site/file": a file is where a directory must go"#);
    }
}
