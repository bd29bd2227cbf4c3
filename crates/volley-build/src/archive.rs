//! Unpacking source distributions without letting them write outside the destination.
//!
//! The formats are pip's, chosen by the file name's extension as pip does: `.zip`; `.tar.gz`,
//! `.tgz`, `.tar`; `.tar.bz2`, `.tbz` (bzip2); `.tar.xz`, `.txz`, `.tlz`, `.tar.lz`, `.tar.lzma`
//! (Python's `lzma` module: an `.xz` container, or the legacy `.lzma` "alone" format, told apart
//! by the xz magic bytes). Old releases on indexes still carry bzip2 and xz sdists.
//!
//! Traps of the domain:
//! - entry names may be absolute (`/etc/x`) or climb (`../x`, `a/../../x`): refused;
//! - a symlink entry may point outside (`l -> ../../x`, `l -> /etc`), directly or through other
//!   links in the archive (`d -> .` then `d/l -> ..`): every link is resolved against the
//!   unpacked tree once all entries are written, and refused when it leaves it;
//! - a later entry may try to write *through* an earlier link (`l -> elsewhere`, then `l/x`):
//!   entries are never written below a symlink, and a link at the entry's own path is replaced,
//!   not followed;
//! - hard-link entries name a member of the archive, relative to its root: they are copies of
//!   that earlier regular file;
//! - `git archive` tarballs begin with a `pax_global_header` entry, skipped; devices and fifos
//!   are skipped too, as Python's `tarfile` data filter would refuse them;
//! - zip archives have no links here: a symlink member is written as a file holding its target
//!   path, as pip does;
//! - the executable bit is kept (scripts in sdists are run by backends), other mode bits not;
//! - the project is the single top-level directory (`foo-1.0/`) when there is one, else the
//!   destination itself (pip's leading-directory rule).

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use crate::{BuildError, SourceTree};

/// Links followed while resolving one path before giving up (as Linux's `ELOOP` limit).
const MAX_LINK_HOPS: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ArchiveFormat {
    TarGz,
    TarBz2,
    TarXz,
    Tar,
    Zip,
}

/// The first bytes of an `.xz` container; other `XZ_EXTENSIONS` files are legacy `.lzma`.
const XZ_MAGIC: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0x00];

impl ArchiveFormat {
    fn from_path(archive: &Path) -> Option<Self> {
        let name = archive.file_name()?.to_string_lossy().to_ascii_lowercase();
        let ends = |suffixes: &[&str]| suffixes.iter().any(|suffix| name.ends_with(suffix));
        if ends(&[".tar.gz", ".tgz"]) {
            Some(Self::TarGz)
        } else if ends(&[".tar.bz2", ".tbz"]) {
            Some(Self::TarBz2)
        } else if ends(&[".tar.xz", ".txz", ".tlz", ".tar.lz", ".tar.lzma"]) {
            Some(Self::TarXz)
        } else if name.ends_with(".tar") {
            Some(Self::Tar)
        } else if name.ends_with(".zip") {
            Some(Self::Zip)
        } else {
            None
        }
    }
}

/// Unpack the sdist `archive` into `dest_dir` (created if missing; it should be empty) and return
/// the project directory inside it. See the module documentation for what is refused.
pub fn unpack_sdist(archive: &Path, dest_dir: &Path) -> Result<SourceTree, BuildError> {
    let format =
        ArchiveFormat::from_path(archive).ok_or_else(|| BuildError::UnsupportedArchive {
            archive: archive.to_path_buf(),
        })?;
    fs_err::create_dir_all(dest_dir)?;
    let mut unpacker = Unpacker {
        archive: archive.to_path_buf(),
        root: fs_err::canonicalize(dest_dir)?,
        links: Vec::new(),
    };
    let file = fs_err::File::open(archive)?;
    match format {
        ArchiveFormat::TarGz => unpacker.tar(flate2::read::MultiGzDecoder::new(file))?,
        ArchiveFormat::TarBz2 => unpacker.tar(bzip2::read::MultiBzDecoder::new(file))?,
        ArchiveFormat::TarXz => {
            let mut file = std::io::BufReader::new(file);
            let is_xz = std::io::BufRead::fill_buf(&mut file)?.starts_with(XZ_MAGIC);
            if is_xz {
                unpacker.tar(lzma_rust2::XzReader::new(file, true))?;
            } else {
                let reader = lzma_rust2::LzmaReader::new_mem_limit(file, u32::MAX, None)
                    .map_err(|error| unpacker.read_error(&error))?;
                unpacker.tar(reader)?;
            }
        }
        ArchiveFormat::Tar => unpacker.tar(file)?,
        ArchiveFormat::Zip => unpacker.zip(file)?,
    }
    unpacker.check_links()?;
    Ok(SourceTree {
        path: project_dir(&unpacker.root)?,
    })
}

/// The single top-level directory of `root`, or `root` itself.
fn project_dir(root: &Path) -> Result<PathBuf, BuildError> {
    let entries = fs_err::read_dir(root)?.collect::<Result<Vec<_>, _>>()?;
    if let [entry] = entries.as_slice()
        && entry.file_type()?.is_dir()
    {
        return Ok(entry.path());
    }
    Ok(root.to_path_buf())
}

struct Unpacker {
    archive: PathBuf,
    /// The canonical destination.
    root: PathBuf,
    /// Symlinks created, relative to `root`, with their entry names for errors.
    links: Vec<(PathBuf, String)>,
}

impl Unpacker {
    fn tar(&mut self, reader: impl Read) -> Result<(), BuildError> {
        let mut archive = tar::Archive::new(reader);
        let entries = archive.entries().map_err(|error| self.read_error(&error))?;
        for entry in entries {
            let mut entry = entry.map_err(|error| self.read_error(&error))?;
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let kind = entry.header().entry_type();
            let path = entry.path().map_err(|error| self.read_error(&error))?;
            let Some(relative) = self.entry_path(&path, &name)? else {
                continue;
            };
            match kind {
                tar::EntryType::Directory => self.directory(&relative, &name)?,
                tar::EntryType::Regular
                | tar::EntryType::Continuous
                | tar::EntryType::GNUSparse => {
                    let executable = entry.header().mode().is_ok_and(|mode| mode & 0o111 != 0);
                    self.file(&relative, &name, &mut entry, executable)?;
                }
                tar::EntryType::Symlink => {
                    let target = entry
                        .link_name()
                        .map_err(|error| self.read_error(&error))?
                        .ok_or_else(|| self.unsafe_entry(&name, "it is a link without a target"))?
                        .into_owned();
                    self.symlink(&relative, &name, &target)?;
                }
                tar::EntryType::Link => {
                    let target = entry
                        .link_name()
                        .map_err(|error| self.read_error(&error))?
                        .ok_or_else(|| self.unsafe_entry(&name, "it is a link without a target"))?
                        .into_owned();
                    self.hard_link(&relative, &name, &target)?;
                }
                other => {
                    tracing::debug!("skipping {name} ({other:?}) in {}", self.archive.display());
                }
            }
        }
        Ok(())
    }

    fn zip(&mut self, file: fs_err::File) -> Result<(), BuildError> {
        let mut archive = zip::ZipArchive::new(file).map_err(|error| self.read_error(&error))?;
        for index in 0..archive.len() {
            let mut member = archive
                .by_index(index)
                .map_err(|error| self.read_error(&error))?;
            let name = member
                .name()
                .map_err(|error| self.read_error(&error))?
                .into_owned();
            let Some(relative) = self.entry_path(Path::new(&name), &name)? else {
                continue;
            };
            if member.is_dir() {
                self.directory(&relative, &name)?;
            } else {
                let executable = member.unix_mode().is_some_and(|mode| mode & 0o111 != 0);
                self.file(&relative, &name, &mut member, executable)?;
            }
        }
        Ok(())
    }

    /// The entry's path relative to the root; `None` for the root itself (`./`), an error when
    /// it is absolute or climbs out.
    fn entry_path(&self, path: &Path, name: &str) -> Result<Option<PathBuf>, BuildError> {
        let relative = contained(path)
            .ok_or_else(|| self.unsafe_entry(name, "its path leaves the destination"))?;
        Ok((!relative.as_os_str().is_empty()).then_some(relative))
    }

    fn directory(&self, relative: &Path, name: &str) -> Result<(), BuildError> {
        self.check_ancestors(relative, name)?;
        let path = self.root.join(relative);
        if path.is_symlink() {
            fs_err::remove_file(&path)?;
        }
        fs_err::create_dir_all(path)?;
        Ok(())
    }

    fn file(
        &self,
        relative: &Path,
        name: &str,
        content: &mut impl Read,
        executable: bool,
    ) -> Result<(), BuildError> {
        let path = self.prepare(relative, name)?;
        let mut file = fs_err::File::create(&path)?;
        std::io::copy(content, &mut file).map_err(|error| self.read_error(&error))?;
        drop(file);
        if executable {
            set_executable(&path)?;
        }
        Ok(())
    }

    fn symlink(&mut self, relative: &Path, name: &str, target: &Path) -> Result<(), BuildError> {
        let outside = || {
            self.unsafe_entry(
                name,
                &format!(
                    "it is a link to \"{}\", outside the destination",
                    target.display()
                ),
            )
        };
        if target.has_root() || target.is_absolute() {
            return Err(outside());
        }
        let parent = relative.parent().unwrap_or(Path::new(""));
        if contained(&parent.join(target)).is_none() {
            return Err(outside());
        }
        let path = self.prepare(relative, name)?;
        create_symlink(target, &path)?;
        self.links.push((relative.to_path_buf(), name.to_string()));
        Ok(())
    }

    fn hard_link(&self, relative: &Path, name: &str, target: &Path) -> Result<(), BuildError> {
        let source = contained(target).ok_or_else(|| {
            self.unsafe_entry(
                name,
                &format!(
                    "it is a hard link to \"{}\", outside the destination",
                    target.display()
                ),
            )
        })?;
        self.check_ancestors(&source, name)?;
        let source_path = self.root.join(&source);
        if !fs_err::symlink_metadata(&source_path).is_ok_and(|metadata| metadata.is_file()) {
            return Err(self.unsafe_entry(
                name,
                &format!(
                    "it is a hard link to \"{}\", which is not an earlier file of the archive",
                    target.display()
                ),
            ));
        }
        let path = self.prepare(relative, name)?;
        fs_err::copy(source_path, path)?;
        Ok(())
    }

    /// Makes the parent directories of `relative` and removes a symlink at its place; returns
    /// the absolute path to write.
    fn prepare(&self, relative: &Path, name: &str) -> Result<PathBuf, BuildError> {
        self.check_ancestors(relative, name)?;
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent)?;
        }
        if path.is_symlink() {
            fs_err::remove_file(&path)?;
        } else if path.is_dir() {
            return Err(self.unsafe_entry(name, "a directory of the same name was unpacked first"));
        }
        Ok(path)
    }

    /// Refuses to write below a symlink unpacked earlier.
    fn check_ancestors(&self, relative: &Path, name: &str) -> Result<(), BuildError> {
        let mut current = self.root.clone();
        let components: Vec<_> = relative.components().collect();
        for component in &components[..components.len().saturating_sub(1)] {
            current.push(component);
            if current.is_symlink() {
                return Err(self.unsafe_entry(name, "it would be written through a link"));
            }
        }
        Ok(())
    }

    /// Resolves every symlink created, through the others, and refuses those that end outside.
    fn check_links(&self) -> Result<(), BuildError> {
        for (relative, name) in &self.links {
            let escapes = resolve(&self.root.join(relative))
                .is_none_or(|resolved| !resolved.starts_with(&self.root));
            if escapes {
                let target = fs_err::read_link(self.root.join(relative))?;
                return Err(self.unsafe_entry(
                    name,
                    &format!(
                        "it is a link to \"{}\", which resolves outside the destination",
                        target.display()
                    ),
                ));
            }
        }
        Ok(())
    }

    fn unsafe_entry(&self, name: &str, reason: &str) -> BuildError {
        BuildError::UnsafeArchiveEntry {
            archive: self.archive.clone(),
            entry: name.to_string(),
            reason: reason.to_string(),
        }
    }

    fn read_error(&self, error: &dyn std::fmt::Display) -> BuildError {
        BuildError::Archive {
            archive: self.archive.clone(),
            message: error.to_string(),
        }
    }
}

/// `path` as a relative path with `.` removed, or `None` when it is absolute or `..` climbs
/// above its start.
fn contained(path: &Path) -> Option<PathBuf> {
    let mut normalized = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => normalized.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if !normalized.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(normalized)
}

/// `path` (absolute) with every symlink resolved, like Python's non-strict
/// `os.path.realpath`: missing components are appended as they are. `None` on a link loop.
fn resolve(path: &Path) -> Option<PathBuf> {
    let mut pending: VecDeque<Part> = path.components().map(Part::from).collect();
    let mut resolved = PathBuf::new();
    let mut hops = 0;
    while let Some(part) = pending.pop_front() {
        match part {
            Part::Root(root) => resolved.push(root),
            Part::Current => {}
            Part::Parent => {
                resolved.pop();
            }
            Part::Normal(name) => {
                let candidate = resolved.join(name);
                if candidate.is_symlink() {
                    hops += 1;
                    if hops > MAX_LINK_HOPS {
                        return None;
                    }
                    let target = fs_err::read_link(&candidate).ok()?;
                    if target.has_root() {
                        resolved = PathBuf::new();
                    }
                    for part in target.components().rev() {
                        pending.push_front(Part::from(part));
                    }
                } else {
                    resolved = candidate;
                }
            }
        }
    }
    Some(resolved)
}

/// An owned path component.
enum Part {
    Root(OsString),
    Current,
    Parent,
    Normal(OsString),
}

impl From<Component<'_>> for Part {
    fn from(component: Component<'_>) -> Self {
        match component {
            Component::Prefix(_) | Component::RootDir => {
                Self::Root(component.as_os_str().to_os_string())
            }
            Component::ParentDir => Self::Parent,
            Component::CurDir => Self::Current,
            Component::Normal(name) => Self::Normal(name.to_os_string()),
        }
    }
}

#[cfg(unix)]
fn create_symlink(target: &Path, path: &Path) -> Result<(), BuildError> {
    fs_err::os::unix::fs::symlink(target, path)?;
    Ok(())
}

#[cfg(not(unix))]
fn create_symlink(target: &Path, path: &Path) -> Result<(), BuildError> {
    // Windows needs privileges for symlinks; sdists rarely hold any. Skip, as pip's zip path does
    // not create them either.
    tracing::debug!(
        "not creating symlink {} -> {}",
        path.display(),
        target.display()
    );
    Ok(())
}

#[cfg(unix)]
fn set_executable(path: &Path) -> Result<(), BuildError> {
    use std::os::unix::fs::PermissionsExt;
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
    Ok(())
}

#[cfg(not(unix))]
fn set_executable(_path: &Path) -> Result<(), BuildError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    enum Member<'a> {
        File(&'a str, &'a str),
        Executable(&'a str, &'a str),
        Directory(&'a str),
        Symlink(&'a str, &'a str),
        HardLink(&'a str, &'a str),
    }

    /// A tar built entry by entry with raw names, so that hostile names can be written.
    fn tar(members: &[Member<'_>]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for member in members {
            let mut header = tar::Header::new_ustar();
            let (name, content, kind, mode, link) = match member {
                Member::File(name, content) => {
                    (name, *content, tar::EntryType::Regular, 0o644, None)
                }
                Member::Executable(name, content) => {
                    (name, *content, tar::EntryType::Regular, 0o755, None)
                }
                Member::Directory(name) => (name, "", tar::EntryType::Directory, 0o755, None),
                Member::Symlink(name, target) => {
                    (name, "", tar::EntryType::Symlink, 0o777, Some(*target))
                }
                Member::HardLink(name, target) => {
                    (name, "", tar::EntryType::Link, 0o644, Some(*target))
                }
            };
            let slot = &mut header.as_old_mut().name;
            slot[..name.len()].copy_from_slice(name.as_bytes());
            header.set_entry_type(kind);
            header.set_mode(mode);
            header.set_size(content.len() as u64);
            if let Some(link) = link {
                header.set_link_name(link).unwrap();
            }
            header.set_cksum();
            builder.append(&header, content.as_bytes()).unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    /// Writes `bytes` as `name` in a fresh temp dir and unpacks it into `<temp>/out`.
    fn unpack(name: &str, bytes: &[u8]) -> (tempfile::TempDir, Result<SourceTree, String>) {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join(name);
        fs_err::write(&archive, bytes).unwrap();
        let result = unpack_sdist(&archive, &dir.path().join("out")).map_err(|error| {
            error
                .to_string()
                .replace(&dir.path().display().to_string(), "[TEMP]")
        });
        (dir, result)
    }

    fn read(tree: &SourceTree, path: &str) -> String {
        fs_err::read_to_string(tree.path.join(path)).unwrap()
    }

    #[test]
    fn tar_gz_sdist() {
        let bytes = gzip(&tar(&[
            Member::Directory("foo-1.0/"),
            Member::File("foo-1.0/PKG-INFO", "Metadata-Version: 2.1\n"),
            Member::File("./foo-1.0/src/foo/__init__.py", "x = 1\n"),
            Member::Executable("foo-1.0/configure", "#!/bin/sh\n"),
            Member::Symlink("foo-1.0/README", "docs/README.md"),
            Member::File("foo-1.0/docs/README.md", "hello\n"),
            Member::HardLink("foo-1.0/copy.py", "foo-1.0/src/foo/__init__.py"),
        ]));
        let (dir, tree) = unpack("foo-1.0.tar.gz", &bytes);
        let tree = tree.unwrap();
        let root = fs_err::canonicalize(dir.path().join("out")).unwrap();
        assert_eq!(tree.path, root.join("foo-1.0"));
        assert_eq!(read(&tree, "src/foo/__init__.py"), "x = 1\n");
        assert_eq!(read(&tree, "README"), "hello\n");
        assert_eq!(read(&tree, "copy.py"), "x = 1\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |path: &str| {
                fs_err::metadata(tree.path.join(path))
                    .unwrap()
                    .permissions()
                    .mode()
            };
            assert_eq!(mode("configure") & 0o111, 0o111);
            assert_eq!(mode("PKG-INFO") & 0o111, 0);
        }
    }

    #[test]
    fn plain_tar_without_a_single_top_directory() {
        let bytes = tar(&[Member::File("setup.py", ""), Member::File("foo.py", "")]);
        let (dir, tree) = unpack("foo-1.0.tar", &bytes);
        let root = fs_err::canonicalize(dir.path().join("out")).unwrap();
        assert_eq!(tree.unwrap().path, root);
    }

    #[test]
    fn zip_sdist() {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        writer.add_directory("bar-2.0/", options).unwrap();
        writer.start_file("bar-2.0/setup.py", options).unwrap();
        writer.write_all(b"from setuptools import setup\n").unwrap();
        writer
            .start_file("bar-2.0/run.sh", options.unix_permissions(0o755))
            .unwrap();
        writer.write_all(b"#!/bin/sh\n").unwrap();
        let bytes = writer.finish().unwrap().into_inner();
        let (_dir, tree) = unpack("bar-2.0.ZIP", &bytes);
        let tree = tree.unwrap();
        assert!(tree.path.ends_with("bar-2.0"));
        assert_eq!(read(&tree, "setup.py"), "from setuptools import setup\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs_err::metadata(tree.path.join("run.sh"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o111, 0o111);
        }
    }

    #[test]
    fn zip_entry_escaping_is_refused() {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        writer
            .start_file("a/../../evil.py", zip::write::SimpleFileOptions::default())
            .unwrap();
        let bytes = writer.finish().unwrap().into_inner();
        let (dir, result) = unpack("bar-2.0.zip", &bytes);
        insta::assert_snapshot!(result.unwrap_err(), @r#"refusing to unpack "a/../../evil.py" from [TEMP]/bar-2.0.zip: its path leaves the destination"#);
        assert!(!dir.path().join("evil.py").exists());
    }

    #[test]
    fn hostile_tars_are_refused() {
        let cases: Vec<(&str, Vec<Member<'_>>)> = vec![
            ("parent", vec![Member::File("../x", "owned")]),
            ("absolute", vec![Member::File("/tmp/volley-x", "owned")]),
            ("link out", vec![Member::Symlink("foo/l", "../../x")]),
            ("absolute link", vec![Member::Symlink("foo/l", "/etc")]),
            (
                "through a link",
                vec![
                    Member::Directory("foo/sub/"),
                    Member::Symlink("foo/l", "sub"),
                    Member::File("foo/l/x", "owned"),
                ],
            ),
            (
                "link chain",
                vec![Member::Symlink("d", "."), Member::Symlink("l", "d/..")],
            ),
            ("hard link out", vec![Member::HardLink("foo/h", "../x")]),
            (
                "hard link to nothing",
                vec![Member::HardLink("foo/h", "foo/none")],
            ),
        ];
        let mut errors = Vec::new();
        for (label, members) in &cases {
            let (dir, result) = unpack("evil-1.0.tar.gz", &gzip(&tar(members)));
            assert!(!dir.path().join("x").exists(), "{label}");
            errors.push(format!("{label}: {}", result.unwrap_err()));
        }
        insta::assert_snapshot!(errors.join("\n"), @r#"
        parent: refusing to unpack "../x" from [TEMP]/evil-1.0.tar.gz: its path leaves the destination
        absolute: refusing to unpack "/tmp/volley-x" from [TEMP]/evil-1.0.tar.gz: its path leaves the destination
        link out: refusing to unpack "foo/l" from [TEMP]/evil-1.0.tar.gz: it is a link to "../../x", outside the destination
        absolute link: refusing to unpack "foo/l" from [TEMP]/evil-1.0.tar.gz: it is a link to "/etc", outside the destination
        through a link: refusing to unpack "foo/l/x" from [TEMP]/evil-1.0.tar.gz: it would be written through a link
        link chain: refusing to unpack "l" from [TEMP]/evil-1.0.tar.gz: it is a link to "d/..", which resolves outside the destination
        hard link out: refusing to unpack "foo/h" from [TEMP]/evil-1.0.tar.gz: it is a hard link to "../x", outside the destination
        hard link to nothing: refusing to unpack "foo/h" from [TEMP]/evil-1.0.tar.gz: it is a hard link to "foo/none", which is not an earlier file of the archive
        "#);
    }

    /// A tiny sdist, compressed by `compress`, unpacked from `name`.
    fn compressed_sdist(name: &str, compress: fn(&[u8]) -> Vec<u8>) -> Result<String, String> {
        let bytes = compress(&tar(&[
            Member::Directory("old-0.9/"),
            Member::File("old-0.9/setup.py", "from distutils.core import setup\n"),
        ]));
        let (_dir, tree) = unpack(name, &bytes);
        let tree = tree?;
        assert!(tree.path.ends_with("old-0.9"), "{name}");
        Ok(read(&tree, "setup.py"))
    }

    fn bzip2(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn xz(bytes: &[u8]) -> Vec<u8> {
        let mut writer =
            lzma_rust2::XzWriter::new(Vec::new(), lzma_rust2::XzOptions::with_preset(6)).unwrap();
        writer.write_all(bytes).unwrap();
        writer.finish().unwrap()
    }

    /// The legacy `.lzma` ("alone") format that Python's `lzma` module also reads.
    fn lzma_alone(bytes: &[u8]) -> Vec<u8> {
        let options = lzma_rust2::LzmaOptions::with_preset(6);
        let mut writer =
            lzma_rust2::LzmaWriter::new_use_header(Vec::new(), &options, Some(bytes.len() as u64))
                .unwrap();
        writer.write_all(bytes).unwrap();
        writer.finish().unwrap()
    }

    #[test]
    fn bzip2_xz_and_lzma_sdists() {
        let setup = "from distutils.core import setup\n";
        for name in ["old-0.9.tar.bz2", "old-0.9.TBZ"] {
            assert_eq!(compressed_sdist(name, bzip2).unwrap(), setup, "{name}");
        }
        for name in ["old-0.9.tar.xz", "old-0.9.txz", "old-0.9.tar.lzma"] {
            assert_eq!(compressed_sdist(name, xz).unwrap(), setup, "{name}");
        }
        for name in ["old-0.9.tar.lzma", "old-0.9.tlz", "old-0.9.tar.lz"] {
            assert_eq!(compressed_sdist(name, lzma_alone).unwrap(), setup, "{name}");
        }
    }

    #[test]
    fn corrupt_bzip2_and_xz_sdists_name_the_file() {
        let errors: Vec<String> = [
            ("bad-1.0.tar.bz2", bzip2(b"not a tar")),
            ("bad-1.0.tar.xz", b"\xfd7zXZ\x00 truncated".to_vec()),
            ("bad-1.0.tar.lzma", b"short".to_vec()),
        ]
        .into_iter()
        .map(|(name, bytes)| {
            let (_dir, result) = unpack(name, &bytes);
            result.unwrap_err()
        })
        .collect();
        for (error, name) in
            errors
                .iter()
                .zip(["bad-1.0.tar.bz2", "bad-1.0.tar.xz", "bad-1.0.tar.lzma"])
        {
            assert!(
                error.starts_with(&format!("cannot read source archive [TEMP]/{name}: ")),
                "{error}"
            );
        }
    }

    #[test]
    fn unsupported_and_corrupt_archives() {
        let (_dir, result) = unpack("foo-1.0.rar", b"Rar!");
        insta::assert_snapshot!(result.unwrap_err(), @"unsupported source archive [TEMP]/foo-1.0.rar: expected .tar.gz, .tgz, .tar, .zip, .tar.bz2, .tbz, .tar.xz, .txz, .tlz, .tar.lz or .tar.lzma");
        let (_dir, result) = unpack("foo-1.0.tgz", b"not gzip");
        assert!(
            result
                .unwrap_err()
                .starts_with("cannot read source archive [TEMP]/foo-1.0.tgz: "),
        );
    }
}
