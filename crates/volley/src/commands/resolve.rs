//! The resolve step that `install` and `compile` share: know the target, start the client,
//! run the resolver on its own thread with the prefetching provider.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use volley_client::RegistryClient;
use volley_packaging::Version;
use volley_python::{InstalledDist, Interpreter};
use volley_resolver::{BinaryPolicy, PrereleaseMode, Resolution, ResolverOptions, Upgrade};

use crate::cli::{GlobalArgs, IndexArgs, PythonArgs, ResolveArgs};
use crate::commands::request::Request;
use crate::prepare::Preparer;
use crate::printer::Printer;
use crate::progress::ProgressReporter;
use crate::provider::{IndexProvider, Target};
use crate::settings::{self, CacheSettings, Environment};

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
}

pub struct Resolved {
    pub interpreter: Interpreter,
    pub installed: Vec<InstalledDist>,
    pub resolution: Resolution,
    pub provider: IndexProvider,
    pub client: RegistryClient,
    pub preparer: Arc<Preparer>,
    pub reporter: Arc<ProgressReporter>,
    pub elapsed: Duration,
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
    let python_request = settings::python_request(python, env);
    let discovery = env.discovery();
    let interpreter_cache = cache.clone();
    let use_installed = mode.use_installed;
    let (interpreter, installed) = tokio::task::spawn_blocking(move || {
        let interpreter = Interpreter::find(&python_request, &discovery, Some(&interpreter_cache))?;
        let installed = if use_installed {
            interpreter.installed()?
        } else {
            Vec::new()
        };
        anyhow::Ok((interpreter, installed))
    })
    .await
    .context("the interpreter query stopped")??;
    printer.verbose(format!(
        "using Python {} at {}",
        interpreter.python_full_version,
        interpreter.sys_executable.display()
    ));

    let python_version: Version = interpreter.python_full_version.parse().with_context(|| {
        format!(
            "the interpreter reported an invalid version \"{}\"",
            interpreter.python_full_version
        )
    })?;
    let target = Target {
        tags: interpreter.tags.clone(),
        markers: interpreter.markers.clone(),
        python_version: python_version.clone(),
        installed: installed
            .iter()
            .map(|dist| {
                (
                    (dist.name.clone(), dist.version.clone()),
                    dist.dist_info.clone(),
                )
            })
            .collect(),
    };
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
        markers: interpreter.markers.clone(),
        python_version,
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
    let requirements = request.requirements.clone();
    let (resolution, provider) = tokio::task::spawn_blocking(move || {
        let resolution = volley_resolver::resolve(&requirements, &options, &provider);
        (resolution, provider)
    })
    .await
    .context("the resolver stopped")?;
    reporter.finish_resolve();
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
    Ok(Resolved {
        interpreter,
        installed,
        resolution,
        provider,
        client,
        preparer,
        reporter,
        elapsed: start.elapsed(),
    })
}
