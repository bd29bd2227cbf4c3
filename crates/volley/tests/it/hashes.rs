//! Hash-checking mode: `--hash` in requirements files, `--require-hashes`.

use crate::common::*;

fn server_with_pair() -> (IndexServer, BuiltWheel, BuiltWheel) {
    let app = module_wheel("app", "1.0").requires_dist("dep").build();
    let dep = module_wheel("dep", "2.0").build();
    let server = IndexServer::builder()
        .wheel(app.clone())
        .wheel(dep.clone())
        .start();
    (server, app, dep)
}

#[test]
fn hashes_in_a_requirements_file_are_checked() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let (server, app, dep) = server_with_pair();
    let file = ctx.root().join("locked.txt");
    fs_err::write(
        &file,
        format!(
            "app==1.0 --hash=sha256:{}\ndep==2.0 \\\n    --hash=sha256:{}\n",
            app.sha256, dep.sha256
        ),
    )
    .unwrap();
    let output = install(&ctx, &server, &["-r", file.to_str().unwrap()]);
    assert_success(&output);
    assert_pip_check(&ctx);
}

#[test]
fn a_wrong_hash_installs_nothing() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let (server, app, _) = server_with_pair();
    let file = ctx.root().join("locked.txt");
    fs_err::write(
        &file,
        format!(
            "app==1.0 --hash=sha256:{}\ndep==2.0 --hash=sha256:{}\n",
            app.sha256,
            "0".repeat(64)
        ),
    )
    .unwrap();
    let before = venv_files(&ctx);
    let output = install(&ctx, &server, &["-r", file.to_str().unwrap()]);
    let error = assert_failure(&output);
    assert!(error.contains("dep==2.0"), "{error}");
    assert!(error.contains("hash"), "{error}");
    assert_eq!(before, venv_files(&ctx));
}

#[test]
fn hash_mode_needs_pins_and_hashes_for_every_package() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let (server, app, _) = server_with_pair();
    let file = ctx.root().join("partial.txt");
    // The dependency has no hash: pip refuses, and so does volley.
    fs_err::write(&file, format!("app==1.0 --hash=sha256:{}\n", app.sha256)).unwrap();
    let error = assert_failure(&install(&ctx, &server, &["-r", file.to_str().unwrap()]));
    assert!(error.contains("dep==2.0"), "{error}");
    assert!(error.contains("--hash"), "{error}");

    // An unpinned requirement is refused before anything is fetched.
    fs_err::write(&file, format!("app>=1 --hash=sha256:{}\n", app.sha256)).unwrap();
    server.clear_requests();
    let error = assert_failure(&install(&ctx, &server, &["-r", file.to_str().unwrap()]));
    assert!(error.contains("pinned"), "{error}");
    assert!(server.requests().is_empty());

    // --require-hashes without any hash.
    let error = assert_failure(&install(&ctx, &server, &["app==1.0", "--require-hashes"]));
    assert!(error.contains("app==1.0"), "{error}");
}
