//! `volley install` of wheels from the local index: the result is checked with the venv's
//! Python and the machine's pip, and bad input leaves the environment as it was.

use crate::common::*;

fn tool_wheel() -> BuiltWheel {
    WheelBuilder::new("Tool_Kit", "1.2.0")
        .file(
            "tool_kit/__init__.py",
            "def main():\n    print('tool-kit says hi')\n",
        )
        .file("tool_kit/data.txt", "some data\n")
        .entry_point("console_scripts", "tool-kit", "tool_kit:main")
        .data_file(
            "scripts",
            "tool-kit-raw",
            "#!python\nprint('raw script ran')\n",
        )
        .build()
}

#[test]
fn installs_pinned_wheels_that_pip_accepts() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(tool_wheel())
        .wheel(module_wheel("plain", "0.3").build())
        .start();

    let output = install(
        &ctx,
        &server,
        &["tool-kit==1.2.0", "plain==0.3", "--no-deps"],
    );
    assert_success(&output);
    insta::assert_snapshot!(summary(&ctx, &output), @r"
    Resolved 2 packages in [TIME]
    Prepared 2 packages in [TIME]
    Installed 2 packages in [TIME]
     + plain==0.3
     + tool-kit==1.2.0
    ");

    // The packages import and the scripts run with the venv's interpreter.
    let imported = ctx.run_python("import tool_kit, plain; print(plain.__version__)");
    assert_success(&imported);
    assert_eq!(stdout(&imported).trim(), "0.3");
    let script = std::process::Command::new(ctx.venv().join("bin").join("tool-kit"))
        .env_clear()
        .output()
        .unwrap();
    assert_success(&script);
    assert_eq!(stdout(&script).trim(), "tool-kit says hi");
    let raw = std::process::Command::new(ctx.venv().join("bin").join("tool-kit-raw"))
        .env_clear()
        .output()
        .unwrap();
    assert_success(&raw);
    assert_eq!(stdout(&raw).trim(), "raw script ran");

    // pip sees what volley installed, knows volley installed it, and finds it consistent.
    let freeze = pip_freeze(&ctx);
    assert!(
        freeze.contains("Tool_Kit==1.2.0") || freeze.contains("tool-kit==1.2.0"),
        "{freeze}"
    );
    assert!(freeze.contains("plain==0.3"), "{freeze}");
    let show = ctx.pip(&["show", "-v", "tool-kit"]);
    assert_success(&show);
    assert!(
        stdout(&show).contains("Installer: volley"),
        "{}",
        stdout(&show)
    );
    assert_pip_check(&ctx);

    // pip's uninstall, driven by the RECORD volley wrote, removes every file volley wrote.
    let before_install = {
        let other = TestContext::new();
        other.create_venv();
        volley_test_support::snapshot_tree(other.venv())
            .into_keys()
            .collect::<Vec<_>>()
    };
    let uninstall = ctx.pip(&["uninstall", "-y", "tool-kit", "plain"]);
    assert_success(&uninstall);
    let after: Vec<_> = venv_files(&ctx)
        .into_keys()
        .filter(|path| !path.components().any(|c| c.as_os_str() == "__pycache__"))
        .collect();
    assert_eq!(
        after, before_install,
        "files left behind after pip uninstall"
    );
}

#[test]
fn requested_and_dependency_without_no_deps_resolves() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("app", "1.0").requires_dist("lib>=2").build())
        .wheel(module_wheel("lib", "2.1").build())
        .start();
    let output = install(&ctx, &server, &["app"]);
    assert_success(&output);
    let installed = ctx.site_packages();
    assert!(
        installed
            .join("app-1.0.dist-info")
            .join("REQUESTED")
            .exists()
    );
    assert!(
        !installed
            .join("lib-2.1.dist-info")
            .join("REQUESTED")
            .exists()
    );
    assert!(
        fs_err::read_to_string(installed.join("lib-2.1.dist-info").join("INSTALLER"))
            .unwrap()
            .starts_with("volley")
    );
    assert_pip_check(&ctx);
}

#[test]
fn invalid_requirement_points_at_the_problem() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder().start();
    let before = venv_files(&ctx);
    let output = install(&ctx, &server, &["flask>=", "--no-deps"]);
    let error = assert_failure(&output);
    assert!(error.contains("invalid requirement \"flask>=\""), "{error}");
    assert!(error.contains('^'), "the error shows the position: {error}");
    assert_eq!(before, venv_files(&ctx));
    assert!(
        server.requests().is_empty(),
        "nothing fetched for a bad request"
    );
}

#[test]
fn unknown_package_names_the_index() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder().start();
    let output = install(&ctx, &server, &["nothing-here==1.0", "--no-deps"]);
    let error = assert_failure(&output);
    assert!(error.contains("nothing-here"), "{error}");
    assert!(error.contains(&server.index_url()), "{error}");
}

#[test]
fn no_compatible_wheel_lists_the_tags_there_are() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(
            module_wheel("native", "1.0")
                .tag("cp27-cp27m-win32")
                .root_is_purelib(false)
                .build(),
        )
        .start();
    let before = venv_files(&ctx);
    let output = install(&ctx, &server, &["native==1.0", "--no-deps"]);
    let error = assert_failure(&output);
    assert!(error.contains("cp27-cp27m-win32"), "{error}");
    assert_eq!(before, venv_files(&ctx));
}

#[test]
fn hash_mismatch_installs_nothing() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let wheel = module_wheel("victim", "1.0").build();
    let filename = wheel.filename.clone();
    let server = IndexServer::builder().wheel(wheel).start();
    server.inject(Fault::new(&filename, FaultKind::WrongBody, 100));
    let before = venv_files(&ctx);
    let output = install(&ctx, &server, &["victim==1.0", "--no-deps"]);
    let error = assert_failure(&output);
    assert!(error.contains("hash"), "{error}");
    assert!(
        error.contains(&filename),
        "the error names the file's URL: {error}"
    );
    assert_eq!(before, venv_files(&ctx));
}

#[test]
fn path_traversal_in_a_wheel_writes_nothing() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(
            module_wheel("evil", "1.0")
                .raw_entry("../../../../evil.py", "print('escaped')\n")
                .build(),
        )
        .start();
    let before = volley_test_support::snapshot_tree(ctx.root());
    let output = install(&ctx, &server, &["evil==1.0", "--no-deps"]);
    let error = assert_failure(&output);
    assert!(error.contains("evil.py"), "{error}");
    let after = volley_test_support::snapshot_tree(ctx.root());
    let kept = |path: &&std::path::PathBuf| {
        !path.starts_with("cache") && path.as_path() != std::path::Path::new(".venv/.lock")
    };
    let venv_before: Vec<_> = before.keys().filter(kept).collect();
    let venv_after: Vec<_> = after.keys().filter(kept).collect();
    assert_eq!(venv_before, venv_after);
}

#[test]
fn record_hash_mismatch_writes_nothing() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(
            module_wheel("tampered", "1.0")
                .corrupt_record_hash("tampered/__init__.py")
                .build(),
        )
        .start();
    let before = venv_files(&ctx);
    let output = install(&ctx, &server, &["tampered==1.0", "--no-deps"]);
    let error = assert_failure(&output);
    assert!(error.contains("tampered/__init__.py"), "{error}");
    assert_eq!(before, venv_files(&ctx));
}

#[test]
fn missing_interpreter_says_what_to_do() {
    let ctx = TestContext::new();
    // No venv anywhere up from the context root, and no --python.
    let output = volley(&ctx, &["install", "anything==1.0", "--no-deps"]);
    let error = assert_failure(&output);
    assert!(error.contains("hint:"), "{error}");
    assert!(error.contains("--python"), "{error}");

    let output = volley(
        &ctx,
        &[
            "install",
            "--python",
            "/nonexistent/python3",
            "anything==1.0",
        ],
    );
    let error = assert_failure(&output);
    assert!(error.contains("/nonexistent/python3"), "{error}");
}

#[test]
fn yanked_file_needs_an_exact_pin() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let yanked = module_wheel("pulled", "2.0").build();
    let server = IndexServer::builder()
        .wheel(module_wheel("pulled", "1.0").build())
        .yanked(&yanked.filename, Some("broken build"))
        .wheel(yanked)
        .start();
    let output = install(&ctx, &server, &["pulled", "--no-deps", "--dry-run"]);
    assert_success(&output);
    assert!(
        stderr(&output).contains("+ pulled==1.0"),
        "{}",
        stderr(&output)
    );
    let output = install(&ctx, &server, &["pulled==2.0", "--no-deps"]);
    assert_success(&output);
    assert!(pip_freeze(&ctx).contains("pulled==2.0"));
}

#[test]
fn replacing_a_version_removes_the_old_files() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(
            module_wheel("moving", "1.0")
                .file("moving/old_only.py", "x = 1\n")
                .build(),
        )
        .wheel(module_wheel("moving", "2.0").build())
        .start();
    assert_success(&install(&ctx, &server, &["moving==1.0"]));
    assert!(ctx.site_packages().join("moving/old_only.py").exists());
    let output = install(&ctx, &server, &["moving==2.0"]);
    assert_success(&output);
    assert!(
        stderr(&output).contains(" - moving==1.0"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains(" + moving==2.0"),
        "{}",
        stderr(&output)
    );
    assert!(!ctx.site_packages().join("moving/old_only.py").exists());
    assert!(!ctx.site_packages().join("moving-1.0.dist-info").exists());
    assert_pip_check(&ctx);
}
