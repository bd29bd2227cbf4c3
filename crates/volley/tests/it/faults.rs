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
    // 10 bytes/s.
    let trickle = || FaultKind::SlowBody {
        chunk: 1,
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
            error.contains("below the minimum of 100 bytes/s"),
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

/// Python's view of the venv: `whole`, or the distributions it reads as broken.
const CHECK_WHOLE: &str = "\
import importlib.metadata as m
broken = []
for dist in m.distributions():
    try:
        whole = dist.metadata['Name'] is not None and dist.files is not None
    except Exception:
        whole = False
    if not whole:
        broken.append(str(dist._path))
print(' '.join(broken) or 'whole')
";

#[track_caller]
fn assert_whole(ctx: &TestContext, what: &str) {
    let output = ctx.run_python(CHECK_WHOLE);
    assert_success(&output);
    assert_eq!(stdout(&output).trim(), "whole", "{what}");
}

/// SIGINT at several points of the commit: volley stops, rolls the install back and exits 130;
/// right after it (before any other volley run) the venv is as it was and Python reads every
/// distribution in it as whole.
#[cfg(unix)]
#[test]
fn sigint_during_the_commit_rolls_back() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(
            module_wheel("app", "1.0")
                .file("app/one.py", "ONE = 1\n")
                .build(),
        )
        .wheel(
            module_wheel("app", "2.0")
                .requires_dist("dep")
                .file("app/one.py", "ONE = 2\n")
                .file("app/two.py", "TWO = 2\n")
                .build(),
        )
        .wheel(
            module_wheel("dep", "1.0")
                .file("dep/x.py", "X = 1\n")
                .build(),
        )
        .start();
    assert_success(&install(&ctx, &server, &["app==1.0"]));
    let before = venv_files(&ctx);
    let venv = ctx.venv().to_string_lossy().to_string();
    let index = server.index_url();
    let mut cases = 0;
    for step in [1, 2, 3, 5, 8, 12] {
        let output = ctx
            .command(volley_bin())
            .args(["install", "--python", &venv, "-i", &index, "app==2.0"])
            .env("__VOLLEY_TEST_SIGNAL_AT_COMMIT_STEP", step.to_string())
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(130),
            "step {step}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("interrupted by SIGINT"),
            "{}",
            stderr(&output)
        );
        assert_whole(&ctx, &format!("step {step}"));
        assert_eq!(before, venv_files(&ctx), "step {step}");
        assert!(!ctx.venv().join(".volley-transaction").exists());
        cases += 1;
    }
    assert_eq!(cases, 6);
    // Nothing is left to recover: the next install just works.
    assert_success(&install(&ctx, &server, &["app==2.0"]));
    assert_whole(&ctx, "after");
}

/// SIGINT or SIGTERM while a wheel downloads (with `--no-cache`): exit 130, the venv unchanged,
/// and no temporary cache directory left behind; one left by a killed process is removed by the
/// next run.
#[cfg(unix)]
#[test]
fn a_signal_during_a_download_leaves_nothing_behind() {
    use std::time::Duration;

    let ctx = TestContext::new();
    ctx.create_venv();
    let wheel = module_wheel("slow", "1.0")
        .file("slow/blob.bin", noise(200_000, 8))
        .build();
    let filename = wheel.filename.clone();
    let server = IndexServer::builder().wheel(wheel).start();
    let temp = ctx.root().join("tmp");
    fs_err::create_dir_all(&temp).unwrap();
    let before = venv_files(&ctx);
    let venv = ctx.venv().to_string_lossy().to_string();
    let index = server.index_url();
    let leftovers = || -> Vec<String> {
        fs_err::read_dir(&temp)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with("volley-"))
            .collect()
    };
    // The directory of a process that is gone (no process has so high an id).
    fs_err::create_dir_all(temp.join("volley-cache-999999999-stale/wheels-v1")).unwrap();
    let mut cases = 0;
    for signal in ["INT", "TERM"] {
        server.clear_faults();
        server.clear_requests();
        server.inject(Fault::new(
            &filename,
            FaultKind::SlowBody {
                chunk: 2_000,
                delay: Duration::from_millis(50),
            },
            1,
        ));
        let child = ctx
            .command(volley_bin())
            .args([
                "install",
                "--python",
                &venv,
                "-i",
                &index,
                "slow",
                "--no-cache",
            ])
            .env("TMPDIR", &temp)
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until the wheel's body is under way.
        while !server
            .requests()
            .iter()
            .any(|request| request.path.ends_with(&filename))
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        let status = std::process::Command::new("sh")
            .args(["-c", &format!("kill -{signal} {}", child.id())])
            .status()
            .unwrap();
        assert!(status.success());
        let output = child.wait_with_output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(130),
            "{signal}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(&format!("interrupted by SIG{signal}")),
            "{}",
            stderr(&output)
        );
        assert_eq!(before, venv_files(&ctx), "{signal}");
        assert_whole(&ctx, signal);
        assert!(leftovers().is_empty(), "{signal}: {:?}", leftovers());
        cases += 1;
    }
    assert_eq!(cases, 2);
}

/// A small tmpfs mounted for a test, unmounted when dropped; `None` (with a visible message)
/// where it cannot be mounted (not root, no `mount`).
#[cfg(target_os = "linux")]
struct SmallDisk(std::path::PathBuf);

#[cfg(target_os = "linux")]
impl SmallDisk {
    #[allow(clippy::print_stderr)] // a skipped test says why
    fn mount(at: &std::path::Path, size: &str) -> Option<Self> {
        fs_err::create_dir_all(at).unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .is_ok_and(|output| output.status.success());
        if mounted {
            return Some(Self(at.to_path_buf()));
        }
        // Mounting needs privileges that no package gives: skipped (visibly) even in CI.
        eprintln!(
            "SKIPPED: cannot mount a tmpfs here (needs root); the disk-full test did not run"
        );
        None
    }
}

#[cfg(target_os = "linux")]
impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// A full disk: the error names the file and the OS error, and `--no-cache` leaves no temporary
/// cache directory behind.
#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_names_the_path_and_the_error() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let Some(disk) = SmallDisk::mount(&ctx.root().join("small"), "256k") else {
        return;
    };
    let wheel = module_wheel("huge", "1.0")
        .file("huge/blob.bin", noise(1_000_000, 12))
        .build();
    let server = IndexServer::builder().wheel(wheel).start();
    let before = venv_files(&ctx);
    let venv = ctx.venv().to_string_lossy().to_string();
    let index = server.index_url();
    let cache = disk.0.join("cache");
    let mut cases = 0;
    for no_cache in [false, true] {
        let mut command = ctx.command(volley_bin());
        command.args(["install", "--python", &venv, "-i", &index, "huge"]);
        if no_cache {
            command.arg("--no-cache").env("TMPDIR", &disk.0);
        } else {
            command.env("VOLLEY_CACHE_DIR", &cache);
        }
        let output = command.output().unwrap();
        let error = assert_failure(&output);
        assert!(error.contains("No space left on device"), "{error}");
        assert!(
            error.contains(&disk.0.display().to_string()),
            "the path: {error}"
        );
        assert_eq!(before, venv_files(&ctx));
        if no_cache {
            let left: Vec<_> = fs_err::read_dir(&disk.0)
                .unwrap()
                .map(|entry| entry.unwrap().file_name())
                .filter(|name| name.to_string_lossy().starts_with("volley-cache-"))
                .collect();
            assert!(left.is_empty(), "{left:?}");
        }
        cases += 1;
    }
    assert_eq!(cases, 2);
}

/// `volley cache clean` while an install runs waits for it (saying so) rather than pulling the
/// cache from under it: both succeed.
#[test]
fn cache_clean_waits_for_a_running_install() {
    use std::time::Duration;

    let ctx = TestContext::new();
    ctx.create_venv();
    let wheel = module_wheel("busy", "1.0")
        .file("busy/blob.bin", noise(100_000, 13))
        .build();
    let filename = wheel.filename.clone();
    let server = IndexServer::builder().wheel(wheel).start();
    server.inject(Fault::new(
        &filename,
        FaultKind::SlowBody {
            chunk: 10_000,
            delay: Duration::from_millis(100),
        },
        1,
    ));
    let venv = ctx.venv().to_string_lossy().to_string();
    let index = server.index_url();
    let install = ctx
        .command(volley_bin())
        .args(["install", "--python", &venv, "-i", &index, "busy"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    while !server
        .requests()
        .iter()
        .any(|request| request.path.ends_with(&filename))
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let clean = volley(&ctx, &["cache", "clean"]);
    let installed = install.wait_with_output().unwrap();
    assert_success(&installed);
    assert_success(&clean);
    assert!(
        stderr(&clean).contains("Waiting for other volley processes"),
        "{}",
        stderr(&clean)
    );
    assert!(pip_freeze(&ctx).contains("busy==1.0"));
    assert_pip_check(&ctx);
}

/// `-r URL` is fetched (as pip does) with the run's client: here with the index's credentials,
/// which the file's host shares. A file it includes by a relative path is refused clearly.
#[test]
fn requirements_files_by_url_are_fetched_with_the_same_client() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("remote", "1.0").build())
        .file("lists", "requirements.txt", "remote==1.0\n")
        .file("lists", "nested.txt", "-r requirements.txt\n")
        .basic_auth("user", "s3cret")
        .start();
    let venv = ctx.venv().to_string_lossy().to_string();
    let index = server.index_url().replace("http://", "http://user:s3cret@");
    let url = server.file_url("requirements.txt");
    let output = volley(
        &ctx,
        &["install", "--python", &venv, "-i", &index, "-r", &url],
    );
    assert_success(&output);
    assert!(pip_freeze(&ctx).contains("remote==1.0"));
    let fetched = server
        .requests()
        .into_iter()
        .find(|request| request.path.ends_with("/requirements.txt"))
        .expect("the requirements file was fetched");
    assert_eq!(fetched.status, Some(200));
    assert!(fetched.header("authorization").is_some());

    let nested = server.file_url("nested.txt");
    let error = assert_failure(&volley(
        &ctx,
        &["install", "--python", &venv, "-i", &index, "-r", &nested],
    ));
    assert!(error.contains("nested remote requirements file"), "{error}");
    assert!(!error.contains("s3cret"), "{error}");
}
