//! Hostile servers and interrupted runs: bodies reset midway, trickled, endless or inflating,
//! and what volley leaves behind when it is stopped.

use crate::common::*;
use crate::pipeline::noise;

/// A body reset by the server midway goes through the retry path like a failed connect, with
/// the default connections and with one, and in every round; the retry resumes with a range
/// request for the rest when the server honours ranges.
#[test]
fn a_body_reset_midway_is_retried() {
    let wheel = module_wheel("resetme", "1.0")
        .file("resetme/blob.bin", noise(400_000, 5))
        .build();
    let filename = wheel.filename.clone();
    let half = wheel.bytes.len() / 2;
    let server = IndexServer::builder().wheel(wheel).start();
    let mut rounds = 0;
    for connections in [None, Some("1")] {
        for _ in 0..5 {
            let ctx = TestContext::new();
            ctx.create_venv();
            server.clear_requests();
            server.inject(Fault::new(
                &filename,
                FaultKind::ResetAfter { after: half },
                1,
            ));
            let mut args = vec!["resetme"];
            if let Some(connections) = connections {
                args.extend(["--max-connections", connections]);
            }
            let output = install(&ctx, &server, &args);
            assert_success(&output);
            assert_eq!(
                fs_err::read(ctx.site_packages().join("resetme/blob.bin")).unwrap(),
                noise(400_000, 5)
            );
            let resumed = server
                .requests()
                .iter()
                .filter(|request| request.path.ends_with(&filename))
                .filter_map(|request| request.header("range").map(str::to_string))
                .any(|range| {
                    range.starts_with("bytes=")
                        && !range.starts_with("bytes=0-")
                        && !range.starts_with("bytes=-")
                });
            assert!(
                resumed,
                "no resuming range request: {:#?}",
                server.requests()
            );
            rounds += 1;
        }
    }
    assert_eq!(rounds, 10);
}

/// Without range support the retry fetches the whole file again.
#[test]
fn a_body_reset_midway_is_fetched_again_without_ranges() {
    let wheel = module_wheel("resetall", "1.0")
        .file("resetall/blob.bin", noise(300_000, 6))
        .build();
    let filename = wheel.filename.clone();
    let half = wheel.bytes.len() / 2;
    let server = IndexServer::builder()
        .wheel(wheel)
        .range_requests(false)
        .start();
    let ctx = TestContext::new();
    ctx.create_venv();
    server.inject(Fault::new(
        &filename,
        FaultKind::ResetAfter { after: half },
        1,
    ));
    assert_success(&install(&ctx, &server, &["resetall"]));
    let downloads: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|request| request.path.ends_with(&filename))
        .collect();
    assert_eq!(downloads.len(), 2, "{downloads:#?}");
    assert!(
        downloads
            .iter()
            .all(|request| request.header("range").is_none())
    );
    assert_pip_check(&ctx);
}

/// `site-packages/linkdir` is a symlink to a directory outside the environment and RECORD lists
/// `linkdir/f.txt`: neither uninstalling nor upgrading removes the file outside (pip resolves
/// the parent directory and keeps it too), and the warning names it once, without `/../`.
#[cfg(unix)]
#[test]
fn uninstall_never_deletes_through_a_symlinked_directory() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let old = module_wheel("linked", "1.0")
        .file("linkdir/f.txt", "kept\n")
        .build();
    let new = module_wheel("linked", "2.0").build();
    let server = IndexServer::builder().wheel(old).wheel(new).start();
    let venv = ctx.venv().to_string_lossy().to_string();
    let outside = ctx.root().join("outside");
    for command in ["uninstall", "upgrade"] {
        assert_success(&install(&ctx, &server, &["linked==1.0"]));
        let linkdir = ctx.site_packages().join("linkdir");
        let _ = fs_err::remove_dir_all(&outside);
        fs_err::rename(&linkdir, &outside).unwrap();
        std::os::unix::fs::symlink(&outside, &linkdir).unwrap();
        let output = match command {
            "uninstall" => volley(&ctx, &["uninstall", "--python", &venv, "-y", "linked"]),
            _ => install(&ctx, &server, &["-U", "linked"]),
        };
        assert_success(&output);
        assert_eq!(
            fs_err::read_to_string(outside.join("f.txt")).unwrap(),
            "kept\n",
            "{command}"
        );
        let warnings: Vec<_> = stderr(&output)
            .lines()
            .filter(|line| line.contains("outside the environment"))
            .map(str::to_string)
            .collect();
        assert_eq!(warnings.len(), 1, "{command}: {}", stderr(&output));
        assert!(warnings[0].contains("f.txt"), "{warnings:?}");
        assert!(!warnings[0].contains("/../"), "{warnings:?}");
        fs_err::remove_file(&linkdir).unwrap();
        let _ = volley(&ctx, &["uninstall", "--python", &venv, "-y", "linked"]);
    }
}

/// Every numeric flag (and the settings behind them) with huge, negative, NaN, empty and
/// malformed values: a usage error naming the flag in pip's words, or a run that works, never a
/// panic.
#[test]
fn numeric_flags_never_panic() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("numbers", "1.0").build())
        .start();
    let valid = [
        ("--timeout", "1e20"),
        ("--timeout", "0.001e3"),
        ("--timeout", "1.7976931348623157e308"),
        ("--max-connections", "1024"),
        ("--max-connections", "1"),
        ("--retries", "0"),
        ("--retries", "4294967295"),
    ];
    let invalid = [
        ("--timeout", "-1", "expected a positive number of seconds"),
        ("--timeout", "0", "expected a positive number of seconds"),
        ("--timeout", "NaN", "expected a positive number of seconds"),
        ("--timeout", "inf", "expected a positive number of seconds"),
        ("--timeout", "-inf", "expected a positive number of seconds"),
        ("--timeout", "", "invalid floating-point value"),
        (
            "--timeout",
            "1e400",
            "expected a positive number of seconds",
        ),
        ("--timeout", "ten", "invalid floating-point value"),
        (
            "--max-connections",
            "0",
            "expected a whole number from 1 to 1024",
        ),
        (
            "--max-connections",
            "-1",
            "expected a whole number from 1 to 1024",
        ),
        (
            "--max-connections",
            "99999999999999999999",
            "from 1 to 1024",
        ),
        ("--max-connections", "1e3", "invalid integer value"),
        ("--max-connections", "", "invalid integer value"),
        ("--max-connections", "NaN", "invalid integer value"),
        ("--retries", "-1", "expected 0 or more retries"),
        (
            "--retries",
            "4294967296",
            "expected at most 4294967295 retries",
        ),
        ("--retries", "1e99", "invalid integer value"),
        ("--retries", "", "invalid integer value"),
        ("--retries", "NaN", "invalid integer value"),
    ];
    let mut cases = 0;
    for (flag, value) in valid {
        let output = install(
            &ctx,
            &server,
            &[flag, value, "numbers", "--force-reinstall"],
        );
        assert_success(&output);
        cases += 1;
    }
    for (flag, value, message) in invalid {
        for form in [
            vec![flag.to_string(), value.to_string()],
            vec![format!("{flag}={value}")],
        ] {
            let mut args: Vec<&str> = form.iter().map(String::as_str).collect();
            args.push("numbers");
            let output = install(&ctx, &server, &args);
            let error = stderr(&output);
            assert_eq!(output.status.code(), Some(2), "{flag} {value}: {error}");
            assert!(error.contains(flag), "{flag} {value}: {error}");
            assert!(error.contains(message), "{flag} {value}: {error}");
            assert!(!error.contains("-- "), "{flag} {value}: {error}");
            cases += 1;
        }
    }
    // The same values from the environment and pip's configuration.
    let venv = ctx.venv().to_string_lossy().to_string();
    let index = server.index_url();
    for (variable, value, works) in [
        ("PIP_TIMEOUT", "1e20", true),
        ("PIP_TIMEOUT", "-1", false),
        ("PIP_TIMEOUT", "NaN", false),
        ("PIP_RETRIES", "-1", false),
        ("VOLLEY_MAX_CONNECTIONS", "0", false),
        ("VOLLEY_MAX_CONNECTIONS", "-1", false),
        ("VOLLEY_MAX_CONNECTIONS", "1e99", false),
    ] {
        let output = ctx
            .command(volley_bin())
            .args(["install", "--python", &venv, "-i", &index, "numbers"])
            .args(["--force-reinstall"])
            .env(variable, value)
            .output()
            .unwrap();
        if works {
            assert_success(&output);
        } else {
            let error = assert_failure(&output);
            assert!(!error.contains("panicked"), "{variable}={value}: {error}");
        }
        cases += 1;
    }
    // A count flag repeated far past its type's range.
    let many = vec!["-v"; 300];
    let mut args = many.clone();
    args.extend(["numbers", "--force-reinstall"]);
    let output = install(&ctx, &server, &args);
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
    assert_ne!(output.status.code(), Some(101));
    cases += 1;
    assert_eq!(cases, 7 + 19 * 2 + 7 + 1);
}

/// Thousands of nested `-r` files end with an error naming the limit, not a stack overflow.
#[test]
fn deeply_nested_requirements_files_are_refused() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("deep", "1.0").build())
        .start();
    let dir = ctx.root().join("nested");
    fs_err::create_dir_all(&dir).unwrap();
    let depth = 4000;
    for level in 0..depth {
        fs_err::write(
            dir.join(format!("r{level}.txt")),
            format!("-r r{}.txt\n", level + 1),
        )
        .unwrap();
    }
    fs_err::write(dir.join(format!("r{depth}.txt")), "deep\n").unwrap();
    let top = dir.join("r0.txt").to_string_lossy().to_string();
    let error = assert_failure(&install(&ctx, &server, &["-r", &top]));
    assert!(error.contains("nested more than 256 deep"), "{error}");
    // Within the limit, the innermost requirement installs.
    fs_err::write(dir.join("r200.txt"), "deep\n").unwrap();
    assert_success(&install(&ctx, &server, &["-r", &top]));
    assert!(pip_freeze(&ctx).contains("deep==1.0"));
}

/// The entries of the cache's page bucket, with their sizes.
fn stored_pages(ctx: &TestContext) -> Vec<(std::path::PathBuf, u64)> {
    volley_test_support::snapshot_tree(ctx.cache_dir())
        .into_iter()
        .filter(|(path, _)| path.starts_with("simple-v1"))
        .map(|(path, bytes)| (path, bytes.len() as u64))
        .collect()
}

/// Index pages are read into memory only up to a cap on their decoded size: a gzip bomb and an
/// endless chunked body both end with an error naming the URL and the limit (the default one and
/// one set with VOLLEY_MAX_BODY_SIZE), and nothing over the cap is stored. (Metadata files: the
/// client's tests, since the binary may take a wheel's metadata from the wheel instead.)
#[test]
fn oversized_pages_and_metadata_are_refused() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let wheel = module_wheel("bomb", "1.0").build();
    let server = IndexServer::builder().wheel(wheel).start();
    let venv = ctx.venv().to_string_lossy().to_string();
    let index = server.index_url();
    let run = |limit: Option<&str>| {
        let mut command = ctx.command(volley_bin());
        command.args([
            "install",
            "--python",
            &venv,
            "-i",
            &index,
            "bomb",
            "--retries",
            "0",
        ]);
        if let Some(limit) = limit {
            command.env("VOLLEY_MAX_BODY_SIZE", limit);
        }
        command.output().unwrap()
    };
    let mut cases = 0;
    let faults = [
        (
            "/simple/bomb/",
            FaultKind::GzipBody(volley_test_support::gzip_bomb(8 << 20, b' ')),
            Some("1M"),
            "1 MiB",
        ),
        (
            "/simple/bomb/",
            FaultKind::EndlessBody {
                chunk: 64 * 1024,
                byte: b' ',
            },
            None,
            "128 MiB",
        ),
        (
            "/simple/bomb/",
            FaultKind::EndlessBody {
                chunk: 64 * 1024,
                byte: b' ',
            },
            Some("2M"),
            "2 MiB",
        ),
    ];
    for (suffix, kind, limit, shown) in faults {
        server.clear_faults();
        server.inject(Fault::new(suffix, kind, 1));
        let output = run(limit);
        let error = assert_failure(&output);
        assert!(error.contains("larger than"), "{suffix} {limit:?}: {error}");
        assert!(error.contains(shown), "{suffix} {limit:?}: {error}");
        assert!(error.contains(suffix), "{error}");
        let pages = stored_pages(&ctx);
        assert!(pages.iter().all(|(_, size)| *size < 1 << 20), "{pages:?}");
        cases += 1;
    }
    assert_eq!(cases, 3);
    // The same index without faults still works, and a small limit that fits works too.
    server.clear_faults();
    assert_success(&run(Some("64K")));
}

/// A page or a wheel trickled slower than the minimum rate (each read well within `--timeout`)
/// ends with an error naming the URL and the rate; once, it is retried and the run succeeds.
#[test]
fn a_trickle_ends_with_an_error_naming_the_rate() {
    use std::time::Duration;

    let ctx = TestContext::new();
    ctx.create_venv();
    let wheel = module_wheel("trickle", "1.0")
        .file("trickle/blob.bin", noise(100_000, 4))
        .build();
    let filename = wheel.filename.clone();
    let server = IndexServer::builder().wheel(wheel).start();
    let trickle = || FaultKind::SlowBody {
        chunk: 10,
        delay: Duration::from_millis(100),
    };
    let mut cases = 0;
    for suffix in ["/simple/trickle/", filename.as_str()] {
        server.clear_faults();
        server.inject(Fault::new(suffix, trickle(), 100));
        let output = install(
            &ctx,
            &server,
            &["trickle", "--timeout", "1", "--retries", "0"],
        );
        let error = assert_failure(&output);
        assert!(error.contains(suffix), "{error}");
        assert!(error.contains("bytes/s"), "{error}");
        assert!(
            error.contains("below the minimum of 1024 bytes/s"),
            "{error}"
        );
        cases += 1;
    }
    // Trickled once: the retry gets the file.
    server.clear_faults();
    server.inject(Fault::new(&filename, trickle(), 1));
    assert_success(&install(&ctx, &server, &["trickle", "--timeout", "1"]));
    cases += 1;
    assert_eq!(cases, 3);
}
