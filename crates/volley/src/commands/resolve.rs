//! The resolve step that `install` and `compile` share: know the target, start the client,
//! run the resolver on its own thread with the prefetching provider.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use volley_client::RegistryClient;
use volley_installer::EnvironmentLock;
use volley_packaging::DistFilename;
use volley_python::{InstalledDist, Interpreter, Scheme};
use volley_resolver::{BinaryPolicy, PrereleaseMode, Resolution, ResolverOptions, Upgrade};

use crate::builds::{BuildInputs, Builds};
use crate::cli::{GlobalArgs, IndexArgs, PythonArgs, ResolveArgs};
use crate::commands::install::{environment_lock, layout, scheme_layout};
use crate::commands::request::Request;
use crate::destination::Destination;
use crate::direct::DirectPackages;
use crate::prepare::Preparer;
use crate::printer::{Printer, packages};
use crate::progress::ProgressReporter;
use crate::provider::{IndexProvider, Target};
use crate::settings::{self, CacheSettings, Environment};
use crate::target::{TargetFlags, TargetPlatform};

/// How the resolution treats what is installed.
pub struct ResolveMode {
    /// Prefer installed versions (install); `false` resolves as for an empty environment
    /// (compile).
    pub use_installed: bool,
    pub upgrade: Upgrade,
    pub reinstall: bool,
    pub no_deps: bool,
    /// Start wheel downloads as versions are decided.
    pub speculative_downloads: bool,
    /// Where an install goes, which decides the installed distributions that count.
    pub destination: Destination,
    /// Resolve for another platform than the interpreter's (`download --platform ...`).
    pub platform: Option<TargetFlags>,
    /// Refuse an externally managed interpreter (PEP 668) for the destinations pip checks,
    /// before anything is written (install without `--break-system-packages`).
    pub refuse_externally_managed: bool,
    /// `--ignore-requires-python`: no version is left out for its Requires-Python.
    pub ignore_requires_python: bool,
    /// `--require-virtualenv`: refuse an interpreter that is not a virtual environment.
    pub require_virtualenv: bool,
    /// `--root DIR` (absolute): every install path of the destination rebased under DIR; the
    /// distributions already under DIR are those that count.
    pub root: Option<std::path::PathBuf>,
    /// Say which environment was found when none was named (commands that change it).
    pub announce_environment: bool,
    /// Keep every file of the chosen versions, also other platforms' wheels (for hashes).
    pub all_files: bool,
    /// Hash-checking mode: direct references' archives must match their hashes before they
    /// are prepared.
    pub require_hashes: bool,
    /// `--src`: where editable VCS checkouts are cloned (else pip's default, see
    /// `editable_vcs.rs`).
    pub src: Option<std::path::PathBuf>,
}

/// `--require-virtualenv` refused the interpreter: pip's exit code 3.
#[derive(Debug, thiserror::Error)]
#[error(
    "could not find an activated virtual environment (required by --require-virtualenv): {} is \
     not one",
    prefix.display()
)]
pub struct VirtualenvRequired {
    prefix: std::path::PathBuf,
}

impl VirtualenvRequired {
    pub fn new(interpreter: &Interpreter) -> Self {
        Self {
            prefix: interpreter.sys_prefix.clone(),
        }
    }
}

impl Default for ResolveMode {
    /// As for an empty environment, the interpreter's platform, nothing downloaded ahead.
    fn default() -> Self {
        Self {
            use_installed: false,
            upgrade: Upgrade::All,
            reinstall: false,
            no_deps: false,
            speculative_downloads: false,
            destination: Destination::Environment,
            platform: None,
            refuse_externally_managed: false,
            ignore_requires_python: false,
            require_virtualenv: false,
            root: None,
            announce_environment: false,
            all_files: false,
            require_hashes: false,
            src: None,
        }
    }
}

pub struct Resolved {
    pub interpreter: Interpreter,
    /// The tags, markers and Python version resolved for.
    pub platform: TargetPlatform,
    pub destination: Destination,
    /// The install paths of the destination.
    pub scheme: Scheme,
    pub installed: Vec<InstalledDist>,
    /// Held from before `installed` was read (when the mode uses what is installed).
    pub environment_lock: Option<Arc<EnvironmentLock>>,
    pub resolution: Resolution,
    pub provider: IndexProvider,
    pub client: RegistryClient,
    pub preparer: Arc<Preparer>,
    pub reporter: Arc<ProgressReporter>,
    /// Paths, URLs, git references and editables, prepared before resolving.
    pub direct: Arc<DirectPackages>,
    /// What builds use (sdists, local projects).
    pub builds: Arc<Builds>,
}

/// pip's warning when the file chosen for `name` `version` is yanked (PEP 592: the resolver
/// takes a yanked version only when an `==` or `===` pin leaves nothing else), with the reason.
pub fn warn_if_yanked(
    printer: &Printer,
    name: &volley_packaging::PackageName,
    version: &volley_packaging::Version,
    file: &volley_client::IndexFile,
) {
    let Some(reason) = &file.yanked else {
        return;
    };
    let reason = if reason.trim().is_empty() {
        "<none given>"
    } else {
        reason.as_str()
    };
    printer.warn(format!(
        "The candidate selected for download or install is a yanked version: '{name}' \
         candidate (version {version} at {})\nReason for being yanked: {reason}",
        volley_build::redact_url(&file.url)
    ));
}

/// Takes the lock of the interpreter's environment (saying so when another volley holds it),
/// rolling back an install that a killed process left unfinished. Blocking.
pub fn lock_environment(interpreter: &Interpreter, printer: &Printer) -> Result<EnvironmentLock> {
    lock_layout(
        &layout(interpreter),
        &environment_lock(interpreter),
        printer,
    )
}

/// [`lock_environment`] for any destination (`--target`, `--prefix`, `--user`): the lock file
/// at `lock_path` (its directory is created), the interrupted install rolled back in `layout`.
pub fn lock_layout(
    layout: &volley_installer::Layout,
    lock_path: &std::path::Path,
    printer: &Printer,
) -> Result<EnvironmentLock> {
    if let Some(parent) = lock_path.parent() {
        fs_err::create_dir_all(parent)?;
    }
    let waiting = printer.clone();
    let lock = volley_installer::lock_environment(layout, lock_path, move || {
        waiting.status("Waiting for another volley to finish with this environment...");
    })?;
    if lock.recovered() {
        printer.warn("rolled back an install that was interrupted");
    }
    Ok(lock)
}

#[allow(clippy::too_many_arguments)]
pub async fn resolve(
    request: &Request,
    python: &PythonArgs,
    index: &IndexArgs,
    resolve: &ResolveArgs,
    mode: ResolveMode,
    global: &GlobalArgs,
    env: &Environment,
    printer: &Printer,
) -> Result<Resolved> {
    let start = Instant::now();
    let cache = CacheSettings::resolve(global, env)?.open()?;

    // Options from requirements files apply where the command line said nothing.
    let mut index = index.clone();
    let file_options = &request.file_options;
    if index.index_url.is_none() {
        index.index_url = file_options.index_url.clone();
    }
    index
        .extra_index_url
        .extend(file_options.extra_index_urls.iter().cloned());
    index
        .find_links
        .extend(file_options.find_links.iter().cloned());
    index
        .trusted_host
        .extend(file_options.trusted_hosts.iter().cloned());
    index.no_index |= file_options.no_index;
    let mut resolve = resolve.clone();
    resolve.pre |= file_options.pre;
    resolve.prefer_binary |= file_options.prefer_binary;
    resolve
        .only_binary
        .extend(file_options.only_binary.iter().cloned());
    resolve
        .no_binary
        .extend(file_options.no_binary.iter().cloned());

    let reporter = Arc::new(ProgressReporter::new(printer.clone()));
    let client = RegistryClient::new(
        settings::client_options(&index, env)?,
        cache.clone(),
        reporter.clone(),
    )?;
    // Index pages of the named projects are fetched while the interpreter is queried.
    for requirement in &request.requirements {
        client.prefetch_project_page(&requirement.name);
    }

    let preparer = Arc::new(Preparer::new(client.clone(), cache.clone()));
    let python_request = mode
        .destination
        .python_request(settings::python_request(python, env));
    let discovery = env.discovery();
    let interpreter_cache = cache.clone();
    let use_installed = mode.use_installed;
    let destination = mode.destination.clone();
    let lock_printer = printer.clone();
    let refuse_externally_managed = mode.refuse_externally_managed;
    let require_virtualenv = mode.require_virtualenv;
    let root = mode.root.clone();
    let found = matches!(
        python_request,
        volley_python::PythonRequest::Default | volley_python::PythonRequest::DefaultOrSystem
    );
    let (interpreter, scheme, installed, environment_lock) =
        tokio::task::spawn_blocking(move || {
            let interpreter =
                Interpreter::find(&python_request, &discovery, Some(&interpreter_cache))?;
            if require_virtualenv && !interpreter.is_virtualenv {
                return Err(VirtualenvRequired::new(&interpreter).into());
            }
            if refuse_externally_managed {
                destination.check_externally_managed(&interpreter)?;
            }
            let scheme = destination.scheme(&interpreter)?;
            let scheme = match &root {
                Some(root) => crate::destination::change_root(&scheme, root),
                None => scheme,
            };
            // What is installed is read under the environment's lock, held until the command ends,
            // so that the plan made from it cannot go stale.
            let (installed, environment_lock) = if use_installed {
                let lock = lock_layout(
                    &scheme_layout(&interpreter, &scheme),
                    &destination.lock_path(&interpreter, &scheme),
                    &lock_printer,
                )?;
                (
                    destination.installed(&interpreter, &scheme)?,
                    Some(Arc::new(lock)),
                )
            } else {
                (Vec::new(), None)
            };
            anyhow::Ok((interpreter, scheme, installed, environment_lock))
        })
        .await
        .context("the interpreter query stopped")??;
    if found && mode.announce_environment {
        printer.status(format!(
            "Using Python {} environment at {}",
            interpreter.python_full_version,
            crate::commands::environment::display_prefix(&interpreter, &env.cwd)
        ));
    }
    printer.verbose(format!(
        "using Python {} at {}",
        interpreter.python_full_version,
        interpreter.sys_executable.display()
    ));

    let platform = match &mode.platform {
        Some(flags) => flags.platform(&interpreter)?,
        None => TargetPlatform::of(&interpreter)?,
    };
    if !mode.all_files {
        // Wheels for other platforms are of no use to this run: do not even keep them.
        let tags = platform.tags.clone();
        client.keep_files(Arc::new(move |dist: &DistFilename| match dist {
            DistFilename::Wheel(wheel) => wheel.compatibility(&tags).is_some(),
            DistFilename::SourceDist(_) => true,
        }));
    }
    let target = Target {
        tags: platform.tags.clone(),
        markers: platform.markers.clone(),
        python_version: platform.python_version.clone(),
        installed: installed
            .iter()
            .map(|dist| {
                (
                    (dist.name.clone(), dist.version.clone()),
                    dist.dist_info.clone(),
                )
            })
            .collect(),
        requested: request
            .requirements
            .iter()
            .filter(|requirement| requirement.evaluate_markers(&interpreter.markers, &[]))
            .filter_map(|requirement| match &requirement.version_or_url {
                Some(volley_packaging::VersionOrUrl::VersionSpecifier(specifiers)) => {
                    Some((requirement.name.clone(), specifiers.clone()))
                }
                _ => None,
            })
            .collect(),
        all_files: mode.all_files,
    };
    let builds = Arc::new(Builds::new(&BuildInputs {
        cache: &cache,
        interpreter: &interpreter,
        platform: &platform,
        client: &client,
        preparer: &preparer,
        reporter: &reporter,
        resolve: &resolve,
        env,
    })?);
    let checkouts = editable_checkouts(request, &mode, &interpreter, env, printer).await?;
    let direct = Arc::new(if request.direct.is_empty() && checkouts.is_empty() {
        DirectPackages::default()
    } else {
        let mut checked = if mode.require_hashes {
            crate::direct_hashes::check_hashes(&request.direct, &request.direct_hashes, &builds)
                .await?
        } else {
            request.direct.clone()
        };
        checked.extend(checkouts);
        DirectPackages::prepare(&checked, Arc::clone(&builds)).await?
    });
    let provider = IndexProvider::new(
        client.clone(),
        tokio::runtime::Handle::current(),
        target,
        reporter.clone(),
        mode.speculative_downloads.then(|| Arc::clone(&preparer)),
    );
    for requirement in &request.requirements {
        provider.prefetch(&requirement.name);
    }

    let options = ResolverOptions {
        markers: platform.markers.clone(),
        python_version: platform.python_version.clone(),
        prerelease: if resolve.pre {
            PrereleaseMode::Allow
        } else {
            PrereleaseMode::Disallow
        },
        constraints: request.constraints.clone(),
        installed: installed
            .iter()
            .map(|dist| (dist.name.clone(), dist.version.clone()))
            .collect(),
        upgrade: mode.upgrade,
        reinstall: mode.reinstall,
        no_deps: mode.no_deps,
        binary: BinaryPolicy {
            only_binary: settings::format_control(&resolve.only_binary)?,
            no_binary: settings::format_control(&resolve.no_binary)?,
            prefer_binary: resolve.prefer_binary,
        },
    };
    provider.set_builds(
        Arc::clone(&direct),
        Arc::clone(&builds),
        settings::format_control(&resolve.only_binary)?,
        settings::format_control(&resolve.no_binary)?,
    );
    let mut requirements = request.requirements.clone();
    requirements.extend(direct.requirements()?);
    let ignore_requires_python = mode.ignore_requires_python;
    let (resolution, provider) = tokio::task::spawn_blocking(move || {
        let resolution = if ignore_requires_python {
            volley_resolver::resolve(&requirements, &options, &IgnoreRequiresPython(&provider))
        } else {
            volley_resolver::resolve(&requirements, &options, &provider)
        };
        (resolution, provider)
    })
    .await
    .context("the resolver stopped")?;
    reporter.finish_resolve();
    let (most, total) = provider.metadata_counts(8);
    if total > 0 {
        let most: Vec<String> = most
            .iter()
            .map(|(name, count)| format!("{name} {count}"))
            .collect();
        printer.verbose(format!(
            "read the metadata of {total} versions; most for: {}",
            most.join(", ")
        ));
    }
    let resolution = match resolution {
        Ok(resolution) => resolution,
        Err(error) => {
            let notes = provider.incompatibility_notes();
            let error = anyhow::Error::new(error);
            return Err(if notes.is_empty() {
                error
            } else {
                error.context(notes.join("\n"))
            });
        }
    };
    let elapsed = start.elapsed();
    printer.status(format!(
        "Resolved {} in {}",
        packages(resolution.packages.len()),
        crate::printer::elapsed(elapsed)
    ));
    Ok(Resolved {
        interpreter,
        platform,
        destination: mode.destination,
        scheme,
        installed,
        environment_lock,
        resolution,
        provider,
        client,
        preparer,
        reporter,
        direct,
        builds,
    })
}

/// `--ignore-requires-python`: the provider's answers without any Requires-Python.
struct IgnoreRequiresPython<'a>(&'a dyn volley_resolver::Provider);

impl volley_resolver::Provider for IgnoreRequiresPython<'_> {
    fn versions(
        &self,
        name: &volley_packaging::PackageName,
    ) -> Result<Arc<[volley_resolver::Candidate]>, volley_resolver::ProviderError> {
        let versions = self.0.versions(name)?;
        Ok(versions
            .iter()
            .map(|candidate| volley_resolver::Candidate {
                requires_python: None,
                ..candidate.clone()
            })
            .collect())
    }

    fn metadata(
        &self,
        name: &volley_packaging::PackageName,
        version: &volley_packaging::Version,
    ) -> Result<Arc<volley_resolver::CandidateMetadata>, volley_resolver::ProviderError> {
        let metadata = self.0.metadata(name, version)?;
        Ok(Arc::new(volley_resolver::CandidateMetadata {
            requires_python: None,
            ..(*metadata).clone()
        }))
    }

    fn on_decision(
        &self,
        name: &volley_packaging::PackageName,
        version: &volley_packaging::Version,
    ) {
        self.0.on_decision(name, version);
    }

    fn on_discovered(&self, names: &[volley_packaging::PackageName]) {
        self.0.on_discovered(names);
    }
}

/// Clones (or updates) the `-e git+...` checkouts of `request` into the src directory, and
/// returns them as editable directories.
async fn editable_checkouts(
    request: &Request,
    mode: &ResolveMode,
    interpreter: &Interpreter,
    env: &Environment,
    printer: &Printer,
) -> Result<Vec<volley_build::DirectRequirement>> {
    if request.editable_vcs.is_empty() {
        return Ok(Vec::new());
    }
    let src = match &mode.src {
        Some(src) => env.cwd.join(src),
        None => crate::editable_vcs::default_src_dir(
            &interpreter.sys_prefix,
            interpreter.is_virtualenv,
            &env.cwd,
        ),
    };
    let mut checkouts = Vec::with_capacity(request.editable_vcs.len());
    for (requirement, _) in &request.editable_vcs {
        printer.status(format!("Obtaining {}", requirement.source));
        let requirement = requirement.clone();
        let src = src.clone();
        let checkout =
            tokio::task::spawn_blocking(move || crate::editable_vcs::checkout(&requirement, &src))
                .await
                .context("a git checkout stopped")??;
        checkouts.push(checkout);
    }
    Ok(checkouts)
}
