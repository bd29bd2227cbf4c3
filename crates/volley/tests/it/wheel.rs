//! The volley wheel (`volley-installer` on PyPI; `pyproject.toml`, built by
//! `scripts/build-wheel.sh`): installed by volley
//! itself and by pip into fresh environments, it gives a working `volley` on the environment's
//! `PATH` and `python -m volley`, and that installed binary installs from an index.
//!
//! Building the wheel takes a cargo build, so this test does not build it: it takes the wheel
//! for this version from `target/wheels/`. `.ci/run` builds it first; elsewhere the test says
//! that it skipped, and under `CI=true` a missing wheel fails.

use std::path::{Path, PathBuf};

use crate::common::{
    IndexServer, TestContext, assert_success, module_wheel, stderr, stdout, volley_bin,
};

/// The wheel `scripts/build-wheel.sh` left in `target/wheels/` for this version, if any.
#[allow(clippy::print_stderr, clippy::disallowed_methods)] // a skipped test says why; CI is read once
fn built_wheel() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/wheels");
    let prefix = format!("volley_installer-{}-", env!("CARGO_PKG_VERSION"));
    let wheel = fs_err::read_dir(&dir).ok().and_then(|entries| {
        entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .find(|path| {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                name.starts_with(&prefix) && name.ends_with(".whl")
            })
    });
    if wheel.is_none() {
        let message = format!(
            "no {prefix}*.whl in {} (run scripts/build-wheel.sh --profile dev)",
            dir.display()
        );
        assert!(
            std::env::var_os("CI").is_none_or(|ci| ci != "true"),
            "{message}"
        );
        eprintln!("skipped: {message}");
    }
    wheel
}

/// `<venv>/bin/volley --version` and `<venv>/bin/python -m volley --version` both print the
/// version this test was built with.
#[track_caller]
fn assert_runs_installed(ctx: &TestContext) {
    let expected = format!("volley {}", env!("CARGO_PKG_VERSION"));
    let installed = ctx.venv().join("bin").join("volley");
    let output = ctx.command(&installed).arg("--version").output().unwrap();
    assert_success(&output);
    assert_eq!(stdout(&output).trim(), expected);
    let output = ctx
        .command(&ctx.python())
        .args(["-m", "volley", "--version"])
        .output()
        .unwrap();
    assert_success(&output);
    assert_eq!(stdout(&output).trim(), expected);
}

#[test]
fn wheel_installed_by_volley_and_by_pip_runs_and_installs() {
    let Some(wheel) = built_wheel() else { return };
    let wheel = wheel.to_string_lossy().into_owned();

    // volley installs its own wheel into an environment without pip.
    let by_volley = TestContext::new();
    by_volley.create_venv();
    let venv = by_volley.venv().to_string_lossy().into_owned();
    let output = by_volley
        .command(volley_bin())
        .args(["install", "--python", &venv, &wheel])
        .output()
        .unwrap();
    assert_success(&output);
    assert_runs_installed(&by_volley);

    // pip installs it too, and the binary it installed is a working volley.
    let by_pip = TestContext::new();
    let output = by_pip.pip(&["install", "--no-index", &wheel]);
    assert!(output.status.success(), "pip: {}", stderr(&output));
    assert_runs_installed(&by_pip);

    let server = IndexServer::builder()
        .wheel(module_wheel("tiny", "1.0").build())
        .start();
    let venv = by_pip.venv().to_string_lossy().into_owned();
    let installed = by_pip.venv().join("bin").join("volley");
    let output = by_pip
        .command(&installed)
        .args([
            "install",
            "--python",
            &venv,
            "-i",
            &server.index_url(),
            "tiny",
        ])
        .output()
        .unwrap();
    assert_success(&output);
    assert!(
        stderr(&output).contains("+ tiny==1.0"),
        "{}",
        stderr(&output)
    );
    assert!(by_pip.site_packages().join("tiny/__init__.py").is_file());
    // pip sees both as installed, volley's own distribution with the executable in its RECORD.
    let record = fs_err::read_to_string(by_pip.site_packages().join(format!(
        "volley_installer-{}.dist-info/RECORD",
        env!("CARGO_PKG_VERSION")
    )))
    .unwrap();
    assert!(
        record
            .lines()
            .any(|line| line.starts_with("../../../bin/volley,")),
        "{record}"
    );
}
