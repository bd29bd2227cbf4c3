//! The commands that read or change an environment without resolving: `uninstall`, `freeze`,
//! `list`, `show`, `check`. Each is compared with the machine's pip run on the same venv.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::common::*;

/// `volley <command> --python <venv> ARGS...`.
fn run(ctx: &TestContext, command: &str, args: &[&str]) -> Output {
    let venv = ctx.venv().to_string_lossy().to_string();
    let mut full = vec![command, "--python", &venv];
    full.extend_from_slice(args);
    volley(ctx, &full)
}

/// Runs `command` with `input` on its standard input.
fn with_input(mut command: Command, input: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// `volley uninstall --python <venv> ARGS...` answering with `input`.
fn volley_uninstall_answering(ctx: &TestContext, args: &[&str], input: &str) -> Output {
    let mut command = ctx.command(volley_bin());
    command
        .args(["uninstall", "--python"])
        .arg(ctx.venv())
        .args(args);
    with_input(command, input)
}

/// The machine's pip, answering its questions with `input` (`TestContext::pip` forbids input).
fn pip_answering(ctx: &TestContext, args: &[&str], input: &str) -> Output {
    let mut command = ctx.clean_command(ctx.base_python());
    command
        .args(["-m", "pip", "--python"])
        .arg(ctx.python())
        .args(args)
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("PIP_CONFIG_FILE", "/dev/null");
    with_input(command, input)
}

/// The same stdout from volley and pip, and the same exit code.
#[track_caller]
fn assert_same_output(
    ctx: &TestContext,
    volley_args: (&str, &[&str]),
    pip_args: &[&str],
) -> String {
    let ours = run(ctx, volley_args.0, volley_args.1);
    let theirs = ctx.pip(pip_args);
    assert_eq!(
        stdout(&ours),
        stdout(&theirs),
        "volley {volley_args:?} and pip {pip_args:?} differ\n--- volley stderr\n{}\n--- pip stderr\n{}",
        stderr(&ours),
        stderr(&theirs)
    );
    assert_eq!(
        ours.status.code(),
        theirs.status.code(),
        "{}",
        stderr(&ours)
    );
    stdout(&ours)
}

/// Packages with unusual name spellings, metadata for `show`, dependencies, and the names pip
/// hides from `freeze`.
fn environment_server() -> IndexServer {
    IndexServer::builder()
        .wheel(
            module_wheel("Foo_Bar", "1.0")
                .metadata_field("Summary", "The Foo Bar package")
                .metadata_field("Home-page", "https://example.org/foo")
                .metadata_field("Author", "A. Person")
                .metadata_field("Author-email", "a@example.org")
                .metadata_field("License", "MIT")
                .metadata_field("Classifier", "Programming Language :: Python :: 3")
                .metadata_field("Project-URL", "Source, https://example.org/src")
                .requires_dist("zeta.pkg>=1")
                .requires_dist("absent-on-py3; python_version < '3'")
                .entry_point("console_scripts", "foo-bar", "foo_bar:main")
                .build(),
        )
        .wheel(
            module_wheel("alpha", "0.1")
                .requires_dist("Foo-Bar")
                .requires_dist("Zeta.Pkg (>=1)")
                .build(),
        )
        .wheel(module_wheel("Zeta.Pkg", "2.0").build())
        .wheel(module_wheel("lonely", "3.0.0").build())
        // Metadata only: pip's own package must not shadow the pip that runs the comparisons.
        .wheel(WheelBuilder::new("pip", "99.0").build())
        .wheel(WheelBuilder::new("setuptools", "99.0").build())
        .wheel(WheelBuilder::new("wheel", "99.0").build())
        .start()
}

fn install_environment(ctx: &TestContext, server: &IndexServer) {
    ctx.create_venv();
    let output = install(
        ctx,
        server,
        &["alpha", "lonely", "pip", "setuptools", "wheel"],
    );
    assert_success(&output);
}

#[test]
fn freeze_matches_pip_and_reinstalls_the_same_set() {
    let ctx = TestContext::new();
    let server = environment_server();
    install_environment(&ctx, &server);

    let frozen = assert_same_output(&ctx, ("freeze", &[]), &["freeze"]);
    insta::assert_snapshot!(frozen, @r"
    alpha==0.1
    Foo_Bar==1.0
    lonely==3.0.0
    Zeta.Pkg==2.0
    ");
    assert_same_output(&ctx, ("freeze", &["--all"]), &["freeze", "--all"]);
    assert_same_output(
        &ctx,
        ("freeze", &["--exclude", "zeta-pkg", "--exclude", "ALPHA"]),
        &["freeze", "--exclude", "zeta-pkg", "--exclude", "ALPHA"],
    );

    // The frozen set installs into a fresh environment as the same set.
    let requirements = ctx.root().join("frozen.txt");
    fs_err::write(&requirements, &frozen).unwrap();
    let other = TestContext::new();
    other.create_venv();
    let output = install(
        &other,
        &server,
        &["-r", &requirements.to_string_lossy(), "--no-deps"],
    );
    assert_success(&output);
    assert_eq!(stdout(&run(&other, "freeze", &[])), frozen);
    assert_eq!(pip_freeze(&other), stdout(&ctx.pip(&["freeze"])));
    assert_pip_check(&other);
}

/// pip 23.2 hides setuptools, wheel and distribute from `freeze` only below Python 3.12, by the
/// version of the interpreter it runs under, which with `--python` is the target's.
#[test]
fn freeze_hides_build_backends_only_below_python_3_12() {
    let Some(python) = volley_test_support::find_python("3.12") else {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("skipping: no Python 3.12 on this machine");
        }
        return;
    };
    let ctx = TestContext::with_python(&python);
    let server = environment_server();
    install_environment(&ctx, &server);
    let frozen = assert_same_output(&ctx, ("freeze", &[]), &["freeze"]);
    insta::assert_snapshot!(frozen, @r"
    alpha==0.1
    Foo_Bar==1.0
    lonely==3.0.0
    setuptools==99.0
    wheel==99.0
    Zeta.Pkg==2.0
    ");
}

#[test]
fn an_empty_environment_freezes_and_lists_nothing() {
    let ctx = TestContext::new();
    ctx.create_venv();
    assert_eq!(assert_same_output(&ctx, ("freeze", &[]), &["freeze"]), "");
    assert_eq!(assert_same_output(&ctx, ("list", &[]), &["list"]), "");
    assert_same_output(
        &ctx,
        ("list", &["--format", "json"]),
        &["list", "--format", "json"],
    );
    assert_same_output(&ctx, ("check", &[]), &["check"]);
}

#[test]
fn list_matches_pip_in_every_format() {
    let ctx = TestContext::new();
    let server = environment_server();
    install_environment(&ctx, &server);

    let columns = assert_same_output(&ctx, ("list", &[]), &["list"]);
    insta::assert_snapshot!(columns, @r"
    Package    Version
    ---------- -------
    alpha      0.1
    Foo_Bar    1.0
    lonely     3.0.0
    pip        99.0
    setuptools 99.0
    wheel      99.0
    Zeta.Pkg   2.0
    ");
    let json = assert_same_output(
        &ctx,
        ("list", &["--format", "json"]),
        &["list", "--format", "json"],
    );
    // Also equal as data, whatever the formatting.
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 7);
    assert_same_output(
        &ctx,
        ("list", &["--format", "freeze"]),
        &["list", "--format", "freeze"],
    );
    assert_same_output(&ctx, ("list", &["-v"]), &["list", "-v"]);
    assert_same_output(
        &ctx,
        ("list", &["--format", "json", "-v"]),
        &["list", "--format", "json", "-v"],
    );
    assert_same_output(
        &ctx,
        ("list", &["--not-required", "--exclude", "pip"]),
        &["list", "--not-required", "--exclude", "pip"],
    );
}

#[test]
fn show_matches_pip() {
    let ctx = TestContext::new();
    let server = environment_server();
    install_environment(&ctx, &server);

    let shown = assert_same_output(
        &ctx,
        ("show", &["foo-bar", "Alpha"]),
        &["show", "foo-bar", "Alpha"],
    );
    insta::assert_snapshot!(ctx.filter_paths(&shown), @r"
    Name: Foo_Bar
    Version: 1.0
    Summary: The Foo Bar package
    Home-page: https://example.org/foo
    Author: A. Person
    Author-email: a@example.org
    License: MIT
    Location: [TEMP]/.venv/lib/python3.11/site-packages
    Requires: zeta.pkg
    Required-by: alpha
    ---
    Name: alpha
    Version: 0.1
    Summary: 
    Home-page: 
    Author: 
    Author-email: 
    License: 
    Location: [TEMP]/.venv/lib/python3.11/site-packages
    Requires: Foo-Bar, Zeta.Pkg
    Required-by: 
    ");
    assert_same_output(
        &ctx,
        ("show", &["-f", "Foo_Bar"]),
        &["show", "-f", "Foo_Bar"],
    );
    assert_same_output(
        &ctx,
        ("show", &["-v", "foo.bar"]),
        &["show", "-v", "foo.bar"],
    );

    // Some names missing: a warning, still a success; all missing: a failure.
    let partly = run(&ctx, "show", &["lonely", "nothere", "also-not"]);
    assert_success(&partly);
    assert!(
        stderr(&partly).contains("Package(s) not found: also-not, nothere"),
        "{}",
        stderr(&partly)
    );
    assert_same_output(
        &ctx,
        ("show", &["lonely", "nothere", "also-not"]),
        &["show", "lonely", "nothere", "also-not"],
    );
    let missing = assert_same_output(&ctx, ("show", &["nothere"]), &["show", "nothere"]);
    assert_eq!(missing, "");
}

#[test]
fn check_agrees_with_pip_on_broken_environments() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(
            module_wheel("App_Kit", "1.0")
                .requires_dist("lib (>=2.0,<3)")
                .requires_dist("helper")
                .requires_dist("win-only; sys_platform == 'win32'")
                .requires_dist("extra-only; extra == 'cli'")
                .build(),
        )
        .wheel(module_wheel("lib", "1.0").build())
        .wheel(module_wheel("lib", "2.5").build())
        .wheel(
            module_wheel("helper", "1.0")
                .requires_dist("lib!=2.5")
                .build(),
        )
        .start();

    // A consistent environment.
    assert_success(&install(&ctx, &server, &["lib==2.5"]));
    let output = assert_same_output(&ctx, ("check", &[]), &["check"]);
    assert_eq!(output, "No broken requirements found.\n");

    // A missing dependency (installed with --no-deps).
    assert_success(&install(&ctx, &server, &["app-kit", "--no-deps"]));
    let output = assert_same_output(&ctx, ("check", &[]), &["check"]);
    insta::assert_snapshot!(output, @"app-kit 1.0 requires helper, which is not installed.");

    // A conflict: lib downgraded below App_Kit's range (helper is satisfied by it).
    assert_success(&install(
        &ctx,
        &server,
        &["lib==1.0", "helper", "--no-deps"],
    ));
    let ours = run(&ctx, "check", &[]);
    let theirs = ctx.pip(&["check"]);
    assert_eq!(ours.status.code(), Some(1));
    assert_eq!(theirs.status.code(), Some(1));
    // pip's order of packages follows the directory listing; compare the lines as sets.
    let lines = |output: &Output| {
        let mut lines: Vec<String> = stdout(output).lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    assert_eq!(lines(&ours), lines(&theirs));
    insta::assert_snapshot!(stdout(&ours), @"app-kit 1.0 has requirement lib<3,>=2.0, but you have lib 1.0.");
}

#[test]
fn uninstall_removes_every_file_and_pip_agrees() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let before = venv_files(&ctx);
    let server = IndexServer::builder()
        .wheel(
            WheelBuilder::new("Tool_Kit", "1.2.0")
                .file("tool_kit/__init__.py", "def main():\n    pass\n")
                .file("tool_kit/sub/data.txt", "data\n")
                .entry_point("console_scripts", "tool-kit", "tool_kit:main")
                .data_file("scripts", "tool-kit-raw", "#!python\nprint('hi')\n")
                .data_file("data", "share/tool-kit/readme.txt", "read me\n")
                .build(),
        )
        .wheel(module_wheel("plain", "0.3").build())
        .wheel(module_wheel("keep", "1.0").build())
        .start();
    assert_success(&install(&ctx, &server, &["tool-kit", "plain"]));
    // Bytecode written after the install (by an import) goes too.
    assert_success(&ctx.run_python("import tool_kit, plain"));

    let output = run(
        &ctx,
        "uninstall",
        &["-y", "tool-kit", "nothere", "Plain==0.3"],
    );
    assert_success(&output);
    insta::assert_snapshot!(ctx.filter_paths(&stderr(&output)), @r"
    Found existing installation: Tool_Kit 1.2.0
    Uninstalling Tool_Kit-1.2.0:
      Successfully uninstalled Tool_Kit-1.2.0
    warning: Skipping nothere as it is not installed
    Found existing installation: plain 0.3
    Uninstalling plain-0.3:
      Successfully uninstalled plain-0.3
    ");
    assert_eq!(
        venv_files(&ctx),
        before,
        "files left behind after volley uninstall"
    );
    assert_eq!(pip_freeze(&ctx), "");

    // A requirements file names what to uninstall.
    assert_success(&install(&ctx, &server, &["keep", "plain"]));
    let requirements = ctx.root().join("remove.txt");
    fs_err::write(&requirements, "# to remove\nplain>=0.1\n").unwrap();
    let output = run(
        &ctx,
        "uninstall",
        &["-y", "-r", &requirements.to_string_lossy()],
    );
    assert_success(&output);
    assert_eq!(pip_freeze(&ctx), "keep==1.0\n");

    // Nothing named is an error, as in pip.
    let error = assert_failure(&run(&ctx, "uninstall", &[]));
    assert!(error.contains("no packages given"), "{error}");
}

#[test]
fn uninstall_asks_as_pip_does() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("plain", "0.3").build())
        .start();
    assert_success(&install(&ctx, &server, &["plain"]));
    // A file the distribution does not own, in its package directory.
    let site = ctx.site_packages();
    fs_err::write(site.join("plain").join("notes.txt"), "mine\n").unwrap();
    let installed = venv_files(&ctx);

    // "n" keeps the distribution; the listing is pip's.
    let ours = volley_uninstall_answering(&ctx, &["plain"], "n\n");
    assert_success(&ours);
    let theirs = pip_answering(&ctx, &["uninstall", "plain"], "n\n");
    assert_success(&theirs);
    assert_eq!(venv_files(&ctx), installed);
    let listing = |text: &str| {
        text.lines()
            .filter(|line| line.starts_with("  ") && !line.contains("Successfully"))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(listing(&stderr(&ours)), listing(&stdout(&theirs)));
    insta::assert_snapshot!(ctx.filter_paths(&stderr(&ours)), @r"
    Found existing installation: plain 0.3
    Uninstalling plain-0.3:
      Would remove:
        [TEMP]/.venv/lib/python3.11/site-packages/plain-0.3.dist-info/*
        [TEMP]/.venv/lib/python3.11/site-packages/plain/*
      Would not remove (might be manually added):
        [TEMP]/.venv/lib/python3.11/site-packages/plain/notes.txt
    Proceed (Y/n)?
    ");

    // No answer at all (stdin closed): pip crashes, volley stops with an error.
    let output = run(&ctx, "uninstall", &["plain"]);
    let error = assert_failure(&output);
    assert!(error.contains("pass -y"), "{error}");
    assert_eq!(venv_files(&ctx), installed);

    // An answer pip does not accept is asked again; an empty answer means yes.
    let output = volley_uninstall_answering(&ctx, &["plain"], "maybe\n\n");
    assert_success(&output);
    assert!(
        stderr(&output)
            .contains("Your response ('maybe') was not one of the expected responses: y, n, "),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("Successfully uninstalled plain-0.3"));
    assert!(!site.join("plain-0.3.dist-info").exists());
    // The file it did not own stays, as with pip.
    assert!(site.join("plain").join("notes.txt").exists());
}

#[test]
fn uninstall_refuses_what_it_cannot_remove_safely() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("plain", "0.3").build())
        .wheel(module_wheel("other", "1.0").build())
        .start();
    assert_success(&install(&ctx, &server, &["plain", "other"]));
    let site = ctx.site_packages();
    fs_err::remove_file(site.join("plain-0.3.dist-info").join("RECORD")).unwrap();
    let before = venv_files(&ctx);

    // Refused before anything is removed, `other` included.
    let output = run(&ctx, "uninstall", &["-y", "other", "plain"]);
    let error = assert_failure(&output);
    insta::assert_snapshot!(ctx.filter_paths(&error), @r#"
    error: cannot uninstall plain 0.3: "[TEMP]/.venv/lib/python3.11/site-packages/plain-0.3.dist-info" has no RECORD file, so the files that belong to it are unknown
    hint: remove its files and "[TEMP]/.venv/lib/python3.11/site-packages/plain-0.3.dist-info" by hand
    "#);
    assert_eq!(venv_files(&ctx), before);

    // A legacy egg-info install.
    let egg_info = site.join("legacy-1.0-py3.11.egg-info");
    fs_err::create_dir_all(&egg_info).unwrap();
    fs_err::write(
        egg_info.join("PKG-INFO"),
        "Metadata-Version: 1.1\nName: legacy\nVersion: 1.0\n",
    )
    .unwrap();
    let error = assert_failure(&run(&ctx, "uninstall", &["-y", "legacy"]));
    assert!(error.contains("legacy .egg-info installation"), "{error}");
    assert!(error.contains("python -m pip uninstall legacy"), "{error}");
    assert!(egg_info.join("PKG-INFO").exists());
}

/// Writes `direct_url.json` into the dist-info of an installed distribution, as an installer
/// that installed it from a URL would have.
fn set_direct_url(ctx: &TestContext, dist_info: &str, json: &str) {
    fs_err::write(
        ctx.site_packages().join(dist_info).join("direct_url.json"),
        json,
    )
    .unwrap();
}

#[test]
fn direct_url_installs_freeze_list_and_show_as_pip_does() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("from-archive", "1.0").build())
        .wheel(module_wheel("from-git", "2.0").build())
        .wheel(module_wheel("from-dir", "3.0").build())
        .wheel(module_wheel("Edit_Me", "4.0").build())
        .wheel(module_wheel("broken-url", "5.0").build())
        .start();
    assert_success(&install(
        &ctx,
        &server,
        &[
            "from-archive",
            "from-git",
            "from-dir",
            "edit-me",
            "broken-url",
        ],
    ));
    set_direct_url(
        &ctx,
        "from_archive-1.0.dist-info",
        r#"{"url": "https://files.example/from_archive-1.0-py3-none-any.whl", "archive_info": {"hash": "sha256=0123abcd", "hashes": {"sha256": "0123abcd"}}}"#,
    );
    set_direct_url(
        &ctx,
        "from_git-2.0.dist-info",
        r#"{"url": "https://git.example/from-git.git", "vcs_info": {"vcs": "git", "commit_id": "4b825dc642cb6eb9a060e54bf8d69288fbee4904", "requested_revision": "main"}, "subdirectory": "python"}"#,
    );
    set_direct_url(
        &ctx,
        "from_dir-3.0.dist-info",
        r#"{"url": "file:///srv/projects/from-dir", "dir_info": {}}"#,
    );
    let project = ctx.root().join("edit me");
    fs_err::create_dir_all(&project).unwrap();
    let project_url = format!("file://{}", project.display()).replace(' ', "%20");
    set_direct_url(
        &ctx,
        "Edit_Me-4.0.dist-info",
        &format!(r#"{{"url": "{project_url}", "dir_info": {{"editable": true}}}}"#),
    );
    set_direct_url(&ctx, "broken_url-5.0.dist-info", r#"{"url": 1}"#);

    let frozen = assert_same_output(&ctx, ("freeze", &[]), &["freeze"]);
    insta::assert_snapshot!(ctx.filter_paths(&frozen), @r"
    broken-url==5.0
    # Editable install with no version control (Edit_Me==4.0)
    -e [TEMP]/edit me
    from-archive @ https://files.example/from_archive-1.0-py3-none-any.whl#sha256=0123abcd
    from-dir @ file:///srv/projects/from-dir
    from-git @ git+https://git.example/from-git.git@4b825dc642cb6eb9a060e54bf8d69288fbee4904#subdirectory=python
    ");
    assert_same_output(
        &ctx,
        ("freeze", &["--exclude-editable"]),
        &["freeze", "--exclude-editable"],
    );
    let warnings = stderr(&run(&ctx, "freeze", &[]));
    assert!(warnings.contains("direct_url.json"), "{warnings}");

    assert_same_output(&ctx, ("list", &[]), &["list"]);
    assert_same_output(
        &ctx,
        ("list", &["--format", "json"]),
        &["list", "--format", "json"],
    );
    assert_same_output(&ctx, ("list", &["-e"]), &["list", "-e"]);
    assert_same_output(
        &ctx,
        ("list", &["--exclude-editable"]),
        &["list", "--exclude-editable"],
    );
    assert_same_output(&ctx, ("show", &["edit-me"]), &["show", "edit-me"]);
}

#[test]
fn commands_select_the_environment_as_install_does() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("plain", "0.3").build())
        .start();
    assert_success(&install(&ctx, &server, &["plain"]));

    // `.venv` in the current directory.
    let output = volley(&ctx, &["list", "--format", "freeze"]);
    assert_success(&output);
    assert_eq!(stdout(&output), "plain==0.3\n");
    // `$VIRTUAL_ENV`, from elsewhere.
    let elsewhere = ctx.root().join("elsewhere");
    fs_err::create_dir_all(&elsewhere).unwrap();
    let output = ctx
        .command(volley_bin())
        .args(["freeze"])
        .current_dir(&elsewhere)
        .env("VIRTUAL_ENV", ctx.venv())
        .output()
        .unwrap();
    assert_success(&output);
    assert_eq!(stdout(&output), "plain==0.3\n");
    // Nothing to find: install's error and hint.
    let nowhere = tempfile::tempdir().unwrap();
    let output = ctx
        .command(volley_bin())
        .args(["check"])
        .current_dir(nowhere.path())
        .output()
        .unwrap();
    let error = assert_failure(&output);
    assert!(error.contains("no virtual environment found"), "{error}");
    assert!(error.contains("hint:"), "{error}");
}
