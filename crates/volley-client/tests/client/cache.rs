//! What a later run finds in the cache: pages by HTTP caching rules, `--refresh`, `--offline`,
//! immutable metadata and files, and damaged entries (which are fetched again, never used).

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use volley_cache::{Cache, CacheBucket};
use volley_client::{ClientError, ClientOptions, IndexFile, ProjectPage, Refresh};
use volley_test_support::{IndexFormat, IndexServer, RecordedRequest, WheelBuilder};

use crate::{client, client_with, files_under, gets_of, index_file, name, noise, options};

/// The page of `project` from a new client (a new run) on `cache`.
async fn page_in_new_run(server: &IndexServer, cache: &Cache, project: &str) -> ProjectPage {
    let page = client(server, cache)
        .project_page(&name(project))
        .await
        .unwrap();
    ProjectPage::clone(&page)
}

fn page_requests(server: &IndexServer, project: &str) -> Vec<RecordedRequest> {
    gets_of(&server.requests(), &format!("/simple/{project}/"))
        .into_iter()
        .cloned()
        .collect()
}

/// The stored pages, relative to the simple bucket.
fn stored_pages(cache: &Cache) -> Vec<String> {
    files_under(&cache.bucket(CacheBucket::Simple))
}

fn stored_page_path(cache: &Cache) -> PathBuf {
    let pages = stored_pages(cache);
    assert_eq!(pages.len(), 1, "{pages:?}");
    cache.bucket(CacheBucket::Simple).join(&pages[0])
}

#[tokio::test]
async fn a_fresh_page_is_used_without_a_request() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .page_cache_control("max-age=600")
        .start();
    let cache = Cache::temp().unwrap();
    let first = page_in_new_run(&server, &cache, "a").await;
    // A plain request: no validators, no `Cache-Control`.
    let requests = page_requests(&server, "a");
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].header("cache-control"), None);
    assert_eq!(requests[0].header("if-none-match"), None);

    server.clear_requests();
    let second = page_in_new_run(&server, &cache, "a").await;
    assert_eq!(second, first);
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[tokio::test]
async fn a_page_without_a_lifetime_is_revalidated() {
    for cache_control in [None, Some("max-age=0"), Some("no-cache")] {
        let mut builder = IndexServer::builder().wheel(WheelBuilder::new("a", "1.0").build());
        if let Some(value) = cache_control {
            builder = builder.page_cache_control(value);
        }
        let server = builder.start();
        let cache = Cache::temp().unwrap();
        let first = page_in_new_run(&server, &cache, "a").await;
        let requests = server.requests();
        assert_eq!(requests.len(), 1, "{cache_control:?}");
        assert_eq!(requests[0].header("if-none-match"), None);
        assert_eq!(requests[0].status, Some(200));

        server.clear_requests();
        let second = page_in_new_run(&server, &cache, "a").await;
        assert_eq!(second, first, "{cache_control:?}");
        let requests = page_requests(&server, "a");
        assert_eq!(requests.len(), 1, "{cache_control:?}");
        // The server answers 304 only when `If-None-Match` names its current ETag.
        assert!(requests[0].header("if-none-match").is_some());
        assert_eq!(requests[0].status, Some(304), "{cache_control:?}");

        // A changed page is downloaded again, and replaces the stored one.
        server.add_wheel(WheelBuilder::new("a", "2.0").build());
        server.clear_requests();
        let third = page_in_new_run(&server, &cache, "a").await;
        assert_eq!(third.files.len(), 2, "{cache_control:?}");
        assert_eq!(page_requests(&server, "a")[0].status, Some(200));
        server.clear_requests();
        assert_eq!(page_in_new_run(&server, &cache, "a").await, third);
        assert_eq!(page_requests(&server, "a")[0].status, Some(304));
    }
}

#[tokio::test]
async fn a_no_store_page_is_fetched_every_time_and_never_stored() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .start();
    let cache = Cache::temp().unwrap();
    // Stored while the index allowed it...
    page_in_new_run(&server, &cache, "a").await;
    assert_eq!(stored_pages(&cache).len(), 1);
    // ...and removed once it says `no-store`, even in a 304.
    server.set_page_cache_control(Some("no-store"));
    server.clear_requests();
    page_in_new_run(&server, &cache, "a").await;
    assert_eq!(page_requests(&server, "a")[0].status, Some(304));
    assert!(
        stored_pages(&cache).is_empty(),
        "{:?}",
        stored_pages(&cache)
    );
    // From then on, every run downloads it.
    for _ in 0..2 {
        server.clear_requests();
        let page = page_in_new_run(&server, &cache, "a").await;
        assert_eq!(page.files.len(), 1);
        let requests = page_requests(&server, "a");
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].header("if-none-match"), None);
        assert_eq!(requests[0].status, Some(200));
        assert!(
            stored_pages(&cache).is_empty(),
            "{:?}",
            stored_pages(&cache)
        );
    }
}

#[tokio::test]
async fn refresh_revalidates_fresh_pages() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .wheel(WheelBuilder::new("b", "1.0").build())
        .page_cache_control("max-age=600")
        .start();
    let cache = Cache::temp().unwrap();
    page_in_new_run(&server, &cache, "a").await;
    page_in_new_run(&server, &cache, "b").await;

    for (refresh, expected) in [
        (Refresh::None, vec![]),
        (Refresh::Packages(vec![name("B")]), vec!["b"]),
        (Refresh::All, vec!["a", "b"]),
    ] {
        server.clear_requests();
        let client = client_with(
            ClientOptions {
                refresh: refresh.clone(),
                ..options(&server)
            },
            &cache,
        );
        for project in ["a", "b"] {
            client.project_page(&name(project)).await.unwrap();
        }
        let mut requested = Vec::new();
        for project in ["a", "b"] {
            for request in page_requests(&server, project) {
                assert_eq!(request.header("cache-control"), Some("no-cache"));
                assert!(request.header("if-none-match").is_some());
                assert_eq!(request.status, Some(304));
                requested.push(project);
            }
        }
        assert_eq!(requested, expected, "{refresh:?}");
    }
}

#[tokio::test]
async fn offline_everything_comes_from_the_cache() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").requires_dist("b").build())
        .wheel(WheelBuilder::new("a", "2.0").build())
        .start();
    let cache = Cache::temp().unwrap();
    let online = client(&server, &cache);
    let file = index_file(&online, "a", "a-1.0-py3-none-any.whl").await;
    let metadata = online.metadata(&file).await.unwrap();
    let downloaded = online.download(&file).await.unwrap();
    drop(online);

    server.clear_requests();
    let offline = client_with(
        ClientOptions {
            offline: true,
            // Offline wins over refresh.
            refresh: Refresh::All,
            ..options(&server)
        },
        &cache,
    );
    // The page is stale (no `Cache-Control`) but used as stored.
    let page = offline.project_page(&name("a")).await.unwrap();
    assert_eq!(page.files.len(), 2);
    assert_eq!(offline.metadata(&file).await.unwrap(), metadata);
    assert_eq!(offline.download(&file).await.unwrap(), downloaded);
    // The metadata of a file without a metadata file comes from the cached wheel.
    let without_metadata_file = IndexFile {
        core_metadata: None,
        ..file.clone()
    };
    offline.metadata(&without_metadata_file).await.unwrap();

    // What is missing fails at once, naming it.
    let other = page
        .files
        .iter()
        .find(|file| file.filename == "a-2.0-py3-none-any.whl")
        .unwrap();
    let errors = [
        offline.project_page(&name("b")).await.unwrap_err(),
        offline.download(other).await.unwrap_err(),
        offline.metadata(other).await.unwrap_err(),
    ];
    for error in &errors {
        assert!(matches!(error, ClientError::Offline { .. }), "{error}");
    }
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    insta::assert_snapshot!(messages.join("\n"), @r#"
    the index page of "b" is not in the cache (offline)
    a-2.0-py3-none-any.whl is not in the cache (offline)
    the metadata of a-2.0-py3-none-any.whl is not in the cache (offline)
    "#);
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[tokio::test]
async fn offline_without_a_server_at_all() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .page_cache_control("no-cache")
        .start();
    let cache = Cache::temp().unwrap();
    let online = client(&server, &cache);
    let file = index_file(&online, "a", "a-1.0-py3-none-any.whl").await;
    online.download(&file).await.unwrap();
    let options = ClientOptions {
        offline: true,
        ..options(&server)
    };
    // Any request would now fail to connect.
    drop(server);
    let offline = client_with(options, &cache);
    let page = offline.project_page(&name("a")).await.unwrap();
    offline.download(&page.files[0]).await.unwrap();
}

/// Overwrite `path` as an edit made some time after the download would: with a new
/// modification time (the clock the file system uses may not have ticked since the download).
fn write_later(path: &Path, bytes: &[u8]) {
    fs_err::write(path, bytes).unwrap();
    let handle = fs_err::OpenOptions::new().write(true).open(path).unwrap();
    handle
        .set_modified(SystemTime::now() + Duration::from_secs(5))
        .unwrap();
}

#[tokio::test]
async fn a_damaged_cached_wheel_is_fetched_again() {
    // HTML pages give no file size, JSON pages do: the damage is found by the sidecar, or at
    // once by the size.
    for format in [IndexFormat::Html, IndexFormat::Json] {
        let wheel = WheelBuilder::new("a", "1.0")
            .file("a/blob.bin", noise(20_000))
            .build();
        let bytes = wheel.bytes.clone();
        let server = IndexServer::builder().wheel(wheel).format(format).start();
        let cache = Cache::temp().unwrap();
        let file = index_file(&client(&server, &cache), "a", "a-1.0-py3-none-any.whl").await;
        assert_eq!(file.size.is_some(), format == IndexFormat::Json);
        let path = client(&server, &cache).download(&file).await.unwrap().path;

        for damage in ["truncated", "edited"] {
            if damage == "truncated" {
                let handle = fs_err::OpenOptions::new().write(true).open(&path).unwrap();
                handle.set_len(bytes.len() as u64 / 2).unwrap();
            } else {
                let mut damaged = fs_err::read(&path).unwrap();
                damaged[100] ^= 0xff;
                write_later(&path, &damaged);
            }
            // Offline, a damaged wheel is missing, not used.
            let offline = client_with(
                ClientOptions {
                    offline: true,
                    ..options(&server)
                },
                &cache,
            );
            let error = offline.download(&file).await.unwrap_err();
            assert!(
                matches!(error, ClientError::Offline { .. }),
                "{format:?} {damage}: {error}"
            );
            // Online, it is fetched again.
            server.clear_requests();
            let done = client(&server, &cache).download(&file).await.unwrap();
            assert_eq!(done.path, path);
            assert_eq!(fs_err::read(&path).unwrap(), bytes, "{format:?} {damage}");
            assert_eq!(
                gets_of(&server.requests(), ".whl").len(),
                1,
                "{format:?} {damage}"
            );
            // And then trusted again without a request.
            server.clear_requests();
            client(&server, &cache).download(&file).await.unwrap();
            assert!(server.requests().is_empty(), "{format:?} {damage}");
        }
    }
}

#[tokio::test]
async fn a_cached_wheel_without_its_sidecar_is_hashed_once() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .start();
    let cache = Cache::temp().unwrap();
    let file = index_file(&client(&server, &cache), "a", "a-1.0-py3-none-any.whl").await;
    let done = client(&server, &cache).download(&file).await.unwrap();
    let wheels = cache.bucket(CacheBucket::Wheels);
    let sha256 = file.sha256().unwrap();
    assert_eq!(
        files_under(&wheels),
        [
            format!("{sha256}/a-1.0-py3-none-any.whl"),
            format!("{sha256}/a-1.0-py3-none-any.whl.verified"),
        ]
    );
    // A cache written before sidecars existed, or a sidecar lost.
    fs_err::remove_file(wheels.join(format!("{sha256}/a-1.0-py3-none-any.whl.verified"))).unwrap();
    server.clear_requests();
    assert_eq!(client(&server, &cache).download(&file).await.unwrap(), done);
    assert!(server.requests().is_empty());
    assert_eq!(files_under(&wheels).len(), 2);
    // An index that gives a wrong size does not make a good copy look damaged: its hash is
    // checked instead.
    let wrong_size = IndexFile {
        size: Some(1),
        ..file
    };
    assert_eq!(
        client(&server, &cache).download(&wrong_size).await.unwrap(),
        done
    );
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn metadata_of_a_damaged_cached_wheel_is_not_read_from_it() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").requires_dist("b").build())
        .metadata_files(false)
        .start();
    let cache = Cache::temp().unwrap();
    let file = index_file(&client(&server, &cache), "a", "a-1.0-py3-none-any.whl").await;
    let path = client(&server, &cache).download(&file).await.unwrap().path;
    // Damaged into a valid wheel of other metadata: only its hash tells.
    let impostor = WheelBuilder::new("a", "1.0").requires_dist("evil").build();
    write_later(&path, &impostor.bytes);
    let metadata = client(&server, &cache).metadata(&file).await.unwrap();
    assert_eq!(metadata.requires_dist[0].to_string(), "b");
}

#[tokio::test]
async fn a_damaged_stored_page_is_fetched_again() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .page_cache_control("max-age=600")
        .start();
    let cache = Cache::temp().unwrap();
    let first = page_in_new_run(&server, &cache, "a").await;
    let path = stored_page_path(&cache);
    let good = fs_err::read(&path).unwrap();

    // A valid entry whose body is not a valid page any more.
    let mut entry: serde_json::Value = serde_json::from_slice(&good).unwrap();
    entry["body"] = serde_json::Value::from("{\"files\": [");
    let bad_body = serde_json::to_vec(&entry).unwrap();
    for (damage, bytes) in [
        ("truncated", good[..good.len() / 2].to_vec()),
        ("garbage", vec![0; good.len()]),
        ("empty", Vec::new()),
        ("bad body", bad_body),
    ] {
        fs_err::write(&path, &bytes).unwrap();
        server.clear_requests();
        let page = page_in_new_run(&server, &cache, "a").await;
        assert_eq!(page, first, "{damage}");
        let requests = page_requests(&server, "a");
        assert_eq!(requests.len(), 1, "{damage}");
        assert_eq!(requests[0].status, Some(200), "{damage}");
        // Stored again, and fresh.
        server.clear_requests();
        assert_eq!(page_in_new_run(&server, &cache, "a").await, first);
        assert!(server.requests().is_empty(), "{damage}");
    }
}

#[tokio::test]
async fn metadata_named_only_by_its_own_hash_is_cached() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").requires_dist("b").build())
        .start();
    let cache = Cache::temp().unwrap();
    let listed = index_file(&client(&server, &cache), "a", "a-1.0-py3-none-any.whl").await;
    // An index that gives the `.metadata` file's hash but not the wheel's.
    let file = IndexFile {
        hashes: Vec::new(),
        ..listed
    };
    assert!(file.sha256().is_none() && file.metadata_sha256().is_some());
    server.clear_requests();
    let metadata = client(&server, &cache).metadata(&file).await.unwrap();
    assert_eq!(gets_of(&server.requests(), ".whl.metadata").len(), 1);

    server.clear_requests();
    assert_eq!(
        client(&server, &cache).metadata(&file).await.unwrap(),
        metadata
    );
    assert!(server.requests().is_empty());
    // Checked against that hash when read: an edited copy is fetched again.
    let stored = cache
        .bucket(CacheBucket::Metadata)
        .join(format!("{}.metadata", file.metadata_sha256().unwrap()));
    fs_err::write(
        &stored,
        "Metadata-Version: 2.1\nName: a\nVersion: 1.0\nRequires-Dist: evil\n",
    )
    .unwrap();
    let again = client(&server, &cache).metadata(&file).await.unwrap();
    assert_eq!(again, metadata);
    assert_eq!(gets_of(&server.requests(), ".whl.metadata").len(), 1);
}

/// A cached `METADATA` cut short at a line boundary still parses, one dependency short; the
/// entry's own content hash is what catches it.
#[tokio::test]
async fn metadata_truncated_at_a_line_boundary_is_fetched_again() {
    let server = IndexServer::builder()
        .wheel(
            WheelBuilder::new("a", "1.0")
                .requires_dist("b")
                .requires_dist("c")
                .build(),
        )
        .start();
    let cache = Cache::temp().unwrap();
    let file = index_file(&client(&server, &cache), "a", "a-1.0-py3-none-any.whl").await;
    assert!(file.sha256().is_some());
    let metadata = client(&server, &cache).metadata(&file).await.unwrap();
    assert_eq!(metadata.requires_dist.len(), 2);
    let stored = cache
        .bucket(CacheBucket::Metadata)
        .join(format!("{}.metadata", file.sha256().unwrap()));
    let entry = fs_err::read_to_string(&stored).unwrap();
    let cut = entry.rfind("Requires-Dist: c").unwrap();
    fs_err::write(&stored, &entry[..cut]).unwrap();

    server.clear_requests();
    let again = client(&server, &cache).metadata(&file).await.unwrap();
    assert_eq!(again, metadata);
    assert_eq!(gets_of(&server.requests(), ".whl.metadata").len(), 1);
    // Stored again, whole: the next run reads it from the cache.
    server.clear_requests();
    assert_eq!(
        client(&server, &cache).metadata(&file).await.unwrap(),
        metadata
    );
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

/// A remote find-links page is cached by HTTP caching rules like an index page (pip's HTTP
/// cache serves both): fresh, it is used without a request; stale, it is revalidated.
#[tokio::test]
async fn a_remote_find_links_page_is_http_cached() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .format(IndexFormat::Html)
        .page_cache_control("max-age=600")
        .start();
    let page =
        url::Url::parse(&format!("{}/a/", server.index_url().trim_end_matches('/'))).unwrap();
    let cache = Cache::temp().unwrap();
    let run = || async {
        let client = client_with(
            ClientOptions {
                index_urls: Vec::new(),
                no_index: true,
                find_links: vec![volley_client::FindLinks::Url(page.clone())],
                ..options(&server)
            },
            &cache,
        );
        let found = client.project_page(&name("a")).await.unwrap();
        found
            .files
            .iter()
            .map(|file| file.filename.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(run().await, ["a-1.0-py3-none-any.whl"]);
    assert_eq!(page_requests(&server, "a").len(), 1);

    server.clear_requests();
    assert_eq!(run().await, ["a-1.0-py3-none-any.whl"]);
    assert!(
        page_requests(&server, "a").is_empty(),
        "{:?}",
        server.requests()
    );

    // Stale: asked again with its validator, and a 304 keeps the stored copy.
    server.set_page_cache_control(Some("max-age=0"));
    fs_err::remove_dir_all(cache.bucket(CacheBucket::Simple)).unwrap();
    server.clear_requests();
    run().await;
    server.clear_requests();
    assert_eq!(run().await, ["a-1.0-py3-none-any.whl"]);
    let requests = page_requests(&server, "a");
    assert_eq!(requests.len(), 1);
    assert!(requests[0].header("if-none-match").is_some());
    assert_eq!(requests[0].status, Some(304));
}
