//! Where a project's files come from: find-links locations (directories, HTML files and
//! pages), `--no-index`, and the index strategies against dependency confusion.

use std::path::Path;

use url::Url;
use volley_cache::Cache;
use volley_client::{ClientOptions, FindLinks, IndexStrategy, ProjectPage};
use volley_test_support::{IndexServer, SdistBuilder, WheelBuilder};

use crate::{client_with, gets_of, name, options};

/// One line per file: its name and where it comes from, with the server and the directory
/// replaced by placeholders.
fn sources(page: &ProjectPage, server: Option<&IndexServer>, dir: Option<&Path>) -> String {
    let mut lines: Vec<String> = page
        .files
        .iter()
        .map(|file| {
            let mut url = file.url.to_string();
            if let Some(server) = server {
                url = url.replace(&server.url(), "[SERVER]");
            }
            if let Some(dir) = dir {
                url = url.replace(Url::from_directory_path(dir).unwrap().as_str(), "[DIR]/");
            }
            format!("{} {url} hashes={}", file.filename, file.hashes.len())
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

fn wheelhouse() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    WheelBuilder::new("a", "2.0")
        .requires_dist("b>=1")
        .build()
        .write_to(dir.path());
    SdistBuilder::new("a", "1.5").build().write_to(dir.path());
    WheelBuilder::new("b", "1.0").build().write_to(dir.path());
    fs_err::write(dir.path().join("notes.txt"), "not a distribution").unwrap();
    dir
}

#[tokio::test]
async fn find_links_directories_are_merged_with_the_index() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .start();
    let dir = wheelhouse();
    let cache = Cache::temp().unwrap();
    let client = client_with(
        ClientOptions {
            find_links: vec![FindLinks::Path(dir.path().to_path_buf())],
            ..options(&server)
        },
        &cache,
    );
    let page = client.project_page(&name("A")).await.unwrap();
    assert_eq!(page.index.as_str(), server.index_url());
    insta::assert_snapshot!(sources(&page, Some(&server), Some(dir.path())), @r"
        a-1.0-py3-none-any.whl [SERVER]/files/a-1.0-py3-none-any.whl hashes=1
        a-1.5.tar.gz [DIR]/a-1.5.tar.gz hashes=0
        a-2.0-py3-none-any.whl [DIR]/a-2.0-py3-none-any.whl hashes=0
        ");
    // A project only the find-links location has.
    let page = client.project_page(&name("b")).await.unwrap();
    insta::assert_snapshot!(sources(&page, Some(&server), Some(dir.path())), @"b-1.0-py3-none-any.whl [DIR]/b-1.0-py3-none-any.whl hashes=0");

    // A local file is used in place, hashed when it is used, and its metadata read from it.
    let wheel = page.files[0].clone();
    let metadata = client.metadata(&wheel).await.unwrap();
    assert_eq!(metadata.version.to_string(), "1.0");
    let downloaded = client.download(&wheel).await.unwrap();
    assert_eq!(downloaded.path, dir.path().join("b-1.0-py3-none-any.whl"));
    assert_eq!(
        downloaded.sha256,
        volley_test_support::sha256_hex(&fs_err::read(&downloaded.path).unwrap())
    );
    // The directory was listed once for both projects; the index was asked about both.
    assert_eq!(gets_of(&server.requests(), "/simple/a/").len(), 1);
    assert_eq!(gets_of(&server.requests(), "/simple/b/").len(), 1);
}

#[tokio::test]
async fn no_index_reads_find_links_only() {
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .start();
    let dir = wheelhouse();
    let cache = Cache::temp().unwrap();
    let client = client_with(
        ClientOptions {
            no_index: true,
            find_links: vec![FindLinks::Path(dir.path().to_path_buf())],
            ..options(&server)
        },
        &cache,
    );
    assert!(client.index_urls().is_empty());
    let page = client.project_page(&name("a")).await.unwrap();
    assert_eq!(page.index, Url::from_file_path(dir.path()).unwrap());
    insta::assert_snapshot!(sources(&page, None, Some(dir.path())), @r"
        a-1.5.tar.gz [DIR]/a-1.5.tar.gz hashes=0
        a-2.0-py3-none-any.whl [DIR]/a-2.0-py3-none-any.whl hashes=0
        ");
    let error = client.project_page(&name("c")).await.unwrap_err();
    insta::assert_snapshot!(
        error.to_string().replace(&dir.path().display().to_string(), "[DIR]"),
        @r#"package "c" was not found in the find-links location [DIR]"#
    );
    assert!(server.requests().is_empty());

    // Without find-links either, nothing is searched.
    let client = client_with(
        ClientOptions {
            no_index: true,
            ..options(&server)
        },
        &cache,
    );
    insta::assert_snapshot!(client.project_page(&name("a")).await.unwrap_err(), @r#"package "a" was not found in any index or find-links location (none is configured)"#);
}

#[tokio::test]
async fn find_links_pages_local_and_remote() {
    // The server's project page is a page of links like any other.
    let server = IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").build())
        .wheel(WheelBuilder::new("a", "1.1").build())
        .start();
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("links.html");
    fs_err::write(
        &html,
        format!(
            r#"<a href="{}#sha256=00ff">a 3.0</a> <a href="local/a-0.1.tar.gz">a 0.1</a>"#,
            server.file_url("a-3.0-py3-none-any.whl")
        ),
    )
    .unwrap();
    let missing = dir.path().join("missing");
    let base = dir.path();
    let cache = Cache::temp().unwrap();
    let client = client_with(
        ClientOptions {
            no_index: true,
            find_links: vec![
                FindLinks::parse(&format!("{}/a/", server.index_url()), base).unwrap(),
                FindLinks::parse("links.html", base).unwrap(),
                // Ignored, as pip ignores it.
                FindLinks::parse(missing.to_str().unwrap(), base).unwrap(),
            ],
            ..options(&server)
        },
        &cache,
    );
    let page = client.project_page(&name("a")).await.unwrap();
    insta::assert_snapshot!(sources(&page, Some(&server), Some(dir.path())), @r"
        a-0.1.tar.gz [DIR]/local/a-0.1.tar.gz hashes=0
        a-1.0-py3-none-any.whl [SERVER]/files/a-1.0-py3-none-any.whl hashes=1
        a-1.1-py3-none-any.whl [SERVER]/files/a-1.1-py3-none-any.whl hashes=1
        a-3.0-py3-none-any.whl [SERVER]/files/a-3.0-py3-none-any.whl hashes=1
        ");
    // The remote page was fetched once, as HTML.
    let requests = server.requests();
    let fetched = gets_of(&requests, "/simple/a/");
    assert_eq!(fetched.len(), 1);
    assert_eq!(fetched[0].header("accept"), Some("text/html"));
    client.project_page(&name("b")).await.unwrap_err();
    assert_eq!(server.requests().len(), 1);
}

/// A private project `internal` on the first index, and a public one of the same name with a
/// higher version on the extra index.
fn confusion() -> (IndexServer, IndexServer) {
    let private = IndexServer::builder()
        .wheel(WheelBuilder::new("internal", "1.0").build())
        .wheel(WheelBuilder::new("shared", "1.0").build())
        .start();
    let public = IndexServer::builder()
        .wheel(WheelBuilder::new("internal", "99.0").build())
        .wheel(WheelBuilder::new("shared", "2.0").build())
        .wheel(WheelBuilder::new("public-only", "1.0").build())
        .start();
    (private, public)
}

fn versions(page: &ProjectPage) -> Vec<String> {
    let mut versions: Vec<String> = page
        .files
        .iter()
        .map(|file| file.dist.version().to_string())
        .collect();
    versions.sort();
    versions
}

#[tokio::test]
async fn first_index_protects_against_dependency_confusion() {
    let (private, public) = confusion();
    let cache = Cache::temp().unwrap();
    let mut options = options(&private);
    options
        .index_urls
        .push(Url::parse(&public.index_url()).unwrap());
    assert_eq!(options.index_strategy, IndexStrategy::FirstIndex);
    let client = client_with(options, &cache);
    let page = client.project_page(&name("internal")).await.unwrap();
    assert_eq!(versions(&page), ["1.0"]);
    assert_eq!(page.index.as_str(), private.index_url());
    // The extra index was not even asked.
    assert!(gets_of(&public.requests(), "/simple/internal/").is_empty());
    // A project the first index lacks still comes from the next one.
    let page = client.project_page(&name("public-only")).await.unwrap();
    assert_eq!(versions(&page), ["1.0"]);
    assert_eq!(page.index.as_str(), public.index_url());
}

#[tokio::test]
async fn unsafe_best_match_merges_every_index() {
    let (private, public) = confusion();
    let cache = Cache::temp().unwrap();
    let mut options = ClientOptions {
        index_strategy: IndexStrategy::UnsafeBestMatch,
        ..options(&private)
    };
    options
        .index_urls
        .push(Url::parse(&public.index_url()).unwrap());
    let client = client_with(options, &cache);
    let page = client.project_page(&name("internal")).await.unwrap();
    assert_eq!(versions(&page), ["1.0", "99.0"]);
    assert_eq!(page.index.as_str(), private.index_url());
    let page = client.project_page(&name("shared")).await.unwrap();
    assert_eq!(versions(&page), ["1.0", "2.0"]);
    // An index that lacks the project does not fail the lookup.
    let page = client.project_page(&name("public-only")).await.unwrap();
    assert_eq!(versions(&page), ["1.0"]);
    let error = client.project_page(&name("nowhere")).await.unwrap_err();
    insta::assert_snapshot!(
        error
            .to_string()
            .replace(&private.url(), "[PRIVATE]")
            .replace(&public.url(), "[PUBLIC]"),
        @r#"package "nowhere" was not found in any of the indexes [PRIVATE]/simple, [PUBLIC]/simple"#
    );
}
