//! The client against a local index. `fetch`: pages, metadata sources, the download
//! collection's sharing and connection limit, retries and failures. `cache`: what a later run
//! finds in the cache (HTTP caching of pages, `--refresh`, `--offline`, damaged entries).
//! `indexes`: find-links, `--no-index` and the index strategies. `credentials`: index URL
//! credentials, netrc, keyring, redaction. `transport`: certificates, trusted hosts, proxies.
//! `progress`: reading a file while it downloads.

mod cache;
mod credentials;
mod fetch;
mod indexes;
mod progress;
mod transport;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use url::Url;
use volley_cache::Cache;
use volley_client::{ClientOptions, IndexFile, NoReporter, RegistryClient};
use volley_packaging::PackageName;
use volley_test_support::{IndexServer, RecordedRequest, noise};

fn name(text: &str) -> PackageName {
    PackageName::from_str(text).unwrap()
}

fn options(server: &IndexServer) -> ClientOptions {
    ClientOptions {
        index_urls: vec![Url::parse(&server.index_url()).unwrap()],
        max_connections: 8,
        retries: 3,
        timeout: Duration::from_secs(10),
        connect_timeout: Duration::from_secs(10),
        ..ClientOptions::default()
    }
}

fn client_with(options: ClientOptions, cache: &Cache) -> RegistryClient {
    RegistryClient::new(options, cache.clone(), Arc::new(NoReporter)).unwrap()
}

fn client(server: &IndexServer, cache: &Cache) -> RegistryClient {
    client_with(options(server), cache)
}

/// The file of `filename` on the page of `project`.
async fn index_file(client: &RegistryClient, project: &str, filename: &str) -> IndexFile {
    let page = client.project_page(&name(project)).await.unwrap();
    page.files
        .iter()
        .find(|file| file.filename == filename)
        .unwrap_or_else(|| panic!("{filename} is not on the page of {project}"))
        .clone()
}

fn gets_of<'a>(requests: &'a [RecordedRequest], suffix: &str) -> Vec<&'a RecordedRequest> {
    requests
        .iter()
        .filter(|request| request.method == "GET" && request.path.ends_with(suffix))
        .collect()
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    if dir.exists() {
        for entry in walk(dir) {
            files.push(
                entry
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
            );
        }
    }
    files.sort();
    files
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in fs_err::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
