//! Reading a file while it downloads, through its `DownloadProgress`: the bytes read are the
//! file's, a retry is followed from its first byte, and a failed or cancelled download fails
//! the reader instead of passing for a short file.

use std::io::Read;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use volley_cache::Cache;
use volley_client::{DownloadProgress, DownloadReader, IndexFile, RegistryClient};
use volley_test_support::{Fault, FaultKind, IndexServer, WheelBuilder};

use super::{client, files_under, index_file, noise};

/// A server with one wheel of about `len` incompressible bytes, honouring ranges or not.
fn server_with_wheel(len: usize, ranges: bool) -> (IndexServer, Vec<u8>) {
    let wheel = WheelBuilder::new("a", "1.0")
        .file("a/blob.bin", noise(len))
        .build();
    let bytes = wheel.bytes.clone();
    let server = IndexServer::builder()
        .wheel(wheel)
        .range_requests(ranges)
        .start();
    (server, bytes)
}

/// Reads the whole download on a thread of its own; returns how many times the reading
/// started (one more per retry it had to follow) and what the last reading got.
fn read_on_a_thread(
    progress: Arc<DownloadProgress>,
) -> std::thread::JoinHandle<(usize, std::io::Result<Vec<u8>>)> {
    std::thread::spawn(move || {
        let mut runs = 0;
        let result = progress.follow(|reader: &mut DownloadReader| {
            runs += 1;
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes).map(|_| bytes)
        });
        (runs, result)
    })
}

/// A download of a wheel of about `len` incompressible bytes, with `faults` injected, and its
/// progress to follow. Started, or about to be.
struct Followed {
    _server: IndexServer,
    bytes: Vec<u8>,
    cache: Cache,
    client: RegistryClient,
    file: IndexFile,
    progress: Arc<DownloadProgress>,
}

async fn follow(len: usize, faults: impl IntoIterator<Item = Fault>) -> Followed {
    follow_on(len, true, faults).await
}

async fn follow_on(len: usize, ranges: bool, faults: impl IntoIterator<Item = Fault>) -> Followed {
    let (server, bytes) = server_with_wheel(len, ranges);
    for fault in faults {
        server.inject(fault);
    }
    let cache = Cache::temp().unwrap();
    let client = client(&server, &cache);
    let file = index_file(&client, "a", "a-1.0-py3-none-any.whl").await;
    let progress = client
        .download_progress(&file)
        .expect("a download to follow");
    Followed {
        _server: server,
        bytes,
        cache,
        client,
        file,
        progress,
    }
}

/// A body sent `chunk` bytes at a time, `delay` apart.
fn slow_body(chunk: usize, delay: Duration) -> Fault {
    Fault::new(".whl", FaultKind::SlowBody { chunk, delay }, 1)
}

/// What a reading thread returned, waited for off the runtime's threads.
async fn joined<T: Send + 'static>(thread: std::thread::JoinHandle<T>) -> T {
    tokio::task::spawn_blocking(move || thread.join().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_download_is_read_as_it_arrives() {
    let followed = follow(400_000, [slow_body(50_000, Duration::from_millis(5))]).await;
    assert!(followed.progress.started().await);
    let reader = read_on_a_thread(Arc::clone(&followed.progress));
    let done = followed.client.download(&followed.file).await.unwrap();
    let (runs, read) = joined(reader).await;
    assert_eq!(runs, 1);
    let read = read.unwrap();
    assert_eq!(read.len(), followed.bytes.len());
    assert!(read == followed.bytes, "the bytes read are the file's");
    assert!(fs_err::read(&done.path).unwrap() == followed.bytes);

    // Nothing to follow once the file is in the cache.
    assert!(followed.client.download_progress(&followed.file).is_none());
}

#[tokio::test]
async fn a_retry_is_followed_from_its_first_byte() {
    // The first attempt breaks off after more than one write to the file; the second answers
    // a second late, so the reader has long read what the first attempt wrote.
    let faults = [
        Fault::new(".whl", FaultKind::Truncate { after: 600_000 }, 1),
        Fault::new(".whl", FaultKind::Delay(Duration::from_secs(1)), 1),
    ];
    // A server without ranges sends the whole file again: the reading starts over.
    let followed = follow_on(1_000_000, false, faults.clone()).await;
    let reader = read_on_a_thread(Arc::clone(&followed.progress));
    followed.client.download(&followed.file).await.unwrap();
    let (runs, read) = joined(reader).await;
    assert_eq!(runs, 2, "the reading started over with the retry");
    assert!(read.unwrap() == followed.bytes);
    // One with ranges sends the rest: the same reading goes on.
    let followed = follow_on(1_000_000, true, faults).await;
    let reader = read_on_a_thread(Arc::clone(&followed.progress));
    followed.client.download(&followed.file).await.unwrap();
    let (runs, read) = joined(reader).await;
    assert_eq!(runs, 1, "the reading went on with the resumed body");
    assert!(read.unwrap() == followed.bytes);
}

#[tokio::test]
async fn a_reader_never_ends_a_download_whose_hash_is_wrong() {
    let followed = follow(300_000, [Fault::new(".whl", FaultKind::WrongBody, 1)]).await;
    let reader = read_on_a_thread(Arc::clone(&followed.progress));
    followed.client.download(&followed.file).await.unwrap_err();
    let (_, read) = joined(reader).await;
    let error = read.unwrap_err().to_string();
    assert!(
        error.starts_with("the download failed: hash mismatch for "),
        "{error}"
    );
}

#[tokio::test]
async fn a_cancelled_download_fails_its_reader() {
    let followed = follow(300_000, [slow_body(1000, Duration::from_millis(20))]).await;
    // The reader gets the first bytes while the download goes on, then waits for more.
    let (first_bytes, got_first_bytes) = mpsc::channel();
    let progress = Arc::clone(&followed.progress);
    let reader = std::thread::spawn(move || {
        let mut reader = progress.reader();
        let mut start = vec![0; 100];
        reader.read_exact(&mut start).unwrap();
        first_bytes.send(start).unwrap();
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest)
    });
    let start = tokio::task::spawn_blocking(move || got_first_bytes.recv().unwrap())
        .await
        .unwrap();
    assert_eq!(start, followed.bytes[..100]);
    followed.client.cancel_download(&followed.file);
    let read = joined(reader).await;
    insta::assert_snapshot!(read.unwrap_err(), @"the download failed: the download was cancelled");
    let wheels = followed.cache.bucket(volley_cache::CacheBucket::Wheels);
    assert!(
        files_under(&wheels).is_empty(),
        "{:?}",
        files_under(&wheels)
    );
}
