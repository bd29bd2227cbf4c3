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
//! - extras are virtual packages pinned to their base's version, whose own dependencies sit
//!   behind a second virtual package so that an extra never reads the metadata of a version its
//!   base is not at; Requires-Python is a dependency on a virtual `Python` package so conflicts
//!   explain it (`package`).
//! - decision order: pinned packages first, then those that conflicts moved (a package rejected
//!   again and again by another's decision is decided before it, and the solve restarts with
//!   that order, so the answer does not depend on the order of the requirements), then the
//!   user's, then the rest breadth first (`solver`, `Conflicts`).
//! - a long walk back through a package's releases has the provider fetch the next few
//!   releases' metadata ahead ([`Provider::prefetch_metadata`]).
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
