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
use std::collections::hash_map::Entry;
use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap;

use crate::InstallError;
use crate::layout::Layout;
use crate::path::{is_joined, relative_path};
use crate::record::{RecordRow, sha256_digest};
use crate::script::{
    EntryPoint, fix_shebang, is_entry_point_wrapper, launcher, launcher_body, script_names,
};
use crate::unpack::{UnpackedFile, UnpackedWheel, is_data_script};
use crate::windows_launcher::{LauncherKind, LauncherStubs, assemble, launcher_interpreter};

/// How one install is recorded in its `.dist-info` (PEP 376, PEP 610).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Recording<'a> {
    pub(crate) installer: &'a str,
    pub(crate) requested: bool,
    pub(crate) direct_url: Option<&'a str>,
}

/// Every file one wheel installs, by destination. Borrows the unpacked wheel: a linked file is
/// its manifest entry, not a copy of its paths and hash.
#[derive(Debug)]
pub(crate) struct Placement<'w> {
    pub(crate) wheel: &'w UnpackedWheel,
    /// The directory that holds the `.dist-info` (RECORD paths are relative to it).
    pub(crate) lib_dir: PathBuf,
    /// The `.dist-info` directory in the environment.
    pub(crate) dist_info: PathBuf,
    /// `<dist_info>/RECORD`, which the installer writes.
    pub(crate) record: PathBuf,
    pub(crate) files: Vec<PlacedFile<'w>>,
}

impl Placement<'_> {
    /// The wheel's file name, for messages.
    pub(crate) fn wheel_name(&self) -> &str {
        self.wheel.file_name()
    }
}

#[derive(Debug)]
pub(crate) struct PlacedFile<'w> {
    /// Absolute, normalized.
    pub(crate) destination: PathBuf,
    pub(crate) source: Source<'w>,
}

#[derive(Debug)]
pub(crate) enum Source<'w> {
    /// A file of the unpacked tree, linked or copied (its manifest entry: path, sha256, size).
    Link(&'w UnpackedFile),
    /// Content the install writes itself.
    Fresh { content: Vec<u8>, executable: bool },
}

impl PlacedFile<'_> {
    /// The RECORD row of this file: its path relative to `lib_dir`, its sha256 and size.
    pub(crate) fn record_row(&self, lib_dir: &Path) -> RecordRow<'_> {
        match &self.source {
            Source::Link(file) => RecordRow {
                // A file of the archive root: its manifest path is its RECORD path.
                path: match is_joined(&self.destination, lib_dir, &file.path) {
                    true => Cow::Borrowed(file.path.as_str()),
                    false => Cow::Owned(relative_path(lib_dir, &self.destination)),
                },
                hash: Some((Cow::Borrowed(file.hash.as_str()), file.size)),
            },
            Source::Fresh { content, .. } => RecordRow {
                path: Cow::Owned(relative_path(lib_dir, &self.destination)),
                hash: Some((Cow::Owned(sha256_digest(content)), content.len() as u64)),
            },
        }
    }
}

/// Where each file of `wheel` goes in `layout` (absolute), and the files the install generates.
pub(crate) fn place<'w>(
    wheel: &'w UnpackedWheel,
    layout: &Layout,
    recording: Recording<'_>,
) -> Result<Placement<'w>, InstallError> {
    let lib_dir = if wheel.root_is_purelib {
        layout.purelib.clone()
    } else {
        layout.platlib.clone()
    };
    let python = layout.python_executable.as_os_str().as_encoded_bytes();
    let mut files = Vec::with_capacity(wheel.files.len() + 4);
    for file in wheel.files.iter() {
        let Some(destination) = destination(wheel, layout, &lib_dir, &file.path)? else {
            continue;
        };
        let mut source = Source::Link(file);
        if is_data_script(&file.path) {
            let cached = wheel.root().join(&file.path);
            if starts_with_python_shebang(&cached, wheel)? {
                let content = fs_err::read(&cached).map_err(|error| corrupt(wheel, error))?;
                if let Some(fixed) = fix_shebang(&content, python) {
                    source = Source::Fresh {
                        content: fixed,
                        executable: true,
                    };
                }
            }
        }
        files.push(PlacedFile {
            destination,
            source,
        });
    }

    let fresh = |destination: PathBuf, content: Vec<u8>, executable: bool| PlacedFile {
        destination,
        source: Source::Fresh {
            content,
            executable,
        },
    };
    // Windows runs scripts through `.exe` launchers, whose stub comes with the environment's pip.
    let stubs = match cfg!(windows) && !wheel.entry_points.is_empty() {
        true => LauncherStubs::find(&layout.purelib),
        false => None,
    };
    for (name, entry_point) in script_names(&wheel.entry_points, layout.python_version) {
        let file = match &stubs {
            Some(stubs) => fresh(
                layout.scripts.join(format!("{name}.exe")),
                exe_launcher(stubs, &layout.python_executable, entry_point)
                    .map_err(|error| corrupt(wheel, error))?,
                true,
            ),
            None => fresh(
                layout.scripts.join(name),
                launcher(python, entry_point),
                true,
            ),
        };
        files.push(file);
    }
    let dist_info = lib_dir.join(wheel.dist_info());
    files.push(fresh(
        dist_info.join("INSTALLER"),
        format!("{}\n", recording.installer).into_bytes(),
        false,
    ));
    if recording.requested {
        files.push(fresh(dist_info.join("REQUESTED"), Vec::new(), false));
    }
    if let Some(direct_url) = recording.direct_url {
        files.push(fresh(
            dist_info.join("direct_url.json"),
            direct_url.as_bytes().to_vec(),
            false,
        ));
    }
    let record = dist_info.join("RECORD");
    let files = one_per_destination(files, &record, wheel.file_name());
    Ok(Placement {
        wheel,
        lib_dir,
        dist_info,
        record,
        files,
    })
}

/// The Windows `.exe` launcher of `entry_point` (see `windows_launcher`).
fn exe_launcher(
    stubs: &LauncherStubs,
    python: &Path,
    entry_point: &EntryPoint,
) -> std::io::Result<Vec<u8>> {
    let kind = LauncherKind::for_group(&entry_point.group);
    let interpreter = launcher_interpreter(python, kind);
    assemble(stubs, kind, &interpreter, &launcher_body(entry_point))
}

/// Whether the environment's filesystem takes `A.py` and `a.py` for one file: the defaults of
/// Windows (NTFS) and macOS (APFS, HFS+). Linux filesystems are case-sensitive.
const CASE_INSENSITIVE: bool = cfg!(any(windows, target_os = "macos"));

/// The key under which two destinations are the same file: the path itself, or its lower-case
/// spelling where names ignore case.
fn destination_key(path: &Path, case_insensitive: bool) -> Cow<'_, OsStr> {
    match case_insensitive {
        true => Cow::Owned(path.to_string_lossy().to_lowercase().into()),
        false => Cow::Borrowed(path.as_os_str()),
    }
}

/// `files` with one file per destination: a later file at the same destination replaces the
/// earlier one in its place (as pip overwrites it). The RECORD is written by the installer: a
/// wheel file at `record` never lands.
fn one_per_destination<'w>(
    files: Vec<PlacedFile<'w>>,
    record: &Path,
    wheel: &str,
) -> Vec<PlacedFile<'w>> {
    // (the earlier file's slot, the later file) for every repeated destination.
    let mut replaced: Vec<(usize, usize)> = Vec::new();
    let mut dropped: Vec<usize> = Vec::new();
    {
        // Keyed by the raw path: destinations are normalized, so equal paths are equal bytes
        // (and hashing bytes is cheaper than hashing a `Path`'s components).
        let mut first: FxHashMap<Cow<'_, OsStr>, usize> =
            FxHashMap::with_capacity_and_hasher(files.len(), Default::default());
        let record = destination_key(record, CASE_INSENSITIVE);
        for (index, file) in files.iter().enumerate() {
            let key = destination_key(&file.destination, CASE_INSENSITIVE);
            if key == record {
                dropped.push(index);
                continue;
            }
            match first.entry(key) {
                Entry::Occupied(earlier) => {
                    tracing::debug!(
                        "wheel {wheel}: two files install to {}, the later one wins",
                        file.destination.display()
                    );
                    replaced.push((*earlier.get(), index));
                }
                Entry::Vacant(slot) => {
                    slot.insert(index);
                }
            }
        }
    }
    if replaced.is_empty() && dropped.is_empty() {
        return files;
    }
    let mut slots: Vec<Option<PlacedFile<'w>>> = files.into_iter().map(Some).collect();
    for index in dropped {
        slots[index] = None;
    }
    for (earlier, later) in replaced {
        slots[earlier] = slots[later].take();
    }
    slots.into_iter().flatten().collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_differing_in_case_are_one_file_where_names_ignore_case() {
        let upper = Path::new("/venv/lib/site-packages/Pkg/Data.TXT");
        let lower = Path::new("/venv/lib/site-packages/pkg/data.txt");
        assert_eq!(destination_key(upper, true), destination_key(lower, true));
        assert_ne!(destination_key(upper, false), destination_key(lower, false));
        assert_eq!(destination_key(upper, false), upper.as_os_str());
    }
}
