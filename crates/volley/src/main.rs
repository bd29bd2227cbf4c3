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
//! `volley_build::DirectRequirement`s; `direct.rs` prepares them before resolving and hands
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
mod interrupt;
mod pip_config;
mod prepare;
mod printer;
mod progress;
mod provider;
mod settings;
mod target;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::printer::Printer;

/// How long an interrupted run waits for its blocking threads (an install rolling back).
const INTERRUPT_GRACE: std::time::Duration = std::time::Duration::from_secs(60);

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help and version to stdout with exit 0, usage errors with exit 2.
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    let printer = Printer::new(cli.global.quiet, cli.global.verbose);
    init_tracing(cli.global.verbose);
    // reqwest is built without a default TLS crypto provider (see CRATES.md): pick ring.
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
    }
}

fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        // rustls-platform-verifier logs each certificate it refuses as an error, which the
        // command then reports itself, with a hint: once is enough.
        0 | 1 => "warn,rustls_platform_verifier=off",
        2 => {
            "volley=debug,volley_client=debug,volley_resolver=debug,warn,\
             rustls_platform_verifier=off"
        }
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env("VOLLEY_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    // At -vvv each line says when it happened (seconds since start): a timeline of the run.
    let _ = if verbose >= 3 {
        builder
            .with_timer(tracing_subscriber::fmt::time::uptime())
            .try_init()
    } else {
        builder.without_time().try_init()
    };
}
