//! Fetching: pages, metadata sources, downloads, sharing, limits, retries and failures.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use url::Url;
use volley_cache::{Cache, CacheBucket};
use volley_client::{
    ClientError, ClientOptions, FetchId, FetchKind, IndexFile, NoReporter, RegistryClient, Reporter,
};
use volley_packaging::DistFilename;
use volley_test_support::{
    Fault, FaultKind, IndexFormat, IndexServer, RecordedRequest, WheelBuilder,
};

use crate::{client, client_with, files_under, gets_of, index_file, name, noise, options};

#[tokio::test]
async fn html_and_json_pages_give_the_same_files() {
    for format in [IndexFormat::Html, IndexFormat::Json] {
        let server = IndexServer::builder()
            .wheel(
                WheelBuilder::new("Foo.Bar", "1.0")
                    .requires_dist("b")
                    .build(),
            )
            .wheel(WheelBuilder::new("Foo.Bar", "2.0").build())
            .file(
                "foo-bar",
                "foo.bar-0.5.tar.gz",
                b"not really a tarball".to_vec(),
            )
            .file("foo-bar", "foo.bar-0.5.exe", b"an installer".to_vec())
            .yanked("Foo_Bar-2.0-py3-none-any.whl", Some("broken <build>"))
            .requires_python("Foo_Bar-1.0-py3-none-any.whl", ">=3.8,<4")
            .format(format)
            .start();
        let cache = Cache::temp().unwrap();
        let client = client(&server, &cache);
        let page = client.project_page(&name("FOO_bar")).await.unwrap();
        assert_eq!(page.name, name("foo-bar"));
        assert_eq!(page.index.as_str(), server.index_url());
        let mut files = page.files.clone();
        files.sort_by(|a, b| a.filename.cmp(&b.filename));
        let summary: Vec<String> = files
            .iter()
            .map(|file| {
                let kind = match &file.dist {
                    DistFilename::Wheel(_) => "wheel",
                    DistFilename::SourceDist(_) => "sdist",
                };
                format!(
                    "{} {kind} {} sha256={} requires-python={:?} yanked={:?} metadata={}",
                    file.filename,
                    file.url.as_str().replace(&server.url(), "[SERVER]"),
                    file.sha256().is_some(),
                    file.requires_python.as_ref().map(ToString::to_string),
                    file.yanked,
                    file.metadata_sha256().is_some(),
                )
            })
            .collect();
        // The same snapshot for both formats.
        insta::allow_duplicates! {
            insta::assert_snapshot!(summary.join("\n"), @r#"
            Foo_Bar-1.0-py3-none-any.whl wheel [SERVER]/files/Foo_Bar-1.0-py3-none-any.whl sha256=true requires-python=Some(">=3.8, <4") yanked=None metadata=true
            Foo_Bar-2.0-py3-none-any.whl wheel [SERVER]/files/Foo_Bar-2.0-py3-none-any.whl sha256=true requires-python=None yanked=Some("broken <build>") metadata=true
            foo.bar-0.5.tar.gz sdist [SERVER]/files/foo.bar-0.5.tar.gz sha256=true requires-python=None yanked=None metadata=false
            "#);
        }
        let requests = server.requests();
        let page_request = gets_of(&requests, "/simple/foo-bar/")[0];
        assert!(
            page_request
                .header("accept")
                .unwrap()
                .starts_with("application/vnd.pypi.simple.v1+json"),
            "{format:?}"
        );
    }
}

#[tokio::test]
async fn a_page_asked_for_by_twenty_callers_is_fetched_once() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .start();
    server.inject(Fault::new(
        "/simple/a/",
        FaultKind::Delay(Duration::from_millis(200)),
        1,
    ));
    let cache = Cache::temp().unwrap();
    let client = client(&server, &cache);
    client.prefetch_project_page(&name("a"));
    let callers = (0..20).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.project_page(&name("a")).await })
    });
    for page in futures::future::join_all(callers).await {
        assert_eq!(page.unwrap().unwrap().files.len(), 1);
    }
    assert_eq!(gets_of(&server.requests(), "/simple/a/").len(), 1);
}

#[tokio::test]
async fn the_first_index_that_has_the_project_wins() {
    let empty = IndexServer::builder()
        .wheel(WheelBuilder::new("other", "1.0").build())
        .start();
    let full = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .start();
    let cache = Cache::temp().unwrap();
    let mut options = options(&empty);
    options
        .index_urls
        .push(Url::parse(&full.index_url()).unwrap());
    let client = client_with(options, &cache);
    let page = client.project_page(&name("a")).await.unwrap();
    assert_eq!(page.index.as_str(), full.index_url());
    assert_eq!(gets_of(&empty.requests(), "/simple/a/").len(), 1);

    let error = client.project_page(&name("missing")).await.unwrap_err();
    let message = error
        .to_string()
        .replace(&empty.url(), "[FIRST]")
        .replace(&full.url(), "[SECOND]");
    insta::assert_snapshot!(message, @r#"package "missing" was not found in any of the indexes [FIRST]/simple, [SECOND]/simple"#);
}

/// Ten slow downloads through `max_connections` slots: the most in flight at the server.
async fn max_in_flight(max_connections: usize) -> usize {
    let mut builder = IndexServer::builder();
    for version in 1..=10 {
        builder = builder.wheel(
            WheelBuilder::new("slow", &format!("{version}.0"))
                .file("slow/data.bin", noise(4000))
                .build(),
        );
    }
    let server = builder.start();
    let cache = Cache::temp().unwrap();
    let mut options = options(&server);
    options.max_connections = max_connections;
    let client = client_with(options, &cache);
    let page = client.project_page(&name("slow")).await.unwrap();
    server.clear_requests();
    server.inject(Fault::new(
        ".whl",
        FaultKind::SlowBody {
            chunk: 1500,
            delay: Duration::from_millis(15),
        },
        10,
    ));
    let downloads = page.files.iter().map(|file| client.download(file));
    for result in futures::future::join_all(downloads).await {
        result.unwrap();
    }
    assert_eq!(gets_of(&server.requests(), ".whl").len(), 10);
    server.max_in_flight()
}

#[tokio::test]
async fn max_connections_caps_requests_in_flight() {
    let three = max_in_flight(3).await;
    assert!(
        (2..=3).contains(&three),
        "{three} requests in flight with 3 connections"
    );
    assert_eq!(max_in_flight(1).await, 1);
}

#[tokio::test]
async fn metadata_comes_from_the_metadata_file_when_offered() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").requires_dist("b>=2").build())
        .start();
    let cache = Cache::temp().unwrap();
    let client = client(&server, &cache);
    let file = index_file(&client, "a", "a-1.0-py3-none-any.whl").await;
    assert!(file.core_metadata.is_some());
    let metadata = client.metadata(&file).await.unwrap();
    assert_eq!(metadata.name, name("a"));
    assert_eq!(metadata.requires_dist[0].to_string(), "b>=2");
    let requests = server.requests();
    assert_eq!(gets_of(&requests, ".whl.metadata").len(), 1);
    assert!(gets_of(&requests, ".whl").is_empty());

    // The metadata is cached by the wheel's hash: a new client makes no request.
    server.clear_requests();
    let client = client_with(options(&server), &cache);
    let again = client.metadata(&file).await.unwrap();
    assert_eq!(again, metadata);
    assert!(server.requests().is_empty());
}

/// Bytes asked for by the range requests among `requests` (which must all be range requests).
fn range_bytes(requests: &[&RecordedRequest]) -> u64 {
    let mut total = 0;
    for request in requests {
        assert_eq!(request.header("accept-encoding"), Some("identity"));
        let range = request.header("range").expect("only range requests");
        let spec = range.strip_prefix("bytes=").unwrap();
        total += match spec.split_once('-').unwrap() {
            ("", suffix) => suffix.parse::<u64>().unwrap(),
            (start, end) => end.parse::<u64>().unwrap() + 1 - start.parse::<u64>().unwrap(),
        };
    }
    total
}

#[tokio::test]
async fn metadata_is_read_with_range_requests_when_no_metadata_file() {
    // METADATA near the end (as usual), and at the front, far from the central directory.
    let at_end = WheelBuilder::new("big", "1.0")
        .requires_dist("c")
        .file("big/blob.bin", noise(400_000))
        .build();
    let metadata = b"Metadata-Version: 2.1\nName: front\nVersion: 1.0\nRequires-Dist: d\n";
    let at_front = WheelBuilder::new("front", "1.0")
        .no_metadata()
        .file("front-1.0.dist-info/METADATA", metadata)
        .raw_entry("front/blob.bin", noise(400_000))
        .build();
    let sizes = [at_end.bytes.len() as u64, at_front.bytes.len() as u64];
    let server = IndexServer::builder()
        .wheel(at_end)
        .wheel(at_front)
        .metadata_files(false)
        .start();
    let cache = Cache::temp().unwrap();
    let client = client(&server, &cache);
    for ((project, requirement, requests), size) in
        [("big", "c", 1), ("front", "d", 2)].into_iter().zip(sizes)
    {
        let file = index_file(&client, project, &format!("{project}-1.0-py3-none-any.whl")).await;
        assert!(file.core_metadata.is_none());
        let metadata = client.metadata(&file).await.unwrap();
        assert_eq!(metadata.requires_dist[0].to_string(), requirement);

        let log = server.requests();
        assert!(gets_of(&log, ".metadata").is_empty());
        let wheel_requests = gets_of(&log, &file.filename);
        assert_eq!(wheel_requests.len(), requests, "{wheel_requests:?}");
        let fetched = range_bytes(&wheel_requests);
        assert!(fetched < size / 4, "fetched {fetched} of {size} bytes");
    }
    assert!(files_under(&cache.bucket(CacheBucket::Wheels)).is_empty());
}

#[tokio::test]
async fn metadata_of_a_small_wheel_keeps_the_whole_wheel() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("small", "1.0").build())
        .metadata_files(false)
        .start();
    let cache = Cache::temp().unwrap();
    let client = client(&server, &cache);
    let file = index_file(&client, "small", "small-1.0-py3-none-any.whl").await;
    client.metadata(&file).await.unwrap();
    assert_eq!(gets_of(&server.requests(), ".whl").len(), 1);
    server.clear_requests();
    let downloaded = client.download(&file).await.unwrap();
    assert_eq!(Some(downloaded.sha256.as_str()), file.sha256());
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn a_server_that_ignores_ranges_sends_the_whole_wheel_once() {
    let server = IndexServer::builder()
        .wheel(
            WheelBuilder::new("a", "1.0")
                .file("a/blob.bin", noise(100_000))
                .build(),
        )
        .wheel(
            WheelBuilder::new("a", "2.0")
                .file("a/blob.bin", noise(100_000))
                .build(),
        )
        .metadata_files(false)
        .range_requests(false)
        .start();
    let cache = Cache::temp().unwrap();
    let client = client(&server, &cache);
    let first = index_file(&client, "a", "a-1.0-py3-none-any.whl").await;
    let second = index_file(&client, "a", "a-2.0-py3-none-any.whl").await;
    assert_eq!(
        client.metadata(&first).await.unwrap().version.to_string(),
        "1.0"
    );
    let requests = server.requests();
    let wheel_requests = gets_of(&requests, "a-1.0-py3-none-any.whl");
    assert_eq!(wheel_requests.len(), 1);
    assert!(wheel_requests[0].header("range").is_some());

    // The wheel that came whole is the download: no new request.
    server.clear_requests();
    let downloaded = client.download(&first).await.unwrap();
    assert_eq!(Some(downloaded.sha256.as_str()), first.sha256());
    assert!(server.requests().is_empty());

    // The host is remembered: the next wheel is downloaded whole without a range request.
    assert_eq!(
        client.metadata(&second).await.unwrap().version.to_string(),
        "2.0"
    );
    let requests = server.requests();
    let wheel_requests = gets_of(&requests, "a-2.0-py3-none-any.whl");
    assert_eq!(wheel_requests.len(), 1);
    assert_eq!(wheel_requests[0].header("range"), None);
    assert_eq!(
        wheel_requests[0].header("accept-encoding"),
        Some("identity")
    );
}

#[tokio::test]
async fn a_downloaded_file_is_cached_by_its_hash() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .start();
    let cache = Cache::temp().unwrap();
    let client = client(&server, &cache);
    let file = index_file(&client, "a", "a-1.0-py3-none-any.whl").await;
    let downloaded = client.download(&file).await.unwrap();
    let sha256 = file.sha256().unwrap();
    assert_eq!(downloaded.sha256, sha256);
    assert_eq!(
        downloaded.path,
        cache
            .root()
            .join(format!("wheels-v1/{sha256}/a-1.0-py3-none-any.whl"))
    );
    let requests = server.requests();
    let wheel_requests = gets_of(&requests, ".whl");
    assert_eq!(wheel_requests.len(), 1);
    assert_eq!(
        wheel_requests[0].header("accept-encoding"),
        Some("identity")
    );

    // A later run finds it in the cache.
    server.clear_requests();
    let client = client_with(options(&server), &cache);
    assert_eq!(client.download(&file).await.unwrap(), downloaded);
    client.start_download(&file);
    assert!(server.requests().is_empty());
    // And metadata reads it from there too.
    let file_without_metadata = IndexFile {
        core_metadata: None,
        ..file.clone()
    };
    client.metadata(&file_without_metadata).await.unwrap();
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn a_hash_mismatch_fails_and_leaves_nothing() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .start();
    let cache = Cache::temp().unwrap();
    let client = client(&server, &cache);
    let file = index_file(&client, "a", "a-1.0-py3-none-any.whl").await;
    server.inject(Fault::new(".whl", FaultKind::WrongBody, 10));
    let error = client.download(&file).await.unwrap_err();
    assert!(matches!(error, ClientError::HashMismatch { .. }), "{error}");
    let message = error
        .to_string()
        .replace(&server.url(), "[SERVER]")
        .replace(file.sha256().unwrap(), "[EXPECTED]");
    assert!(message.starts_with("hash mismatch for [SERVER]/files/a-1.0-py3-none-any.whl: expected sha256:[EXPECTED], got sha256:"), "{message}");
    // Not retried.
    assert_eq!(gets_of(&server.requests(), ".whl").len(), 1);
    assert!(files_under(&cache.bucket(CacheBucket::Wheels)).is_empty());
}

async fn download_with_fault(
    kind: FaultKind,
    times: usize,
    retries: u32,
) -> (Result<(), ClientError>, IndexServer, Cache) {
    let wheel = WheelBuilder::new("a", "1.0")
        .file("a/blob.bin", noise(20_000))
        .build();
    let len = wheel.bytes.len();
    let server = IndexServer::builder().wheel(wheel).start();
    let cache = Cache::temp().unwrap();
    let mut options = options(&server);
    options.retries = retries;
    let client = client_with(options, &cache);
    let file = index_file(&client, "a", "a-1.0-py3-none-any.whl").await;
    server.inject(Fault::new(".whl", kind, times));
    let result = client.download(&file).await.map(|done| {
        assert_eq!(Some(done.sha256.as_str()), file.sha256());
        assert_eq!(fs_err::read(&done.path).unwrap().len(), len);
    });
    (result, server, cache)
}

#[tokio::test]
async fn transient_failures_are_retried() {
    for (kind, times) in [
        (FaultKind::Status(503), 2),
        (FaultKind::StatusWithRetryAfter(429, 1), 1),
        (FaultKind::Reset, 1),
        (FaultKind::Truncate { after: 5000 }, 1),
    ] {
        let (result, server, _cache) = download_with_fault(kind.clone(), times, 3).await;
        result.unwrap_or_else(|error| panic!("{kind:?}: {error}"));
        assert_eq!(
            gets_of(&server.requests(), ".whl").len(),
            times + 1,
            "{kind:?}"
        );
    }
}

#[tokio::test]
async fn a_body_that_always_breaks_off_fails_cleanly() {
    let (result, server, cache) =
        download_with_fault(FaultKind::Truncate { after: 5000 }, 100, 2).await;
    let error = result.unwrap_err();
    assert!(matches!(error, ClientError::Network { .. }), "{error}");
    assert!(
        error.to_string().contains("/files/a-1.0-py3-none-any.whl"),
        "{error}"
    );
    assert_eq!(gets_of(&server.requests(), ".whl").len(), 3);
    assert!(files_under(&cache.bucket(CacheBucket::Wheels)).is_empty());
}

#[tokio::test]
async fn not_found_fails_at_once_naming_the_url() {
    let (result, server, _cache) = download_with_fault(FaultKind::Status(404), 100, 3).await;
    let error = result.unwrap_err();
    insta::assert_snapshot!(error.to_string().replace(&server.url(), "[SERVER]"), @"request to [SERVER]/files/a-1.0-py3-none-any.whl failed with HTTP 404 Not Found");
    assert_eq!(gets_of(&server.requests(), ".whl").len(), 1);
}

#[tokio::test]
async fn a_cancelled_download_leaves_no_temporary_file() {
    let server = IndexServer::builder()
        .wheel(
            WheelBuilder::new("a", "1.0")
                .file("a/blob.bin", noise(50_000))
                .build(),
        )
        .start();
    let cache = Cache::temp().unwrap();
    let client = client(&server, &cache);
    let file = index_file(&client, "a", "a-1.0-py3-none-any.whl").await;
    server.inject(Fault::new(
        ".whl",
        FaultKind::SlowBody {
            chunk: 1000,
            delay: Duration::from_millis(50),
        },
        1,
    ));
    client.start_download(&file);
    let waiter = {
        let client = client.clone();
        let file = file.clone();
        tokio::spawn(async move { client.download(&file).await })
    };
    // Wait until the body streams into a temporary file.
    let wheels = cache.bucket(CacheBucket::Wheels);
    while files_under(&wheels).is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    client.cancel_download(&file);
    let error = waiter.await.unwrap().unwrap_err();
    assert!(matches!(error, ClientError::Cancelled { .. }), "{error}");
    assert!(
        files_under(&wheels).is_empty(),
        "{:?}",
        files_under(&wheels)
    );

    // A later download starts over and succeeds.
    let done = client.download(&file).await.unwrap();
    assert_eq!(Some(done.sha256.as_str()), file.sha256());
}

#[tokio::test]
async fn an_sdist_without_metadata_file_needs_a_build() {
    let server = IndexServer::builder()
        .file("a", "a-1.0.tar.gz", b"sdist bytes".to_vec())
        .start();
    let cache = Cache::temp().unwrap();
    let client = client(&server, &cache);
    let file = index_file(&client, "a", "a-1.0.tar.gz").await;
    let error = client.metadata(&file).await.unwrap_err();
    assert!(
        matches!(error, ClientError::MetadataNeedsBuild { .. }),
        "{error}"
    );
    // But it downloads.
    let done = client.download(&file).await.unwrap();
    assert_eq!(fs_err::read(done.path).unwrap(), b"sdist bytes");
}

#[tokio::test]
async fn a_metadata_file_with_the_wrong_hash_is_rejected() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .start();
    let cache = Cache::temp().unwrap();
    let client = client(&server, &cache);
    let file = index_file(&client, "a", "a-1.0-py3-none-any.whl").await;
    server.inject(Fault::new(".whl.metadata", FaultKind::WrongBody, 10));
    let error = client.metadata(&file).await.unwrap_err();
    assert!(matches!(error, ClientError::HashMismatch { .. }), "{error}");
    assert!(
        error
            .to_string()
            .contains("/files/a-1.0-py3-none-any.whl.metadata"),
        "{error}"
    );
    assert!(files_under(&cache.bucket(CacheBucket::Metadata)).is_empty());
}

/// Records events as lines.
#[derive(Default)]
struct Recorder {
    events: std::sync::Mutex<Vec<String>>,
    bytes: std::sync::atomic::AtomicU64,
}

impl Reporter for Recorder {
    fn on_fetch_start(&self, id: FetchId, url: &Url, kind: FetchKind, total_bytes: Option<u64>) {
        let path = url.path().to_string();
        self.events
            .lock()
            .unwrap()
            .push(format!("start {} {kind:?} {path} {total_bytes:?}", id.0));
    }
    fn on_fetch_progress(&self, _id: FetchId, bytes: u64) {
        self.bytes
            .fetch_add(bytes, std::sync::atomic::Ordering::SeqCst);
    }
    fn on_fetch_done(&self, id: FetchId, _elapsed: Duration) {
        self.events.lock().unwrap().push(format!("done {}", id.0));
    }
    fn on_fetch_failed(&self, id: FetchId, error: &str) {
        self.events
            .lock()
            .unwrap()
            .push(format!("failed {} {error}", id.0));
    }
    fn on_retry(&self, url: &Url, attempt: u32, reason: &str) {
        let reason = reason.replace(&url.origin().ascii_serialization(), "[SERVER]");
        self.events
            .lock()
            .unwrap()
            .push(format!("retry {attempt} {reason}"));
    }
}

#[tokio::test]
async fn progress_is_reported() {
    let wheel = WheelBuilder::new("a", "1.0")
        .file("a/blob.bin", noise(10_000))
        .build();
    let size = wheel.bytes.len() as u64;
    let server = IndexServer::builder().wheel(wheel).start();
    let cache = Cache::temp().unwrap();
    let recorder = Arc::new(Recorder::default());
    let client = RegistryClient::new(options(&server), cache.clone(), recorder.clone()).unwrap();
    let file = index_file(&client, "a", "a-1.0-py3-none-any.whl").await;
    recorder.events.lock().unwrap().clear();
    recorder.bytes.store(0, std::sync::atomic::Ordering::SeqCst);
    server.inject(Fault::new(".whl", FaultKind::Status(503), 1));
    client.download(&file).await.unwrap();
    let events = recorder
        .events
        .lock()
        .unwrap()
        .join("\n")
        .replace(&size.to_string(), "[SIZE]");
    insta::assert_snapshot!(events, @"
    retry 1 request to [SERVER]/files/a-1.0-py3-none-any.whl failed with HTTP 503 Service Unavailable
    start 1 File /files/a-1.0-py3-none-any.whl Some([SIZE])
    done 1
    ");
    assert_eq!(
        recorder.bytes.load(std::sync::atomic::Ordering::SeqCst),
        size
    );
}

#[tokio::test]
async fn a_local_directory_index_is_read_from_disk() {
    let root = tempfile::tempdir().unwrap();
    let wheel = WheelBuilder::new("a", "1.0").requires_dist("z").build();
    fs_err::create_dir_all(root.path().join("simple/a")).unwrap();
    fs_err::create_dir_all(root.path().join("files")).unwrap();
    let path = wheel.write_to(&root.path().join("files"));
    fs_err::write(
        root.path().join("simple/a/index.html"),
        format!(
            r#"<a href="../../files/{}#sha256={}">x</a>"#,
            wheel.filename, wheel.sha256
        ),
    )
    .unwrap();
    let cache = Cache::temp().unwrap();
    let options = ClientOptions {
        index_urls: vec![Url::from_directory_path(root.path().join("simple")).unwrap()],
        ..ClientOptions::default()
    };
    let client = client_with(options, &cache);
    let page = client.project_page(&name("a")).await.unwrap();
    let file = &page.files[0];
    assert_eq!(file.url, Url::from_file_path(&path).unwrap());
    let metadata = client.metadata(file).await.unwrap();
    assert_eq!(metadata.requires_dist[0].to_string(), "z");
    let done = client.download(file).await.unwrap();
    assert_eq!(done.path, path);
    assert_eq!(done.sha256, wheel.sha256);
    assert!(matches!(
        client.project_page(&name("b")).await.unwrap_err(),
        ClientError::ProjectNotFound { .. }
    ));
}

#[tokio::test]
async fn a_missing_certificate_file_is_named_by_the_first_request() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .start();
    let options = ClientOptions {
        extra_root_certificates: vec!["/nonexistent/volley-test/ca.pem".into()],
        ..options(&server)
    };
    // The clients are made when the network is first needed, not before.
    let client = client_with(options, &Cache::temp().unwrap());
    let error = client.project_page(&name("a")).await.unwrap_err();
    assert!(matches!(error, ClientError::Certificate { .. }), "{error}");
    assert!(
        error.to_string().starts_with(
            "failed to read root certificates from \"/nonexistent/volley-test/ca.pem\""
        ),
        "{error}"
    );
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[test]
fn the_system_certificate_bundle_loads() {
    // Where the machine has one (the binary passes `SSL_CERT_FILE`).
    let bundle = Path::new("/etc/ssl/certs/ca-certificates.crt");
    if !bundle.is_file() {
        return;
    }
    let options = ClientOptions {
        extra_root_certificates: vec![bundle.to_path_buf()],
        ..ClientOptions::default()
    };
    RegistryClient::new(options, Cache::temp().unwrap(), Arc::new(NoReporter)).unwrap();
}

/// A `.metadata` file is read into memory only up to the body cap, gzip bomb or endless body.
#[tokio::test]
async fn oversized_metadata_is_refused() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("big", "1.0").build())
        .start();
    let mut cases = 0;
    for kind in [
        FaultKind::GzipBody(volley_test_support::gzip_bomb(8 << 20, b'A')),
        FaultKind::EndlessBody {
            chunk: 64 * 1024,
            byte: b'A',
        },
    ] {
        let cache = Cache::temp().unwrap();
        let client = client_with(
            ClientOptions {
                max_body_size: 1 << 20,
                retries: 0,
                ..options(&server)
            },
            &cache,
        );
        let file = index_file(&client, "big", "big-1.0-py3-none-any.whl").await;
        server.inject(Fault::new(".metadata", kind, 1));
        let error = client.metadata(&file).await.unwrap_err();
        assert!(
            matches!(error, ClientError::BodyTooLarge { limit, .. } if limit == 1 << 20),
            "{error}"
        );
        assert!(error.to_string().contains("1 MiB"), "{error}");
        assert!(files_under(&cache.bucket(CacheBucket::Metadata)).is_empty());
        cases += 1;
    }
    assert_eq!(cases, 2);
}
