//! `volley wheel REQ... -w DIR`: resolve as for an empty environment, then put a wheel of every
//! package into DIR — downloaded when the index has a compatible one, else built from its
//! sdist (build cache first); paths, URLs, git references are built from their source — as
//! `pip wheel` does (uv has no such command).
//!
//! pip's behaviour, followed here: wheels already in DIR are replaced, nothing is installed,
//! and the last line says `Successfully built` (or saved) with the names.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use futures::future::try_join_all;
use volley_resolver::CandidateSource;

use crate::cli::{GlobalArgs, IndexArgs, PythonArgs, ResolveArgs};
use crate::commands::request::Request;
use crate::commands::resolve::{ResolveMode, Resolved, resolve};
use crate::printer::{Printer, elapsed, packages};
use crate::settings::{self, Environment};

#[derive(Debug, Args)]
pub struct WheelArgs {
    /// Requirements to build wheels of (PEP 508, paths, URLs)
    #[arg(value_name = "REQUIREMENT")]
    pub requirements: Vec<String>,

    /// Also the requirements of this file (may be repeated)
    #[arg(long, short = 'r', value_name = "FILE")]
    pub requirement: Vec<PathBuf>,

    /// Where the wheels go (default: the current directory)
    #[arg(
        long = "wheel-dir",
        short = 'w',
        value_name = "DIR",
        default_value = "."
    )]
    pub wheel_dir: PathBuf,

    /// Only the named requirements, not their dependencies
    #[arg(long)]
    pub no_deps: bool,

    #[command(flatten)]
    pub python: PythonArgs,

    #[command(flatten)]
    pub index: IndexArgs,

    #[command(flatten)]
    pub resolve: ResolveArgs,
}

pub async fn wheel(
    mut args: WheelArgs,
    global: &GlobalArgs,
    env: &Environment,
    printer: Printer,
) -> Result<ExitCode> {
    let mut global = global.clone();
    let config = settings::pip_config(&global, env, "wheel")?;
    settings::apply_pip_config(&config, &mut global, &mut args.index, &mut args.resolve);
    args.no_deps |= config.no_deps == Some(true);
    let request = Request::read_fetching(
        &args.requirements,
        &args.requirement,
        &args.resolve.constraint,
        &env.cwd,
        &super::request::client_fetch(&args.index, &global, env),
    )?;
    if request.is_empty() {
        anyhow::bail!("no requirements given: name packages or pass -r FILE");
    }
    let mode = ResolveMode {
        no_deps: args.no_deps,
        ..ResolveMode::default()
    };
    let resolved = resolve(
        &request,
        &args.python,
        &args.index,
        &args.resolve,
        mode,
        &global,
        env,
        &printer,
    )
    .await?;

    let start = Instant::now();
    let dir = env.cwd.join(&args.wheel_dir);
    fs_err::create_dir_all(&dir)?;
    let saved = try_join_all(
        resolved
            .resolution
            .packages
            .iter()
            .map(|package| wheel_of(&resolved, package, &dir, &printer)),
    )
    .await?;
    resolved.reporter.finish_downloads();
    printer.status(format!(
        "Saved {} in {}",
        packages(saved.len()),
        elapsed(start.elapsed())
    ));
    for path in &saved {
        printer.status(format!(
            " + {}",
            path.file_name().unwrap_or_default().to_string_lossy()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// Puts the wheel of `package` into `dir` and returns its path there.
async fn wheel_of(
    resolved: &Resolved,
    package: &volley_resolver::ResolvedPackage,
    dir: &Path,
    printer: &Printer,
) -> Result<PathBuf> {
    let wheel = if let Some(direct) = resolved.direct.get(&package.name) {
        resolved.direct.wheel_file(direct).await?.0
    } else {
        let files = resolved
            .provider
            .files(&package.name, &package.version)
            .with_context(|| {
                format!(
                    "no file of {}=={} is known to the index client",
                    package.name, package.version
                )
            })?;
        let warn = |file| {
            crate::commands::resolve::warn_if_yanked(
                printer,
                &package.name,
                &package.version,
                file,
            );
        };
        match (package.source, files.best_wheel, files.sdist) {
            (CandidateSource::Wheel, Some((_, file)), _) => {
                warn(&file);
                resolved.client.download(&file).await?.path
            }
            (_, _, Some(sdist)) => {
                warn(&sdist);
                crate::direct::build_index_sdist_file(&resolved.builds, &sdist).await?
            }
            _ => anyhow::bail!(
                "{}=={} has neither a compatible wheel nor a source distribution",
                package.name,
                package.version
            ),
        }
    };
    let name = wheel
        .file_name()
        .with_context(|| format!("{} has no file name", wheel.display()))?;
    let destination = dir.join(name);
    fs_err::copy(&wheel, &destination)?;
    Ok(destination)
}
