//! A forward HTTP proxy on `127.0.0.1:0` that records the request line of every request
//! through it, for `--proxy` and `HTTP(S)_PROXY` tests.
//!
//! It understands the two forms clients use: `CONNECT host:port` (for `https://` targets: it
//! answers `200` and then relays bytes both ways, so it sees nothing of the TLS inside) and an
//! absolute-form request line (`GET http://host:port/path HTTP/1.1`, for `http://` targets: it
//! forwards the request, with `Connection: close`, and relays the answer). Closing after each
//! forwarded request makes clients open a new connection, and so a new recorded line, for
//! every request. Like [`IndexServer`](crate::IndexServer) it runs on its own thread and stops
//! when dropped.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

/// A running proxy; see the module documentation.
#[derive(Debug)]
pub struct ForwardProxy {
    address: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl ForwardProxy {
    /// Binds `127.0.0.1:0` and starts relaying on a new thread.
    ///
    /// # Panics
    /// When the socket cannot be bound or the runtime cannot be built.
    pub fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the proxy's socket");
        listener
            .set_nonblocking(true)
            .expect("make the listener non-blocking");
        let address = listener.local_addr().expect("read the listener's address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (shutdown, mut shutdown_receiver) = watch::channel(false);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("build the proxy's runtime");
        let thread_requests = Arc::clone(&requests);
        let thread = std::thread::Builder::new()
            .name(format!("forward-proxy-{}", address.port()))
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .expect("register the proxy's socket");
                    loop {
                        tokio::select! {
                            _ = shutdown_receiver.changed() => return,
                            accepted = listener.accept() => {
                                let Ok((stream, _)) = accepted else { continue };
                                tokio::spawn(relay(stream, Arc::clone(&thread_requests)));
                            }
                        }
                    }
                });
            })
            .expect("spawn the proxy's thread");
        Self {
            address,
            requests,
            shutdown,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>`, for `--proxy` or `HTTP_PROXY`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The request lines received so far, in order (`CONNECT 127.0.0.1:5000 HTTP/1.1`,
    /// `GET http://127.0.0.1:5000/simple/a/ HTTP/1.1`).
    pub fn requests(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for ForwardProxy {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Relays one client connection; any failure just closes it.
async fn relay(mut client: TcpStream, requests: Arc<Mutex<Vec<String>>>) {
    let Some(head) = read_head(&mut client).await else {
        return;
    };
    let text = String::from_utf8_lossy(&head).into_owned();
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_string();
    requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(request_line.clone());
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return;
    };
    if method.eq_ignore_ascii_case("CONNECT") {
        let Ok(mut upstream) = TcpStream::connect(target).await else {
            let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
            return;
        };
        if client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await
            .is_err()
        {
            return;
        }
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        return;
    }
    let Some(authority) = target
        .strip_prefix("http://")
        .and_then(|rest| rest.split('/').next())
    else {
        let _ = client.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        return;
    };
    let Ok(mut upstream) = TcpStream::connect(authority).await else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
        return;
    };
    let mut forwarded = format!("{request_line}\r\n");
    for line in lines.filter(|line| !line.is_empty()) {
        let name = line.split(':').next().unwrap_or_default().trim();
        if !name.eq_ignore_ascii_case("connection")
            && !name.eq_ignore_ascii_case("proxy-connection")
        {
            forwarded.push_str(line);
            forwarded.push_str("\r\n");
        }
    }
    forwarded.push_str("Connection: close\r\n\r\n");
    if upstream.write_all(forwarded.as_bytes()).await.is_err() {
        return;
    }
    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
}

/// The request head, up to and including the empty line; `None` when the client went away.
async fn read_head(client: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte).await.ok()? == 0 || head.len() > 64 * 1024 {
            return None;
        }
        head.push(byte[0]);
    }
    Some(head)
}
