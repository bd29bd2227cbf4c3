//! Credentials: in index URLs, from a netrc file and from the keyring; sent to the index's
//! host for pages and files, and never shown.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use url::Url;
use volley_cache::Cache;
use volley_client::{ClientOptions, FetchId, FetchKind, KeyringProvider, RegistryClient, Reporter};
use volley_test_support::{IndexServer, WheelBuilder};

use crate::{files_under, index_file, name, options};

const PASSWORD: &str = "s3cr3t-pa55";

fn guarded() -> IndexServer {
    IndexServer::builder()
        .wheel(WheelBuilder::new("a", "1.0").requires_dist("b").build())
        .basic_auth("user", PASSWORD)
        .metadata_files(false)
        .start()
}

/// The index URL of `server` with `credentials` (`user:password`, or a lone user name) in it.
fn index_with(server: &IndexServer, credentials: &str) -> Url {
    Url::parse(
        &server
            .index_url()
            .replace("http://", &format!("http://{credentials}@")),
    )
    .unwrap()
}

/// Every URL the reporter was given.
#[derive(Default)]
struct UrlLog(Mutex<Vec<String>>);

impl Reporter for UrlLog {
    fn on_fetch_start(&self, _: FetchId, url: &Url, _: FetchKind, _: Option<u64>) {
        self.0.lock().unwrap().push(url.to_string());
    }
    fn on_retry(&self, url: &Url, _: u32, reason: &str) {
        self.0.lock().unwrap().push(format!("{url} {reason}"));
    }
    fn on_fetch_failed(&self, _: FetchId, error: &str) {
        self.0.lock().unwrap().push(error.to_string());
    }
}

fn client_reporting(
    options: ClientOptions,
    cache: &Cache,
    reporter: &Arc<UrlLog>,
) -> RegistryClient {
    RegistryClient::new(
        options,
        cache.clone(),
        Arc::clone(reporter) as Arc<dyn Reporter>,
    )
    .unwrap()
}

#[tokio::test]
async fn index_credentials_reach_pages_and_files_and_are_never_shown() {
    let server = guarded();
    let cache = Cache::temp().unwrap();
    let reporter = Arc::new(UrlLog::default());
    let client = client_reporting(
        ClientOptions {
            index_urls: vec![index_with(&server, &format!("user:{PASSWORD}"))],
            ..options(&server)
        },
        &cache,
        &reporter,
    );
    let page = client.project_page(&name("a")).await.unwrap();
    assert_eq!(page.index.as_str(), server.index_url());
    let wheel = index_file(&client, "a", "a-1.0-py3-none-any.whl").await;
    assert_eq!(
        wheel.url.as_str(),
        server.file_url("a-1.0-py3-none-any.whl")
    );
    // Metadata by range requests, then the whole file: all on /files/, all authenticated.
    client.metadata(&wheel).await.unwrap();
    client.download(&wheel).await.unwrap();
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|request| request.path.starts_with("/files/"))
    );
    for request in &requests {
        assert!(matches!(request.status, Some(200 | 206)), "{request:?}");
        assert!(
            request.header("authorization").is_some(),
            "{} was sent without credentials",
            request.path
        );
    }
    // A missing project names the index with its password hidden.
    let error = client.project_page(&name("missing")).await.unwrap_err();
    insta::assert_snapshot!(error.to_string().replace(&server.address().to_string(), "[SERVER]"), @r#"package "missing" was not found in the index http://user:****@[SERVER]/simple"#);
    let debug = format!("{error:?} {client:?}");
    assert!(!debug.contains(PASSWORD), "{debug}");
    // Nothing reported or stored carries the password.
    let reported = reporter.0.lock().unwrap().join("\n");
    assert!(!reported.is_empty());
    assert!(!reported.contains(PASSWORD), "{reported}");
    assert!(!reported.contains("user@"), "{reported}");
    for file in files_under(cache.root()) {
        let bytes = fs_err::read(cache.root().join(&file)).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(PASSWORD),
            "{file} holds the password"
        );
    }
}

#[tokio::test]
async fn credentials_go_to_their_host_only() {
    let guarded = guarded();
    let other = IndexServer::builder()
        .wheel(WheelBuilder::new("b", "1.0").build())
        .start();
    let cache = Cache::temp().unwrap();
    let client = crate::client_with(
        ClientOptions {
            index_urls: vec![
                index_with(&guarded, &format!("user:{PASSWORD}")),
                Url::parse(&other.index_url()).unwrap(),
            ],
            ..options(&guarded)
        },
        &cache,
    );
    client.project_page(&name("b")).await.unwrap();
    for request in other.requests() {
        assert_eq!(request.header("authorization"), None, "{request:?}");
    }
}

#[tokio::test]
async fn without_credentials_the_error_says_401() {
    let server = guarded();
    let cache = Cache::temp().unwrap();
    let client = crate::client(&server, &cache);
    let error = client.project_page(&name("a")).await.unwrap_err();
    insta::assert_snapshot!(error.to_string().replace(&server.address().to_string(), "[SERVER]"), @"request to http://[SERVER]/simple/a/ failed with HTTP 401 Unauthorized");
    // A wrong password fails the same way, and is not shown either.
    let client = crate::client_with(
        ClientOptions {
            index_urls: vec![index_with(&server, "user:wrong-password")],
            ..options(&server)
        },
        &Cache::temp().unwrap(),
    );
    let error = client.project_page(&name("a")).await.unwrap_err();
    assert!(!error.to_string().contains("wrong-password"), "{error}");
}

#[tokio::test]
async fn netrc_is_used_when_the_url_has_no_credentials() {
    let server = guarded();
    let dir = tempfile::tempdir().unwrap();
    let netrc = dir.path().join("netrc");
    fs_err::write(
        &netrc,
        format!("machine 127.0.0.1\n  login user\n  password {PASSWORD}\n"),
    )
    .unwrap();
    let cache = Cache::temp().unwrap();
    let client = crate::client_with(
        ClientOptions {
            netrc: Some(netrc.clone()),
            ..options(&server)
        },
        &cache,
    );
    let wheel = index_file(&client, "a", "a-1.0-py3-none-any.whl").await;
    client.download(&wheel).await.unwrap();
    assert!(
        server
            .requests()
            .iter()
            .all(|request| request.status != Some(401))
    );
    // The URL's own credentials win over the netrc's.
    fs_err::write(&netrc, "machine 127.0.0.1 login user password stale\n").unwrap();
    let client = crate::client_with(
        ClientOptions {
            index_urls: vec![index_with(&server, &format!("user:{PASSWORD}"))],
            netrc: Some(netrc),
            ..options(&server)
        },
        &Cache::temp().unwrap(),
    );
    client.project_page(&name("a")).await.unwrap();
    // A netrc file that does not exist is no error.
    let client = crate::client_with(
        ClientOptions {
            netrc: Some(dir.path().join("absent")),
            ..options(&server)
        },
        &Cache::temp().unwrap(),
    );
    let error = client.project_page(&name("a")).await.unwrap_err();
    assert_eq!(error.status().map(|status| status.as_u16()), Some(401));
}

/// A fake `keyring` command: logs its arguments to `calls.log` and answers `get <service>
/// user` and `--mode creds get <service>` for services starting with `prefix`.
fn fake_keyring(dir: &Path, prefix: &str) -> PathBuf {
    let script = dir.join("keyring");
    volley_test_support::write_script(
        &script,
        &format!(
            r#"#!/bin/sh
echo "$@" >> "{log}"
case "$*" in
  "get {prefix}"*" user") echo "{PASSWORD}" ;;
  "--mode creds get {prefix}"*) printf 'user\n{PASSWORD}\n' ;;
  *) exit 1 ;;
esac
"#,
            log = dir.join("calls.log").display(),
        ),
    );
    script
}

fn keyring_calls(dir: &Path, server: &IndexServer) -> String {
    fs_err::read_to_string(dir.join("calls.log"))
        .unwrap_or_default()
        .replace(&server.address().to_string(), "[SERVER]")
}

#[tokio::test]
async fn keyring_gives_the_password_of_a_user_name_up_front() {
    let server = guarded();
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::temp().unwrap();
    let client = crate::client_with(
        ClientOptions {
            index_urls: vec![index_with(&server, "user")],
            keyring_provider: KeyringProvider::Subprocess,
            keyring_command: fake_keyring(dir.path(), &server.url()),
            ..options(&server)
        },
        &cache,
    );
    let wheel = index_file(&client, "a", "a-1.0-py3-none-any.whl").await;
    client.download(&wheel).await.unwrap();
    // Asked once, about the index URL, before any request: no 401 at all.
    insta::assert_snapshot!(keyring_calls(dir.path(), &server), @"get http://[SERVER]/simple/ user");
    assert!(
        server
            .requests()
            .iter()
            .all(|request| request.status != Some(401))
    );
}

#[tokio::test]
async fn keyring_answers_a_401_and_the_request_is_retried_once() {
    let server = guarded();
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::temp().unwrap();
    let client = crate::client_with(
        ClientOptions {
            keyring_provider: KeyringProvider::Subprocess,
            keyring_command: fake_keyring(dir.path(), &server.url()),
            ..options(&server)
        },
        &cache,
    );
    let wheel = index_file(&client, "a", "a-1.0-py3-none-any.whl").await;
    client.download(&wheel).await.unwrap();
    insta::assert_snapshot!(keyring_calls(dir.path(), &server), @"--mode creds get http://[SERVER]/simple/");
    // One 401, for the first request; the answer is kept for the host.
    let statuses: Vec<(String, Option<u16>)> = server
        .requests()
        .into_iter()
        .map(|request| (request.path, request.status))
        .collect();
    insta::assert_debug_snapshot!(statuses, @r#"
        [
            (
                "/simple/a/",
                Some(
                    401,
                ),
            ),
            (
                "/simple/a/",
                Some(
                    200,
                ),
            ),
            (
                "/files/a-1.0-py3-none-any.whl",
                Some(
                    200,
                ),
            ),
        ]
        "#);

    // Disabled, the keyring is not asked and the 401 is the error.
    let disabled = crate::client_with(
        ClientOptions {
            keyring_command: fake_keyring(dir.path(), &server.url()),
            ..options(&server)
        },
        &Cache::temp().unwrap(),
    );
    let error = disabled.project_page(&name("a")).await.unwrap_err();
    assert_eq!(error.status().map(|status| status.as_u16()), Some(401));
}

#[tokio::test]
async fn a_keyring_without_an_answer_leaves_the_401() {
    let server = guarded();
    let dir = tempfile::tempdir().unwrap();
    let client = crate::client_with(
        ClientOptions {
            keyring_provider: KeyringProvider::Subprocess,
            keyring_command: fake_keyring(dir.path(), "https://elsewhere.example.org"),
            ..options(&server)
        },
        &Cache::temp().unwrap(),
    );
    let error = client.project_page(&name("a")).await.unwrap_err();
    assert_eq!(error.status().map(|status| status.as_u16()), Some(401));
    insta::assert_snapshot!(keyring_calls(dir.path(), &server), @r"
        --mode creds get http://[SERVER]/simple/
        --mode creds get [SERVER]
        ");
    // A keyring command that does not exist is no worse.
    let client = crate::client_with(
        ClientOptions {
            keyring_provider: KeyringProvider::Subprocess,
            keyring_command: dir.path().join("no-such-command"),
            ..options(&server)
        },
        &Cache::temp().unwrap(),
    );
    let error = client.project_page(&name("a")).await.unwrap_err();
    assert_eq!(error.status().map(|status| status.as_u16()), Some(401));
}

/// A server on 127.0.0.1 that redirects every request to the same path on `target` (another
/// origin), and keeps the `Authorization` header of each request it got.
async fn redirector(target: String) -> (Url, Arc<Mutex<Vec<Option<String>>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut head = Vec::new();
            let mut buffer = [0; 1024];
            while !head.windows(4).any(|window| window == b"\r\n\r\n") {
                match stream.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(read) => head.extend_from_slice(&buffer[..read]),
                }
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
            let authorization = head
                .lines()
                .find_map(|line| line.strip_prefix("authorization: "))
                .or_else(|| {
                    head.lines()
                        .find_map(|line| line.strip_prefix("Authorization: "))
                })
                .map(str::to_string);
            log.lock().unwrap().push(authorization);
            let reply = format!(
                "HTTP/1.1 302 Found\r\nLocation: {target}{path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.write_all(reply.as_bytes()).await;
        }
    });
    (
        Url::parse(&format!("http://{address}/simple/")).unwrap(),
        seen,
    )
}

/// pip looks up the credentials of the host a request is redirected to (netrc, keyring), and
/// never sends the first host's there.
#[tokio::test]
async fn a_redirect_to_another_host_gets_that_hosts_netrc_credentials() {
    let server = guarded();
    let target = format!("http://localhost:{}", server.address().port());
    let (index, seen) = redirector(target).await;
    let dir = tempfile::tempdir().unwrap();
    let netrc = dir.path().join("netrc");
    fs_err::write(
        &netrc,
        format!(
            "machine 127.0.0.1 login first password first-host-secret\n\
             machine localhost login user password {PASSWORD}\n"
        ),
    )
    .unwrap();
    let client = crate::client_with(
        ClientOptions {
            index_urls: vec![index],
            netrc: Some(netrc),
            ..options(&server)
        },
        &Cache::temp().unwrap(),
    );
    let wheel = index_file(&client, "a", "a-1.0-py3-none-any.whl").await;
    client.download(&wheel).await.unwrap();
    // The redirector got the first host's credentials...
    let first = seen.lock().unwrap().clone();
    assert!(!first.is_empty());
    assert!(first.iter().all(Option::is_some), "{first:?}");
    // ...and the index on the other host only its own, with no 401 on the way.
    let requests = server.requests();
    assert!(!requests.is_empty());
    let expected = format!(
        "Basic {}",
        base64_encode(format!("user:{PASSWORD}").as_bytes())
    );
    for request in &requests {
        assert_eq!(request.status, Some(200), "{}", request.path);
        assert_eq!(
            request.header("authorization"),
            Some(expected.as_str()),
            "{}",
            request.path
        );
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for index in 0..4 {
            if index <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * index)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
