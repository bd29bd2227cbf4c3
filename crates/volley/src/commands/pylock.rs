//! PEP 751 lock files: `volley compile --format pylock.toml` writes one from a resolution, and
//! `volley install -r pylock.toml` installs exactly what one lists.
//!
//! Writing ([`from_resolution`]): every pinned version with every file the index lists for it
//! (wheels for all platforms, and the sdist), each with its URL, size when the index gives it,
//! and hashes (a file the index gives no hash for is downloaded and hashed). The resolution
//! holds for the environment it was made for, so the lock says so: `requires-python` is that
//! Python's `>=X.Y`, and `environments` is one marker naming its Python version, platform,
//! machine and implementation. Packages carry no marker of their own (each was needed in that
//! environment).
//!
//! Installing ([`install`]): no resolution and no index page. The packages whose marker
//! matches the environment are selected; of each, the wheel with the best tag for the
//! interpreter is downloaded from its `url` (or read from its `path`, relative to the lock
//! file), its sha256 checked against the lock, and everything is installed in one transaction,
//! so a bad hash installs nothing. A package with no wheel that fits is built from its locked
//! sdist (PEP 751 allows sdist-only packages), which is checked against its sha256 before it
//! is unpacked, as any index sdist (build cache first; `--only-binary` forbids it); with
//! neither, the error names the package. The built wheel must be of the locked name and version.
//!
//! Traps: the lock's `requires-python` and `environments` are checked before anything else; a
//! lock is the whole request (no other requirement or constraint may come with it); volley
//! checks sha256, so a file whose hashes lack one is refused.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use url::Url;
use volley_client::{IndexFile, RegistryClient};
use volley_packaging::{
    DistFilename, MarkerEnvironment, MarkerTree, PackageName, Version, VersionSpecifiers,
    WheelFilename,
};
use volley_python::Interpreter;
use volley_requirements::{LockedDependency, LockedFile, LockedPackage, Pylock};
use volley_resolver::{CandidateSource, NameSet, ResolvedPackage};

use crate::builds::{BuildInputs, Builds};
use crate::cli::{GlobalArgs, InstallArgs};
use crate::commands::install::{
    Artifact, Change, InstallTarget, install_changes, print_changes, scheme_layout,
};
use crate::commands::resolve::{Resolved, VirtualenvRequired, lock_layout};
use crate::destination::Destination;
use crate::prepare::Preparer;
use crate::printer::{Printer, elapsed, packages};
use crate::progress::ProgressReporter;
use crate::settings::{self, CacheSettings, Environment, InstallSettings};
use crate::target::TargetPlatform;

/// The lock file of a resolution (see the module doc).
pub async fn from_resolution(resolved: &Resolved) -> Result<Pylock> {
    let mut lock = Pylock::new("volley");
    let (major, minor) = python_minor(&resolved.platform.python_version);
    lock.requires_python = Some(
        VersionSpecifiers::from_str(&format!(">={major}.{minor}"))
            .context("cannot write the lock's requires-python")?,
    );
    lock.environments = Some(vec![environment_marker(&resolved.platform.markers)?]);
    let mut resolved_packages: Vec<&ResolvedPackage> =
        resolved.resolution.packages.iter().collect();
    resolved_packages.sort_by(|a, b| a.name.cmp(&b.name));
    for package in resolved_packages {
        lock.packages.push(locked_package(resolved, package).await?);
    }
    Ok(lock)
}

/// `python_version == "3.11" and sys_platform == "linux" and ...`: the environment a
/// resolution holds for.
fn environment_marker(markers: &MarkerEnvironment) -> Result<MarkerTree> {
    let text = format!(
        "python_version == '{}' and sys_platform == '{}' and platform_machine == '{}' and \
         implementation_name == '{}'",
        markers.python_version(),
        markers.sys_platform(),
        markers.platform_machine(),
        markers.implementation_name()
    );
    MarkerTree::from_str(&text)
        .with_context(|| format!("cannot write the environment marker \"{text}\""))
}

fn python_minor(version: &Version) -> (u64, u64) {
    let release = version.release();
    (
        release.first().copied().unwrap_or(3),
        release.get(1).copied().unwrap_or(0),
    )
}

async fn locked_package(resolved: &Resolved, package: &ResolvedPackage) -> Result<LockedPackage> {
    let files = resolved
        .provider
        .files(&package.name, &package.version)
        .with_context(|| {
            format!(
                "no file of {}=={} is known to the index client",
                package.name, package.version
            )
        })?;
    let mut locked = LockedPackage::new(package.name.clone());
    locked.version = Some(package.version.clone());
    locked.requires_python = files
        .preferred()
        .and_then(|file| file.requires_python.clone());
    locked.index = resolved.provider.index_of(&package.name);
    let mut dependencies: Vec<&PackageName> = resolved
        .resolution
        .packages
        .iter()
        .filter(|other| other.required_by.contains(&package.name))
        .map(|other| &other.name)
        .collect();
    dependencies.sort();
    locked.dependencies = dependencies
        .into_iter()
        .map(|name| LockedDependency::new(name.clone(), None))
        .collect();
    let mut all = files.all.clone();
    all.sort_by(|a, b| a.filename.cmp(&b.filename));
    for file in all {
        let locked_file = locked_file(&resolved.client, &file).await?;
        match file.dist {
            DistFilename::Wheel(_) => locked.wheels.push(locked_file),
            DistFilename::SourceDist(_) if locked.sdist.is_none() => {
                locked.sdist = Some(locked_file);
            }
            DistFilename::SourceDist(_) => {}
        }
    }
    Ok(locked)
}

/// One file with its hashes: the index's, or its sha256 once downloaded.
async fn locked_file(client: &RegistryClient, file: &IndexFile) -> Result<LockedFile> {
    let hashes = if file.hashes.is_empty() {
        let downloaded = client.download(file).await?;
        vec![volley_packaging::HashDigest {
            algorithm: volley_packaging::HashAlgorithm::Sha256,
            digest: downloaded.sha256,
        }]
    } else {
        file.hashes.clone()
    };
    Ok(LockedFile {
        name: file.filename.clone(),
        url: Some(file.url.clone()),
        path: None,
        size: file.size,
        upload_time: None,
        hashes,
    })
}

/// `volley install -r pylock.toml`: install exactly what the lock lists for this environment.
pub async fn install(
    lock_file: &Path,
    args: &InstallArgs,
    destination: Destination,
    settings: &InstallSettings,
    global: &GlobalArgs,
    env: &Environment,
    printer: &Printer,
) -> Result<ExitCode> {
    let shown = lock_file.display();
    if !args.requirements.is_empty()
        || args.requirement.len() > 1
        || !args.resolve.constraint.is_empty()
    {
        bail!(
            "the lock file {shown} is installed exactly as it is: it cannot be combined with \
             other requirements or constraints"
        );
    }
    if args.report.is_some() {
        bail!("--report is not available when installing the lock file {shown}");
    }
    if args.root.is_some() {
        bail!("--root is not available when installing the lock file {shown}");
    }
    if crate::target::TargetFlags::from_args(&args.target_platform)?.is_some() {
        bail!(
            "--platform, --python-version, --implementation and --abi are not available when \
             installing the lock file {shown}"
        );
    }
    let start = Instant::now();
    let path = env.cwd.join(lock_file);
    let lock = Pylock::read(&path)?;
    for warning in &lock.warnings {
        printer.warn(format!("{shown}: {warning}"));
    }

    let cache = CacheSettings::resolve(global, env)?.open()?;
    let reporter = Arc::new(ProgressReporter::new(printer.clone()));
    let client = RegistryClient::new(
        settings::client_options(&args.index, env)?,
        cache.clone(),
        reporter.clone(),
    )?;
    let preparer = Arc::new(Preparer::new(client.clone(), cache.clone()));
    let build_cache = cache.clone();
    let python_request = destination.python_request(settings::python_request(&args.python, env));
    let discovery = env.discovery();
    let lock_printer = printer.clone();
    let blocking_destination = destination.clone();
    let break_system_packages = args.break_system_packages;
    let require_virtualenv = args.require_virtualenv;
    let (interpreter, scheme, installed, environment_lock) =
        tokio::task::spawn_blocking(move || {
            let destination = blocking_destination;
            let interpreter = Interpreter::find(&python_request, &discovery, Some(&cache))?;
            if require_virtualenv && !interpreter.is_virtualenv {
                return Err(VirtualenvRequired::new(&interpreter).into());
            }
            if !break_system_packages {
                destination.check_externally_managed(&interpreter)?;
            }
            let scheme = destination.scheme(&interpreter)?;
            let environment_lock = lock_layout(
                &scheme_layout(&interpreter, &scheme),
                &destination.lock_path(&interpreter, &scheme),
                &lock_printer,
            )?;
            let installed = destination.installed(&interpreter, &scheme)?;
            anyhow::Ok((interpreter, scheme, installed, environment_lock))
        })
        .await
        .context("the interpreter query stopped")??;

    let lock_dir = path.parent().unwrap_or(Path::new("."));
    let selected = select(&lock, lock_file, lock_dir, &interpreter)?;
    printer.status(format!(
        "Read {} from {shown} in {}",
        packages(selected.len()),
        elapsed(start.elapsed())
    ));
    let locked: Vec<ResolvedPackage> = selected
        .iter()
        .map(|(package, _)| package.clone())
        .collect();
    let mut changes = Vec::new();
    for ((_, file), package) in selected.into_iter().zip(&locked) {
        let present = installed.iter().find(|dist| dist.name == package.name);
        let reinstall = args.force_reinstall || args.ignore_installed;
        if present.is_some_and(|dist| dist.version == package.version && !reinstall) {
            continue;
        }
        if let Some(dist) = present
            && destination.is_target()
            && !args.upgrade
        {
            printer.warn(format!(
                "target directory {} already exists: specify --upgrade to force replacement",
                dist.dist_info.display()
            ));
            continue;
        }
        changes.push(Change {
            package,
            file: match package.source {
                CandidateSource::Wheel => Artifact::Index(file),
                CandidateSource::SdistOnly => Artifact::Sdist(file),
            },
            replaces: present.filter(|dist| Destination::may_remove(dist, &scheme)),
        });
    }
    if args.dry_run {
        if changes.is_empty() {
            printer.status("Would make no changes");
        } else {
            printer.status(format!("Would install {}", packages(changes.len())));
        }
        print_changes(printer, &changes);
        return Ok(ExitCode::SUCCESS);
    }
    if changes.is_empty() {
        printer.status("Audited all requirements: nothing to install");
        return Ok(ExitCode::SUCCESS);
    }
    // Sdist-only packages are built, as in any install; nothing else needs a build context.
    let sdists: Vec<&PackageName> = changes
        .iter()
        .filter(|change| matches!(change.file, Artifact::Sdist(_)))
        .map(|change| &change.package.name)
        .collect();
    let builds = if sdists.is_empty() {
        None
    } else {
        let only_binary = settings::format_control(&args.resolve.only_binary)?;
        let forbidden = |name: &PackageName| match &only_binary {
            NameSet::All => true,
            NameSet::Names(names) => names.contains(name),
        };
        if let Some(name) = sdists.iter().find(|name| forbidden(name)) {
            bail!(
                "{name} in the lock file {shown} has no wheel for this environment, and \
                 --only-binary forbids building its sdist"
            );
        }
        Some(Arc::new(Builds::new(&BuildInputs {
            cache: &build_cache,
            interpreter: &interpreter,
            platform: &TargetPlatform::of(&interpreter)?,
            client: &client,
            preparer: &preparer,
            reporter: &reporter,
            resolve: &args.resolve,
            env,
        })?))
    };
    let target = InstallTarget {
        interpreter: &interpreter,
        scheme: &scheme,
        lock: Some(Arc::new(environment_lock)),
        lock_path: destination.lock_path(&interpreter, &scheme),
        preparer: &preparer,
        reporter: &reporter,
        builds: builds.as_ref(),
        direct: None,
    };
    install_changes(&target, &changes, settings, printer).await?;
    Ok(ExitCode::SUCCESS)
}

/// The packages of the lock that this interpreter installs, each with the wheel to install.
fn select(
    lock: &Pylock,
    lock_file: &Path,
    lock_dir: &Path,
    interpreter: &Interpreter,
) -> Result<Vec<(ResolvedPackage, IndexFile)>> {
    let shown = lock_file.display();
    let markers = &interpreter.markers;
    let python: Version = interpreter.python_full_version.parse().with_context(|| {
        format!(
            "the interpreter reported an invalid version \"{}\"",
            interpreter.python_full_version
        )
    })?;
    if let Some(requires_python) = &lock.requires_python
        && !requires_python.contains(&python)
    {
        bail!(
            "the lock file {shown} requires Python {requires_python}, but the interpreter is \
             Python {python}"
        );
    }
    if let Some(environments) = &lock.environments
        && !environments
            .iter()
            .any(|marker| marker.evaluate(markers, &[]))
    {
        let listed: Vec<String> = environments
            .iter()
            .filter_map(MarkerTree::try_to_string)
            .collect();
        bail!(
            "the lock file {shown} is not for this environment: none of its environments \
             matches ({})",
            listed.join("; ")
        );
    }
    let applicable: Vec<&LockedPackage> = lock
        .packages
        .iter()
        .filter(|package| {
            package
                .marker
                .as_ref()
                .is_none_or(|marker| marker.evaluate(markers, &[]))
        })
        .collect();
    let dependencies: HashSet<&PackageName> = applicable
        .iter()
        .flat_map(|package| {
            package
                .dependencies
                .iter()
                .map(|dependency| &dependency.name)
        })
        .collect();
    let mut seen = BTreeSet::new();
    let mut selected = Vec::with_capacity(applicable.len());
    for package in applicable {
        let name = &package.name;
        if !seen.insert(name.clone()) {
            bail!("the lock file {shown} lists {name} twice for this environment");
        }
        if let Some(requires_python) = &package.requires_python
            && !requires_python.contains(&python)
        {
            bail!(
                "{name} in the lock file {shown} requires Python {requires_python}, but the \
                 interpreter is Python {python}"
            );
        }
        let source = if package.vcs.is_some() {
            Some("a version control repository")
        } else if package.directory.is_some() {
            Some("a local directory")
        } else if package.archive.is_some() {
            Some("an archive URL")
        } else {
            None
        };
        if let Some(source) = source {
            bail!(
                "{name} in the lock file {shown} is installed from {source}, which volley \
                 does not support yet"
            );
        }
        let Some(version) = &package.version else {
            bail!("{name} in the lock file {shown} has no version");
        };
        let wheel = package
            .wheels
            .iter()
            .filter_map(|wheel| {
                let filename = WheelFilename::from_str(&wheel.name).ok()?;
                filename
                    .compatibility(&interpreter.tags)
                    .map(|priority| (priority, wheel))
            })
            .max_by_key(|(priority, _)| *priority)
            .map(|(_, wheel)| wheel);
        let (locked_file, source) = match (wheel, &package.sdist) {
            (Some(wheel), _) => (wheel, CandidateSource::Wheel),
            (None, Some(sdist)) => (sdist, CandidateSource::SdistOnly),
            (None, None) => {
                let tags: Vec<&str> = package
                    .wheels
                    .iter()
                    .map(|wheel| wheel.name.as_str())
                    .collect();
                bail!(
                    "{name}=={version} in the lock file {shown} has no wheel for this \
                     environment and no sdist (it has: {})",
                    if tags.is_empty() {
                        "no wheels".to_string()
                    } else {
                        tags.join(", ")
                    }
                );
            }
        };
        let file = index_file(name, version, locked_file, lock_file, lock_dir)?;
        selected.push((
            ResolvedPackage {
                name: name.clone(),
                version: version.clone(),
                extras: Vec::new(),
                // What no other listed package depends on is what the user asked for.
                requested: !dependencies.contains(name),
                required_by: Vec::new(),
                source,
                installed: false,
            },
            file,
        ));
    }
    Ok(selected)
}

/// A locked wheel or sdist as the client downloads it: from its `path` when that file exists,
/// else its `url`; checked against its sha256.
fn index_file(
    name: &PackageName,
    version: &Version,
    wheel: &LockedFile,
    lock_file: &Path,
    lock_dir: &Path,
) -> Result<IndexFile> {
    let shown = lock_file.display();
    let dist = DistFilename::parse(&wheel.name, name)
        .filter(|dist| match dist {
            DistFilename::Wheel(filename) => filename.version == *version,
            DistFilename::SourceDist(filename) => filename.version == *version,
        })
        .with_context(|| {
            format!(
                "\"{}\" in the lock file {shown} is not a wheel or sdist of {name}=={version}",
                wheel.name
            )
        })?;
    let local: Option<PathBuf> = wheel
        .path
        .as_ref()
        .map(|path| lock_dir.join(path))
        .filter(|path| path.is_file());
    let url = match (local, &wheel.url) {
        (Some(path), _) => {
            let path = std::path::absolute(&path)?;
            Url::from_file_path(&path)
                .map_err(|()| anyhow::anyhow!("cannot make a file URL of \"{}\"", path.display()))?
        }
        (None, Some(url)) => url.clone(),
        (None, None) => bail!(
            "\"{}\" in the lock file {shown} has a path that does not exist and no url",
            wheel.name
        ),
    };
    let file = IndexFile {
        filename: wheel.name.clone(),
        dist,
        url,
        hashes: wheel.hashes.clone(),
        requires_python: None,
        yanked: None,
        core_metadata: None,
        size: wheel.size,
    };
    if file.sha256().is_none() {
        bail!(
            "\"{}\" in the lock file {shown} has no sha256 hash, which volley needs to check it",
            wheel.name
        );
    }
    Ok(file)
}
