//! PEP 751 lock files: `volley compile --format pylock.toml` writes one, `volley install -r
//! pylock.toml` installs exactly what it lists, hashes checked.

use crate::common::*;

/// `app` (with a wheel for another platform too) needs `lib`.
fn server() -> (IndexServer, BuiltWheel) {
    let lib = module_wheel("lib", "2.1").build();
    let server = IndexServer::builder()
        .wheel(module_wheel("app", "1.0").requires_dist("lib>=2").build())
        .wheel(
            module_wheel("app", "1.0")
                .tag("cp312-cp312-win_amd64")
                .build(),
        )
        .wheel(module_wheel("lib", "1.0").build())
        .wheel(lib.clone())
        .start();
    (server, lib)
}

/// `volley compile requirements.in --format pylock.toml -o pylock.toml` in `ctx`.
fn compile_lock(ctx: &TestContext, server: &IndexServer) -> String {
    fs_err::write(ctx.root().join("requirements.in"), "app\n").unwrap();
    let venv = ctx.venv().to_string_lossy().to_string();
    let index = server.index_url();
    let output = volley(
        ctx,
        &[
            "compile",
            "requirements.in",
            "--python",
            &venv,
            "-i",
            &index,
            "--format",
            "pylock.toml",
            "-o",
            "pylock.toml",
        ],
    );
    assert_success(&output);
    fs_err::read_to_string(ctx.root().join("pylock.toml")).unwrap()
}

/// `volley install -r <lock>` into `ctx`'s venv, with no index at all.
fn install_lock(ctx: &TestContext, lock: &std::path::Path) -> std::process::Output {
    let venv = ctx.venv().to_string_lossy().to_string();
    let lock = lock.to_string_lossy().to_string();
    volley(
        ctx,
        &["install", "--python", &venv, "--no-index", "-r", &lock],
    )
}

#[test]
fn compiled_lock_installs_the_same_environment() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let (server, lib) = server();
    let text = compile_lock(&ctx, &server);
    let body: String = text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| format!("{line}\n"))
        .collect::<String>()
        .replace(&server.url(), "[SERVER]")
        .replace(&lib.sha256, "[LIB-SHA256]");
    assert!(body.contains("created-by = \"volley\""), "{body}");
    // Every wheel of the pinned version, whatever its platform.
    assert!(
        body.contains("name = \"app-1.0-py3-none-any.whl\""),
        "{body}"
    );
    assert!(
        body.contains("name = \"app-1.0-cp312-cp312-win_amd64.whl\""),
        "{body}"
    );
    assert!(
        body.contains("name = \"lib-2.1-py3-none-any.whl\""),
        "{body}"
    );
    assert!(!body.contains("lib-1.0"), "{body}");
    assert!(body.contains("sha256 = \"[LIB-SHA256]\""), "{body}");
    assert!(body.contains("environments = ["), "{body}");

    // Installed in the environment it was made in, and into another one: the same packages.
    assert_success(&install(&ctx, &server, &["-r", "requirements.in"]));
    let other = TestContext::new();
    other.create_venv();
    server.clear_requests();
    let output = install_lock(&other, &ctx.root().join("pylock.toml"));
    assert_success(&output);
    assert_eq!(pip_freeze(&other), pip_freeze(&ctx));
    assert_pip_check(&other);
    // No index page was read: only the two files the lock names for this platform.
    let paths: Vec<String> = server
        .requests()
        .iter()
        .map(|request| request.path.clone())
        .collect();
    assert!(
        paths.iter().all(|path| path.starts_with("/files/")),
        "{paths:?}"
    );
    assert!(
        paths.iter().all(|path| !path.contains("win_amd64")),
        "{paths:?}"
    );
    // The package nothing depends on is the one asked for (REQUESTED), as pip would record.
    let requested = other.site_packages().join("app-1.0.dist-info/REQUESTED");
    assert!(requested.is_file());
    assert!(
        !other
            .site_packages()
            .join("lib-2.1.dist-info/REQUESTED")
            .is_file()
    );

    // Installing it again changes nothing.
    let output = install_lock(&other, &ctx.root().join("pylock.toml"));
    assert_success(&output);
    assert!(
        stderr(&output).contains("nothing to install"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_tampered_hash_installs_nothing() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let (server, lib) = server();
    let text = compile_lock(&ctx, &server);
    let tampered = text.replace(&lib.sha256, &"0".repeat(64));
    assert_ne!(tampered, text);
    let lock = ctx.root().join("pylock.toml");
    fs_err::write(&lock, tampered).unwrap();
    let before = venv_files(&ctx);
    let error = assert_failure(&install_lock(&ctx, &lock));
    assert!(error.contains("lib-2.1-py3-none-any.whl"), "{error}");
    assert!(error.to_lowercase().contains("hash"), "{error}");
    assert_eq!(before, venv_files(&ctx));
}

#[test]
fn lock_selects_by_marker_and_tag_and_reads_local_paths() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let wheels = ctx.root().join("wheels");
    fs_err::create_dir_all(&wheels).unwrap();
    let here = module_wheel("here", "1.0").build();
    here.write_to(&wheels);
    let windows_only = module_wheel("winonly", "1.0")
        .tag("cp312-cp312-win_amd64")
        .build();
    let lock = ctx.root().join("pylock.toml");
    let text = format!(
        r#"lock-version = "1.0"
created-by = "a test"

[[packages]]
name = "here"
version = "1.0"
wheels = [
    {{name = "{here}", path = "wheels/{here}", hashes = {{sha256 = "{here_sha}"}}}},
]

[[packages]]
name = "winonly"
version = "1.0"
marker = "sys_platform == 'win32'"
wheels = [
    {{name = "{win}", url = "https://example.invalid/{win}", hashes = {{sha256 = "{win_sha}"}}}},
]
"#,
        here = here.filename,
        here_sha = here.sha256,
        win = windows_only.filename,
        win_sha = windows_only.sha256,
    );
    fs_err::write(&lock, &text).unwrap();
    let output = install_lock(&ctx, &lock);
    assert_success(&output);
    assert_eq!(pip_freeze(&ctx), "here==1.0\n");

    // Without the marker, the package has no wheel for this platform: an error naming it.
    fs_err::write(
        &lock,
        text.replace("marker = \"sys_platform == 'win32'\"\n", ""),
    )
    .unwrap();
    let error = assert_failure(&install_lock(&ctx, &lock));
    assert!(
        error.contains("winonly==1.0 in the lock file") && error.contains("no wheel"),
        "{error}"
    );
}
