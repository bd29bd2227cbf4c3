//! Integration tests of the `volley` binary: real venvs, a local index on 127.0.0.1, wheels
//! built by the tests. One test binary, one module per area.

mod common;
mod compile;
mod config;
mod environment;
mod hashes;
mod install;
mod pipeline;
mod resolve;
