//! pip's configuration (`PIP_*` variables, `pip.conf`) and the index options it shares with
//! the command line: `--find-links`, `--no-index`, `--isolated`.

use crate::common::*;

#[test]
fn find_links_with_no_index() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let wheels = ctx.root().join("wheelhouse");
    fs_err::create_dir_all(&wheels).unwrap();
    module_wheel("local-only", "1.0")
        .requires_dist("helper")
        .build()
        .write_to(&wheels);
    module_wheel("helper", "0.1").build().write_to(&wheels);
    let venv = ctx.venv().to_string_lossy().to_string();
    let output = volley(
        &ctx,
        &[
            "install",
            "--python",
            &venv,
            "--no-index",
            "-f",
            "wheelhouse",
            "local-only",
        ],
    );
    assert_success(&output);
    let freeze = pip_freeze(&ctx);
    assert!(
        freeze.contains("local-only==1.0") && freeze.contains("helper==0.1"),
        "{freeze}"
    );
}

#[test]
fn pip_variables_and_config_files_apply_unless_isolated() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("configured", "1.0").build())
        .start();
    let venv = ctx.venv().to_string_lossy().to_string();

    // PIP_INDEX_URL is pip's; volley honours it.
    let output = ctx
        .command(volley_bin())
        .args(["install", "--python", &venv, "configured", "--dry-run"])
        .env("PIP_INDEX_URL", server.index_url())
        .output()
        .unwrap();
    assert_success(&output);

    // So is a pip.conf named by PIP_CONFIG_FILE, and the command line still wins over it.
    let config = ctx.root().join("pip.conf");
    fs_err::write(
        &config,
        format!(
            "[global]\nindex-url = {}\ntimeout = 5\n",
            server.index_url()
        ),
    )
    .unwrap();
    let output = ctx
        .command(volley_bin())
        .args(["install", "--python", &venv, "configured", "--dry-run"])
        .env("PIP_CONFIG_FILE", &config)
        .output()
        .unwrap();
    assert_success(&output);
    let bad = ctx.root().join("bad.conf");
    fs_err::write(&bad, "[global]\nindex-url = http://127.0.0.1:9/simple\n").unwrap();
    let output = ctx
        .command(volley_bin())
        .args(["install", "--python", &venv, "configured", "--dry-run"])
        .args(["-i", &server.index_url()])
        .env("PIP_CONFIG_FILE", &bad)
        .output()
        .unwrap();
    assert_success(&output);

    // --isolated ignores all of it: the unreachable index from the variable is not used.
    let output = ctx
        .command(volley_bin())
        .args([
            "install",
            "--isolated",
            "--python",
            &venv,
            "configured",
            "--dry-run",
        ])
        .args(["-i", &server.index_url()])
        .env("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
        .env("PIP_TIMEOUT", "not-a-number")
        .output()
        .unwrap();
    assert_success(&output);

    // An invalid value is an error naming where it came from.
    let output = ctx
        .command(volley_bin())
        .args(["install", "--python", &venv, "configured", "--dry-run"])
        .args(["-i", &server.index_url()])
        .env("PIP_TIMEOUT", "not-a-number")
        .output()
        .unwrap();
    let error = assert_failure(&output);
    assert!(error.contains("PIP_TIMEOUT"), "{error}");
}
