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

/// The digests of `bytes` with every algorithm pip checks, from Python's hashlib.
fn hashlib_digests(ctx: &TestContext, bytes: &[u8]) -> Vec<(String, String)> {
    let path = ctx.root().join("hashed.bin");
    fs_err::write(&path, bytes).unwrap();
    let output = std::process::Command::new(ctx.base_python())
        .args([
            "-c",
            "import hashlib, sys\n\
             data = open(sys.argv[1], 'rb').read()\n\
             for name in ('md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'):\n\
             \x20   print(name, hashlib.new(name, data).hexdigest())\n",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert_success(&output);
    stdout(&output)
        .lines()
        .map(|line| {
            let (name, digest) = line.split_once(' ').unwrap();
            (name.to_string(), digest.to_string())
        })
        .collect()
}

/// A wrong index hash of any algorithm pip checks refuses the file, in a link's fragment and in
/// a PEP 691 `hashes` table, even when the cache already holds the file (known by its sha256);
/// the right one installs; a hash with an algorithm pip does not know is ignored.
#[test]
fn every_index_hash_algorithm_is_checked() {
    use volley_test_support::IndexFormat;

    let ctx = TestContext::new();
    ctx.create_venv();
    let wheel = module_wheel("app", "1.0").build();
    let digests = hashlib_digests(&ctx, &wheel.bytes);
    assert_eq!(digests.len(), 6);
    let serve = |format: IndexFormat, hashes: &[(&str, &str)]| {
        IndexServer::builder()
            .wheel(wheel.clone())
            .format(format)
            .hashes(&wheel.filename, hashes)
            .start()
    };
    let mut cases = 0;
    for format in [IndexFormat::Html, IndexFormat::Json] {
        for (algorithm, digest) in &digests {
            // The file is in the cache, known by its sha256, from the run before.
            let good = serve(format, &[(algorithm, digest)]);
            assert_success(&install(
                &ctx,
                &good,
                &["app==1.0", "--force-reinstall", "--no-deps"],
            ));
            let wrong = "0".repeat(digest.len());
            let mut hashes = vec![(algorithm.as_str(), wrong.as_str())];
            if format == IndexFormat::Json && algorithm != "sha256" {
                // With the right sha256 beside it: still refused.
                hashes.push(("sha256", &digests[3].1));
            }
            let bad = serve(format, &hashes);
            let fresh = TestContext::new();
            fresh.create_venv();
            let empty = venv_files(&fresh);
            let installed = venv_files(&ctx);
            for (context, label) in [(&ctx, "cached"), (&fresh, "not cached")] {
                let error =
                    assert_failure(&install(context, &bad, &["app==1.0", "--force-reinstall"]));
                assert!(
                    error.contains(&format!("expected {algorithm}:{wrong}")),
                    "{format:?} {algorithm} ({label}): {error}"
                );
                cases += 1;
            }
            assert_eq!(installed, venv_files(&ctx));
            assert_eq!(empty, venv_files(&fresh));
        }
    }
    assert_eq!(cases, 24);
    // An unknown algorithm is ignored, as pip ignores it.
    let unknown = serve(IndexFormat::Json, &[("blake2b", "00")]);
    let fresh = TestContext::new();
    fresh.create_venv();
    assert_success(&install(&fresh, &unknown, &["app==1.0"]));
}
