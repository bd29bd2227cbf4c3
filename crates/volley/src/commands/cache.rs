//! `volley cache dir | clean | prune`, and pip's `purge` and `remove NAME`.

use std::process::ExitCode;

use anyhow::Result;
use volley_cache::CleanSummary;

use crate::cli::{CacheCommand, GlobalArgs};
use crate::printer::Printer;
use crate::settings::{CacheSettings, Environment};

pub fn cache(
    command: CacheCommand,
    global: &GlobalArgs,
    env: &Environment,
    printer: Printer,
) -> Result<ExitCode> {
    let settings = CacheSettings::resolve(global, env)?;
    match command {
        CacheCommand::Dir => match settings {
            CacheSettings::Path(path) => printer.stdout(format!("{}\n", path.display())),
            CacheSettings::Temporary => {
                printer.stdout("(a temporary directory, removed after each run)\n");
            }
        },
        CacheCommand::Clean { packages } => {
            let cache = settings.open_unlocked()?;
            let _lock = lock_exclusive(&cache, &printer)?;
            printer.status(removed(cache.clean(&packages)?));
        }
        CacheCommand::Purge => {
            let cache = settings.open_unlocked()?;
            let _lock = lock_exclusive(&cache, &printer)?;
            printer.status(removed(cache.clean(&[])?));
        }
        CacheCommand::Remove { package } => {
            // pip's argument is a glob over wheel file names; volley's cache is keyed by
            // package, so it takes the name.
            if package.contains(['*', '?', '[']) {
                anyhow::bail!(
                    "invalid package name \"{package}\": volley's `cache remove` takes a package \
                     name, not a pattern"
                );
            }
            let cache = settings.open_unlocked()?;
            let _lock = lock_exclusive(&cache, &printer)?;
            printer.status(removed(cache.clean(&[package])?));
        }
        CacheCommand::Prune => {
            let cache = settings.open_unlocked()?;
            let _lock = lock_exclusive(&cache, &printer)?;
            printer.status(removed(cache.prune()?));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The cache's lock, exclusive: other volley runs using the cache finish first.
fn lock_exclusive(
    cache: &volley_cache::Cache,
    printer: &Printer,
) -> Result<volley_cache::LockedFile> {
    Ok(cache.lock_exclusive(|| {
        printer.status(format!(
            "Waiting for other volley processes to finish with {}",
            cache.root().display()
        ));
    })?)
}

/// `Removed 12 files (1.2 MiB)`.
fn removed(summary: CleanSummary) -> String {
    let noun = if summary.files == 1 { "file" } else { "files" };
    format!(
        "Removed {} {noun} ({})",
        summary.files,
        human_bytes(summary.bytes)
    )
}

fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
