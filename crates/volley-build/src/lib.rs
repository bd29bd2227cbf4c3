//! A PEP 517 / 518 / 660 build frontend: metadata and wheels from source trees and sdists.
//!
//! Start with [`SourceBuilder`]: [`SourceBuilder::metadata`] (static metadata first, hooks
//! only when needed), [`SourceBuilder::build_wheel`], [`SourceBuilder::build_editable`]. An sdist
//! is unpacked first with [`unpack_sdist`]; [`read_build_system`] says how a tree is built.
//!
//! This crate does not resolve or download: build requirements are installed through the
//! [`BuildRequirementsInstaller`] trait, which the binary implements with volley's resolver and
//! installer (so builds share its cache and parallel downloads).
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
//!   (`--only-binary`), this crate just runs it.

mod archive;
mod build_system;
mod builder;
mod environment;
mod error;
mod hook;
mod source_tree;
mod static_metadata;

pub use archive::unpack_sdist;
pub use build_system::{BuildSystem, LEGACY_BACKEND, LEGACY_REQUIRES, read_build_system};
pub use builder::{BuildOptions, SourceBuilder};
pub use environment::{BuildEnvironmentInfo, BuildRequirementsInstaller};
pub use error::BuildError;
pub use source_tree::SourceTree;
