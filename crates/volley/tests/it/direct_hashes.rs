//! Direct references in hash-checking mode, by pip's rules: archives by URL or path are
//! installed when they match a `--hash` (or the hash in their URL); editables, version control
//! and directories are refused with pip's messages.

use crate::common::*;

/// `app` (needs `dep`) and `tool` as wheels; `dep` on the index.
fn wheels() -> (BuiltWheel, BuiltWheel, BuiltWheel) {
    (
        module_wheel("app", "1.0").requires_dist("dep").build(),
        module_wheel("dep", "2.0").build(),
        module_wheel("tool", "3.0").build(),
    )
}

#[test]
fn archives_by_url_and_path_install_when_their_hashes_match() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let (app, dep, tool) = wheels();
    let other = module_wheel("other", "0.1").build();
    let server = IndexServer::builder()
        .wheel(dep.clone())
        .wheel(app.clone())
        .wheel(other.clone())
        .start();
    let local = ctx.root().join("local");
    fs_err::create_dir_all(&local).unwrap();
    tool.write_to(&local);
    let file = ctx.root().join("locked.txt");
    fs_err::write(
        &file,
        format!(
            "app @ {} --hash=sha256:{}\n\
             ./local/{} --hash=sha256:{} --hash=sha256:{}\n\
             other @ {}#sha256={}\n\
             dep==2.0 --hash=sha256:{}\n",
            server.file_url(&app.filename),
            app.sha256,
            tool.filename,
            "0".repeat(64),
            tool.sha256,
            server.file_url(&other.filename),
            other.sha256,
            dep.sha256,
        ),
    )
    .unwrap();
    let output = install(&ctx, &server, &["-r", file.to_str().unwrap()]);
    assert_success(&output);
    let error = stderr(&output);
    for line in ["+ app==1.0", "+ dep==2.0", "+ tool==3.0", "+ other==0.1"] {
        assert!(error.contains(line), "{error}");
    }
    assert_pip_check(&ctx);
}

#[test]
fn archives_without_a_matching_hash_are_refused_before_they_are_read() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let (app, dep, tool) = wheels();
    let server = IndexServer::builder()
        .wheel(dep.clone())
        .wheel(app.clone())
        .start();
    let local = ctx.root().join("local");
    fs_err::create_dir_all(&local).unwrap();
    tool.write_to(&local);
    // Not an archive at all: unpacking it would fail with another message.
    fs_err::write(local.join("broken-1.0.tar.gz"), b"not a tarball").unwrap();
    let broken_sha256 = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(b"not a tarball"))
    };
    let file = ctx.root().join("locked.txt");
    let zeros = "0".repeat(64);
    fs_err::write(
        &file,
        format!(
            "app @ {} --hash=sha256:{zeros}\n\
             ./local/{}\n\
             ./local/broken-1.0.tar.gz --hash=sha256:{zeros}\n\
             dep==2.0 --hash=sha256:{}\n",
            server.file_url(&app.filename),
            tool.filename,
            dep.sha256,
        ),
    )
    .unwrap();
    let before = venv_files(&ctx);
    let output = install(&ctx, &server, &["-r", file.to_str().unwrap()]);
    let error = ctx.filter_paths(&assert_failure(&output));
    let url = server.file_url(&app.filename);
    let expected = format!(
        "error: Hashes are required in --require-hashes mode, but they are missing from some \
         requirements. Here is a list of those requirements along with the hashes their \
         downloaded archives actually had. Add lines like these to your requirements files to \
         prevent tampering. (If you did not enable --require-hashes manually, note that it \
         turns on automatically when any package has a hash.)\n    \
         [TEMP]/local/{tool_name} --hash=sha256:{tool_sha256}\n\
         THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated \
         the package versions, please update the hashes. Otherwise, examine the package \
         contents carefully; someone may have tampered with them.\n    \
         app @ {url}:\n        \
         Expected sha256 {zeros}\n             \
         Got        {app_sha256}\n    \
         [TEMP]/local/broken-1.0.tar.gz:\n        \
         Expected sha256 {zeros}\n             \
         Got        {broken_sha256}\n",
        tool_name = tool.filename,
        tool_sha256 = tool.sha256,
        app_sha256 = app.sha256,
    );
    assert_eq!(error, ctx.filter_paths(&expected));
    assert_eq!(before, venv_files(&ctx));
}

#[test]
fn editables_version_control_and_directories_are_refused_with_pips_messages() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let (_, dep, _) = wheels();
    let server = IndexServer::builder().wheel(dep.clone()).start();
    let project = ctx.root().join("proj");
    fs_err::create_dir_all(&project).unwrap();
    fs_err::write(
        project.join("pyproject.toml"),
        "[project]\nname = \"proj\"\nversion = \"1.0\"\n",
    )
    .unwrap();
    let file = ctx.root().join("locked.txt");
    let hash = format!("--hash=sha256:{}", dep.sha256);

    fs_err::write(&file, format!("-e ./proj\ndep==2.0 {hash}\n")).unwrap();
    let output = install(&ctx, &server, &["-r", file.to_str().unwrap()]);
    let error = ctx.filter_paths(&assert_failure(&output));
    assert_eq!(
        error,
        "error: The editable requirement [TEMP]/proj (from -r [TEMP]/locked.txt line 1) cannot \
         be installed when requiring hashes, because there is no single file to hash.\n"
    );

    fs_err::write(
        &file,
        format!("./proj\npkg @ git+https://git.invalid/repo.git@v1\ndep==2.0 {hash}\n"),
    )
    .unwrap();
    server.clear_requests();
    let output = install(&ctx, &server, &["-r", file.to_str().unwrap()]);
    let error = ctx.filter_paths(&assert_failure(&output));
    assert_eq!(
        error,
        "error: Can't verify hashes for these requirements because we don't have a way to hash \
         version control repositories:\n    \
         pkg @ git+https://git.invalid/repo.git@v1 (from -r [TEMP]/locked.txt line 2)\n\
         Can't verify hashes for these file:// requirements because they point to \
         directories:\n    \
         [TEMP]/proj (from -r [TEMP]/locked.txt line 1)\n"
    );
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}
