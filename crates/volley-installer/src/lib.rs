//! Installs wheels into a Python environment and uninstalls distributions, as pip does.
//!
//! Start with [`install_wheel`]: a wheel file and a [`Layout`] (the environment's scheme
//! directories, which the binary builds from the interpreter it queried) in, an
//! [`InstalledWheel`] out. [`uninstall`] removes a distribution through its `RECORD`. Both follow
//! the binary distribution format spec (PEP 427), PEP 376 (`RECORD`, `INSTALLER`, `REQUESTED`),
//! PEP 610 (`direct_url.json`) and the entry points spec, and copy pip's behaviour where the
//! specs leave room.
//!
//! The domain's traps, each handled in the module named:
//! - a wheel is untrusted input: entry names may be absolute, escape with `..` or be symlinks
//!   (`wheel`); files may not match their `RECORD` hashes (`install`);
//! - an install must be all or nothing: everything is checked and staged before the first file
//!   lands in the environment, and a failure while moving files into place undoes the moves
//!   (`staging`);
//! - `RECORD` is CSV with urlsafe unpadded base64 digests, and its paths are relative to the
//!   site-packages directory even for scripts (`../../../bin/tool`) (`record`, `path`);
//! - scripts: `#!python` lines are rewritten, entry points become launchers, long or spaced
//!   interpreter paths need a `/bin/sh` trampoline (`script`);
//! - uninstalling must remove bytecode that `RECORD` never listed, and nothing outside the
//!   environment (`uninstall`).
//!
//! Not here yet: bytecode compilation, linking from an unpacked cache, Windows `.exe` launchers.

mod error;
mod install;
mod layout;
mod path;
mod record;
mod script;
mod staging;
mod uninstall;
mod wheel;

pub use error::InstallError;
pub use install::{InstalledWheel, install_wheel};
pub use layout::{InstallOptions, Layout};
pub use uninstall::{UninstallSummary, uninstall};
