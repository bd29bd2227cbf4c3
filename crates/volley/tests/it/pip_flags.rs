//! pip's command line as CI scripts write it: the flags volley accepts with pip's value syntax
//! (checked against the machine's pip), those it implements with pip's meaning, and the
//! terminal conventions (colour, the environment it found, `-o -`).

use crate::common::*;

/// The flags that have no effect in volley, with pip's value syntax.
const ACCEPTED: [&str; 16] = [
    "--progress-bar",
    "off",
    "--no-warn-script-location",
    "--disable-pip-version-check",
    "--use-pep517",
    "--no-clean",
    "--root-user-action",
    "ignore",
    "--no-color",
    "--no-input",
    "--use-feature",
    "fast-deps",
    "--exists-action",
    "w",
    "--no-python-version-warning",
    "--exists-action=i",
];

#[test]
fn flags_ci_scripts_carry_are_accepted_as_pip_accepts_them() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("plain", "0.3").build())
        .start();

    // The machine's pip takes the same command line.
    let index = server.index_url();
    let mut pip_args = vec!["install", "--dry-run", "-i", &index];
    pip_args.extend_from_slice(&ACCEPTED);
    pip_args.push("plain==0.3");
    let pip = ctx.pip(&pip_args);
    assert_success(&pip);

    let mut args = ACCEPTED.to_vec();
    args.push("plain==0.3");
    let output = install(&ctx, &server, &args);
    assert_success(&output);
    insta::assert_snapshot!(summary(&ctx, &output), @r"
    Resolved 1 package in [TIME]
    Prepared 1 package in [TIME]
    Installed 1 package in [TIME]
     + plain==0.3
    ");

    // pip's choices are checked, as pip checks them.
    let output = install(&ctx, &server, &["--progress-bar", "sometimes", "plain"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("'sometimes'"),
        "{}",
        stderr(&output)
    );
    let pip = ctx.pip(&["install", "--progress-bar", "sometimes", "plain"]);
    assert_eq!(pip.status.code(), Some(2), "{}", stderr(&pip));

    // A deprecated behaviour volley does not have is named, not silently dropped.
    let output = install(
        &ctx,
        &server,
        &["--use-deprecated", "legacy-resolver", "plain==0.3"],
    );
    assert_success(&output);
    assert!(
        stderr(&output).contains("warning: --use-deprecated legacy-resolver is ignored"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn global_option_gets_pips_error_for_a_removed_option() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("plain", "0.3").build())
        .start();
    let output = install(&ctx, &server, &["--global-option", "--quiet", "plain"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    insta::assert_snapshot!(stderr(&output), @r"
    error: no such option: --global-option
    hint: pass settings to the build backend with --config-settings KEY=VALUE
    ");
    assert!(!pip_freeze(&ctx).contains("plain"));
}

#[test]
fn ignore_installed_resolves_as_if_nothing_were_installed() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("plain", "0.3").build())
        .wheel(module_wheel("plain", "0.4").build())
        .wheel(
            module_wheel("app", "1.0")
                .requires_dist("plain>=0.3")
                .build(),
        )
        .start();
    assert_success(&install(&ctx, &server, &["plain==0.3"]));

    // Without -I the installed version satisfies `plain`; with it, the resolver sees an empty
    // environment, takes the newest version and installs everything, as pip does (volley
    // removes what it replaces, where pip writes over it).
    let output = install(&ctx, &server, &["app"]);
    assert_success(&output);
    assert!(!stderr(&output).contains("plain"), "{}", stderr(&output));
    let output = install(&ctx, &server, &["-I", "app"]);
    assert_success(&output);
    insta::assert_snapshot!(summary(&ctx, &output), @r"
    Resolved 2 packages in [TIME]
    Prepared 2 packages in [TIME]
    Uninstalled 2 packages
    Installed 2 packages in [TIME]
     + app==1.0
     - app==1.0
     + plain==0.4
     - plain==0.3
    ");
    let imported = ctx.run_python("import plain; print(plain.__version__)");
    assert_success(&imported);
    assert_eq!(stdout(&imported).trim(), "0.4");
    assert_eq!(pip_freeze(&ctx), "app==1.0\nplain==0.4\n");

    // The same version again is installed again, not audited.
    let output = install(
        &ctx,
        &server,
        &["--ignore-installed", "--no-deps", "app==1.0"],
    );
    assert_success(&output);
    assert!(
        stderr(&output).contains(" + app==1.0"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn ignore_requires_python_takes_what_the_interpreter_is_refused() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("plain", "0.3").build())
        .wheel(module_wheel("plain", "0.4").requires_python("<3").build())
        .start();
    let output = install(&ctx, &server, &["--dry-run", "plain"]);
    assert_success(&output);
    assert!(
        stderr(&output).contains("plain==0.3"),
        "{}",
        stderr(&output)
    );

    let output = install(&ctx, &server, &["--ignore-requires-python", "plain"]);
    assert_success(&output);
    assert!(
        stderr(&output).contains(" + plain==0.4"),
        "{}",
        stderr(&output)
    );

    // With the index's data-requires-python too.
    let server = IndexServer::builder()
        .wheel(module_wheel("other", "1.0").build())
        .wheel(module_wheel("other", "2.0").requires_python("<3").build())
        .requires_python("other-2.0-py3-none-any.whl", "<3")
        .start();
    let output = install(&ctx, &server, &["--ignore-requires-python", "other"]);
    assert_success(&output);
    assert!(
        stderr(&output).contains(" + other==2.0"),
        "{}",
        stderr(&output)
    );
}

#[cfg(unix)]
#[test]
fn require_virtualenv_refuses_an_interpreter_outside_one() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("plain", "0.3").build())
        .start();
    let python = ctx.system_like_python();
    let index = server.index_url();
    let python_arg = python.to_string_lossy().to_string();
    let args = [
        "install",
        "--python",
        &python_arg,
        "-i",
        &index,
        "--require-virtualenv",
        "plain",
    ];
    let output = volley(&ctx, &args);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("could not find an activated virtual environment"),
        "{}",
        stderr(&output)
    );
    // pip's configuration says it too.
    let output = ctx
        .command(volley_bin())
        .args(["install", "--python", &python_arg, "-i", &index, "plain"])
        .env("PIP_REQUIRE_VIRTUALENV", "true")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));

    // In a virtual environment it installs.
    assert_success(&install(&ctx, &server, &["--require-venv", "plain"]));
}

#[test]
fn root_installs_every_path_under_the_alternate_root() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(
            module_wheel("plain", "0.3")
                .entry_point("console_scripts", "plain-tool", "plain:main")
                .build(),
        )
        .start();
    let before = venv_files(&ctx);
    let output = install(&ctx, &server, &["--root", "stage", "plain==0.3"]);
    assert_success(&output);
    assert_eq!(venv_files(&ctx), before, "the environment itself changed");

    let stage = ctx.root().join("stage");
    let under_root = |path: &std::path::Path| stage.join(path.strip_prefix("/").unwrap());
    let site_packages = ctx.site_packages();
    assert!(
        under_root(&site_packages)
            .join("plain/__init__.py")
            .is_file()
    );
    assert!(
        under_root(&site_packages)
            .join("plain-0.3.dist-info/RECORD")
            .is_file()
    );
    assert!(under_root(&ctx.venv().join("bin/plain-tool")).is_file());

    // What is already under the root counts as installed there.
    let output = install(&ctx, &server, &["--root", "stage", "plain==0.3"]);
    assert_success(&output);
    assert!(
        stderr(&output).contains("nothing to install"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn log_appends_the_verbose_log_whatever_the_terminal_shows() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("plain", "0.3").build())
        .start();
    let output = install(&ctx, &server, &["-q", "--log", "run.log", "plain==0.3"]);
    assert_success(&output);
    assert_eq!(stderr(&output), "");
    let output = install(&ctx, &server, &["--log", "run.log", "plain==0.3"]);
    assert_success(&output);

    let log = fs_err::read_to_string(ctx.root().join("run.log")).unwrap();
    // Both runs, appended: the phase lines, -v's lines, and debug logs.
    assert_eq!(log.matches("Resolved 1 package in").count(), 2, "{log}");
    assert!(log.contains(" + plain==0.3"), "{log}");
    assert!(log.contains("nothing to install"), "{log}");
    assert!(log.contains("using Python "), "{log}");
    assert!(log.contains("DEBUG"), "{log}");
    assert!(!log.contains('\u{1b}'), "{log}");
}

#[test]
fn colour_only_on_a_terminal_or_when_forced() {
    let ctx = TestContext::new();
    // clap's usage error is coloured when colour is on.
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = ctx.command(volley_bin());
        command.env_remove("NO_COLOR").args(args);
        for (name, value) in env {
            command.env(name, value);
        }
        stderr(&command.output().unwrap())
    };
    let bad = ["install", "--not-a-flag"];
    assert!(!run(&bad, &[]).contains('\u{1b}'), "a pipe got colour");
    assert!(run(&bad, &[("FORCE_COLOR", "1")]).contains('\u{1b}'));
    assert!(!run(&bad, &[("FORCE_COLOR", "1"), ("NO_COLOR", "1")]).contains('\u{1b}'));
    let with_flag = ["install", "--no-color", "--not-a-flag"];
    assert!(!run(&with_flag, &[("FORCE_COLOR", "1")]).contains('\u{1b}'));

    // And so are the logs (`-vv`'s debug lines, and the warnings of every run).
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("plain", "0.3").build())
        .start();
    let venv = ctx.venv().to_string_lossy().to_string();
    let index = server.index_url();
    let logged = [
        "install",
        "-vv",
        "--dry-run",
        "--python",
        &venv,
        "-i",
        &index,
        "plain",
    ];
    let piped = run(&logged, &[]);
    assert!(piped.contains("DEBUG"), "{piped}");
    assert!(!piped.contains('\u{1b}'), "{piped}");
    assert!(run(&logged, &[("FORCE_COLOR", "1")]).contains('\u{1b}'));
}

#[test]
fn compile_output_dash_is_standard_output() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("plain", "0.3").build())
        .start();
    fs_err::write(ctx.root().join("requirements.in"), "plain\n").unwrap();
    let venv = ctx.venv().to_string_lossy().to_string();
    let index = server.index_url();
    let output = volley(
        &ctx,
        &[
            "compile",
            "requirements.in",
            "--python",
            &venv,
            "-i",
            &index,
            "-o",
            "-",
        ],
    );
    assert_success(&output);
    assert!(!ctx.root().join("-").exists(), "wrote a file named -");
    let text = stdout(&output);
    assert!(text.contains("\nplain==0.3\n"), "{text}");
    assert!(!text.contains("--output-file"), "{text}");
}

#[test]
fn the_environment_found_is_named() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("plain", "0.3").build())
        .start();
    let version = stdout(&ctx.run_python("import platform; print(platform.python_version())"));
    let using = format!("Using Python {} environment at .venv", version.trim());

    // Found as `.venv` in the working directory.
    let index = server.index_url();
    let output = volley(&ctx, &["install", "-i", &index, "plain==0.3"]);
    assert_success(&output);
    assert_eq!(stderr(&output).lines().next(), Some(using.as_str()));
    let output = volley(&ctx, &["uninstall", "-y", "plain"]);
    assert_success(&output);
    assert_eq!(stderr(&output).lines().next(), Some(using.as_str()));

    // Named: not repeated back.
    let output = install(&ctx, &server, &["plain==0.3"]);
    assert_success(&output);
    assert!(
        !stderr(&output).contains("Using Python"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn hash_prints_what_pip_hash_prints() {
    let ctx = TestContext::new();
    let wheel = module_wheel("plain", "0.3").build();
    let path = wheel.write_to(ctx.root());
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    fs_err::write(ctx.root().join("notes.txt"), "some bytes\n").unwrap();
    for algorithm in ["sha256", "sha512"] {
        let args = ["hash", "-a", algorithm, &name, "notes.txt"];
        let output = volley(&ctx, &args);
        assert_success(&output);
        let pip = ctx.pip(&args);
        assert_success(&pip);
        assert_eq!(stdout(&output), stdout(&pip));
    }
    let output = volley(&ctx, &["hash", &name]);
    assert_eq!(
        stdout(&output),
        format!("{name}:\n--hash=sha256:{}\n", wheel.sha256)
    );
    let output = volley(&ctx, &["hash", "missing.whl"]);
    assert!(assert_failure(&output).contains("missing.whl"));
}

#[test]
fn index_versions_prints_what_pip_index_versions_prints() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("plain", "0.3").build())
        .wheel(module_wheel("plain", "0.4").build())
        .wheel(module_wheel("plain", "0.5rc1").build())
        .wheel(module_wheel("plain", "0.6").requires_python("<3").build())
        .requires_python("plain-0.6-py3-none-any.whl", "<3")
        .wheel(module_wheel("plain", "0.7").tag("cp27-none-win32").build())
        .yanked("plain-0.4-py3-none-any.whl", None)
        .start();
    let venv = ctx.venv().to_string_lossy().to_string();
    let index = server.index_url();
    let compare = |extra: &[&str]| {
        let mut args = vec!["index", "versions", "plain", "-i", &index];
        args.extend_from_slice(extra);
        let pip = ctx.pip(&args);
        assert_success(&pip);
        args.extend_from_slice(&["--python", &venv]);
        let output = volley(&ctx, &args);
        assert_success(&output);
        assert_eq!(stdout(&output), stdout(&pip));
        stdout(&output)
    };
    insta::assert_snapshot!(compare(&[]), @r"
    plain (0.3)
    Available versions: 0.3
    ");
    assert_success(&install(&ctx, &server, &["plain==0.3"]));
    insta::assert_snapshot!(compare(&["--pre", "--ignore-requires-python"]), @r"
    plain (0.6)
    Available versions: 0.6, 0.5rc1, 0.3
      INSTALLED: 0.3
      LATEST:    0.6
    ");

    let output = volley(
        &ctx,
        &[
            "index", "versions", "absent", "-i", &index, "--python", &venv,
        ],
    );
    assert!(
        assert_failure(&output).contains("no matching distribution found for absent"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn freeze_and_list_local_match_pip() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("plain", "0.3").build())
        .start();
    assert_success(&install(&ctx, &server, &["plain==0.3"]));
    let venv = ctx.venv().to_string_lossy().to_string();
    for args in [
        vec!["freeze", "-l"],
        vec!["freeze", "--local"],
        vec!["list", "-l", "--format", "freeze"],
        vec!["list", "--local"],
    ] {
        let pip = ctx.pip(&args);
        assert_success(&pip);
        let mut volley_args = args.clone();
        volley_args.extend_from_slice(&["--python", &venv]);
        let output = volley(&ctx, &volley_args);
        assert_success(&output);
        assert_eq!(stdout(&output), stdout(&pip), "{args:?}");
        assert!(stdout(&output).contains("plain"), "{args:?}");
    }
}

#[test]
fn install_for_another_platform_needs_target_or_dry_run_as_in_pip() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(
            module_wheel("winonly", "1.0")
                .tag("py3-none-win_amd64")
                .build(),
        )
        .start();
    let platform = [
        "--platform",
        "win_amd64",
        "--only-binary",
        ":all:",
        "winonly",
    ];
    // Into the environment: refused by both, before anything is fetched.
    let output = install(&ctx, &server, &platform);
    assert!(
        assert_failure(&output).contains(
            "can not use any platform or abi specific options unless installing via \
             '--target' or using '--dry-run'"
        ),
        "{}",
        stderr(&output)
    );
    let index = server.index_url();
    let mut pip_args = vec!["install", "-i", &index];
    pip_args.extend_from_slice(&platform);
    assert_eq!(ctx.pip(&pip_args).status.code(), Some(1));
    // Without --only-binary :all: or --no-deps: pip's other refusal.
    let output = install(
        &ctx,
        &server,
        &["--target", "out", "--platform", "win_amd64", "winonly"],
    );
    assert!(assert_failure(&output).contains("either --no-deps must be set"));

    // Into --target, or as a dry run: the other platform's wheel.
    let mut args = vec!["--target", "out"];
    args.extend_from_slice(&platform);
    let output = install(&ctx, &server, &args);
    assert_success(&output);
    assert!(ctx.root().join("out/winonly/__init__.py").is_file());
    let mut pip_args = vec!["install", "-i", &index, "--target", "pip-out"];
    pip_args.extend_from_slice(&platform);
    assert_success(&ctx.pip(&pip_args));
    assert!(ctx.root().join("pip-out/winonly/__init__.py").is_file());

    let mut args = vec!["--dry-run"];
    args.extend_from_slice(&platform);
    let output = install(&ctx, &server, &args);
    assert_success(&output);
    assert!(
        stderr(&output).contains("+ winonly==1.0"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn group_installs_a_pep_735_dependency_group() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("plain", "0.3").build())
        .wheel(module_wheel("other", "1.0").build())
        .wheel(module_wheel("unused", "1.0").build())
        .start();
    fs_err::write(
        ctx.root().join("pyproject.toml"),
        "[project]\nname = \"demo\"\nversion = \"0\"\n\n[dependency-groups]\n\
         Test_Tools = [\"plain==0.3\", {include-group = \"lint\"}]\n\
         lint = [\"other>=1\"]\nunused = [\"unused\"]\n\
         loop-a = [{include-group = \"loop-b\"}]\nloop-b = [{include-group = \"loop_a\"}]\n",
    )
    .unwrap();
    let output = install(&ctx, &server, &["--group", "test-tools"]);
    assert_success(&output);
    insta::assert_snapshot!(summary(&ctx, &output), @r"
    Resolved 2 packages in [TIME]
    Prepared 2 packages in [TIME]
    Installed 2 packages in [TIME]
     + other==1.0
     + plain==0.3
    ");

    // With a path.
    let output = install(
        &ctx,
        &server,
        &["--dry-run", "--group", "./pyproject.toml:unused"],
    );
    assert_success(&output);
    assert!(
        stderr(&output).contains("+ unused==1.0"),
        "{}",
        stderr(&output)
    );

    for (group, error) in [
        ("missing", "dependency group \"missing\" not found in"),
        ("loop-a", "includes itself (loop-a -> loop-b -> loop-a)"),
        ("setup.cfg:lint", "the file must be named pyproject.toml"),
    ] {
        let output = install(&ctx, &server, &["--group", group]);
        assert!(
            assert_failure(&output).contains(error),
            "{}",
            stderr(&output)
        );
    }
}

#[test]
fn freeze_and_list_path_list_only_that_directory_as_pip_does() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("plain", "0.3").build())
        .wheel(module_wheel("other", "1.0").build())
        .start();
    assert_success(&install(&ctx, &server, &["plain==0.3"]));
    assert_success(&install(&ctx, &server, &["--target", "lib", "other==1.0"]));
    let venv = ctx.venv().to_string_lossy().to_string();
    for args in [
        vec!["freeze", "--path", "lib"],
        vec!["list", "--path", "lib", "--format", "freeze"],
    ] {
        let pip = ctx.pip(&args);
        assert_success(&pip);
        let mut volley_args = args.clone();
        volley_args.extend_from_slice(&["--python", &venv]);
        let output = volley(&ctx, &volley_args);
        assert_success(&output);
        assert_eq!(stdout(&output), "other==1.0\n", "{args:?}");
        assert_eq!(stdout(&output), stdout(&pip), "{args:?}");
    }
    let output = volley(&ctx, &["freeze", "--path", "lib", "-l", "--python", &venv]);
    assert!(assert_failure(&output).contains("cannot combine '--path' with '--user' or '--local'"));
}

#[test]
fn cache_purge_and_remove_are_pips_names_for_clean() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("plain", "0.3").build())
        .wheel(module_wheel("other", "1.0").build())
        .start();
    assert_success(&install(&ctx, &server, &["plain==0.3", "other==1.0"]));
    let count = |output: &std::process::Output| -> usize {
        let text = stderr(output);
        let rest = text
            .strip_prefix("Removed ")
            .unwrap_or_else(|| panic!("{text}"));
        rest.split(' ').next().unwrap().parse().unwrap()
    };
    let output = volley(&ctx, &["cache", "remove", "plain"]);
    assert_success(&output);
    assert!(count(&output) > 0, "{}", stderr(&output));
    // plain's entries are gone; a second removal finds nothing.
    let output = volley(&ctx, &["cache", "remove", "Plain"]);
    assert_success(&output);
    assert_eq!(count(&output), 0, "{}", stderr(&output));
    let output = volley(&ctx, &["cache", "remove", "pl*"]);
    assert!(assert_failure(&output).contains("not a pattern"));

    let output = volley(&ctx, &["cache", "purge"]);
    assert_success(&output);
    assert!(count(&output) > 0, "{}", stderr(&output));
    let output = volley(&ctx, &["cache", "purge"]);
    assert_success(&output);
    assert_eq!(count(&output), 0, "{}", stderr(&output));
}
