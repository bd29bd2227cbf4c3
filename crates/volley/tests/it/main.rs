//! Integration tests of the `volley` binary: real venvs, a local index on 127.0.0.1, wheels
//! built by the tests. One test binary, one module per area.

mod build;
mod cache;
mod common;
mod compile;
mod config;
mod direct_hashes;
mod download;
mod environment;
mod faults;
mod guards;
mod hashes;
mod install;
mod layout;
mod lock;
mod outdated;
mod pip_flags;
mod pipeline;
mod report;
mod resolve;
mod wheel;
