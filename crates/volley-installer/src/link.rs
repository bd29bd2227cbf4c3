//! How a file gets from the unpacked-wheel cache into an environment: [`LinkMode`].
//!
//! The mode is decided once per install, on the first file ([`first_link`]): `clone` tries a
//! reflink (copy-on-write: btrfs, XFS, APFS), then a hard link, then a copy; `hardlink` tries a
//! hard link, then a copy (the cache and the environment are on different filesystems: `EXDEV`).
//! Every later file uses the mode that worked, and falls back to a copy on its own if its link
//! fails all the same (a filesystem's link-count limit, say).
//!
//! The hardlink caveat (as with uv's hardlink mode): a hard-linked file *is* the cache's file, so
//! editing an installed file in place (not replacing it) edits the cache too, and every
//! environment that links it. Files the install rewrites (`RECORD`, launchers, scripts with a
//! `#!python` line, `INSTALLER`, `REQUESTED`, `direct_url.json`) are always written fresh, and
//! bytecode is written by Python as new files, so volley itself never writes through a link.
//! `symlink` has the same caveat, and the environment breaks when the cache is cleaned.

use std::fmt;
use std::io;
use std::path::Path;
use std::str::FromStr;

use crate::InstallError;

/// How installed files are made from the unpacked cache.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum LinkMode {
    /// A copy-on-write clone (reflink), falling back to a hard link, then a copy.
    #[default]
    Clone,
    /// A hard link to the cache's file, falling back to a copy.
    Hardlink,
    /// A plain copy.
    Copy,
    /// A symbolic link to the cache's file.
    Symlink,
}

impl LinkMode {
    /// The modes to try on the first file, in order.
    fn fallbacks(self) -> &'static [LinkMode] {
        match self {
            Self::Clone => &[Self::Clone, Self::Hardlink, Self::Copy],
            Self::Hardlink => &[Self::Hardlink, Self::Copy],
            Self::Copy => &[Self::Copy],
            Self::Symlink => &[Self::Symlink],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clone => "clone",
            Self::Hardlink => "hardlink",
            Self::Copy => "copy",
            Self::Symlink => "symlink",
        }
    }
}

impl fmt::Display for LinkMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LinkMode {
    type Err = InstallError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "clone" => Ok(Self::Clone),
            "hardlink" => Ok(Self::Hardlink),
            "copy" => Ok(Self::Copy),
            "symlink" => Ok(Self::Symlink),
            _ => Err(InstallError::UnknownLinkMode {
                value: value.to_string(),
            }),
        }
    }
}

/// Makes `target` (which must not exist) from `source` with the mode `requested` asks for,
/// falling back as the mode allows; returns the mode that worked.
pub(crate) fn first_link(
    requested: LinkMode,
    source: &Path,
    target: &Path,
) -> io::Result<LinkMode> {
    let mut last_error = None;
    for &mode in requested.fallbacks() {
        match link(mode, source, target) {
            Ok(()) => {
                if mode != requested {
                    tracing::debug!("link mode {requested} does not work here, using {mode}");
                }
                return Ok(mode);
            }
            // The source is missing: no other mode will do better.
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Err(error),
            Err(error) => {
                tracing::debug!("link mode {mode} failed on the first file: {error}");
                last_error = Some(error);
            }
        }
    }
    Err(last_error.unwrap_or_else(|| io::Error::other("no link mode to try")))
}

/// Makes `target` from `source` with `mode` (decided by [`first_link`]); a clone or hard link
/// that fails for this file alone becomes a copy.
pub(crate) fn link_with(mode: LinkMode, source: &Path, target: &Path) -> io::Result<()> {
    match link(mode, source, target) {
        Err(error)
            if matches!(mode, LinkMode::Clone | LinkMode::Hardlink)
                && error.kind() != io::ErrorKind::NotFound =>
        {
            tracing::debug!("{error}; copying instead");
            link(LinkMode::Copy, source, target)
        }
        result => result,
    }
}

/// One attempt, no fallback.
fn link(mode: LinkMode, source: &Path, target: &Path) -> io::Result<()> {
    match mode {
        LinkMode::Clone => reflink_copy::reflink(source, target).map_err(|error| {
            io::Error::new(
                error.kind(),
                format!(
                    "failed to clone \"{}\" to \"{}\": {error}",
                    source.display(),
                    target.display()
                ),
            )
        }),
        LinkMode::Hardlink => fs_err::hard_link(source, target),
        LinkMode::Copy => fs_err::copy(source, target).map(|_| ()),
        #[cfg(unix)]
        LinkMode::Symlink => fs_err::os::unix::fs::symlink(source, target),
        #[cfg(not(unix))]
        LinkMode::Symlink => Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "symlink mode is only supported on Unix",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        for mode in [
            LinkMode::Clone,
            LinkMode::Hardlink,
            LinkMode::Copy,
            LinkMode::Symlink,
        ] {
            assert_eq!(mode.to_string().parse::<LinkMode>().unwrap(), mode);
        }
        insta::assert_snapshot!("reflink".parse::<LinkMode>().unwrap_err(), @r#"invalid link mode "reflink" (expected clone, hardlink, copy or symlink)"#);
    }

    #[test]
    fn falls_back_and_keeps_the_content() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source");
        fs_err::write(&source, "content").unwrap();
        let target = dir.path().join("target");
        // This machine's filesystems (ext4, tmpfs) have no reflinks: a hard link is next.
        let mode = first_link(LinkMode::Clone, &source, &target).unwrap();
        assert_ne!(mode, LinkMode::Copy);
        assert_eq!(fs_err::read_to_string(&target).unwrap(), "content");

        let copy = dir.path().join("copy");
        assert_eq!(
            first_link(LinkMode::Copy, &source, &copy).unwrap(),
            LinkMode::Copy
        );
        let missing = first_link(LinkMode::Clone, &dir.path().join("gone"), &copy).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
    }
}
