//! The pipeline seen from the index server's request log: each URL once, the connection cap,
//! metadata from the cheapest source, wheel downloads that start while resolving, cancelled
//! downloads of abandoned candidates, and transient faults survived.

use std::time::Duration;

use crate::common::*;

/// `(path, started)` of every request, in arrival order.
fn log(server: &IndexServer) -> Vec<(String, std::time::Instant)> {
    let mut requests: Vec<_> = server
        .requests()
        .into_iter()
        .map(|request| (request.path, request.started))
        .collect();
    requests.sort_by_key(|(_, started)| *started);
    requests
}

#[test]
fn each_url_is_fetched_once_however_many_depend_on_it() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let mut builder = IndexServer::builder().wheel(module_wheel("common", "1.0").build());
    let mut roots = Vec::new();
    for index in 0..8 {
        let name = format!("leaf{index}");
        builder = builder.wheel(
            module_wheel(&name, "1.0")
                .requires_dist("common>=1")
                .build(),
        );
        roots.push(name);
    }
    let server = builder.start();
    let mut args: Vec<&str> = roots.iter().map(String::as_str).collect();
    args.push("--max-connections");
    args.push("4");
    assert_success(&install(&ctx, &server, &args));
    let paths: Vec<String> = log(&server).into_iter().map(|(path, _)| path).collect();
    let mut unique = paths.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        paths.len(),
        unique.len(),
        "a URL was fetched twice: {paths:#?}"
    );
    assert_eq!(
        paths
            .iter()
            .filter(|path| path.starts_with("/simple/common"))
            .count(),
        1
    );
}

fn slow_wheels_server(count: usize) -> (IndexServer, Vec<String>) {
    let mut builder = IndexServer::builder();
    let mut names = Vec::new();
    let mut filenames = Vec::new();
    for index in 0..count {
        let name = format!("slow{index}");
        let wheel = module_wheel(&name, "1.0")
            .file(
                &format!("slow{index}/blob.bin"),
                noise(20_000, index as u32),
            )
            .build();
        filenames.push(wheel.filename.clone());
        builder = builder.wheel(wheel);
        names.push(name);
    }
    let server = builder.start();
    for filename in &filenames {
        server.inject(Fault::new(
            filename,
            FaultKind::SlowBody {
                chunk: 2_000,
                delay: Duration::from_millis(15),
            },
            1,
        ));
    }
    (server, names)
}

#[test]
fn connections_in_flight_respect_the_cap() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let (server, names) = slow_wheels_server(8);
    let mut args: Vec<&str> = names.iter().map(String::as_str).collect();
    args.extend(["--max-connections", "3"]);
    assert_success(&install(&ctx, &server, &args));
    let most = server.max_in_flight();
    assert!((2..=3).contains(&most), "max in flight was {most}");
}

#[test]
fn one_connection_is_a_serial_run() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let (server, names) = slow_wheels_server(4);
    let mut args: Vec<&str> = names.iter().map(String::as_str).collect();
    args.extend(["--max-connections", "1"]);
    assert_success(&install(&ctx, &server, &args));
    assert_eq!(server.max_in_flight(), 1);

    // The environment variable sets the same cap.
    let ctx = TestContext::new();
    ctx.create_venv();
    let (server, names) = slow_wheels_server(4);
    let venv = ctx.venv().to_string_lossy().to_string();
    let index = server.index_url();
    let mut args = vec!["install", "--python", venv.as_str(), "-i", index.as_str()];
    args.extend(names.iter().map(String::as_str));
    let output = ctx
        .command(volley_bin())
        .args(&args)
        .env("VOLLEY_MAX_CONNECTIONS", "1")
        .output()
        .unwrap();
    assert_success(&output);
    assert_eq!(server.max_in_flight(), 1);
}

/// Bytes that do not compress, so that a wheel's size is what the test says.
pub(crate) fn noise(length: usize, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_add(0x9e37_79b9);
    (0..length)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        })
        .collect()
}

/// A package whose wheel is big and incompressible, so that a range read is clearly cheaper
/// than the whole file.
fn big_wheel(name: &str) -> BuiltWheel {
    module_wheel(name, "1.0")
        .file(&format!("{name}/noise.bin"), noise(400_000, 0x1234_5678))
        .requires_dist("small")
        .build()
}

#[test]
fn metadata_comes_from_the_cheapest_source() {
    // `.metadata` offered: no byte of the wheel is read to resolve.
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(big_wheel("big"))
        .wheel(module_wheel("small", "1.0").build())
        .start();
    let output = install(&ctx, &server, &["big", "--dry-run"]);
    assert_success(&output);
    let requests = server.requests();
    assert!(requests.iter().any(|r| r.path.ends_with(".whl.metadata")));
    assert!(
        !requests.iter().any(|r| r.path.ends_with(".whl")),
        "{requests:#?}"
    );

    // No `.metadata`: range requests read the central directory and METADATA only.
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .metadata_files(false)
        .wheel(big_wheel("big"))
        .wheel(module_wheel("small", "1.0").build())
        .start();
    let output = install(&ctx, &server, &["big", "--dry-run"]);
    assert_success(&output);
    let wheel_requests: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("/big-1.0"))
        .collect();
    assert!(!wheel_requests.is_empty());
    assert!(
        wheel_requests.iter().all(|r| r.header("range").is_some()),
        "every read of the big wheel was a range read: {wheel_requests:#?}"
    );

    // The server ignores ranges: the whole wheel is fetched once and kept for the install.
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .metadata_files(false)
        .range_requests(false)
        .wheel(big_wheel("big"))
        .wheel(module_wheel("small", "1.0").build())
        .start();
    assert_success(&install(&ctx, &server, &["big"]));
    let big_gets = server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("big-1.0-py3-none-any.whl"))
        .count();
    assert_eq!(big_gets, 1, "the whole wheel was fetched once");
    assert!(pip_freeze(&ctx).contains("big==1.0"));
}

#[test]
fn wheel_downloads_start_while_resolving() {
    let ctx = TestContext::new();
    ctx.create_venv();
    // A chain top -> mid1 -> ... -> mid5; the last page answers slowly, so resolution is
    // still going when the top package is decided.
    let mut builder =
        IndexServer::builder().wheel(module_wheel("top", "1.0").requires_dist("mid1").build());
    for index in 1..=5 {
        let mut wheel = module_wheel(&format!("mid{index}"), "1.0");
        if index < 5 {
            wheel = wheel.requires_dist(&format!("mid{}", index + 1));
        }
        builder = builder.wheel(wheel.build());
    }
    let server = builder.start();
    server.inject(Fault::new(
        "/simple/mid5/",
        FaultKind::Delay(Duration::from_millis(700)),
        1,
    ));
    assert_success(&install(&ctx, &server, &["top"]));
    let requests = log(&server);
    let first_wheel = requests
        .iter()
        .find(|(path, _)| path.ends_with(".whl"))
        .map(|(_, started)| *started)
        .expect("a wheel was downloaded");
    let last_page = requests
        .iter()
        .filter(|(path, _)| path.starts_with("/simple/"))
        .map(|(_, started)| *started)
        .max()
        .unwrap();
    assert!(
        first_wheel < last_page,
        "the first wheel GET came after the last index page GET: {requests:#?}"
    );
}

#[test]
fn backtracking_cancels_the_abandoned_download() {
    let ctx = TestContext::new();
    ctx.create_venv();
    // pick 2.0 is tried first (newest) and decided, so its big wheel starts downloading;
    // its dependency cannot be met, so the resolver backtracks to pick 1.0.
    let abandoned = module_wheel("pick", "2.0")
        .file("pick/blob.bin", noise(300_000, 7))
        .requires_dist("needed>=5")
        .build();
    let abandoned_name = abandoned.filename.clone();
    let server = IndexServer::builder()
        .wheel(abandoned)
        .wheel(module_wheel("pick", "1.0").requires_dist("needed").build())
        .wheel(module_wheel("needed", "1.0").build())
        .start();
    server.inject(Fault::new(
        &abandoned_name,
        FaultKind::SlowBody {
            chunk: 1_000,
            delay: Duration::from_millis(20),
        },
        5,
    ));
    let output = install(&ctx, &server, &["pick"]);
    assert_success(&output);
    assert!(
        stderr(&output).contains("+ pick==1.0"),
        "{}",
        stderr(&output)
    );
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.path.ends_with(&abandoned_name)),
        "the abandoned candidate's download had started"
    );
    // Nothing of the abandoned wheel stays in the cache: no finished file, no partial one.
    let leftovers: Vec<_> = walk(ctx.cache_dir())
        .into_iter()
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.contains("pick-2.0") || name.starts_with(".tmp")
        })
        .collect();
    assert!(leftovers.is_empty(), "left in the cache: {leftovers:#?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    volley_test_support::snapshot_tree(dir)
        .into_keys()
        .map(|relative| dir.join(relative))
        .collect()
}

#[test]
fn transient_faults_are_survived() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let flaky = module_wheel("flaky", "1.0").requires_dist("shaky").build();
    let shaky = module_wheel("shaky", "1.0")
        .file("shaky/blob.bin", noise(50_000, 3))
        .build();
    let (flaky_name, shaky_name) = (flaky.filename.clone(), shaky.filename.clone());
    let server = IndexServer::builder().wheel(flaky).wheel(shaky).start();
    server.inject(Fault::new("/simple/flaky/", FaultKind::Status(503), 2));
    server.inject(Fault::new(
        "/simple/shaky/",
        FaultKind::StatusWithRetryAfter(429, 1),
        1,
    ));
    server.inject(Fault::new(
        &format!("{flaky_name}.metadata"),
        FaultKind::Reset,
        1,
    ));
    server.inject(Fault::new(&flaky_name, FaultKind::Status(502), 1));
    server.inject(Fault::new(
        &shaky_name,
        FaultKind::Truncate { after: 10_000 },
        1,
    ));
    let output = install(&ctx, &server, &["flaky"]);
    assert_success(&output);
    let freeze = pip_freeze(&ctx);
    assert!(
        freeze.contains("flaky==1.0") && freeze.contains("shaky==1.0"),
        "{freeze}"
    );
    assert_pip_check(&ctx);
}

#[test]
fn persistent_truncation_fails_cleanly() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let wheel = module_wheel("cut", "1.0")
        .file("cut/blob.bin", noise(50_000, 1))
        .build();
    let filename = wheel.filename.clone();
    let server = IndexServer::builder().wheel(wheel).start();
    server.inject(Fault::new(
        &filename,
        FaultKind::Truncate { after: 1_000 },
        1_000,
    ));
    let before = venv_files(&ctx);
    let output = install(&ctx, &server, &["cut", "--retries", "2"]);
    let error = assert_failure(&output);
    assert!(error.contains(&filename), "{error}");
    assert_eq!(before, venv_files(&ctx));
}

#[test]
fn a_wheel_is_unpacked_while_its_body_streams() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let wheel = module_wheel("streamy", "1.0")
        .file("streamy/blob.bin", noise(600_000, 9))
        .file("streamy/sub/more.py", "VALUE = 2\n")
        .data_file("scripts", "streamy-tool", "#!python\nprint('tool')\n")
        .data_file("data", "share/streamy/notes.txt", "notes\n")
        .build();
    let (filename, sha256) = (wheel.filename.clone(), wheel.sha256.clone());
    let server = IndexServer::builder().wheel(wheel).start();
    // A slow body: the wheel arrives in many pieces, each written before the next comes.
    server.inject(Fault::new(
        &filename,
        FaultKind::SlowBody {
            chunk: 20_000,
            delay: Duration::from_millis(5),
        },
        1,
    ));
    let output = install(&ctx, &server, &["streamy", "-vv"]);
    assert_success(&output);
    assert!(
        stderr(&output).contains(&format!("unpacked {filename} while it downloaded")),
        "{}",
        stderr(&output)
    );
    assert!(pip_freeze(&ctx).contains("streamy==1.0"));
    assert_pip_check(&ctx);

    // The cached tree is the one `unpack_wheel` makes of the downloaded file.
    let streamed = ctx.cache_dir().join("unpacked-v1").join(&sha256);
    let downloaded = ctx
        .cache_dir()
        .join("wheels-v1")
        .join(&sha256)
        .join(&filename);
    let elsewhere = tempfile::tempdir().unwrap();
    let whole =
        volley_installer::unpack_wheel(&downloaded, &elsewhere.path().join("tree")).unwrap();
    assert_eq!(
        volley_test_support::snapshot_tree(&streamed),
        volley_test_support::snapshot_tree(whole.root())
    );
    let leftovers: Vec<_> = walk(ctx.cache_dir())
        .into_iter()
        .filter(|path| path.to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "left in the cache: {leftovers:#?}");
}

#[test]
fn a_retried_download_is_unpacked_from_the_retry() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let wheel = module_wheel("retried", "1.0")
        .file("retried/blob.bin", noise(800_000, 11))
        .build();
    let filename = wheel.filename.clone();
    let server = IndexServer::builder().wheel(wheel).start();
    // The first body breaks off after several writes; the retry succeeds.
    server.inject(Fault::new(
        &filename,
        FaultKind::Truncate { after: 500_000 },
        1,
    ));
    let output = install(&ctx, &server, &["retried", "-vv"]);
    assert_success(&output);
    // Streamed all the same: the reading started over with the retry (or began with it).
    assert!(
        stderr(&output).contains(&format!("unpacked {filename} while it downloaded")),
        "{}",
        stderr(&output)
    );
    assert!(pip_freeze(&ctx).contains("retried==1.0"));
    let installed = ctx.site_packages().join("retried/blob.bin");
    assert_eq!(fs_err::read(installed).unwrap(), noise(800_000, 11));
    assert_pip_check(&ctx);
}
