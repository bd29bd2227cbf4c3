//! A raw HTTP/1.1 client over `std::net::TcpStream`: one request per connection
//! (`Connection: close`), reading until the server closes, so that truncated bodies and resets
//! are seen as they are.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// What came back on the connection.
#[derive(Debug)]
pub struct RawResponse {
    /// The status code, `None` when no status line arrived.
    pub status: Option<u16>,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The error that ended reading, if reading did not end with a clean close.
    pub error: Option<ErrorKind>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

pub fn get(address: SocketAddr, path: &str) -> RawResponse {
    request(address, "GET", path, &[])
}

pub fn request(
    address: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> RawResponse {
    let mut stream = TcpStream::connect(address).expect("connect to the index server");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("set a read timeout");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).expect("send the request");

    let mut raw = Vec::new();
    let mut buffer = [0u8; 8192];
    let error = loop {
        match stream.read(&mut buffer) {
            Ok(0) => break None,
            Ok(read) => raw.extend_from_slice(&buffer[..read]),
            Err(error) => break Some(error.kind()),
        }
    };
    parse(&raw, error)
}

fn parse(raw: &[u8], error: Option<ErrorKind>) -> RawResponse {
    let Some(end) = raw.windows(4).position(|window| window == b"\r\n\r\n") else {
        return RawResponse {
            status: None,
            headers: Vec::new(),
            body: raw.to_vec(),
            error,
        };
    };
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok());
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    RawResponse {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
        error,
    }
}
