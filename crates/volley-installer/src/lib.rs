//! Installs wheels into a Python environment and uninstalls distributions, as pip does, linking
//! files from an unpacked-wheel cache, many wheels at once, as one transaction.
//!
//! Start with [`unpack_wheel`]: a wheel file is checked and unpacked once into the cache,
//! giving an [`UnpackedWheel`] (or [`UnpackedWheel::open`] one unpacked earlier). The binary
//! unpacks while the download streams, with a [`StreamedWheel`] (its result is the same tree,
//! checked the same way), and falls back to `unpack_wheel` when streaming gives up. Then an
//! [`Installer`] (a [`Layout`], the environment's scheme directories as the binary queried them,
//! and [`InstallerOptions`]) executes an [`InstallPlan`]: wheels to install and `.dist-info`
//! directories to remove, all or nothing, under the environment's lock ([`lock_environment`]
//! takes it before the caller reads the environment to plan; [`Installer::execute_locked`] then
//! uses it). [`recover`] rolls back an install that a killed process left unfinished.
//! [`install_wheel`] (one wheel file, no cache) and [`uninstall`] are the simple forms. The specs
//! followed are the binary distribution format (PEP 427), PEP 376 (`RECORD`, `INSTALLER`,
//! `REQUESTED`), PEP 610 (`direct_url.json`) and the entry points spec, with pip's behaviour
//! where the specs leave room.
//!
//! The domain's traps, each handled in the module named:
//! - a wheel is untrusted input: entry names may be absolute, escape with `..` or be symlinks
//!   (`wheel`); files may not match their `RECORD` hashes (`unpack`); while it downloads, its
//!   local headers may describe entries that its central directory, the part zip readers
//!   believe, leaves out or describes otherwise (`stream`);
//! - a cached tree may be half-written or tampered with: it is used only with the marker that
//!   unpacking writes last, an unchanged `RECORD`, and every file present with its size
//!   (`unpack`);
//! - **linking shares files with the cache** (`link`): with `hardlink` (and `clone` where it
//!   falls back to a hard link, as on ext4) an installed file is the cache's file, so editing
//!   one in place edits the cache and every environment linked to it, as with uv's hardlink
//!   mode. Whatever the install rewrites (`RECORD`, launchers, `#!python` scripts, `INSTALLER`,
//!   `REQUESTED`, `direct_url.json`) is written fresh, and bytecode is new files, so volley never
//!   writes through a link; use `copy` for environments whose files get edited;
//! - an install must be all or nothing, even when killed: everything is staged, then committed
//!   from a journal that the next run rolls back if the commit did not finish (`transaction`);
//! - `RECORD` is CSV with urlsafe unpadded base64 digests, and its paths are relative to the
//!   site-packages directory even for scripts (`../../../bin/tool`) (`record`, `path`);
//! - scripts: `#!python` lines are rewritten, entry points become launchers, long or spaced
//!   interpreter paths need a `/bin/sh` trampoline (`script`); on Windows launchers are `.exe`
//!   files, a stub from the environment's pip with the script zipped behind it
//!   (`windows_launcher`);
//! - bytecode: compiled by the target interpreter whatever `PYTHONDONTWRITEBYTECODE` says, and
//!   recorded in `RECORD` (`bytecode`);
//! - uninstalling must remove bytecode that `RECORD` never listed, and nothing outside the
//!   environment (`uninstall`).
//!
//! Platforms: the Windows parts (`.exe` launchers, `Scripts`, case-insensitive destinations) are
//! compiled for Windows in CI and their logic is unit-tested on Linux, but no test runs on
//! Windows itself.

mod bytecode;
mod error;
mod install;
mod installer;
mod layout;
mod link;
mod path;
mod placement;
mod record;
mod script;
mod staging;
mod stream;
mod transaction;
mod uninstall;
mod unpack;
mod wheel;
mod windows_launcher;

pub use bytecode::CompileOptions;
pub use error::InstallError;
pub use install::{InstalledWheel, install_wheel};
pub use installer::{
    BytecodeFailure, EnvironmentLock, InstallPlan, InstallReporter, InstallSummary, Installer,
    InstallerOptions, PlannedInstall, lock_environment, recover,
};
pub use layout::{InstallOptions, Layout};
pub use link::LinkMode;
pub use stream::{StreamFallback, StreamedWheel};
pub use uninstall::{UninstallSummary, uninstall};
pub use unpack::{UnpackedWheel, unpack_wheel};
