//! Everything a command needs to build: the `volley-build` [`PrepareContext`] wired to this
//! run's client, cache and interpreter, made from the build flags (`--no-build-isolation`,
//! `-C/--config-settings`, `--build-constraint`, `VOLLEY_BUILD_JOBS`).
//!
//! Builds run on blocking threads (`spawn_blocking`); the download callback and the
//! [`IndexBuildInstaller`] block those threads on the runtime through its handle.
//!
//! Built and given wheels are unpacked into the cache's `unpacked-v1/<sha256>`, like index
//! wheels (`prepare.rs`), so the installer links them the same way.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use tokio::runtime::Handle;
use url::Url;
use volley_build::{
    BuildCache, BuildOptions, Download, Downloaded, Git, PrepareContext, SourceBuilder,
};
use volley_cache::{Cache, CacheBucket};
use volley_client::{IndexFile, RegistryClient};
use volley_installer::UnpackedWheel;
use volley_packaging::{
    DistFilename, HashDigest, PackageName, SourceDistExtension, SourceDistFilename, WheelFilename,
};
use volley_python::Interpreter;

use crate::build_requirements::IndexBuildInstaller;
use crate::cli::ResolveArgs;
use crate::commands::request::Request;
use crate::prepare::Preparer;
use crate::progress::ProgressReporter;
use crate::settings::Environment;
use crate::target::TargetPlatform;

/// The build context of one command run; the scratch directory lives as long as it does.
pub struct Builds {
    /// With `need_wheel: false`; set it per call.
    pub context: PrepareContext,
    pub cache: Cache,
    scratch: tempfile::TempDir,
}

/// What [`Builds::new`] wires together.
pub struct BuildInputs<'a> {
    pub cache: &'a Cache,
    pub interpreter: &'a Interpreter,
    pub platform: &'a TargetPlatform,
    pub client: &'a RegistryClient,
    pub preparer: &'a Arc<Preparer>,
    pub reporter: &'a Arc<ProgressReporter>,
    pub resolve: &'a ResolveArgs,
    pub env: &'a Environment,
}

impl Builds {
    pub fn new(inputs: &BuildInputs<'_>) -> Result<Self> {
        let options = build_options(inputs.resolve, inputs.env)?;
        let scratch = tempfile::Builder::new()
            .prefix("volley-build-")
            .tempdir()
            .context("cannot create a directory for builds")?;
        let runtime = Handle::current();
        let interpreter = inputs.interpreter;
        let installer = IndexBuildInstaller {
            client: inputs.client.clone(),
            runtime: runtime.clone(),
            platform: inputs.platform.clone(),
            python_version: (interpreter.python_version.0, interpreter.python_version.1),
            preparer: Arc::clone(inputs.preparer),
            reporter: Arc::clone(inputs.reporter),
        };
        let identity = format!(
            "{}-{}-{}-{}",
            interpreter.implementation_name,
            interpreter.python_full_version,
            interpreter.abi_tag.as_deref().unwrap_or("none"),
            interpreter.sys_executable.display()
        );
        let build_cache = BuildCache::new(inputs.cache.clone(), &identity, &options);
        let builder = SourceBuilder::new(
            interpreter.sys_executable.clone(),
            scratch.path().join("builds"),
            Arc::new(installer),
            options,
        );
        let client = inputs.client.clone();
        let download: Arc<Download> = Arc::new(move |url: &Url, hash: Option<&HashDigest>| {
            let file = url_file(url, hash)?;
            let downloaded = runtime
                .block_on(client.download(&file))
                .map_err(|error| error.to_string())?;
            Ok(Downloaded {
                path: downloaded.path,
                sha256: downloaded.sha256,
            })
        });
        Ok(Self {
            context: PrepareContext {
                builder,
                build_cache,
                git: Git::new("git", inputs.cache.clone()),
                download,
                need_wheel: false,
            },
            cache: inputs.cache.clone(),
            scratch,
        })
    }

    /// A new directory for one preparation's unpacked sdists and editable wheels.
    pub fn out_dir(&self) -> Result<std::path::PathBuf> {
        Ok(tempfile::Builder::new()
            .prefix("source-")
            .tempdir_in(self.scratch.path())
            .context("cannot create a build directory")?
            .keep())
    }
}

/// The build flags as `volley-build` options.
fn build_options(resolve: &ResolveArgs, env: &Environment) -> Result<BuildOptions> {
    let mut config_settings = Vec::new();
    for item in &resolve.config_settings {
        let Some((key, value)) = item.split_once('=') else {
            bail!("invalid --config-settings value \"{item}\": expected KEY=VALUE");
        };
        config_settings.push((key.to_string(), value.to_string()));
    }
    let build_constraints = if resolve.build_constraint.is_empty() {
        Vec::new()
    } else {
        Request::read(&[], &[], &resolve.build_constraint, &env.cwd)?.constraints
    };
    let jobs = match &env.volley_build_jobs {
        Some(value) => value
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|jobs| *jobs > 0)
            .with_context(|| {
                format!("invalid VOLLEY_BUILD_JOBS \"{value}\": expected a positive number")
            })?,
        None => BuildOptions::default().jobs,
    };
    Ok(BuildOptions {
        isolation: !resolve.no_build_isolation,
        config_settings,
        build_constraints,
        jobs,
    })
}

/// An index file for a direct URL, so the client downloads it (with its cache and retries).
fn url_file(url: &Url, hash: Option<&HashDigest>) -> Result<IndexFile, String> {
    let mut url = url.clone();
    url.set_fragment(None);
    let filename = url
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .unwrap_or_default()
        .to_string();
    let dist = if filename.ends_with(".whl") {
        filename
            .parse::<WheelFilename>()
            .ok()
            .map(DistFilename::Wheel)
    } else {
        SourceDistExtension::split(&filename)
            .and_then(|(stem, _)| stem.rsplit_once('-'))
            .and_then(|(name, _)| name.parse::<PackageName>().ok())
            .and_then(|name| SourceDistFilename::parse(&filename, &name).ok())
            .map(DistFilename::SourceDist)
    };
    let dist = dist.ok_or_else(|| {
        format!("\"{filename}\" is not the file name of a wheel or a source distribution")
    })?;
    Ok(IndexFile {
        filename,
        dist,
        url,
        hashes: hash.into_iter().cloned().collect(),
        requires_python: None,
        yanked: None,
        core_metadata: None,
        size: None,
    })
}

/// Unpacks the wheel file at `wheel` into the cache (keyed by its sha256, once), blocking.
pub fn unpack_into_cache(cache: &Cache, wheel: &Path) -> Result<UnpackedWheel> {
    let sha256 = {
        let mut file = fs_err::File::open(wheel)?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0; 64 * 1024];
        loop {
            let read = std::io::Read::read(&mut file, &mut buffer)?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
        }
        hex::encode(hasher.finalize())
    };
    let dest = cache.entry(CacheBucket::Unpacked, &sha256);
    if dest.exists()
        && let Ok(unpacked) = UnpackedWheel::open(&dest)
    {
        return Ok(unpacked);
    }
    volley_installer::unpack_wheel(wheel, &dest)
        .with_context(|| format!("cannot unpack {}", wheel.display()))
}
