//! Unpacking a wheel once, into the cache, so that installs only link files.
//!
//! [`unpack_wheel`] makes every check an install needs before a single file of the wheel can
//! reach an environment: safe entry names and no symlinks (`wheel`), one `.dist-info` matching
//! the filename, `WHEEL`, `METADATA`, entry points, `.data` scheme keys, and every file against
//! its `RECORD` row (hash and size) with every row present. It extracts into a temporary
//! directory beside the destination and renames that into place when it is complete, so a reader
//! never sees half a tree. Threads or processes that unpack the same wheel at once each extract,
//! the first rename wins and the others use its tree.
//!
//! The steps are shared with unpacking while the wheel downloads (`stream`): [`Unpacker::inspect`]
//! (every check that needs no file content), a [`Manifest`] (each file against its `RECORD` row,
//! every row present) and [`Unpacker::place`] (the marker, then the rename). Only how the files
//! get into the temporary directory differs, so both paths give the same tree and the same
//! errors.
//!
//! The tree is the archive's, entry for entry, plus a marker file written last, `.volley-unpacked`:
//! ```text
//! volley-unpacked 1
//! wheel: demo_pkg-1.0-py3-none-any.whl
//! dist-info: demo_pkg-1.0.dist-info
//! record: sha256=<urlsafe base64 sha256 of the wheel's RECORD>
//!
//! demo_pkg/__init__.py,sha256=<urlsafe base64 sha256>,52
//! ```
//! After the blank line comes the manifest, in `RECORD`'s CSV format: every file an install may
//! place (all entries but the wheel's own `RECORD`), in archive order, with the sha256 and size
//! that were checked. [`UnpackedWheel::open`] reads it back and refuses a tree without the marker,
//! whose `RECORD` changed, or with a file missing or of another size (an edit that keeps the size
//! goes unseen: contents are not hashed again, as in uv). Installs write the new `RECORD` from the
//! manifest, so nothing is hashed at install time.
//!
//! Files keep the executable bit the zip gives them, and every `.data/scripts` file is made
//! executable, so that a link of it is ready to run.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufReader, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tempfile::TempDir;
use volley_packaging::{PackageName, Version, WheelFilename};
use zip::ZipArchive;

use crate::InstallError;
use crate::path::normalize_entry;
use crate::record::{
    RecordEntry, RecordHasher, UnsupportedAlgorithm, parse_record, record_digest, sha256_digest,
    write_rows,
};
use crate::script::{EntryPoint, EntryPointError, parse_entry_points};
use crate::wheel::{
    ArchiveEntry, check_metadata, find_dist_info, list_entries, parse_wheel_file, read_entry,
};

/// The marker file at the root of an unpacked tree.
pub(crate) const MARKER: &str = ".volley-unpacked";
/// The first line of the marker: the format and its version.
const MARKER_FORMAT: &str = "volley-unpacked 1";
/// The `.data` scheme keys of the binary distribution format.
const SCHEME_KEYS: [&str; 5] = ["data", "headers", "platlib", "purelib", "scripts"];

/// A wheel unpacked and checked by [`unpack_wheel`], ready to be installed any number of times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnpackedWheel {
    root: PathBuf,
    /// The wheel's file name, for messages.
    file_name: String,
    filename: WheelFilename,
    dist_info: String,
    pub(crate) root_is_purelib: bool,
    /// `Name` from `METADATA`, as the project spells it (the headers directory is named after it).
    pub(crate) project_name: String,
    pub(crate) entry_points: Vec<EntryPoint>,
    /// Every file to place, in archive order; shared by clones (a wheel prepared once is
    /// handed to everything that waited for it).
    pub(crate) files: Arc<[UnpackedFile]>,
}

/// One file of an unpacked tree, as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnpackedFile {
    /// Relative to the root, `/`-separated, normalized.
    pub(crate) path: String,
    /// Urlsafe base64 sha256, without padding.
    pub(crate) hash: String,
    pub(crate) size: u64,
}

impl UnpackedWheel {
    /// Reads back a tree that [`unpack_wheel`] made, checking that it is complete (the marker,
    /// written last, is there), that its `RECORD` is the one that was checked, and that every
    /// file is there with its size (one `stat` each; contents are not hashed again).
    ///
    /// A tree that fails is [`InstallError::CorruptUnpacked`]: unpack the wheel again.
    pub fn open(dir: &Path) -> Result<Self, InstallError> {
        let corrupt = |reason: String| InstallError::CorruptUnpacked {
            dir: dir.to_path_buf(),
            reason,
        };
        let root = std::path::absolute(dir).map_err(|error| corrupt(error.to_string()))?;
        let marker = match fs_err::read_to_string(root.join(MARKER)) {
            Ok(marker) => marker,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Err(corrupt(format!("it has no {MARKER} file")));
            }
            Err(error) => return Err(corrupt(error.to_string())),
        };
        let marker =
            Marker::parse(&marker).map_err(|reason| corrupt(format!("{MARKER}: {reason}")))?;
        let filename: WheelFilename = marker
            .wheel
            .parse()
            .map_err(|error: volley_packaging::WheelFilenameError| corrupt(error.to_string()))?;
        let dist_info_dir = root.join(&marker.dist_info);
        let read = |name: &str| {
            fs_err::read(dist_info_dir.join(name)).map_err(|error| corrupt(error.to_string()))
        };
        let record = read("RECORD")?;
        if format!("sha256={}", sha256_digest(&record)) != marker.record {
            return Err(corrupt(format!(
                "{}/RECORD is not the one that was unpacked",
                marker.dist_info
            )));
        }
        let entry_points = match fs_err::read(dist_info_dir.join("entry_points.txt")) {
            Ok(content) => Some(content),
            Err(error) if error.kind() == io::ErrorKind::NotFound => None,
            Err(error) => return Err(corrupt(error.to_string())),
        };
        let description = describe(
            &marker.wheel,
            &filename,
            &marker.dist_info,
            &read("WHEEL")?,
            &read("METADATA")?,
            entry_points.as_deref(),
        )
        .map_err(|error| corrupt(error.to_string()))?;
        let mut tree = OpenTree::open(&root).map_err(|error| corrupt(error.to_string()))?;
        for file in &marker.files {
            let size = match tree.size(&file.path) {
                Ok(size) => size,
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    return Err(corrupt(format!("\"{}\" is missing", file.path)));
                }
                Err(error) => return Err(corrupt(error.to_string())),
            };
            if size != file.size {
                return Err(corrupt(format!(
                    "\"{}\" has {size} bytes, {} when it was unpacked",
                    file.path, file.size
                )));
            }
        }
        Ok(Self {
            root,
            file_name: marker.wheel,
            filename,
            dist_info: marker.dist_info,
            root_is_purelib: description.root_is_purelib,
            project_name: description.project_name,
            entry_points: description.entry_points,
            files: marker.files.into(),
        })
    }

    /// The unpacked tree (absolute).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The wheel's file name, as it was unpacked.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// The parsed wheel filename.
    pub fn filename(&self) -> &WheelFilename {
        &self.filename
    }

    pub fn name(&self) -> &PackageName {
        &self.filename.name
    }

    pub fn version(&self) -> &Version {
        &self.filename.version
    }

    /// The `.dist-info` directory's name, e.g. `demo_pkg-1.0.dist-info`.
    pub fn dist_info(&self) -> &str {
        &self.dist_info
    }
}

/// An unpacked tree whose files are looked at relative to its open root directory, and to the
/// directory of the last file looked at, so that the kernel resolves each file's name only,
/// not the cache's whole path or the file's directories again.
struct OpenTree {
    root: PathBuf,
    #[cfg(unix)]
    fd: rustix::fd::OwnedFd,
    /// The last subdirectory (relative, `/`-separated) opened, and its descriptor.
    #[cfg(unix)]
    subdir: Option<(String, rustix::fd::OwnedFd)>,
}

impl OpenTree {
    fn open(root: &Path) -> io::Result<Self> {
        #[cfg(unix)]
        {
            let fd = crate::link::open_directory(root).map_err(|error| {
                io::Error::new(error.kind(), format!("\"{}\": {error}", root.display()))
            })?;
            Ok(Self {
                root: root.to_path_buf(),
                fd,
                subdir: None,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// The size of the file at `relative` (`/`-separated), following symbolic links as
    /// `metadata` does.
    fn size(&mut self, relative: &str) -> io::Result<u64> {
        #[cfg(unix)]
        {
            let failed = |errno: rustix::io::Errno| {
                let error = io::Error::from(errno);
                io::Error::new(
                    error.kind(),
                    format!("\"{}\": {error}", self.root.join(relative).display()),
                )
            };
            let stat = match relative.rsplit_once('/') {
                None => rustix::fs::statat(&self.fd, relative, rustix::fs::AtFlags::empty()),
                Some((subdir, name)) => {
                    let open = self.subdir.as_ref().is_some_and(|(open, _)| open == subdir);
                    if !open {
                        self.subdir = None;
                        let fd = rustix::fs::openat(
                            &self.fd,
                            subdir,
                            directory_flags(),
                            rustix::fs::Mode::empty(),
                        )
                        .map_err(failed)?;
                        self.subdir = Some((subdir.to_string(), fd));
                    }
                    match &self.subdir {
                        Some((_, fd)) => rustix::fs::statat(fd, name, rustix::fs::AtFlags::empty()),
                        None => Err(rustix::io::Errno::BADF),
                    }
                }
            };
            stat.map(|stat| u64::try_from(stat.st_size).unwrap_or_default())
                .map_err(failed)
        }
        #[cfg(not(unix))]
        fs_err::metadata(self.root.join(relative)).map(|metadata| metadata.len())
    }
}

/// How directories are opened for `*at` system calls only (`O_PATH` where there is one).
#[cfg(unix)]
pub(crate) fn directory_flags() -> rustix::fs::OFlags {
    use rustix::fs::OFlags;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let access = OFlags::PATH;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let access = OFlags::RDONLY;
    access | OFlags::DIRECTORY | OFlags::CLOEXEC
}

/// Unpacks and checks the wheel at `wheel` into `dest` (the cache's `unpacked-v1/<sha256>`),
/// atomically. A `dest` that already holds a good tree (unpacked earlier, or by another thread or
/// process at the same time) is used as it is; one that fails [`UnpackedWheel::open`] is replaced.
///
/// Blocking: call it from a blocking thread.
pub fn unpack_wheel(wheel: &Path, dest: &Path) -> Result<UnpackedWheel, InstallError> {
    let unpacker = Unpacker::new(wheel)?;
    if let Some(unpacked) = unpacker.existing(dest) {
        return Ok(unpacked);
    }
    let temp = unpacker.temp_dir(parent_of(dest))?;
    let mut archive = unpacker.open(wheel)?;
    let inspection = unpacker.inspect(&mut archive)?;
    let files = unpacker.extract(&mut archive, &inspection, temp.path())?;
    unpacker.place(temp, &inspection, files, dest)
}

/// The directory that holds `path` (`.` for a bare name).
pub(crate) fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// What `WHEEL`, `METADATA` and `entry_points.txt` tell an install.
struct Description {
    root_is_purelib: bool,
    project_name: String,
    entry_points: Vec<EntryPoint>,
}

/// Checks and reads the `.dist-info` files an install needs.
fn describe(
    wheel: &str,
    filename: &WheelFilename,
    dist_info: &str,
    wheel_file: &[u8],
    metadata: &[u8],
    entry_points: Option<&[u8]>,
) -> Result<Description, InstallError> {
    let wheel_info = parse_wheel_file(wheel_file, wheel, &format!("{dist_info}/WHEEL"))?;
    let project_name = check_metadata(metadata, filename, wheel, &format!("{dist_info}/METADATA"))?;
    let entry_points = match entry_points {
        None => Vec::new(),
        Some(content) => {
            let text = std::str::from_utf8(content).map_err(|error| InstallError::NotUtf8 {
                wheel: wheel.to_string(),
                entry: format!("{dist_info}/entry_points.txt"),
                reason: error.to_string(),
            })?;
            parse_entry_points(text).map_err(|error| match error {
                EntryPointError::File(reason) => InstallError::InvalidEntryPoints {
                    wheel: wheel.to_string(),
                    reason,
                },
                EntryPointError::Entry {
                    group,
                    name,
                    value,
                    reason,
                } => InstallError::InvalidEntryPoint {
                    wheel: wheel.to_string(),
                    group,
                    name,
                    value,
                    reason,
                },
            })?
        }
    };
    Ok(Description {
        root_is_purelib: wheel_info.root_is_purelib,
        project_name,
        entry_points,
    })
}

/// The parsed marker file.
struct Marker {
    wheel: String,
    dist_info: String,
    /// `sha256=<digest>` of the wheel's RECORD.
    record: String,
    files: Vec<UnpackedFile>,
}

impl Marker {
    fn write(&self) -> String {
        let rows: Vec<(String, String, String)> = self
            .files
            .iter()
            .map(|file| {
                (
                    file.path.clone(),
                    format!("sha256={}", file.hash),
                    file.size.to_string(),
                )
            })
            .collect();
        format!(
            "{MARKER_FORMAT}\nwheel: {}\ndist-info: {}\nrecord: {}\n\n{}",
            self.wheel,
            self.dist_info,
            self.record,
            write_rows(&rows)
        )
    }

    fn parse(content: &str) -> Result<Self, String> {
        let (header, manifest) = content
            .split_once("\n\n")
            .ok_or_else(|| "no blank line after the header".to_string())?;
        let mut lines = header.lines();
        if lines.next() != Some(MARKER_FORMAT) {
            return Err(format!("the first line is not \"{MARKER_FORMAT}\""));
        }
        let mut fields: HashMap<&str, &str> = HashMap::new();
        for line in lines {
            let (key, value) = line
                .split_once(": ")
                .ok_or_else(|| format!("invalid header line \"{line}\""))?;
            fields.insert(key, value);
        }
        let field = |key: &str| {
            fields
                .get(key)
                .map(|value| (*value).to_string())
                .ok_or_else(|| format!("no \"{key}\" line"))
        };
        let files = match parse_plain_manifest(manifest) {
            Some(files) => files,
            None => Self::parse_csv_manifest(manifest)?,
        };
        Ok(Self {
            wheel: field("wheel")?,
            dist_info: field("dist-info")?,
            record: field("record")?,
            files,
        })
    }

    /// The manifest's rows, parsed as the CSV they are (for quoted paths, and for errors).
    fn parse_csv_manifest(manifest: &str) -> Result<Vec<UnpackedFile>, String> {
        let rows = parse_record(manifest)
            .map_err(|error| format!("line {} of the manifest: {}", error.line, error.reason))?;
        rows.into_iter()
            .map(|row| match (row.hash, row.size) {
                (Some((algorithm, hash)), Some(size)) if algorithm == "sha256" => {
                    Ok(UnpackedFile {
                        path: row.path,
                        hash,
                        size,
                    })
                }
                _ => Err(format!(
                    "the manifest lists \"{}\" without a sha256 and a size",
                    row.path
                )),
            })
            .collect::<Result<Vec<_>, String>>()
    }
}

/// The rows of a manifest as volley writes them (no quoted path, `sha256=<digest>`, a plain
/// size: nearly every wheel), split on commas without copying the fields that are not kept;
/// `None` for anything else, which the CSV parser then reads (and reports).
fn parse_plain_manifest(manifest: &str) -> Option<Vec<UnpackedFile>> {
    if manifest.contains(['"', '\r']) {
        return None;
    }
    let mut files = Vec::with_capacity(manifest.len() / 80);
    for line in manifest.lines().filter(|line| !line.is_empty()) {
        let mut fields = line.split(',');
        let (Some(path), Some(hash), Some(size), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return None;
        };
        let digest = hash.strip_prefix("sha256=")?.trim_end_matches('=');
        if path.is_empty() || digest.is_empty() {
            return None;
        }
        files.push(UnpackedFile {
            path: path.to_string(),
            hash: digest.to_string(),
            size: size.parse().ok()?,
        });
    }
    Some(files)
}

/// What [`Unpacker::inspect`] learnt from an archive's central directory and `.dist-info` files,
/// before any file was extracted.
pub(crate) struct Inspection {
    /// The file entries, in archive order.
    pub(crate) entries: Vec<ArchiveEntry>,
    dist_info: String,
    /// `sha256=<digest>` of the wheel's RECORD, for the marker.
    record_digest: String,
    /// RECORD rows by normalized path (directories left out).
    record: HashMap<String, RecordEntry>,
    description: Description,
}

/// The manifest as it is built, entry by entry in archive order: each file checked against its
/// RECORD row, the later of two entries with one path winning, and every row seen at the end.
pub(crate) struct Manifest<'a> {
    unpacker: &'a Unpacker,
    inspection: &'a Inspection,
    /// `<dist-info>/RECORD`, which lists itself without a hash and is not placed by installs.
    record_path: String,
    /// Signature files, which RECORD need not list with a hash.
    signatures: [String; 2],
    files: Vec<UnpackedFile>,
    positions: HashMap<String, usize>,
}

impl<'a> Manifest<'a> {
    pub(crate) fn new(unpacker: &'a Unpacker, inspection: &'a Inspection) -> Self {
        let dist_info = &inspection.dist_info;
        Self {
            unpacker,
            inspection,
            record_path: format!("{dist_info}/RECORD"),
            signatures: [
                format!("{dist_info}/RECORD.jws"),
                format!("{dist_info}/RECORD.p7s"),
            ],
            files: Vec::with_capacity(inspection.entries.len()),
            positions: HashMap::new(),
        }
    }

    /// The RECORD row `entry` must match; `None` for RECORD itself and its signatures.
    pub(crate) fn row(
        &self,
        entry: &ArchiveEntry,
    ) -> Result<Option<&'a RecordEntry>, InstallError> {
        if entry.path == self.record_path || self.signatures.contains(&entry.path) {
            return Ok(None);
        }
        self.inspection
            .record
            .get(&entry.path)
            .map(Some)
            .ok_or_else(|| InstallError::NotInRecord {
                wheel: self.unpacker.wheel.clone(),
                entry: entry.name.clone(),
            })
    }

    /// Adds a file that was extracted (and checked against its row), with its sha256 and size.
    pub(crate) fn add(&mut self, entry: &ArchiveEntry, hash: String, size: u64) {
        if entry.path == self.record_path {
            return;
        }
        let file = UnpackedFile {
            path: entry.path.clone(),
            hash,
            size,
        };
        match self.positions.get(&entry.path) {
            Some(&position) => {
                tracing::debug!(
                    "wheel {}: \"{}\" appears twice, the later one wins",
                    self.unpacker.wheel,
                    entry.path
                );
                self.files[position] = file;
            }
            None => {
                self.positions.insert(entry.path.clone(), self.files.len());
                self.files.push(file);
            }
        }
    }

    /// The manifest, once every entry was added: fails if a RECORD row names no entry.
    pub(crate) fn finish(self) -> Result<Vec<UnpackedFile>, InstallError> {
        let seen: HashSet<&str> = self
            .inspection
            .entries
            .iter()
            .map(|entry| entry.path.as_str())
            .collect();
        let mut missing: Vec<&RecordEntry> = self
            .inspection
            .record
            .iter()
            .filter(|(path, _)| !seen.contains(path.as_str()))
            .map(|(_, row)| row)
            .collect();
        missing.sort_by_key(|row| row.line);
        if let Some(row) = missing.first() {
            return Err(InstallError::RecordedFileMissing {
                wheel: self.unpacker.wheel.clone(),
                entry: row.path.clone(),
            });
        }
        Ok(self.files)
    }
}

/// Unpacks one wheel; holds what its error messages need.
pub(crate) struct Unpacker {
    /// The wheel's file name.
    pub(crate) wheel: String,
    filename: WheelFilename,
}

impl Unpacker {
    /// The unpacker of the wheel file at `wheel`, named by its file name.
    pub(crate) fn new(wheel: &Path) -> Result<Self, InstallError> {
        let file_name = wheel
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| wheel.display().to_string());
        let filename: WheelFilename =
            file_name
                .parse()
                .map_err(|source| InstallError::InvalidFilename {
                    path: wheel.to_path_buf(),
                    source,
                })?;
        Ok(Self {
            wheel: file_name,
            filename,
        })
    }

    /// The good tree already at `dest`, if there is one.
    pub(crate) fn existing(&self, dest: &Path) -> Option<UnpackedWheel> {
        fs_err::symlink_metadata(dest).ok()?;
        match UnpackedWheel::open(dest) {
            Ok(unpacked) => Some(unpacked),
            Err(error) => {
                tracing::warn!("unpacking {} again: {error}", self.wheel);
                None
            }
        }
    }

    pub(crate) fn io(&self, source: io::Error) -> InstallError {
        InstallError::Io {
            wheel: self.wheel.clone(),
            source,
        }
    }

    fn archive_error(&self, source: zip::result::ZipError) -> InstallError {
        InstallError::Archive {
            wheel: self.wheel.clone(),
            source,
        }
    }

    /// A new temporary directory in `dir` to unpack into.
    pub(crate) fn temp_dir(&self, dir: &Path) -> Result<TempDir, InstallError> {
        volley_cache::temp_dir_in(dir).map_err(|source| InstallError::Cache {
            wheel: self.wheel.clone(),
            source,
        })
    }

    /// Opens the archive, reading its central directory.
    pub(crate) fn open(
        &self,
        wheel: &Path,
    ) -> Result<ZipArchive<BufReader<fs_err::File>>, InstallError> {
        let file = fs_err::File::open(wheel).map_err(|error| self.io(error))?;
        ZipArchive::new(BufReader::new(file)).map_err(|error| self.archive_error(error))
    }

    /// Checks what can be checked before any extraction: entry names, `.dist-info`, `WHEEL`,
    /// `METADATA`, `RECORD`'s syntax, entry points and `.data` paths.
    pub(crate) fn inspect<R: Read + Seek>(
        &self,
        archive: &mut ZipArchive<R>,
    ) -> Result<Inspection, InstallError> {
        let entries = list_entries(archive, &self.wheel)?;
        let dist_info = find_dist_info(&entries, &self.filename, &self.wheel)?;
        let find = |name: &str| {
            let path = format!("{dist_info}/{name}");
            entries.iter().find(|entry| entry.path == path)
        };
        let required = |name: &str| {
            find(name).ok_or_else(|| InstallError::MissingMetadataFile {
                wheel: self.wheel.clone(),
                entry: format!("{dist_info}/{name}"),
            })
        };
        let wheel_file = read_entry(archive, required("WHEEL")?, &self.wheel)?;
        let metadata = read_entry(archive, required("METADATA")?, &self.wheel)?;
        let record_entry = required("RECORD")?;
        let record_content = read_entry(archive, record_entry, &self.wheel)?;
        let entry_points = match find("entry_points.txt") {
            Some(entry) => Some(read_entry(archive, entry, &self.wheel)?),
            None => None,
        };
        let description = describe(
            &self.wheel,
            &self.filename,
            &dist_info,
            &wheel_file,
            &metadata,
            entry_points.as_deref(),
        )?;
        let record = self.parse_record(record_entry, &record_content)?;
        for entry in &entries {
            self.check_placement(entry)?;
        }
        Ok(Inspection {
            entries,
            dist_info,
            record_digest: format!("sha256={}", sha256_digest(&record_content)),
            record,
            description,
        })
    }

    /// RECORD rows by normalized path (directories left out).
    fn parse_record(
        &self,
        entry: &ArchiveEntry,
        content: &[u8],
    ) -> Result<HashMap<String, RecordEntry>, InstallError> {
        let text = std::str::from_utf8(content).map_err(|error| InstallError::NotUtf8 {
            wheel: self.wheel.clone(),
            entry: entry.name.clone(),
            reason: error.to_string(),
        })?;
        let rows = parse_record(text).map_err(|error| InstallError::InvalidRecord {
            wheel: self.wheel.clone(),
            line: error.line,
            reason: error.reason,
        })?;
        Ok(rows
            .into_iter()
            .filter(|row| !row.path.ends_with('/'))
            .map(|row| {
                let key = normalize_entry(&row.path)
                    .map(|parts| parts.join("/"))
                    .unwrap_or_else(|_| row.path.clone());
                (key, row)
            })
            .collect())
    }

    /// Refuses entries that no install could place: `.data` paths without a known scheme key,
    /// and the marker's name.
    fn check_placement(&self, entry: &ArchiveEntry) -> Result<(), InstallError> {
        if entry.path == MARKER {
            return Err(InstallError::UnportablePath {
                wheel: self.wheel.clone(),
                entry: entry.name.clone(),
                reason: "volley reserves this name",
            });
        }
        let (top, rest) = entry.path.split_once('/').unwrap_or((&entry.path, ""));
        let invalid = |reason: String| InstallError::InvalidDataEntry {
            wheel: self.wheel.clone(),
            entry: entry.name.clone(),
            reason,
        };
        // `x.data/scripts/../../y` would land at the root; pip refuses it (it splits the
        // normalized path into `<data dir>/<scheme key>/<path>`, which fails), and so does volley.
        let named_top = entry.name.split('/').next().unwrap_or_default();
        if named_top.ends_with(".data") && top != named_top {
            return Err(invalid(format!(
                "it climbs out of {named_top}/<scheme key>/ with \"..\""
            )));
        }
        if rest.is_empty() || !top.ends_with(".data") {
            return Ok(());
        }
        let Some((key, _)) = rest.split_once('/') else {
            return Err(invalid(format!("expected {top}/<scheme key>/<path>")));
        };
        if !SCHEME_KEYS.contains(&key) {
            return Err(invalid(format!(
                "unknown scheme key \"{key}\" (expected data, headers, platlib, purelib or scripts)"
            )));
        }
        Ok(())
    }

    /// Extracts every entry into `dir`, hashing as it streams, and checks it against RECORD;
    /// then checks that every RECORD row was seen. Returns the manifest.
    fn extract<R: Read + Seek>(
        &self,
        archive: &mut ZipArchive<R>,
        inspection: &Inspection,
        dir: &Path,
    ) -> Result<Vec<UnpackedFile>, InstallError> {
        let mut manifest = Manifest::new(self, inspection);
        let mut created: HashSet<PathBuf> = HashSet::new();
        let mut buffer = vec![0; 64 * 1024];
        for entry in &inspection.entries {
            let row = manifest.row(entry)?;
            let mut record_hasher = match row {
                None => None,
                Some(row) => Some(self.record_hasher(entry, row)?),
            };

            let target = dir.join(&entry.path);
            if let Some(parent) = target.parent()
                && created.insert(parent.to_path_buf())
            {
                fs_err::create_dir_all(parent).map_err(|error| self.io(error))?;
            }
            let executable = entry.executable || is_data_script(&entry.path);
            let mut writer = create_file(&target, executable).map_err(|error| self.io(error))?;
            let mut reader = archive
                .by_index(entry.index)
                .map_err(|error| self.archive_error(error))?;
            let (hash, size) = self.copy(
                &mut reader,
                &mut writer,
                record_hasher.as_mut(),
                &mut buffer,
                row.and_then(|row| row.size).map(|limit| (entry, limit)),
            )?;
            drop(writer);
            if let (Some(row), Some(hasher)) = (row, record_hasher) {
                self.verify(entry, row, hasher.finish(), size)?;
            }
            manifest.add(entry, hash, size);
        }
        manifest.finish()
    }

    /// Streams an entry into `writer` and `record_hasher` (if any); returns its sha256 and size.
    /// With a `limit` (the entry and its size in RECORD), an entry that grows past it stops
    /// there, so a zip whose headers claim far more than RECORD is not extracted whole first.
    fn copy(
        &self,
        reader: &mut impl Read,
        writer: &mut fs_err::File,
        mut record_hasher: Option<&mut RecordHasher>,
        buffer: &mut [u8],
        limit: Option<(&ArchiveEntry, u64)>,
    ) -> Result<(String, u64), InstallError> {
        let mut sha256 = Sha256::new();
        let mut size = 0u64;
        loop {
            let read = reader
                .read(buffer)
                .map_err(|error| self.archive_error(zip::result::ZipError::Io(error)))?;
            if read == 0 {
                break;
            }
            let chunk = &buffer[..read];
            size += read as u64;
            if let Some((entry, expected)) = limit
                && size > expected
            {
                return Err(InstallError::SizeMismatch {
                    wheel: self.wheel.clone(),
                    entry: entry.name.clone(),
                    expected,
                    actual: size,
                });
            }
            sha256.update(chunk);
            if let Some(hasher) = record_hasher.as_deref_mut() {
                hasher.update(chunk);
            }
            writer.write_all(chunk).map_err(|error| self.io(error))?;
        }
        Ok((record_digest(&sha256.finalize()), size))
    }

    /// Compares what was read (`actual`: the digest in the row's algorithm, and the size) with
    /// the entry's RECORD row.
    pub(crate) fn verify(
        &self,
        entry: &ArchiveEntry,
        row: &RecordEntry,
        actual: String,
        size: u64,
    ) -> Result<(), InstallError> {
        if let Some(expected) = row.size
            && expected != size
        {
            return Err(InstallError::SizeMismatch {
                wheel: self.wheel.clone(),
                entry: entry.name.clone(),
                expected,
                actual: size,
            });
        }
        let (algorithm, expected) = row.hash.clone().unwrap_or_default();
        if expected != actual {
            return Err(InstallError::HashMismatch {
                wheel: self.wheel.clone(),
                entry: entry.name.clone(),
                algorithm,
                expected,
                actual,
            });
        }
        Ok(())
    }

    /// The hasher for a RECORD row's algorithm.
    pub(crate) fn record_hasher(
        &self,
        entry: &ArchiveEntry,
        row: &RecordEntry,
    ) -> Result<RecordHasher, InstallError> {
        let Some((algorithm, _)) = &row.hash else {
            return Err(InstallError::MissingHash {
                wheel: self.wheel.clone(),
                entry: entry.name.clone(),
            });
        };
        RecordHasher::new(algorithm).map_err(|problem| InstallError::UnsupportedHash {
            wheel: self.wheel.clone(),
            entry: entry.name.clone(),
            algorithm: algorithm.clone(),
            reason: match problem {
                UnsupportedAlgorithm::Insecure => "which is too weak to check a file",
                UnsupportedAlgorithm::Unknown => "which volley does not know",
            },
        })
    }

    /// Writes the marker into `temp` (a complete, checked tree), then renames `temp` to `dest`.
    /// Losing the race to another unpacker is fine: its tree is as good as ours.
    pub(crate) fn place(
        &self,
        temp: TempDir,
        inspection: &Inspection,
        files: Vec<UnpackedFile>,
        dest: &Path,
    ) -> Result<UnpackedWheel, InstallError> {
        let marker = Marker {
            wheel: self.wheel.clone(),
            dist_info: inspection.dist_info.clone(),
            record: inspection.record_digest.clone(),
            files,
        };
        fs_err::write(temp.path().join(MARKER), marker.write()).map_err(|error| self.io(error))?;
        let unpacked = UnpackedWheel {
            root: std::path::absolute(dest).map_err(|error| self.io(error))?,
            file_name: self.wheel.clone(),
            filename: self.filename.clone(),
            dist_info: marker.dist_info,
            root_is_purelib: inspection.description.root_is_purelib,
            project_name: inspection.description.project_name.clone(),
            entry_points: inspection.description.entry_points.clone(),
            files: marker.files.into(),
        };
        for attempt in 0..2 {
            match fs_err::rename(temp.path(), dest) {
                Ok(()) => {
                    let _kept: PathBuf = temp.keep();
                    tracing::debug!("unpacked {} into {}", self.wheel, unpacked.root.display());
                    return Ok(unpacked);
                }
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::AlreadyExists | io::ErrorKind::DirectoryNotEmpty
                    ) =>
                {
                    match UnpackedWheel::open(dest) {
                        Ok(theirs) => return Ok(theirs),
                        Err(stale) if attempt == 0 => {
                            tracing::debug!("replacing a bad unpacked tree: {stale}");
                            let trash = self.temp_dir(parent_of(dest))?;
                            match fs_err::rename(dest, trash.path().join("stale")) {
                                Ok(()) => {}
                                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                                Err(error) => return Err(self.io(error)),
                            }
                        }
                        Err(stale) => return Err(stale),
                    }
                }
                Err(error) => return Err(self.io(error)),
            }
        }
        UnpackedWheel::open(dest)
    }
}

/// Whether an archive path is in `{name}-{version}.data/scripts/`.
pub(crate) fn is_data_script(path: &str) -> bool {
    let mut parts = path.splitn(3, '/');
    matches!(
        (parts.next(), parts.next(), parts.next()),
        (Some(top), Some("scripts"), Some(rest)) if top.ends_with(".data") && !rest.is_empty()
    )
}

/// Creates (or truncates, for an entry that appears twice) a file, executable (mode `0o777` less
/// the umask) or not (`0o666` less the umask).
pub(crate) fn create_file(path: &Path, executable: bool) -> io::Result<fs_err::File> {
    let mut options = fs_err::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use fs_err::os::unix::fs::OpenOptionsExt;
        options.mode(if executable { 0o777 } else { 0o666 });
    }
    #[cfg(not(unix))]
    let _ = executable;
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_scripts() {
        assert!(is_data_script("demo-1.0.data/scripts/tool"));
        assert!(is_data_script("demo-1.0.data/scripts/sub/tool"));
        assert!(!is_data_script("demo-1.0.data/data/tool"));
        assert!(!is_data_script("demo/scripts/tool"));
        assert!(!is_data_script("demo-1.0.data/scripts/"));
    }

    #[test]
    fn marker_round_trip_and_errors() {
        let marker = Marker {
            wheel: "a-1.0-py3-none-any.whl".to_string(),
            dist_info: "a-1.0.dist-info".to_string(),
            record: "sha256=abc".to_string(),
            files: vec![
                UnpackedFile {
                    path: "a/b,c.py".to_string(),
                    hash: "XYZ".to_string(),
                    size: 3,
                },
                UnpackedFile {
                    path: "a-1.0.dist-info/METADATA".to_string(),
                    hash: "UVW".to_string(),
                    size: 10,
                },
            ],
        };
        let text = marker.write();
        insta::assert_snapshot!(text, @r#"
        volley-unpacked 1
        wheel: a-1.0-py3-none-any.whl
        dist-info: a-1.0.dist-info
        record: sha256=abc

        "a/b,c.py",sha256=XYZ,3
        a-1.0.dist-info/METADATA,sha256=UVW,10
        "#);
        let parsed = Marker::parse(&text).unwrap();
        assert_eq!(parsed.files, marker.files);
        assert_eq!(parsed.record, "sha256=abc");

        let error = |text: &str| Marker::parse(text).err().unwrap();
        insta::assert_snapshot!(error("volley-unpacked 2\n\n"), @r#"the first line is not "volley-unpacked 1""#);
        insta::assert_snapshot!(error("volley-unpacked 1\nwheel: x\n"), @"no blank line after the header");
        insta::assert_snapshot!(error("volley-unpacked 1\nwheel: x\n\n"), @r#"no "dist-info" line"#);
        insta::assert_snapshot!(error("volley-unpacked 1\n\na.py,,\n"), @r#"the manifest lists "a.py" without a sha256 and a size"#);

        // Plain lines (the fast path) and lines only the CSV parser reads give the same files.
        let header = "volley-unpacked 1\nwheel: w\ndist-info: d\nrecord: r\n\n";
        let files = |manifest: &str| Marker::parse(&format!("{header}{manifest}")).unwrap().files;
        assert_eq!(files("a.py,sha256=XYZ=,3\n"), files("a.py,SHA256=XYZ,3\n"));
        assert_eq!(
            files("a.py,sha256=XYZ,3\n"),
            files("\"a.py\",sha256=XYZ,3\n")
        );
        assert_eq!(files("a.py,sha256=XYZ,3\n")[0].hash, "XYZ");
    }
}
