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
#[cfg(unix)]
use std::path::PathBuf;
use std::str::FromStr;

use crate::InstallError;
use crate::transaction::Cached;

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
            if matches!(mode, LinkMode::Clone | LinkMode::Hardlink) && worth_copying(&error) =>
        {
            tracing::debug!("{error}; copying instead");
            link(LinkMode::Copy, source, target)
        }
        result => result,
    }
}

/// Whether a clone or link that failed with `error` may be replaced by a copy: not when the
/// source is missing, nor when the target exists (a copy would overwrite it).
fn worth_copying(error: &io::Error) -> bool {
    !matches!(
        error.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::AlreadyExists
    )
}

/// [`link_with`] for many files on one thread: hard links are made relative to the directories
/// of the last source and target, kept open, so that the kernel resolves two file names instead
/// of two full paths per file (most files of a wheel share their directory with the previous one).
#[derive(Debug, Default)]
pub(crate) struct Linker {
    #[cfg(unix)]
    source_dir: Option<(PathBuf, rustix::fd::OwnedFd)>,
    #[cfg(unix)]
    target_dir: Option<(PathBuf, rustix::fd::OwnedFd)>,
}

impl Linker {
    /// Makes `target` from the cached file `source` as [`link_with`] does.
    pub(crate) fn link(
        &mut self,
        mode: LinkMode,
        source: &Cached<'_>,
        target: &Path,
    ) -> io::Result<()> {
        if mode != LinkMode::Hardlink {
            return link_with(mode, &source.path(), target);
        }
        match self.hard_link(source, target) {
            Err(error) if worth_copying(&error) => {
                tracing::debug!("{error}; copying instead");
                link(LinkMode::Copy, &source.path(), target)
            }
            result => result,
        }
    }

    #[cfg(unix)]
    fn hard_link(&mut self, source: &Cached<'_>, target: &Path) -> io::Result<()> {
        use std::os::unix::ffi::OsStrExt;
        // The source's directory, as its root and the part of `relative` before the file name.
        let (source_root, source_subdir, source_name): (&Path, &str, &[u8]) = match source
            .relative
            .rsplit_once('/')
        {
            Some((subdir, name)) => (&source.root, subdir, name.as_bytes()),
            None if !source.relative.is_empty() => (&source.root, "", source.relative.as_bytes()),
            None => match (source.root.parent(), source.root.file_name()) {
                (Some(parent), Some(name)) => (parent, "", name.as_bytes()),
                _ => return fs_err::hard_link(source.path(), target),
            },
        };
        let Some((target_parent, target_name)) = crate::path::split_last(target) else {
            return fs_err::hard_link(source.path(), target);
        };
        let failed = |error: io::Error| {
            io::Error::new(
                error.kind(),
                format!(
                    "failed to hard link \"{}\" to \"{}\": {error}",
                    source.path().display(),
                    target.display()
                ),
            )
        };
        let reuse_source = self
            .source_dir
            .as_ref()
            .is_some_and(|(open, _)| crate::path::is_joined(open, source_root, source_subdir));
        if !reuse_source {
            let dir = if source_subdir.is_empty() {
                source_root.to_path_buf()
            } else {
                source_root.join(source_subdir)
            };
            self.source_dir = None;
            let fd = open_directory(&dir).map_err(failed)?;
            self.source_dir = Some((dir, fd));
        }
        let linked = open_dir(&mut self.target_dir, target_parent).and_then(|target_dir| {
            let Some((_, source_dir)) = &self.source_dir else {
                return Err(io::Error::other("no directory is open"));
            };
            Ok(rustix::fs::linkat(
                source_dir,
                std::ffi::OsStr::from_bytes(source_name),
                target_dir,
                target_name,
                rustix::fs::AtFlags::empty(),
            )?)
        });
        match linked {
            // A directory kept open may have been replaced meanwhile (another process put a new
            // unpacked tree in place): forget them, and try the paths themselves.
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                self.source_dir = None;
                self.target_dir = None;
                fs_err::hard_link(source.path(), target)
            }
            result => result.map_err(failed),
        }
    }

    #[cfg(not(unix))]
    fn hard_link(&mut self, source: &Cached<'_>, target: &Path) -> io::Result<()> {
        fs_err::hard_link(source.path(), target)
    }
}

/// The open directory in `slot` if it is `dir`, else `dir` opened (for `*at` calls only) and
/// kept there.
#[cfg(unix)]
fn open_dir<'a>(
    slot: &'a mut Option<(PathBuf, rustix::fd::OwnedFd)>,
    dir: &Path,
) -> io::Result<&'a rustix::fd::OwnedFd> {
    let reuse = slot
        .as_ref()
        .is_some_and(|(open, _)| open.as_os_str() == dir.as_os_str());
    if !reuse {
        *slot = None;
        let fd = open_directory(dir)?;
        *slot = Some((dir.to_path_buf(), fd));
    }
    match slot {
        Some((_, fd)) => Ok(fd),
        None => Err(io::Error::other("no directory is open")),
    }
}

/// Copies `source` to `target`, which must not exist (a copy never writes over a file, nor
/// through a hard link into the cache), keeping the permissions.
fn copy_new(source: &Path, target: &Path) -> io::Result<()> {
    let reader = fs_err::File::open(source)?;
    let permissions = reader.metadata()?.permissions();
    let writer = fs_err::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(target)?;
    io::copy(&mut reader.file(), &mut writer.file()).map_err(|error| {
        io::Error::new(
            error.kind(),
            format!(
                "failed to copy \"{}\" to \"{}\": {error}",
                source.display(),
                target.display()
            ),
        )
    })?;
    writer.set_permissions(permissions)
}

/// Opens `dir` for `*at` system calls only (`O_PATH` where there is one).
#[cfg(unix)]
pub(crate) fn open_directory(dir: &Path) -> io::Result<rustix::fd::OwnedFd> {
    Ok(rustix::fs::open(
        dir,
        crate::unpack::directory_flags(),
        rustix::fs::Mode::empty(),
    )?)
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
        LinkMode::Copy => copy_new(source, target),
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
    use std::borrow::Cow;

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
        assert_eq!(fs_err::read_to_string(&copy).unwrap(), "content");
        // Never over an existing file.
        let exists = link(LinkMode::Copy, &target, &copy).unwrap_err();
        assert_eq!(exists.kind(), io::ErrorKind::AlreadyExists);
        let missing = first_link(LinkMode::Clone, &dir.path().join("gone"), &copy).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn a_linker_reuses_directories_and_reports_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let (cache, env) = (dir.path().join("cache"), dir.path().join("env"));
        for sub in ["a", "b"] {
            fs_err::create_dir_all(cache.join(sub)).unwrap();
            fs_err::create_dir_all(env.join(sub)).unwrap();
            for file in ["1", "2"] {
                fs_err::write(cache.join(sub).join(file), format!("{sub}{file}")).unwrap();
            }
        }
        let cached = |relative: &'static str| Cached {
            root: Cow::Borrowed(cache.as_path()),
            relative: Cow::Borrowed(relative),
        };
        let mut linker = Linker::default();
        for path in ["a/1", "a/2", "b/1", "a/2x"] {
            let source = cached(path.trim_end_matches('x'));
            linker
                .link(LinkMode::Hardlink, &source, &env.join(path))
                .unwrap();
        }
        // A whole path in `root`, too.
        let whole = Cached {
            root: Cow::Owned(cache.join("b/2")),
            relative: Cow::Borrowed(""),
        };
        linker
            .link(LinkMode::Hardlink, &whole, &env.join("b/2"))
            .unwrap();
        assert_eq!(fs_err::read_to_string(env.join("b/2")).unwrap(), "b2");
        assert_eq!(fs_err::read_to_string(env.join("b/1")).unwrap(), "b1");
        assert_eq!(fs_err::read_to_string(env.join("a/2x")).unwrap(), "a2");
        let missing = linker
            .link(LinkMode::Hardlink, &cached("b/gone"), &env.join("b/gone"))
            .unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        let no_dir = linker
            .link(LinkMode::Hardlink, &cached("c/1"), &env.join("b/3"))
            .unwrap_err();
        assert_eq!(no_dir.kind(), io::ErrorKind::NotFound);
        // An existing target is an error, not a copy over it.
        let exists = linker
            .link(LinkMode::Hardlink, &cached("b/2"), &env.join("b/1"))
            .unwrap_err();
        assert_eq!(exists.kind(), io::ErrorKind::AlreadyExists);
    }
}
