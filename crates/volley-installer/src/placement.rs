//! Where the files of an unpacked wheel go in a [`Layout`], and which files the install writes
//! itself instead of linking them from the cache.
//!
//! Where files go (binary distribution format spec): the archive root goes to purelib or platlib
//! (`Root-Is-Purelib`); `{name}-{version}.data/{key}/...` goes to the layout directory of that
//! scheme key, `headers` to `<headers>/<Name>` (spelled as in `METADATA`, like pip). Scripts in
//! `.data/scripts` named like an entry point are setuptools' wrappers: skipped, the generated
//! launcher wins (as in pip). When two files land on the same path, the later one wins.
//!
//! Written fresh, never linked, so that editing them in the environment cannot reach the cache:
//! `.data/scripts` files whose first line is `#!python...` (rewritten to the interpreter),
//! entry-point launchers, `INSTALLER`, `REQUESTED`, `direct_url.json`, and `RECORD` (written by
//! the installer once bytecode is known). Everything else is linked (see `link`).

use std::borrow::Cow;
use std::ffi::OsString;
use std::io::Read;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;
use volley_packaging::{PackageName, Version};

use crate::InstallError;
use crate::layout::Layout;
use crate::path::relative_path;
use crate::record::{RecordRow, sha256_digest};
use crate::script::{fix_shebang, is_entry_point_wrapper, launcher, script_names};
use crate::unpack::{UnpackedWheel, is_data_script};

/// How one install is recorded in its `.dist-info` (PEP 376, PEP 610).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Recording<'a> {
    pub(crate) installer: &'a str,
    pub(crate) requested: bool,
    pub(crate) direct_url: Option<&'a str>,
}

/// Every file one wheel installs, by destination.
#[derive(Debug)]
pub(crate) struct Placement {
    /// The wheel's file name, for messages.
    pub(crate) wheel: String,
    pub(crate) name: PackageName,
    pub(crate) version: Version,
    /// The unpacked tree the files come from.
    pub(crate) unpacked_root: PathBuf,
    /// The directory that holds the `.dist-info` (RECORD paths are relative to it).
    pub(crate) lib_dir: PathBuf,
    /// The `.dist-info` directory in the environment.
    pub(crate) dist_info: PathBuf,
    pub(crate) files: Vec<PlacedFile>,
}

#[derive(Debug)]
pub(crate) struct PlacedFile {
    /// Absolute, normalized.
    pub(crate) destination: PathBuf,
    pub(crate) source: Source,
}

#[derive(Debug)]
pub(crate) enum Source {
    /// A file of the unpacked tree, linked or copied, with its sha256 and size from the manifest.
    Link {
        path: PathBuf,
        hash: String,
        size: u64,
    },
    /// Content the install writes itself.
    Fresh { content: Vec<u8>, executable: bool },
}

impl PlacedFile {
    /// The RECORD row of this file: its path relative to `lib_dir`, its sha256 and size.
    pub(crate) fn record_row(&self, lib_dir: &Path) -> RecordRow<'_> {
        let hash = match &self.source {
            Source::Link { hash, size, .. } => (Cow::Borrowed(hash.as_str()), *size),
            Source::Fresh { content, .. } => {
                (Cow::Owned(sha256_digest(content)), content.len() as u64)
            }
        };
        RecordRow {
            path: relative_path(lib_dir, &self.destination),
            hash: Some(hash),
        }
    }
}

/// Where each file of `wheel` goes in `layout` (absolute), and the files the install generates.
pub(crate) fn place(
    wheel: &UnpackedWheel,
    layout: &Layout,
    recording: Recording<'_>,
) -> Result<Placement, InstallError> {
    let file_name = wheel.file_name();
    let lib_dir = if wheel.root_is_purelib {
        layout.purelib.clone()
    } else {
        layout.platlib.clone()
    };
    let python = layout.python_executable.as_os_str().as_encoded_bytes();
    let mut files = Files::default();
    for file in &wheel.files {
        let Some(destination) = destination(wheel, layout, &lib_dir, &file.path)? else {
            continue;
        };
        let cached = wheel.root().join(&file.path);
        let mut rewritten = None;
        if is_data_script(&file.path) && starts_with_python_shebang(&cached, wheel)? {
            let content = fs_err::read(&cached).map_err(|error| corrupt(wheel, error))?;
            rewritten = fix_shebang(&content, python);
        }
        let source = match rewritten {
            Some(fixed) => Source::Fresh {
                content: fixed,
                executable: true,
            },
            None => Source::Link {
                path: cached,
                hash: file.hash.clone(),
                size: file.size,
            },
        };
        if files.insert(destination.clone(), source) {
            tracing::debug!(
                "wheel {file_name}: two files install to {}, the later one wins",
                destination.display()
            );
        }
    }

    let fresh = |content: Vec<u8>, executable: bool| Source::Fresh {
        content,
        executable,
    };
    for (name, entry_point) in script_names(&wheel.entry_points, layout.python_version) {
        files.insert(
            layout.scripts.join(name),
            fresh(launcher(python, entry_point), true),
        );
    }
    let dist_info = lib_dir.join(wheel.dist_info());
    files.insert(
        dist_info.join("INSTALLER"),
        fresh(format!("{}\n", recording.installer).into_bytes(), false),
    );
    if recording.requested {
        files.insert(dist_info.join("REQUESTED"), fresh(Vec::new(), false));
    }
    if let Some(direct_url) = recording.direct_url {
        files.insert(
            dist_info.join("direct_url.json"),
            fresh(direct_url.as_bytes().to_vec(), false),
        );
    }
    // The RECORD is written by the installer; a wheel file of that name never lands.
    files.remove(&dist_info.join("RECORD"));

    Ok(Placement {
        wheel: file_name.to_string(),
        name: wheel.name().clone(),
        version: wheel.version().clone(),
        unpacked_root: wheel.root().to_path_buf(),
        lib_dir,
        dist_info,
        files: files.into_placed(),
    })
}

/// The files of a placement by destination, in the order they were first inserted; a later
/// insert at the same destination replaces the earlier file.
#[derive(Debug, Default)]
struct Files {
    placed: Vec<Option<PlacedFile>>,
    /// Keyed by the raw path: destinations are normalized, so equal paths are equal bytes (and
    /// hashing bytes is cheaper than hashing a `Path`'s components).
    index: FxHashMap<OsString, usize>,
}

impl Files {
    /// Returns whether a file was already going to `destination`.
    fn insert(&mut self, destination: PathBuf, source: Source) -> bool {
        match self.index.get(destination.as_os_str()) {
            Some(&index) => {
                let replaced = self.placed[index].is_some();
                self.placed[index] = Some(PlacedFile {
                    destination,
                    source,
                });
                replaced
            }
            None => {
                self.index
                    .insert(destination.clone().into_os_string(), self.placed.len());
                self.placed.push(Some(PlacedFile {
                    destination,
                    source,
                }));
                false
            }
        }
    }

    fn remove(&mut self, destination: &Path) {
        if let Some(&index) = self.index.get(destination.as_os_str()) {
            self.placed[index] = None;
        }
    }

    fn into_placed(self) -> Vec<PlacedFile> {
        self.placed.into_iter().flatten().collect()
    }
}

/// Where a file of the unpacked tree goes; `None` for a wrapper script that a launcher replaces.
fn destination(
    wheel: &UnpackedWheel,
    layout: &Layout,
    lib_dir: &Path,
    path: &str,
) -> Result<Option<PathBuf>, InstallError> {
    let (top, rest) = path.split_once('/').unwrap_or((path, ""));
    if rest.is_empty() || !top.ends_with(".data") {
        return Ok(Some(lib_dir.join(path)));
    }
    let invalid = |reason: String| InstallError::InvalidDataEntry {
        wheel: wheel.file_name().to_string(),
        entry: path.to_string(),
        reason,
    };
    let (key, subpath) = rest
        .split_once('/')
        .ok_or_else(|| invalid(format!("expected {top}/<scheme key>/<path>")))?;
    let root = match key {
        "purelib" => layout.purelib.clone(),
        "platlib" => layout.platlib.clone(),
        "headers" => layout.headers.join(&wheel.project_name),
        "scripts" => layout.scripts.clone(),
        "data" => layout.data.clone(),
        key => return Err(invalid(format!("unknown scheme key \"{key}\""))),
    };
    if key == "scripts" {
        let file_name = subpath.rsplit('/').next().unwrap_or(subpath);
        if is_entry_point_wrapper(file_name, &wheel.entry_points) {
            tracing::debug!(
                "skipping {path} from {}: an entry point of the same name replaces it",
                wheel.file_name()
            );
            return Ok(None);
        }
    }
    Ok(Some(root.join(subpath)))
}

/// Whether a cached script starts with `#!python` (and so is rewritten).
fn starts_with_python_shebang(path: &Path, wheel: &UnpackedWheel) -> Result<bool, InstallError> {
    let mut start = [0u8; 8];
    let mut file = fs_err::File::open(path).map_err(|error| corrupt(wheel, error))?;
    let mut read = 0;
    while read < start.len() {
        match file.read(&mut start[read..]) {
            Ok(0) => break,
            Ok(count) => read += count,
            Err(error) => return Err(corrupt(wheel, error)),
        }
    }
    Ok(&start[..read] == b"#!python")
}

/// A file of the unpacked tree that cannot be read.
pub(crate) fn corrupt(wheel: &UnpackedWheel, error: std::io::Error) -> InstallError {
    InstallError::CorruptUnpacked {
        dir: wheel.root().to_path_buf(),
        reason: error.to_string(),
    }
}
