//! Dependency resolution with pip's semantics, over PubGrub, with no IO.
//!
//! Start with [`resolve`]: it takes the user's requirements, [`ResolverOptions`] (target marker
//! environment and Python, pre-release mode, constraints, installed versions, upgrade and binary
//! policies) and a [`Provider`] that answers questions about packages; it returns a
//! [`Resolution`] or a [`ResolveError`] whose [`NoSolutionReport`] explains a conflict in
//! PEP 440 terms. The binary wires [`Provider`] to the index client and the download collection;
//! tests implement it in memory.
//!
//! The traps this crate handles (details in the modules):
//! - PEP 440 ranges: `1.0+local` satisfies `==1.0` and `<=1.0`, `<2.0` excludes `2.0b1`, `>2.0`
//!   excludes `2.0.post1` (`range`).
//! - pip's candidate rules, which ranges cannot express: pre-releases only when asked for or when
//!   nothing else fits, yanked versions only when pinned, sdist-only versions still considered,
//!   installed versions kept unless upgraded (`solver`).
//! - extras are virtual packages pinned to their base's version, Requires-Python is a dependency on
//!   a virtual `Python` package so conflicts explain it (`package`).
//! - markers are evaluated against the target for the user's requirements and for every
//!   dependency; `extra == "x"` only applies to the `pkg[x]` virtual package.

mod error;
mod options;
mod package;
mod provider;
mod range;
mod report;
mod resolution;
mod solver;

pub use error::ResolveError;
pub use options::{BinaryPolicy, NameSet, PrereleaseMode, ResolverOptions, Upgrade};
pub use provider::{Candidate, CandidateMetadata, Provider, ProviderError};
pub use report::NoSolutionReport;
pub use resolution::{CandidateSource, Resolution, ResolvedPackage, resolve};
