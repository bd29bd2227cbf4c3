//! The index server: pages, files, ranges, every fault kind, the request log.

use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use volley_test_support::{
    BuiltWheel, Fault, FaultKind, IndexFormat, IndexServer, SdistBuilder, TestContext,
    WheelBuilder, sha256_hex,
};

use crate::client::{get, request};

fn foo_wheel() -> BuiltWheel {
    WheelBuilder::new("Foo_Bar", "1.0")
        .requires_python(">=3.8")
        .requires_dist("requests>=2; extra == 'socks'")
        .provides_extra("socks")
        .file("foo_bar/__init__.py", "def main():\n    print('hi')\n")
        .build()
}

/// Replaces the hashes in a page with placeholders, for snapshots.
fn filter_hashes(text: &str, wheel: &BuiltWheel) -> String {
    text.replace(&wheel.sha256, "[WHEEL-SHA256]")
        .replace(&sha256_hex(&wheel.metadata), "[METADATA-SHA256]")
}

#[test]
fn html_pages() {
    let wheel = foo_wheel();
    let sdist = SdistBuilder::new("Foo_Bar", "0.9").build();
    let server = IndexServer::builder()
        .wheel(wheel.clone())
        .file("foo-bar", &sdist.filename, sdist.bytes.clone())
        .requires_python(&wheel.filename, ">=3.8")
        .yanked(&sdist.filename, Some("broken \"build\""))
        .start();

    let root = get(server.address(), "/simple/");
    assert_eq!(root.status, Some(200));
    assert_eq!(
        root.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    insta::assert_snapshot!(root.text(), @r#"
    <!DOCTYPE html>
    <html>
      <head>
        <meta name="pypi:repository-version" content="1.1">
        <title>Simple index</title>
      </head>
      <body>
        <a href="foo-bar/">foo-bar</a><br/>
      </body>
    </html>
    "#);

    let project = get(server.address(), "/simple/foo-bar/");
    assert_eq!(project.status, Some(200));
    let text = filter_hashes(&project.text(), &wheel).replace(&sdist.sha256, "[SDIST-SHA256]");
    insta::assert_snapshot!(text, @r#"
    <!DOCTYPE html>
    <html>
      <head>
        <meta name="pypi:repository-version" content="1.1">
        <title>Links for foo-bar</title>
      </head>
      <body>
        <h1>Links for foo-bar</h1>
        <a href="../../files/Foo_Bar-1.0-py3-none-any.whl#sha256=[WHEEL-SHA256]" data-requires-python="&gt;=3.8" data-dist-info-metadata="sha256=[METADATA-SHA256]" data-core-metadata="sha256=[METADATA-SHA256]">Foo_Bar-1.0-py3-none-any.whl</a><br/>
        <a href="../../files/foo_bar-0.9.tar.gz#sha256=[SDIST-SHA256]" data-yanked="broken &quot;build&quot;">foo_bar-0.9.tar.gz</a><br/>
      </body>
    </html>
    "#);
}

#[test]
fn json_pages() {
    let wheel = foo_wheel();
    let server = IndexServer::builder()
        .wheel(wheel.clone())
        .requires_python(&wheel.filename, ">=3.8")
        .yanked(&wheel.filename, None)
        .start();
    let accept = "application/vnd.pypi.simple.v1+json, \
                  application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01";

    let root = request(server.address(), "GET", "/simple/", &[("Accept", accept)]);
    assert_eq!(
        root.header("content-type"),
        Some("application/vnd.pypi.simple.v1+json")
    );
    insta::assert_snapshot!(root.text(), @r#"{"meta":{"api-version":"1.1"},"projects":[{"name":"foo-bar"}]}"#);

    let project = request(
        server.address(),
        "GET",
        "/simple/foo-bar/",
        &[("Accept", accept)],
    );
    let page: serde_json::Value = serde_json::from_slice(&project.body).unwrap();
    let pretty = serde_json::to_string_pretty(&page).unwrap();
    let size = wheel.bytes.len().to_string();
    insta::assert_snapshot!(filter_hashes(&pretty, &wheel).replace(&size, "[SIZE]"), @r#"
    {
      "files": [
        {
          "core-metadata": {
            "sha256": "[METADATA-SHA256]"
          },
          "dist-info-metadata": {
            "sha256": "[METADATA-SHA256]"
          },
          "filename": "Foo_Bar-1.0-py3-none-any.whl",
          "hashes": {
            "sha256": "[WHEEL-SHA256]"
          },
          "requires-python": ">=3.8",
          "size": [SIZE],
          "url": "../../files/Foo_Bar-1.0-py3-none-any.whl",
          "yanked": true
        }
      ],
      "meta": {
        "api-version": "1.1"
      },
      "name": "foo-bar",
      "versions": [
        "1.0"
      ]
    }
    "#);
}

#[test]
fn format_is_forced() {
    let json_accept = [("Accept", "application/vnd.pypi.simple.v1+json")];
    let html = IndexServer::builder()
        .wheel(foo_wheel())
        .format(IndexFormat::Html)
        .start();
    let page = request(html.address(), "GET", "/simple/foo-bar/", &json_accept);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );

    let json = IndexServer::builder()
        .wheel(foo_wheel())
        .format(IndexFormat::Json)
        .start();
    let page = get(json.address(), "/simple/foo-bar/");
    assert_eq!(
        page.header("content-type"),
        Some("application/vnd.pypi.simple.v1+json")
    );
}

#[test]
fn names_are_normalized_with_redirects() {
    let server = IndexServer::builder().wheel(foo_wheel()).start();
    for path in ["/simple/Foo_Bar/", "/simple/foo.bar/", "/simple/foo-bar"] {
        let response = get(server.address(), path);
        assert_eq!(response.status, Some(301), "{path}");
        assert_eq!(
            response.header("location"),
            Some("/simple/foo-bar/"),
            "{path}"
        );
    }
    assert_eq!(get(server.address(), "/simple").status, Some(301));
    assert_eq!(get(server.address(), "/simple/nothing/").status, Some(404));
    assert_eq!(
        get(server.address(), "/files/nothing.whl").status,
        Some(404)
    );
    assert_eq!(
        request(server.address(), "POST", "/simple/", &[]).status,
        Some(405)
    );
}

#[test]
fn files_and_metadata() {
    let wheel = foo_wheel();
    let server = IndexServer::builder().wheel(wheel.clone()).start();
    let file = get(server.address(), &format!("/files/{}", wheel.filename));
    assert_eq!(file.status, Some(200));
    assert_eq!(file.body, wheel.bytes);
    assert_eq!(file.header("accept-ranges"), Some("bytes"));
    let length = wheel.bytes.len().to_string();
    assert_eq!(file.header("content-length"), Some(length.as_str()));

    let metadata = get(
        server.address(),
        &format!("/files/{}.metadata", wheel.filename),
    );
    assert_eq!(metadata.status, Some(200));
    assert_eq!(metadata.body, wheel.metadata);
    insta::assert_snapshot!(metadata.text(), @r"
    Metadata-Version: 2.1
    Name: Foo_Bar
    Version: 1.0
    Requires-Python: >=3.8
    Requires-Dist: requests>=2; extra == 'socks'
    Provides-Extra: socks
    ");

    let head = request(
        server.address(),
        "HEAD",
        &format!("/files/{}", wheel.filename),
        &[],
    );
    assert_eq!(head.status, Some(200));
    assert_eq!(head.header("content-length"), Some(length.as_str()));
    assert!(head.body.is_empty());

    let etag = file.header("etag").expect("an etag").to_string();
    let cached = request(
        server.address(),
        "GET",
        &format!("/files/{}", wheel.filename),
        &[("If-None-Match", &etag)],
    );
    assert_eq!(cached.status, Some(304));
    assert!(cached.body.is_empty());
}

#[test]
fn metadata_files_can_be_turned_off() {
    let wheel = foo_wheel();
    let server = IndexServer::builder()
        .wheel(wheel.clone())
        .metadata_files(false)
        .start();
    let page = get(server.address(), "/simple/foo-bar/").text();
    assert!(!page.contains("metadata"), "{page}");
    let metadata = get(
        server.address(),
        &format!("/files/{}.metadata", wheel.filename),
    );
    assert_eq!(metadata.status, Some(404));
}

#[test]
fn metadata_of_a_wheel_added_as_a_file() {
    let wheel = foo_wheel();
    let server = IndexServer::builder().start();
    server.add_file("Foo_Bar", &wheel.filename, wheel.bytes.clone());
    let page = get(server.address(), "/simple/foo-bar/").text();
    assert!(page.contains(&sha256_hex(&wheel.metadata)), "{page}");
    let metadata = get(
        server.address(),
        &format!("/files/{}.metadata", wheel.filename),
    );
    assert_eq!(metadata.body, wheel.metadata);
}

#[test]
fn ranges() {
    let wheel = foo_wheel();
    let server = IndexServer::builder().wheel(wheel.clone()).start();
    let path = format!("/files/{}", wheel.filename);
    let length = wheel.bytes.len();
    let range = |value: &str| request(server.address(), "GET", &path, &[("Range", value)]);

    let first = range("bytes=0-9");
    assert_eq!(first.status, Some(206));
    assert_eq!(first.body, wheel.bytes[..10]);
    assert_eq!(
        first.header("content-range"),
        Some(format!("bytes 0-9/{length}").as_str())
    );
    assert_eq!(first.header("content-length"), Some("10"));

    let open = range("bytes=10-");
    assert_eq!(open.status, Some(206));
    assert_eq!(open.body, wheel.bytes[10..]);

    let suffix = range("bytes=-22");
    assert_eq!(suffix.status, Some(206));
    assert_eq!(suffix.body, wheel.bytes[length - 22..]);
    assert_eq!(
        suffix.header("content-range"),
        Some(format!("bytes {}-{}/{length}", length - 22, length - 1).as_str())
    );

    let beyond = range(&format!("bytes={length}-"));
    assert_eq!(beyond.status, Some(416));
    assert_eq!(
        beyond.header("content-range"),
        Some(format!("bytes */{length}").as_str())
    );

    let ignoring = IndexServer::builder()
        .wheel(wheel.clone())
        .range_requests(false)
        .start();
    let whole = request(ignoring.address(), "GET", &path, &[("Range", "bytes=0-9")]);
    assert_eq!(whole.status, Some(200));
    assert_eq!(whole.body, wheel.bytes);
    assert_eq!(whole.header("accept-ranges"), None);
}

#[test]
fn fault_status_then_normal() {
    let wheel = foo_wheel();
    let server = IndexServer::builder().wheel(wheel.clone()).start();
    server.inject(Fault::new(".whl", FaultKind::Status(503), 2));
    let path = format!("/files/{}", wheel.filename);
    assert_eq!(get(server.address(), &path).status, Some(503));
    // Other paths are not affected.
    assert_eq!(get(server.address(), "/simple/foo-bar/").status, Some(200));
    assert_eq!(get(server.address(), &path).status, Some(503));
    let normal = get(server.address(), &path);
    assert_eq!(normal.status, Some(200));
    assert_eq!(normal.body, wheel.bytes);
}

#[test]
fn fault_retry_after() {
    let server = IndexServer::builder().wheel(foo_wheel()).start();
    server.inject(Fault::new(
        "/simple/foo-bar/",
        FaultKind::StatusWithRetryAfter(429, 7),
        1,
    ));
    let response = get(server.address(), "/simple/foo-bar/");
    assert_eq!(response.status, Some(429));
    assert_eq!(response.header("retry-after"), Some("7"));
    assert_eq!(get(server.address(), "/simple/foo-bar/").status, Some(200));
}

#[test]
fn fault_reset() {
    let server = IndexServer::builder().wheel(foo_wheel()).start();
    server.inject(Fault::new("/simple/foo-bar/", FaultKind::Reset, 1));
    let response = get(server.address(), "/simple/foo-bar/");
    assert_eq!(response.status, None);
    assert!(response.body.is_empty());
    assert_eq!(response.error, Some(std::io::ErrorKind::ConnectionReset));

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].status, None);
    assert!(requests[0].finished.is_some());
    assert_eq!(get(server.address(), "/simple/foo-bar/").status, Some(200));
}

#[test]
fn fault_slow_body() {
    let wheel = WheelBuilder::new("slow", "1.0")
        .file("slow/data.txt", "x".repeat(1000))
        .build();
    let server = IndexServer::builder().wheel(wheel.clone()).start();
    let chunk = wheel.bytes.len() / 4 + 1;
    server.inject(Fault::new(
        ".whl",
        FaultKind::SlowBody {
            chunk,
            delay: Duration::from_millis(100),
        },
        1,
    ));
    let start = Instant::now();
    let response = get(server.address(), &format!("/files/{}", wheel.filename));
    let elapsed = start.elapsed();
    assert_eq!(response.body, wheel.bytes);
    // Four chunks, three pauses.
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
}

#[test]
fn fault_truncate() {
    let wheel = foo_wheel();
    let server = IndexServer::builder().wheel(wheel.clone()).start();
    server.inject(Fault::new(".whl", FaultKind::Truncate { after: 10 }, 1));
    let response = get(server.address(), &format!("/files/{}", wheel.filename));
    assert_eq!(response.status, Some(200));
    let length = wheel.bytes.len().to_string();
    assert_eq!(response.header("content-length"), Some(length.as_str()));
    assert_eq!(response.body, wheel.bytes[..10]);
}

#[test]
fn fault_truncate_a_range() {
    let wheel = foo_wheel();
    let server = IndexServer::builder().wheel(wheel.clone()).start();
    server.inject(Fault::new(".whl", FaultKind::Truncate { after: 5 }, 1));
    let response = request(
        server.address(),
        "GET",
        &format!("/files/{}", wheel.filename),
        &[("Range", "bytes=100-199")],
    );
    assert_eq!(response.status, Some(206));
    assert_eq!(response.header("content-length"), Some("100"));
    assert_eq!(response.body, wheel.bytes[100..105]);
}

#[test]
fn fault_wrong_body() {
    let wheel = foo_wheel();
    let server = IndexServer::builder().wheel(wheel.clone()).start();
    server.inject(Fault::new(&wheel.filename, FaultKind::WrongBody, 1));
    let response = get(server.address(), &format!("/files/{}", wheel.filename));
    assert_eq!(response.status, Some(200));
    assert_eq!(response.body.len(), wheel.bytes.len());
    assert_ne!(sha256_hex(&response.body), wheel.sha256);
}

#[test]
fn fault_delay() {
    let server = IndexServer::builder().wheel(foo_wheel()).start();
    server.inject(Fault::new(
        "/simple/",
        FaultKind::Delay(Duration::from_millis(200)),
        1,
    ));
    let start = Instant::now();
    assert_eq!(get(server.address(), "/simple/").status, Some(200));
    assert!(start.elapsed() >= Duration::from_millis(200));
    let requests = server.requests();
    let served = requests[0].finished.unwrap() - requests[0].started;
    assert!(served >= Duration::from_millis(200), "{served:?}");
}

#[test]
fn request_log() {
    let server = IndexServer::builder().wheel(foo_wheel()).start();
    request(
        server.address(),
        "GET",
        "/simple/foo-bar/?x=1",
        &[("X-Custom", "Value"), ("Accept", "text/html")],
    );
    get(server.address(), "/simple/missing/");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, "/simple/foo-bar/?x=1");
    assert_eq!(requests[0].status, Some(200));
    assert_eq!(requests[0].header("x-custom"), Some("Value"));
    assert!(
        requests[0]
            .headers
            .contains(&("accept".to_string(), "text/html".to_string()))
    );
    assert!(requests[0].finished.unwrap() >= requests[0].started);
    assert_eq!(requests[1].status, Some(404));

    server.clear_requests();
    assert!(server.requests().is_empty());
}

#[test]
fn max_in_flight() {
    let server = IndexServer::builder().wheel(foo_wheel()).start();
    get(server.address(), "/simple/");
    get(server.address(), "/simple/");
    assert_eq!(server.max_in_flight(), 1);

    server.clear_requests();
    server.inject(Fault::new(
        "/simple/foo-bar/",
        FaultKind::Delay(Duration::from_millis(300)),
        3,
    ));
    let address = server.address();
    let clients: Vec<_> = (0..3)
        .map(|_| thread::spawn(move || get(address, "/simple/foo-bar/").status))
        .collect();
    for client in clients {
        assert_eq!(client.join().unwrap(), Some(200));
    }
    assert_eq!(server.max_in_flight(), 3);
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn files_added_after_start() {
    let server = IndexServer::builder().start();
    assert_eq!(get(server.address(), "/simple/foo-bar/").status, Some(404));
    server.add_wheel(foo_wheel());
    server.add_wheel(WheelBuilder::new("foo-bar", "2.0").build());
    let page = get(server.address(), "/simple/foo-bar/").text();
    assert!(page.contains("Foo_Bar-1.0-py3-none-any.whl"), "{page}");
    assert!(page.contains("foo_bar-2.0-py3-none-any.whl"), "{page}");
    assert!(!page.contains("data-yanked"), "{page}");

    server.set_yanked("foo_bar-2.0-py3-none-any.whl", Some("oops"));
    server.set_requires_python("foo_bar-2.0-py3-none-any.whl", "<4,>=3.9");
    let page = get(server.address(), "/simple/foo-bar/").text();
    assert!(
        page.contains("data-requires-python=\"&lt;4,&gt;=3.9\" data-dist-info-metadata="),
        "{page}"
    );
    assert!(page.contains("data-yanked=\"oops\""), "{page}");
}

#[test]
fn pages_carry_the_configured_cache_control() {
    let server = IndexServer::builder().wheel(foo_wheel()).start();
    let page = get(server.address(), "/simple/foo-bar/");
    assert_eq!(page.header("cache-control"), None);
    let file_path = format!("/files/{}", foo_wheel().filename);
    assert_eq!(
        get(server.address(), &file_path).header("cache-control"),
        None
    );

    let server = IndexServer::builder()
        .wheel(foo_wheel())
        .page_cache_control("max-age=600")
        .start();
    let page = get(server.address(), "/simple/foo-bar/");
    assert_eq!(page.header("cache-control"), Some("max-age=600"));
    assert_eq!(
        get(server.address(), "/simple/").header("cache-control"),
        Some("max-age=600")
    );
    // Files are not pages.
    assert_eq!(
        get(server.address(), &file_path).header("cache-control"),
        None
    );
    // A 304 carries it too, so that a revalidated page gets a new lifetime.
    let etag = page.header("etag").expect("an etag").to_string();
    let revalidated = request(
        server.address(),
        "GET",
        "/simple/foo-bar/",
        &[("If-None-Match", &etag)],
    );
    assert_eq!(revalidated.status, Some(304));
    assert_eq!(revalidated.header("cache-control"), Some("max-age=600"));

    server.set_page_cache_control(Some("no-store"));
    let page = get(server.address(), "/simple/foo-bar/");
    assert_eq!(page.header("cache-control"), Some("no-store"));
    server.set_page_cache_control(None);
    let page = get(server.address(), "/simple/foo-bar/");
    assert_eq!(page.header("cache-control"), None);
}

/// pip, a real client, installs from the server (JSON pages, PEP 658 metadata, the file) and
/// checks the hashes the pages announce.
#[test]
fn pip_installs_from_the_server() {
    for format in [IndexFormat::Json, IndexFormat::Html] {
        pip_installs_with(format);
    }
}

fn pip_installs_with(format: IndexFormat) {
    let wheel = foo_wheel();
    let server = IndexServer::builder().wheel(wheel).format(format).start();
    let context = TestContext::new();
    let target = context.root().join("target");
    let output = pip_command(&context)
        .args(["install", "--no-deps", "--target"])
        .arg(&target)
        .args(["--index-url", &server.index_url(), "foo.bar"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(target.join("foo_bar/__init__.py").is_file());
    let log: Vec<String> = server
        .requests()
        .into_iter()
        .map(|request| format!("{} {} {:?}", request.method, request.path, request.status))
        .collect();
    // pip verified the metadata file's hash from the page before using it.
    assert_eq!(
        log,
        [
            "GET /simple/foo-bar/ Some(200)",
            "GET /files/Foo_Bar-1.0-py3-none-any.whl.metadata Some(200)",
            "GET /files/Foo_Bar-1.0-py3-none-any.whl Some(200)",
        ],
        "{format:?}"
    );
}

/// The machine's pip, with no configuration from the environment.
pub fn pip_command(context: &TestContext) -> Command {
    let mut command = context.clean_command(Path::new("python3"));
    command
        .args(["-m", "pip"])
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("PIP_NO_INPUT", "1")
        .env("PIP_NO_CACHE_DIR", "1");
    command
}
