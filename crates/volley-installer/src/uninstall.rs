//! Removing an installed distribution, driven by its `RECORD` (as pip does).
//!
//! Traps:
//! - RECORD paths are relative to the directory that holds the `.dist-info` (`../../../bin/x`
//!   reaches the scripts directory), or absolute; they are resolved lexically;
//! - bytecode is not always in RECORD (it is written on import): for each listed `x.py`, the
//!   `__pycache__/x.<tag>.pyc` / `.opt-N.pyc` files and legacy `x.pyc`/`x.pyo` go too;
//! - console and GUI scripts from `entry_points.txt` go too, as pip removes them even when an
//!   older installer left them out of RECORD;
//! - a path outside the layout's directories is never removed: it is reported instead (pip
//!   refuses paths outside the environment the same way). Inside means inside both lexically
//!   and once the file's parent directory is resolved: `site-packages/linkdir/f`, where
//!   `linkdir` is a symlink to a directory elsewhere, is outside (as in pip, which resolves the
//!   parent but not the file itself, so that a symlink is removed, not its target);
//! - without RECORD there is no safe way to know what to remove: refuse.
//!
//! [`uninstall`] first moves the files into a scratch directory, so that a failure part-way puts
//! them all back; then directories left empty are removed, up to (not including) the scheme
//! roots. The installer removes replaced versions with the same [`Removal`] plan, inside its
//! transaction (moved into its backup directory, restored if the install fails).

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};

use crate::InstallError;
use crate::layout::Layout;
use crate::path::{is_within, normalize};
use crate::record::parse_record;
use crate::script::parse_entry_points;
use crate::staging::{Staging, move_file};

/// What [`uninstall`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UninstallSummary {
    pub files_removed: usize,
    pub dirs_removed: usize,
    /// Files that RECORD lists outside the layout's directories, left in place.
    pub outside_environment: Vec<PathBuf>,
}

/// Removes the distribution whose `.dist-info` directory is `dist_info`, from `layout`.
pub fn uninstall(dist_info: &Path, layout: &Layout) -> Result<UninstallSummary, InstallError> {
    let io_error = |source: io::Error| InstallError::UninstallIo {
        dist_info: dist_info.to_path_buf(),
        source,
    };
    let layout = layout.absolute().map_err(io_error)?;
    let removal = Removal::plan(dist_info, &layout)?;

    // Move everything aside first, so that a failure can put it all back.
    let mut stash = Staging::new(&removal.lib_dir, ".volley-uninstall-").map_err(io_error)?;
    let mut moved: Vec<(&Path, PathBuf)> = Vec::with_capacity(removal.files.len());
    for path in &removal.files {
        let aside = stash.next_path();
        if let Err(error) = move_file(path, &aside) {
            for (original, aside) in moved.into_iter().rev() {
                if let Err(error) = move_file(&aside, original) {
                    tracing::warn!("restoring after a failed uninstall: {error}");
                }
            }
            return Err(io_error(error));
        }
        moved.push((path, aside));
    }
    drop(stash);

    let summary = removal.finish();
    tracing::debug!(
        "uninstalled {}: {} files, {} directories",
        dist_info.display(),
        summary.files_removed,
        summary.dirs_removed
    );
    Ok(summary)
}

/// What removing one distribution takes: its files (to move away) and the directories that may
/// be left empty.
#[derive(Debug)]
pub(crate) struct Removal {
    /// The directory that holds the `.dist-info`.
    lib_dir: PathBuf,
    /// Absolute, normalized, existing, inside the environment.
    pub(crate) files: Vec<PathBuf>,
    directories: BTreeSet<PathBuf>,
    outside_environment: Vec<PathBuf>,
    roots: Vec<PathBuf>,
}

impl Removal {
    /// Reads `RECORD` and finds what to remove, without changing anything. `layout` is absolute.
    pub(crate) fn plan(dist_info: &Path, layout: &Layout) -> Result<Self, InstallError> {
        let io_error = |source: io::Error| InstallError::UninstallIo {
            dist_info: dist_info.to_path_buf(),
            source,
        };
        let absolute = normalize(&std::path::absolute(dist_info).map_err(io_error)?);
        let lib_dir = absolute.parent().unwrap_or(&absolute).to_path_buf();

        let record = match fs_err::read_to_string(absolute.join("RECORD")) {
            Ok(record) => record,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Err(InstallError::NoRecord {
                    dist_info: dist_info.to_path_buf(),
                });
            }
            Err(error) => return Err(io_error(error)),
        };
        let rows = parse_record(&record).map_err(|error| InstallError::InvalidInstalledRecord {
            dist_info: dist_info.to_path_buf(),
            line: error.line,
            reason: error.reason,
        })?;

        let mut candidates: BTreeSet<PathBuf> = BTreeSet::new();
        let mut bytecode = Bytecode::default();
        for row in &rows {
            let path = normalize(&lib_dir.join(&row.path));
            if path.extension().is_some_and(|extension| extension == "py") {
                candidates.extend(bytecode.files_of(&path));
            }
            candidates.insert(path);
        }
        candidates.extend(entry_point_scripts(&absolute, layout));

        let mut roots: Vec<PathBuf> = layout.roots().iter().map(|root| normalize(root)).collect();
        roots.push(lib_dir.clone());

        // The roots as they are on disk, for comparing resolved parents (the environment itself
        // may lie under a symlink, e.g. a temporary directory).
        let real_roots: Vec<PathBuf> = roots
            .iter()
            .map(|root| fs_err::canonicalize(root).unwrap_or_else(|_| root.clone()))
            .collect();
        let mut real_parents: HashMap<PathBuf, Option<PathBuf>> = HashMap::new();
        let mut removal = Self {
            lib_dir,
            files: Vec::new(),
            directories: BTreeSet::new(),
            outside_environment: Vec::new(),
            roots,
        };
        // One listing per directory rather than a `stat` per candidate (three per `.py` file).
        let mut listings: HashMap<PathBuf, HashMap<OsString, bool>> = HashMap::new();
        for path in candidates {
            let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
                continue;
            };
            let listing = listings
                .entry(parent.to_path_buf())
                .or_insert_with(|| list_directory(parent));
            let Some(&is_dir) = listing.get(name) else {
                continue;
            };
            let real_parent = real_parents
                .entry(parent.to_path_buf())
                .or_insert_with(|| fs_err::canonicalize(parent).ok());
            let inside = removal.roots.iter().any(|root| is_within(root, &path))
                && real_parent.as_ref().is_some_and(|real_parent| {
                    real_roots.iter().any(|root| is_within(root, real_parent))
                });
            if !inside {
                // The caller reports it (once).
                tracing::debug!(
                    "not removing \"{}\": it is outside the environment",
                    path.display()
                );
                removal.outside_environment.push(path);
            } else if is_dir {
                removal.directories.insert(path);
            } else {
                if let Some(parent) = path.parent() {
                    removal.directories.insert(parent.to_path_buf());
                }
                removal.files.push(path);
            }
        }
        Ok(removal)
    }

    /// After the files are gone: removes the directories left empty, and says what was done.
    pub(crate) fn finish(self) -> UninstallSummary {
        UninstallSummary {
            files_removed: self.files.len(),
            dirs_removed: remove_empty_directories(self.directories, &self.roots),
            outside_environment: self.outside_environment,
        }
    }
}

/// The entries of `directory` (none if it cannot be read), each with whether it is a directory
/// (a symlink is not).
fn list_directory(directory: &Path) -> HashMap<OsString, bool> {
    let Ok(entries) = fs_err::read_dir(directory) else {
        return HashMap::new();
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| {
            let is_dir = entry.file_type().is_ok_and(|kind| kind.is_dir());
            (entry.file_name(), is_dir)
        })
        .collect()
}

/// The scripts pip removes for a distribution's entry points (usually also in RECORD).
fn entry_point_scripts(dist_info: &Path, layout: &Layout) -> Vec<PathBuf> {
    let Ok(content) = fs_err::read_to_string(dist_info.join("entry_points.txt")) else {
        return Vec::new();
    };
    match parse_entry_points(&content) {
        Ok(entry_points) => entry_points
            .iter()
            .flat_map(|entry| {
                let script = normalize(&layout.scripts.join(&entry.name));
                // On Windows the launcher is `<name>.exe` (and older tools wrote a
                // `<name>-script.py` beside it).
                let windows = cfg!(windows).then(|| {
                    [
                        script.with_file_name(format!("{}.exe", entry.name)),
                        script.with_file_name(format!("{}-script.py", entry.name)),
                    ]
                });
                std::iter::once(script).chain(windows.into_iter().flatten())
            })
            .collect(),
        Err(error) => {
            tracing::debug!(
                "ignoring the unreadable entry_points.txt of {}: {error:?}",
                dist_info.display()
            );
            Vec::new()
        }
    }
}

/// Finds the bytecode of `.py` files, listing each `__pycache__` directory once.
#[derive(Default)]
struct Bytecode {
    listings: HashMap<PathBuf, Vec<String>>,
}

impl Bytecode {
    /// `x.pyc`, `x.pyo`, `__pycache__/x.<tag>.pyc` and `__pycache__/x.<tag>.opt-N.pyc`.
    fn files_of(&mut self, source: &Path) -> Vec<PathBuf> {
        let (Some(directory), Some(stem)) = (source.parent(), source.file_stem()) else {
            return Vec::new();
        };
        let stem = stem.to_string_lossy();
        let mut files = vec![source.with_extension("pyc"), source.with_extension("pyo")];
        let cache = directory.join("__pycache__");
        let listing = self.listings.entry(cache.clone()).or_insert_with(|| {
            fs_err::read_dir(&cache)
                .map(|entries| {
                    entries
                        .filter_map(Result::ok)
                        .map(|entry| entry.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default()
        });
        for name in listing.iter() {
            let Some(rest) = name
                .strip_prefix(stem.as_ref())
                .and_then(|rest| rest.strip_prefix('.'))
                .and_then(|rest| rest.strip_suffix(".pyc"))
            else {
                continue;
            };
            let parts: Vec<&str> = rest.split('.').collect();
            let is_bytecode = match parts.as_slice() {
                [tag] => !tag.is_empty(),
                [tag, optimization] => !tag.is_empty() && optimization.starts_with("opt-"),
                _ => false,
            };
            if is_bytecode {
                files.push(cache.join(name));
            }
        }
        files
    }
}

/// Removes the empty ones among `directories` and then their parents, deepest first, never a
/// root or a directory that holds a root. Returns how many were removed.
fn remove_empty_directories(directories: BTreeSet<PathBuf>, roots: &[PathBuf]) -> usize {
    let removable = |directory: &Path| {
        roots
            .iter()
            .any(|root| directory != root && is_within(root, directory))
            && !roots.iter().any(|root| is_within(directory, root))
    };
    // Deepest first, so that a parent is tried after its children.
    let mut pending: BTreeSet<(usize, PathBuf)> = directories
        .into_iter()
        .map(|directory| (directory.components().count(), directory))
        .collect();
    let mut removed = 0;
    while let Some((_, directory)) = pending.pop_last() {
        if !removable(&directory) {
            continue;
        }
        let empty = fs_err::read_dir(&directory)
            .map(|mut entries| entries.next().is_none())
            .unwrap_or(false);
        if !empty {
            continue;
        }
        match fs_err::remove_dir(&directory) {
            Ok(()) => {
                removed += 1;
                if let Some(parent) = directory.parent() {
                    pending.insert((parent.components().count(), parent.to_path_buf()));
                }
            }
            Err(error) => tracing::debug!("keeping a directory: {error}"),
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(root: &Path) -> Layout {
        let site = root.join("lib/python3.12/site-packages");
        Layout {
            purelib: site.clone(),
            platlib: site,
            scripts: root.join("bin"),
            data: root.to_path_buf(),
            headers: root.join("include/site/python3.12"),
            python_executable: root.join("bin/python"),
            python_version: (3, 12),
        }
    }

    fn write(path: &Path, content: &str) {
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, content).unwrap();
    }

    #[test]
    fn removes_record_files_bytecode_and_empty_dirs() {
        let root = tempfile::tempdir().unwrap();
        let layout = layout(root.path());
        let site = layout.purelib.clone();
        write(&site.join("pkg/__init__.py"), "");
        write(&site.join("pkg/__pycache__/__init__.cpython-312.pyc"), "");
        write(
            &site.join("pkg/__pycache__/__init__.cpython-312.opt-1.pyc"),
            "",
        );
        write(&site.join("pkg/sub/mod.py"), "");
        write(&site.join("other/keep.py"), "");
        write(&site.join("pkg-1.0.dist-info/METADATA"), "");
        write(
            &site.join("pkg-1.0.dist-info/entry_points.txt"),
            "[console_scripts]\nunlisted = pkg:main\n",
        );
        write(&root.path().join("bin/tool"), "");
        write(&root.path().join("bin/unlisted"), "");
        write(&root.path().join("bin/python"), "");
        write(&root.path().join("share/pkg/data.txt"), "");
        let outside = tempfile::tempdir().unwrap();
        write(&outside.path().join("elsewhere.txt"), "");
        let record = format!(
            "pkg/__init__.py,,\npkg/sub/mod.py,,\npkg-1.0.dist-info/METADATA,,\n\
             pkg-1.0.dist-info/entry_points.txt,,\npkg-1.0.dist-info/RECORD,,\n\
             ../../../bin/tool,,\n../../../share/pkg/data.txt,,\n{},,\nmissing.py,,\n",
            outside.path().join("elsewhere.txt").display()
        );
        write(&site.join("pkg-1.0.dist-info/RECORD"), &record);

        let summary = uninstall(&site.join("pkg-1.0.dist-info"), &layout).unwrap();
        assert_eq!(summary.files_removed, 10);
        // pkg/__pycache__, pkg/sub, pkg, the dist-info, share/pkg, share.
        assert_eq!(summary.dirs_removed, 6);
        assert_eq!(
            summary.outside_environment,
            [outside.path().join("elsewhere.txt")]
        );
        assert!(outside.path().join("elsewhere.txt").exists());
        assert!(site.join("other/keep.py").exists());
        assert!(root.path().join("bin/python").exists());
        assert!(!root.path().join("bin/unlisted").exists());
        assert!(!site.join("pkg").exists());
        assert!(!root.path().join("share").exists());
        assert!(site.is_dir());
    }

    #[test]
    fn refuses_without_record() {
        let root = tempfile::tempdir().unwrap();
        let layout = layout(root.path());
        let dist_info = layout.purelib.join("pkg-1.0.dist-info");
        write(&dist_info.join("METADATA"), "");
        let error = uninstall(&dist_info, &layout).unwrap_err().to_string();
        let error = error.replace(&root.path().display().to_string(), "[ROOT]");
        insta::assert_snapshot!(error, @r#"cannot uninstall "[ROOT]/lib/python3.12/site-packages/pkg-1.0.dist-info": it has no RECORD file"#);
        assert!(dist_info.join("METADATA").exists());
    }
}
