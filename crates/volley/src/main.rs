//! volley: a pip-compatible Python package installer whose resolver, downloads and installs
//! run at the same time.
//!
//! # How a run flows (the architecture map)
//!
//! `volley install -r requirements.txt` goes through these parts, each a crate:
//!
//! 1. `cli.rs` parses flags; `settings.rs` (the only place that reads the process environment)
//!    merges flags, `VOLLEY_*` variables and defaults into validated settings.
//! 2. `volley-requirements` reads requirements files; `volley-packaging` parses requirements.
//! 3. `volley-python` finds the target interpreter and asks it, once, for its markers, tags and
//!    install paths (cached), and lists what is installed.
//! 4. `volley-resolver` runs PubGrub on its own thread. It asks a `Provider` for versions and
//!    dependencies; `provider.rs` here answers from `volley-client`'s download collection,
//!    which prefetches index pages and metadata ahead of the resolver and starts wheel
//!    downloads as soon as a version is decided.
//! 5. `commands/install.rs` turns the resolution into a plan (install, replace, keep), waits for
//!    the downloads the plan needs, cancels the rest, and hands wheels to `volley-installer`.
//!
//! Builds (issue 7): `commands/request.rs` turns paths, URLs, git references and `-e` into
//! `volley_build::DirectRequirement`s (`direct_hashes.rs` checks their archives in
//! hash-checking mode); `direct.rs` prepares them before resolving and hands
//! them to the provider as fixed candidates; `builds.rs` wires `volley-build` to this run's
//! client and cache, and `build_requirements.rs` fills isolated build environments with
//! volley's own resolver and installer. Index sdists are built for metadata by the provider
//! and for wheels at install (`Artifact::Sdist` in `commands/install.rs`).
//!
//! Libraries never print: they report through `Reporter` traits, rendered by `progress.rs`.
//! Errors are `thiserror` enums in the libraries and `anyhow` here, with hints added in
//! `main` before printing.

mod build_requirements;
mod builds;
mod cli;
mod commands;
mod destination;
mod direct;
mod direct_hashes;
mod editable_vcs;
mod interrupt;
mod pip_config;
mod prepare;
mod printer;
mod progress;
mod provider;
mod settings;
mod target;

use std::ffi::OsString;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command};
use crate::printer::Printer;

/// How long an interrupted run waits for its blocking threads (an install rolling back).
const INTERRUPT_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

fn main() -> ExitCode {
    let arguments: Vec<OsString> = std::env::args_os().collect();
    // Colour is decided before parsing, so that clap's own messages follow it too.
    let colors = settings::colors(
        arguments.iter().any(|argument| argument == "--no-color"),
        std::io::stderr().is_terminal(),
    );
    let command = Cli::command().color(if colors {
        clap::ColorChoice::Always
    } else {
        clap::ColorChoice::Never
    });
    let cli = match command
        .try_get_matches_from(arguments)
        .and_then(|mut matches| Cli::from_arg_matches_mut(&mut matches))
    {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help and version to stdout with exit 0, usage errors with exit 2.
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    let mut printer = Printer::new(cli.global.quiet, cli.global.verbose);
    let log = match &cli.global.log {
        Some(path) => match fs_err::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            Ok(file) => Some(Arc::new(file)),
            Err(error) => {
                printer.error(&anyhow::anyhow!("cannot open the log file: {error}"));
                return ExitCode::FAILURE;
            }
        },
        None => None,
    };
    if let Some(log) = &log {
        printer = printer.with_log(Arc::clone(log));
    }
    init_tracing(cli.global.verbose, colors, log);
    for feature in &cli.global.pip.use_deprecated {
        printer.warn(format!(
            "--use-deprecated {feature} is ignored: volley has only its own resolver and \
             certificate handling"
        ));
    }
    // reqwest is built without a default TLS crypto provider (the workspace's Cargo.toml asks
    // for `rustls-no-provider`): pick ring.
    let _ = rustls::crypto::ring::default_provider().install_default();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("volley-worker")
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            printer.error(&anyhow::anyhow!("cannot start the async runtime: {error}"));
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        tokio::select! {
            biased;
            signal = interrupt::wait() => Err(signal),
            result = run(cli, printer.clone()) => Ok(result),
        }
    });
    let result = match outcome {
        Ok(result) => result,
        Err(signal) => {
            // The command was dropped; an install still committing on a blocking thread rolls
            // back when it sees the flag: wait for it (bounded), then clean up after it.
            runtime.shutdown_timeout(INTERRUPT_GRACE);
            volley_cache::remove_own_temp_dirs();
            printer.error(&anyhow::anyhow!(
                "interrupted by {signal}: stopped, and the environment was left as it was"
            ));
            return ExitCode::from(130);
        }
    };
    // Speculative downloads that are still running are not waited for.
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        Err(error) => {
            printer.error(&error);
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, printer: Printer) -> anyhow::Result<ExitCode> {
    let env = settings::Environment::from_process()?;
    match cli.command {
        Command::Install(args) => commands::install(args, &cli.global, &env, printer).await,
        Command::Compile(args) => commands::compile(args, &cli.global, &env, printer).await,
        Command::Download(args) => commands::download(args, &cli.global, &env, printer).await,
        Command::Wheel(args) => commands::wheel(args, &cli.global, &env, printer).await,
        Command::Uninstall(args) => commands::uninstall(args, &cli.global, &env, printer),
        Command::Freeze(args) => commands::freeze(args, &cli.global, &env, printer),
        Command::List(args) => commands::list(args, &cli.global, &env, printer).await,
        Command::Show(args) => commands::show(args, &cli.global, &env, printer),
        Command::Check(args) => commands::check(args, &cli.global, &env, printer),
        Command::Cache(command) => commands::cache(command, &cli.global, &env, printer),
        Command::Hash(args) => commands::hash(&args, &env, &printer),
        Command::Index(command) => commands::index(command, &cli.global, &env, printer).await,
    }
}

/// The debug logs of `-vv`, which `--log FILE` records whatever the verbosity.
const DEBUG_LOGS: &str = "volley=debug,volley_client=debug,volley_resolver=debug,warn,\
                          rustls_platform_verifier=off";

/// Logs to stderr at the verbosity asked, coloured only when `colors`; with `--log`, also the
/// debug logs to the log file, with the time of each line.
fn init_tracing(verbose: u8, colors: bool, log: Option<Arc<fs_err::File>>) {
    use tracing_subscriber::prelude::*;
    use tracing_subscriber::{EnvFilter, Layer, fmt};
    let default = match verbose {
        // rustls-platform-verifier logs each certificate it refuses as an error, which the
        // command then reports itself, with a hint: once is enough.
        0 | 1 => "warn,rustls_platform_verifier=off",
        2 => DEBUG_LOGS,
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env("VOLLEY_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let stderr = fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(colors);
    // At -vvv each line says when it happened (seconds since start): a timeline of the run.
    let stderr = if verbose >= 3 {
        stderr.with_timer(fmt::time::uptime()).boxed()
    } else {
        stderr.without_time().boxed()
    };
    let file = log.map(|log| {
        fmt::layer()
            .with_writer(log)
            .with_target(false)
            .with_ansi(false)
            .with_filter(EnvFilter::new(if verbose >= 3 {
                "trace"
            } else {
                DEBUG_LOGS
            }))
    });
    let _ = tracing_subscriber::registry()
        .with(stderr.with_filter(filter))
        .with(file)
        .try_init();
}
