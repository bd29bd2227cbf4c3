//! What every test here needs: a context with a venv, a server, and a way to run volley.

use std::path::Path;
use std::process::Output;

pub use volley_test_support::{
    BuiltWheel, Fault, FaultKind, IndexServer, TestContext, WheelBuilder,
};

/// The binary under test.
pub fn volley_bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_volley"))
}

/// Run volley in the context (clean environment, the context's cache) with `args`.
pub fn volley(ctx: &TestContext, args: &[&str]) -> Output {
    ctx.command(volley_bin())
        .args(args)
        .output()
        .expect("volley runs")
}

/// `volley install --python <venv> -i <index> ARGS...`.
pub fn install(ctx: &TestContext, server: &IndexServer, args: &[&str]) -> Output {
    let venv = ctx.venv().to_string_lossy().to_string();
    let index = server.index_url();
    let mut full = vec!["install", "--python", &venv, "-i", &index];
    full.extend_from_slice(args);
    volley(ctx, &full)
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Panics with both streams when the command failed.
#[track_caller]
pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "command failed ({})\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        stdout(output),
        stderr(output)
    );
}

/// Panics with both streams when the command succeeded; returns stderr.
#[track_caller]
pub fn assert_failure(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "command unexpectedly succeeded\n--- stdout\n{}\n--- stderr\n{}",
        stdout(output),
        stderr(output)
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(output));
    stderr(output)
}

/// Lines of stderr with timings replaced, for snapshots.
pub fn summary(ctx: &TestContext, output: &Output) -> String {
    let text = ctx.filter_paths(&stderr(output));
    text.lines()
        .map(|line| {
            // "Resolved 3 packages in 12ms" -> "Resolved 3 packages in [TIME]"
            match line.rfind(" in ") {
                Some(at)
                    if line[at + 4..]
                        .chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_digit()) =>
                {
                    format!("{} in [TIME]", &line[..at])
                }
                _ => line.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `name==version` lines of what the machine's pip sees in the venv.
pub fn pip_freeze(ctx: &TestContext) -> String {
    let output = ctx.pip(&["list", "--format", "freeze"]);
    assert_success(&output);
    stdout(&output)
}

/// The machine's pip agrees that the environment is consistent.
#[track_caller]
pub fn assert_pip_check(ctx: &TestContext) {
    let output = ctx.pip(&["check"]);
    assert!(
        output.status.success(),
        "pip check failed:\n{}{}",
        stdout(&output),
        stderr(&output)
    );
}

/// A small package with an importable module.
pub fn module_wheel(name: &str, version: &str) -> WheelBuilder {
    let module = name.replace('-', "_").to_lowercase();
    WheelBuilder::new(name, version).file(
        &format!("{module}/__init__.py"),
        format!("__version__ = '{version}'\n"),
    )
}

/// An environment's file tree without volley's lock file (`<venv>/.lock`, which stays, as
/// uv's does, so that waiting processes always lock the same file).
pub fn without_lock(
    mut tree: std::collections::BTreeMap<std::path::PathBuf, Vec<u8>>,
) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    tree.remove(Path::new(".lock"));
    tree
}

/// The venv's files, without volley's lock file: what "the environment is unchanged" means.
pub fn venv_files(ctx: &TestContext) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    without_lock(volley_test_support::snapshot_tree(ctx.venv()))
}
