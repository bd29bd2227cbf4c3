//! Installing one wheel file without a cache: [`install_wheel`].
//!
//! The wheel is unpacked and checked in a scratch directory beside the environment's
//! site-packages ([`unpack_wheel`](crate::unpack_wheel): every check happens before anything is
//! written to the environment), then installed by the same transaction as
//! [`Installer::execute`](crate::Installer::execute), hard-linking from the scratch directory
//! (which is deleted afterwards, so the environment's files are the only links left).

use std::path::{Path, PathBuf};

use volley_packaging::{PackageName, Version};

use crate::InstallError;
use crate::installer::{InstallPlan, PlannedInstall, Settings, apply};
use crate::layout::{InstallOptions, Layout};
use crate::link::LinkMode;
use crate::staging::Staging;
use crate::unpack::unpack_wheel;

/// One installed distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledWheel {
    pub name: PackageName,
    pub version: Version,
    /// The installed `.dist-info` directory.
    pub dist_info: PathBuf,
    /// How many files were installed, `RECORD` included (the rows of the new `RECORD`).
    pub files: usize,
}

/// Installs the wheel at `wheel` into `layout`.
///
/// The wheel is checked completely (paths, `WHEEL`, the `.dist-info` name, every file against
/// `RECORD`) before anything is written to the environment, and a failure while writing undoes
/// what was written. A `.dist-info` directory of the same name must not exist yet: to replace a
/// version, [`uninstall`](crate::uninstall) it first, or use an
/// [`Installer`](crate::Installer), which also takes the environment lock (this does not).
pub fn install_wheel(
    wheel: &Path,
    layout: &Layout,
    options: &InstallOptions,
) -> Result<InstalledWheel, InstallError> {
    let io_error = |source| InstallError::Io {
        wheel: wheel.display().to_string(),
        source,
    };
    let layout = layout.absolute().map_err(io_error)?;
    let scratch = Staging::new(&layout.purelib, ".volley-unpack-").map_err(io_error)?;
    let unpacked = unpack_wheel(wheel, &scratch.path().join("wheel"))?;
    let plan = InstallPlan {
        install: vec![PlannedInstall {
            wheel: unpacked,
            requested: options.requested,
            direct_url: options.direct_url.clone(),
        }],
        remove: Vec::new(),
    };
    let settings = Settings {
        link_mode: LinkMode::Hardlink,
        threads: std::thread::available_parallelism().map_or(1, usize::from),
        installer_name: &options.installer,
        compile: None,
        interrupt: None,
    };
    let summary = apply(&layout, &settings, &plan, &(), None)?;
    summary
        .installed
        .into_iter()
        .next()
        .ok_or_else(|| io_error(std::io::Error::other("the install reported no wheel")))
}
