//! The target Python interpreter: finding it, asking it what it is, and listing what is
//! installed in it.
//!
//! Start with [`Interpreter::find`]: a [`PythonRequest`] (`--python`, `--system`, or nothing)
//! and a [`DiscoveryEnv`] (the environment variables the binary read) give an interpreter path,
//! which [`Interpreter::query`] runs once with an embedded script (`query_interpreter.py`). The
//! answer, cached per interpreter path and modification time, holds everything later stages
//! need: the PEP 508 marker environment, the PEP 425 tags (best first), and pip's install
//! scheme ([`Interpreter::scheme_for`] computes pip's `--user` and `--prefix` schemes).
//! [`Interpreter::installed`] then lists the [`InstalledDist`]s in its site-packages,
//! which read their own metadata as pip does: raw fields ([`MetadataFields`]), dependencies
//! ([`Dependency`]), files, and where they came from ([`DirectUrl`], PEP 610). [`check`] says
//! which dependencies are missing or conflicting, as `pip check` does.
//! [`Interpreter::externally_managed`] says whether a distributor manages the interpreter's
//! packages (PEP 668), so that installers leave it alone.
//!
//! Traps of the domain:
//! - Tags must be exactly pip's, or volley picks different wheels: the script mirrors
//!   `packaging.tags` for the facts that decide them (ABI tag, glibc/musl version, 32-bit
//!   interpreters on 64-bit kernels, the macOS version behind the 10.16 compatibility shim),
//!   and `volley_packaging::Tags::from_input` turns them into the list.
//! - pip computes install paths with sysconfig on Python 3.10+ but with distutils before, and
//!   distributors patch both (Debian's `posix_local`); the script follows pip's choice.
//! - A venv's `bin/python` is a symlink to its base interpreter: never canonicalize it, or the
//!   venv is lost.
//! - Libraries read no environment variables: the binary passes `$VIRTUAL_ENV`, `$CONDA_PREFIX`,
//!   `$PATH` and the current directory in a [`DiscoveryEnv`].

mod check;
mod dependency;
mod direct_url;
mod discovery;
mod error;
mod externally_managed;
mod fields;
mod installed;
mod interpreter;
mod query;
mod scheme;
#[cfg(test)]
mod testing;

pub use check::{Problem, check};
pub use dependency::Dependency;
pub use direct_url::{DirectUrl, DirectUrlInfo};
pub use discovery::{DiscoveryEnv, PythonRequest, find_python_executable};
pub use error::PythonError;
pub use externally_managed::ExternallyManaged;
pub use fields::MetadataFields;
pub use installed::{InstalledDist, InstalledFormat};
pub use interpreter::{Interpreter, Scheme};
pub use scheme::SchemeRequest;
