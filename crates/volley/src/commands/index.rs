//! `volley index versions NAME`: pip's `pip index versions`, in pip's words:
//!
//! ```text
//! plain (0.4)
//! Available versions: 0.4, 0.3
//!   INSTALLED: 0.3
//!   LATEST:    0.4
//! ```
//!
//! The versions are pip's candidates for the target interpreter: files with a compatible wheel
//! tag, or sdists; not yanked; whose Requires-Python admits the interpreter (unless
//! `--ignore-requires-python`); final releases only, unless `--pre`. Newest first. The
//! `INSTALLED` lines appear when the package is installed in the target environment (`(latest)`
//! when it is the newest).

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use volley_client::{ClientError, RegistryClient};
use volley_packaging::{DistFilename, PackageName, Version};

use crate::cli::{GlobalArgs, IndexCommand, IndexVersionsArgs};
use crate::commands::environment::Target;
use crate::printer::Printer;
use crate::progress::ProgressReporter;
use crate::settings::{self, CacheSettings, Environment};

pub async fn index(
    command: IndexCommand,
    global: &GlobalArgs,
    env: &Environment,
    printer: Printer,
) -> Result<ExitCode> {
    match command {
        IndexCommand::Versions(args) => versions(args, global, env, printer).await,
    }
}

async fn versions(
    mut args: IndexVersionsArgs,
    global: &GlobalArgs,
    env: &Environment,
    printer: Printer,
) -> Result<ExitCode> {
    let mut global = global.clone();
    let config = settings::pip_config(&global, env, "index")?;
    settings::apply_pip_index_config(&config, &mut global, &mut args.index);
    args.pre |= config.pre == Some(true);
    let global = &global;
    let name: PackageName = args
        .package
        .parse()
        .with_context(|| format!("invalid package name \"{}\"", args.package))?;
    let target = Target::find(&args.python, global, env, &printer)?;
    let client = RegistryClient::new(
        settings::client_options(&args.index, env)?,
        CacheSettings::resolve(global, env)?.open()?,
        Arc::new(ProgressReporter::new(printer.clone())),
    )?;
    let python: Version = target
        .interpreter
        .python_full_version
        .parse()
        .map_err(|error| anyhow::anyhow!("invalid interpreter version: {error}"))?;
    let tags = &target.interpreter.tags;
    let files = match client.project_page(&name).await {
        Ok(page) => page.files.clone(),
        Err(ClientError::ProjectNotFound { .. }) => Vec::new(),
        Err(error) => return Err(error.into()),
    };
    let versions: BTreeSet<Version> = files
        .iter()
        .filter(|file| file.yanked.is_none())
        .filter(|file| {
            args.ignore_requires_python
                || file
                    .requires_python
                    .as_ref()
                    .is_none_or(|specifiers| specifiers.contains(&python))
        })
        .filter_map(|file| match &file.dist {
            DistFilename::Wheel(wheel) => wheel.compatibility(tags).map(|_| wheel.version.clone()),
            DistFilename::SourceDist(sdist) => Some(sdist.version.clone()),
        })
        .filter(|version| args.pre || !version.any_prerelease())
        .collect();
    let Some(latest) = versions.last() else {
        bail!("no matching distribution found for {}", args.package);
    };
    let mut output = format!("{} ({latest})\n", args.package);
    let all: Vec<String> = versions.iter().rev().map(ToString::to_string).collect();
    output.push_str(&format!("Available versions: {}\n", all.join(", ")));
    if let Some(dist) = target.get(&name) {
        if dist.version == *latest {
            output.push_str(&format!("  INSTALLED: {} (latest)\n", dist.version));
        } else {
            output.push_str(&format!("  INSTALLED: {}\n", dist.version));
            if latest.any_prerelease() {
                output.push_str(&format!(
                    "  LATEST:    {latest} (pre-release; install with `volley install --pre`)\n"
                ));
            } else {
                output.push_str(&format!("  LATEST:    {latest}\n"));
            }
        }
    }
    printer.stdout(output);
    Ok(ExitCode::SUCCESS)
}
