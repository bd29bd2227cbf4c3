//! Tests of volley-test-support's public API: the builders, the index server (with a raw
//! HTTP/1.1 client, so that every byte the server sends is visible), and the test context.

mod client;
mod context;
mod server;
mod transport;
mod wheel;
