//! A PEP 517 / 518 / 660 build frontend, and everything needed to install what is not a wheel
//! on an index: local projects, sdists, archive URLs, git repositories, editables.
//!
//! Where to start:
//! - [`parse_direct`] / [`parse_editable`] turn what users write (`./pkg`, `pkg.whl`,
//!   `name @ https://...`, `git+https://...@v1.0#subdirectory=sub`) into a
//!   [`DirectRequirement`] holding a [`DirectSource`];
//! - [`prepare`] takes a [`DirectSource`] to its metadata, a wheel when needed and its
//!   `direct_url.json` ([`direct_url_json`], PEP 610), in one call, through the [`Git`]
//!   checkouts, the [`BuildCache`] and a download callback;
//! - [`SourceBuilder`] runs the build backends: [`SourceBuilder::metadata`] (static metadata
//!   first, hooks only when needed), [`SourceBuilder::build_wheel`],
//!   [`SourceBuilder::build_editable`]. An sdist is unpacked first with [`unpack_sdist`];
//!   [`read_build_system`] says how a tree is built.
//!
//! This crate does not resolve or download: build requirements are installed through the
//! [`BuildRequirementsInstaller`] trait, which the binary implements with volley's resolver and
//! installer (so builds share its cache and parallel downloads), and URL sources are fetched
//! through the [`Download`] callback.
//!
//! Traps of the domain, each handled where it lives:
//! - no `[build-system]` means setuptools' legacy backend, not "no backend"
//!   ([`read_build_system`]);
//! - a static `[project]` table and a PEP 643 `PKG-INFO` give metadata without running any
//!   code, but only when their dependency fields are not dynamic (`static_metadata`);
//! - backends print freely: hook results travel through a file, never stdout (`backend_shim.py`);
//! - `backend-path` backends must be imported from the tree, not from site-packages;
//! - build environments must not see the caller's `PYTHONPATH` or user site-packages
//!   (`environment`);
//! - sdists are untrusted archives: `..`, absolute names and escaping links are refused
//!   ([`unpack_sdist`]);
//! - building runs arbitrary code from the project; callers decide whether to allow it
//!   (`--only-binary`), this crate just runs it;
//! - a direct reference's name may be unknown until its metadata is read (`./pkg`, an sdist
//!   URL without `#egg=`), and URLs may carry credentials that no message may show
//!   ([`redact_url`]);
//! - built wheels are cached per sdist hash, git commit or tree fingerprint, and per target
//!   interpreter; editable wheels never are ([`BuildCache`]).

mod archive;
mod build_cache;
mod build_system;
mod builder;
mod direct_url;
mod environment;
mod error;
mod git;
mod hook;
mod prepare;
mod source;
mod source_tree;
mod static_metadata;

pub use archive::unpack_sdist;
pub use build_cache::{BuildCache, BuildKey, tree_fingerprint};
pub use build_system::{BuildSystem, LEGACY_BACKEND, LEGACY_REQUIRES, read_build_system};
pub use builder::{BuildOptions, SourceBuilder};
pub use direct_url::{ResolvedSource, direct_url_json, path_to_url};
pub use environment::{BuildEnvironmentInfo, BuildRequirementsInstaller};
pub use error::BuildError;
pub use git::{Git, GitCheckout};
pub use prepare::{Download, Downloaded, PrepareContext, PreparedSource, prepare};
pub use source::{DirectRequirement, DirectSource, parse_direct, parse_editable, redact_url};
pub use source_tree::SourceTree;
