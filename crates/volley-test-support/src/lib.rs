//! Test support for volley: fixtures built from plain strings, a local package index with fault
//! injection, and a temporary world to run the `volley` binary in. Dev-only; it depends on no
//! other volley crate, so any crate's tests can use it.
//!
//! Where to start:
//! - [`WheelBuilder`] / [`SdistBuilder`] make valid (or deliberately broken) distributions in
//!   memory.
//! - [`IndexServer`] serves them as a PEP 503 / PEP 691 index on `127.0.0.1:0`, with PEP 658
//!   metadata files, range requests, a log of every request ([`RecordedRequest`]) and injected
//!   [`Fault`]s (status codes, resets, slow or truncated bodies, wrong bytes, delays); it can
//!   require basic auth, and serve HTTPS with [`TestCertificates`] made at start (an
//!   authority and the server certificate it signed, or one self-signed certificate marked
//!   `CA:TRUE` as `openssl req -x509` makes them).
//! - [`ForwardProxy`] is an HTTP proxy that records what goes through it.
//! - [`TestContext`] gives a temp root, a cache dir, a venv, an interpreter prefix that is not
//!   a venv (`TestContext::system_like_python`, for PEP 668 and `--user`), a clean-environment
//!   [`TestContext::command`] for the binary, the machine's pip for comparison, and
//!   [`TestContext::filter_paths`] for snapshots.
//!
//! A typical integration test:
//!
//! ```no_run
//! use std::path::Path;
//!
//! use volley_test_support::{IndexServer, TestContext, WheelBuilder};
//!
//! // In the volley crate's tests: `install_foo(Path::new(env!("CARGO_BIN_EXE_volley")))`.
//! fn install_foo(volley: &Path) {
//!     let wheel = WheelBuilder::new("foo", "1.0")
//!         .file("foo/__init__.py", "def main(): print('hi')")
//!         .entry_point("console_scripts", "foo", "foo:main")
//!         .build();
//!     let server = IndexServer::builder().wheel(wheel).start();
//!     let context = TestContext::new();
//!     context.create_venv();
//!     let output = context
//!         .command(volley)
//!         .args(["install", "foo", "--index-url", &server.index_url()])
//!         .arg("--python")
//!         .arg(context.python())
//!         .output()
//!         .unwrap();
//!     assert!(output.status.success());
//!     assert!(server.requests().iter().any(|request| request.path == "/simple/foo/"));
//!     assert!(context.site_packages().join("foo/__init__.py").is_file());
//! }
//! ```
//!
//! Traps: the shell running tests may export `PIP_*` and `PYTHON*` variables, so run Python and
//! pip only through [`TestContext`]; the server's file URLs are relative to the page
//! (`../../files/...`), as on real indexes; and wheel filenames keep the name's case while
//! index URLs use the PEP 503 normalized name.

mod context;
mod fault;
mod page;
mod proxy;
mod repository;
mod sdist;
mod server;
mod tls;
mod wheel;

#[cfg(unix)]
pub use context::write_script;
pub use context::{TestContext, filter_server_addresses, find_python, snapshot_tree};
pub use fault::{Fault, FaultKind, gzip_bomb};
pub use page::IndexFormat;
pub use proxy::ForwardProxy;
pub use sdist::{BuiltFile, SdistBuilder};
pub use server::{IndexServer, IndexServerBuilder, RecordedRequest};
pub use tls::TestCertificates;
pub use wheel::{BuiltWheel, WheelBuilder, escape_name, noise, normalize_name, sha256_hex};

/// An in-tree PEP 517 backend (standard library only) for build tests: written by a test into
/// a project's `_backend/mybackend.py` with `backend-path = ["_backend"]` and
/// `build-backend = "mybackend"`; configured by the project's `backend.json`, it builds
/// wheels and editables and logs each hook it runs, so tests can tell whether a build ran.
pub const TEST_BUILD_BACKEND: &str = include_str!("build_backend.py");
