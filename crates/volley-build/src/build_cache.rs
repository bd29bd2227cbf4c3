//! The build cache (`builds-v1`): wheels built from sdists, git commits and local trees, and the
//! metadata their backends prepared, so that a second install builds nothing.
//!
//! Start with [`BuildCache`] and [`BuildKey`]. The layout is documented on
//! `volley_cache::CacheBucket::Builds`; in short, `builds-v1/<source>/<flavour>/` holds the
//! built wheel and `METADATA`, where
//! - an sdist is keyed by its sha256 ([`BuildKey::archive`]), a git source by its commit and
//!   subdirectory ([`BuildKey::git`]): both are immutable, so an entry never goes stale;
//! - a local directory is keyed by its path and a fingerprint of its tree
//!   ([`BuildKey::directory`], [`tree_fingerprint`]): any change to the tree is a new entry
//!   (older ones for the same path are removed when a newer one is stored);
//! - the flavour covers what else the wheel depends on: the target interpreter (a wheel built
//!   for CPython 3.11 may not suit 3.12), isolation, config settings, build constraints.
//!
//! Editable builds are never cached: they are cheap, and point into the tree anyway.
//!
//! Traps:
//! - backends write into the tree they build (setuptools' `build/` and `*.egg-info`), and tools
//!   leave caches (`__pycache__`, `.pytest_cache`); the fingerprint leaves those out, else every
//!   build would invalidate itself;
//! - a virtual environment inside the project (`.venv`) changes whenever something is
//!   installed into it, and holds thousands of files: directories holding `pyvenv.cfg` are
//!   left out;
//! - two processes may build the same source at once: [`BuildCache::lock`] serializes them, and
//!   the second finds the first one's wheel.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use sha2::{Digest, Sha256};
use url::Url;
use volley_cache::{
    Cache, CacheBucket, LockedFile, cache_key, persist_atomic, temp_file_in, write_atomic,
};
use volley_packaging::CoreMetadata;

use crate::git::repository_key;
use crate::{BuildError, BuildOptions};

/// Directories left out of a tree's fingerprint at any depth.
const SKIPPED_ANYWHERE: [&str; 10] = [
    ".git",
    ".hg",
    ".svn",
    "__pycache__",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    "node_modules",
];
/// Directories left out of a tree's fingerprint at its top level only (a package may well be
/// called `build`).
const SKIPPED_AT_TOP: [&str; 2] = ["build", "dist"];

/// The file name of prepared metadata in an entry.
const METADATA: &str = "METADATA";

/// Where the built wheels of one source live in the cache.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BuildKey {
    /// Relative to the bucket, without the flavour.
    source: PathBuf,
    /// For directory keys, the directory holding every fingerprint of the path.
    fingerprints: Option<PathBuf>,
}

impl BuildKey {
    /// An sdist, by the hex sha256 of the archive file.
    pub fn archive(sha256: &str) -> Self {
        Self {
            source: Path::new("archive").join(sha256.to_ascii_lowercase()),
            fingerprints: None,
        }
    }

    /// A git checkout, by its repository, full commit hash and subdirectory.
    pub fn git(repository: &Url, commit: &str, subdirectory: Option<&str>) -> Self {
        let commit = match subdirectory {
            Some(subdirectory) => format!("{commit}-{}", cache_key(subdirectory)),
            None => commit.to_string(),
        };
        Self {
            source: Path::new("git")
                .join(repository_key(repository))
                .join(commit),
            fingerprints: None,
        }
    }

    /// A local directory, by its absolute path and the fingerprint of its tree as it is now
    /// (see [`tree_fingerprint`]).
    pub fn directory(path: &Path) -> Result<Self, BuildError> {
        let path = std::path::absolute(path)?;
        let fingerprints = Path::new("path").join(cache_key(&path.to_string_lossy()));
        Ok(Self {
            source: fingerprints.join(tree_fingerprint(&path)?),
            fingerprints: Some(fingerprints),
        })
    }
}

/// The built wheels and prepared metadata of one kind of build (one flavour); cheap to clone.
#[derive(Debug, Clone)]
pub struct BuildCache {
    cache: Cache,
    flavour: String,
}

impl BuildCache {
    /// The build cache in `cache` for wheels built for `interpreter` with `options`.
    /// `interpreter` identifies the target interpreter well enough to tell wheels apart: its
    /// implementation, version, ABI and platform (e.g. `cpython-3.11.7-cp311-linux_x86_64`),
    /// or at least its path and version.
    pub fn new(cache: Cache, interpreter: &str, options: &BuildOptions) -> Self {
        let constraints: Vec<String> = options
            .build_constraints
            .iter()
            .map(ToString::to_string)
            .collect();
        let flavour = cache_key(&format!(
            "{interpreter}\nisolation={}\nconfig_settings={:?}\nconstraints={:?}",
            options.isolation, options.config_settings, constraints
        ));
        Self { cache, flavour }
    }

    /// The cached wheel built from `key`'s source, if there is one.
    pub fn get(&self, key: &BuildKey) -> Option<PathBuf> {
        let entry = self.entry(key);
        let mut wheels: Vec<PathBuf> = fs_err::read_dir(&entry)
            .ok()?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| {
                path.extension().is_some_and(|extension| extension == "whl") && path.is_file()
            })
            .collect();
        wheels.sort();
        wheels.pop()
    }

    /// Stores `wheel` (moved when it can be, else copied) as the build of `key`'s source, and
    /// returns its path in the cache. The file appears whole or not at all.
    pub fn put(&self, key: &BuildKey, wheel: &Path) -> Result<PathBuf, BuildError> {
        let entry = self.entry(key);
        fs_err::create_dir_all(&entry)?;
        let name = wheel.file_name().ok_or_else(|| BuildError::MissingPath {
            path: wheel.to_path_buf(),
        })?;
        let destination = entry.join(name);
        if fs_err::rename(wheel, &destination).is_err() {
            let mut temp = temp_file_in(&self.cache.bucket(CacheBucket::Builds))?;
            let mut source = fs_err::File::open(wheel)?;
            std::io::copy(&mut source, &mut temp)?;
            temp.flush()?;
            persist_atomic(temp, &destination)?;
        }
        self.remove_stale(key);
        tracing::debug!("cached built wheel {}", destination.display());
        Ok(destination)
    }

    /// The cached metadata of `key`'s source, if there is one that parses.
    pub fn get_metadata(&self, key: &BuildKey) -> Option<CoreMetadata> {
        let path = self.entry(key).join(METADATA);
        let content = fs_err::read(&path).ok()?;
        match CoreMetadata::parse(&content) {
            Ok(metadata) => Some(metadata),
            Err(error) => {
                tracing::debug!("ignoring {}: {error}", path.display());
                None
            }
        }
    }

    /// Stores the metadata prepared for `key`'s source (the fields [`CoreMetadata`] holds).
    pub fn put_metadata(&self, key: &BuildKey, metadata: &CoreMetadata) -> Result<(), BuildError> {
        write_atomic(
            &self.entry(key).join(METADATA),
            render_metadata(metadata).as_bytes(),
        )?;
        self.remove_stale(key);
        Ok(())
    }

    /// Takes the lock of `key`'s entry, held while checking for, and making, its build.
    pub fn lock(&self, key: &BuildKey) -> Result<LockedFile, BuildError> {
        let entry = self.entry(key);
        let path = entry.with_file_name(format!("{}.lock", self.flavour));
        Ok(LockedFile::acquire(&path, || {
            tracing::debug!("waiting for another build of {}", entry.display());
        })?)
    }

    fn entry(&self, key: &BuildKey) -> PathBuf {
        self.cache
            .bucket(CacheBucket::Builds)
            .join(&key.source)
            .join(&self.flavour)
    }

    /// Removes the entries of older fingerprints of a directory key (best effort).
    fn remove_stale(&self, key: &BuildKey) {
        let Some(fingerprints) = &key.fingerprints else {
            return;
        };
        let bucket = self.cache.bucket(CacheBucket::Builds);
        let current = bucket.join(&key.source);
        let Ok(entries) = fs_err::read_dir(bucket.join(fingerprints)) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path != current && path.is_dir() {
                match fs_err::remove_dir_all(&path) {
                    Ok(()) => tracing::debug!("removed stale build {}", path.display()),
                    Err(error) => tracing::debug!("{error}"),
                }
            }
        }
    }
}

/// `metadata` as a `METADATA` file that [`CoreMetadata::parse`] reads back the same.
fn render_metadata(metadata: &CoreMetadata) -> String {
    let version = if metadata.metadata_version.is_empty() {
        "2.1"
    } else {
        &metadata.metadata_version
    };
    let mut text = format!(
        "Metadata-Version: {version}\nName: {}\nVersion: {}\n",
        metadata.name, metadata.version
    );
    if let Some(requires_python) = &metadata.requires_python {
        text.push_str(&format!("Requires-Python: {requires_python}\n"));
    }
    for requirement in &metadata.requires_dist {
        text.push_str(&format!("Requires-Dist: {requirement}\n"));
    }
    for extra in &metadata.provides_extra {
        text.push_str(&format!("Provides-Extra: {extra}\n"));
    }
    for field in &metadata.dynamic {
        text.push_str(&format!("Dynamic: {field}\n"));
    }
    text
}

/// A digest of the tree at `root` as it is now: the relative path, size and modification time
/// of every file (symlinks not followed), in path order. Left out: VCS metadata (`.git`, ...),
/// `__pycache__`, tool caches (`.tox`, `.nox`, `.mypy_cache`, `.pytest_cache`,
/// `.ruff_cache`, `node_modules`), `*.egg-info`, virtual environments (directories holding
/// `pyvenv.cfg`), and the top-level `build` and `dist` directories. 16 hex digits.
pub fn tree_fingerprint(root: &Path) -> Result<String, BuildError> {
    let mut hasher = Sha256::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| !skipped(entry));
    for entry in walker {
        let entry = entry.map_err(std::io::Error::from)?;
        if entry.file_type().is_dir() {
            continue;
        }
        let metadata = entry.metadata().map_err(std::io::Error::from)?;
        let modified = metadata
            .modified()
            .ok()
            .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
            .unwrap_or_default();
        let relative = entry.path().strip_prefix(root).unwrap_or(entry.path());
        hasher.update(relative.to_string_lossy().as_bytes());
        hasher.update(
            format!(
                "\0{}\0{}.{:09}\n",
                metadata.len(),
                modified.as_secs(),
                modified.subsec_nanos()
            )
            .as_bytes(),
        );
    }
    let mut digest = hex::encode(hasher.finalize());
    digest.truncate(16);
    Ok(digest)
}

fn skipped(entry: &walkdir::DirEntry) -> bool {
    if entry.depth() == 0 || !entry.file_type().is_dir() {
        return false;
    }
    let name = entry.file_name().to_string_lossy();
    SKIPPED_ANYWHERE.contains(&name.as_ref())
        || name.ends_with(".egg-info")
        || (entry.depth() == 1 && SKIPPED_AT_TOP.contains(&name.as_ref()))
        || entry.path().join("pyvenv.cfg").is_file()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;

    fn write(root: &Path, path: &str, content: &str) {
        let path = root.join(path);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(path, content).unwrap();
    }

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "pyproject.toml", "[project]\n");
        write(dir.path(), "src/pkg/__init__.py", "VALUE = 1\n");
        write(dir.path(), "src/pkg/build/helper.py", "");
        dir
    }

    #[test]
    fn fingerprint_follows_sources_not_outputs() {
        let dir = tree();
        let root = dir.path();
        let original = tree_fingerprint(root).unwrap();
        assert_eq!(original.len(), 16);
        assert_eq!(tree_fingerprint(root).unwrap(), original);

        // What builds, tools and environments leave behind does not count.
        for path in [
            ".git/index",
            "src/pkg/__pycache__/x.pyc",
            "src/pkg.egg-info/PKG-INFO",
            "build/lib/pkg/__init__.py",
            "dist/pkg-1.0.tar.gz",
            ".pytest_cache/v",
            ".venv/pyvenv.cfg",
            ".venv/lib/site-packages/x.py",
        ] {
            write(root, path, "x");
        }
        assert_eq!(tree_fingerprint(root).unwrap(), original);

        // A source change does, even deep down, even in a package called `build`, even when
        // the modification time goes backwards.
        write(root, "src/pkg/build/helper.py", "changed");
        let changed = tree_fingerprint(root).unwrap();
        assert_ne!(changed, original);
        let file = fs_err::File::options()
            .write(true)
            .open(root.join("src/pkg/__init__.py"))
            .unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(3600))
            .unwrap();
        assert_ne!(tree_fingerprint(root).unwrap(), changed);

        // So does a new file, or a removed one.
        let before = tree_fingerprint(root).unwrap();
        write(root, "src/pkg/new.py", "");
        assert_ne!(tree_fingerprint(root).unwrap(), before);
        fs_err::remove_file(root.join("src/pkg/new.py")).unwrap();
        assert_eq!(tree_fingerprint(root).unwrap(), before);
    }

    #[test]
    fn put_then_get_per_key_and_flavour() {
        let cache = Cache::temp().unwrap();
        let options = BuildOptions::default();
        let builds = BuildCache::new(cache.clone(), "cpython-3.11", &options);
        let other_python = BuildCache::new(cache.clone(), "cpython-3.12", &options);
        let with_settings = BuildCache::new(
            cache.clone(),
            "cpython-3.11",
            &BuildOptions {
                config_settings: vec![("key".to_string(), "value".to_string())],
                ..BuildOptions::default()
            },
        );
        let key = BuildKey::archive(&"AB".repeat(32));
        assert_eq!(builds.get(&key), None);

        let scratch = tempfile::tempdir().unwrap();
        let wheel = scratch.path().join("pkg-1.0-py3-none-any.whl");
        fs_err::write(&wheel, "wheel bytes").unwrap();
        let stored = builds.put(&key, &wheel).unwrap();
        assert!(stored.starts_with(cache.root().join("builds-v1/archive").join("ab".repeat(32))));
        assert_eq!(fs_err::read_to_string(&stored).unwrap(), "wheel bytes");
        assert_eq!(builds.get(&key), Some(stored));
        assert_eq!(other_python.get(&key), None);
        assert_eq!(with_settings.get(&key), None);
        assert_eq!(builds.get(&BuildKey::archive(&"cd".repeat(32))), None);

        assert_eq!(builds.get_metadata(&key), None);
        let metadata = CoreMetadata::parse(
            b"Metadata-Version: 2.2\nName: Pkg\nVersion: 1.0\nRequires-Python: >=3.8\n\
Requires-Dist: idna>=3\nRequires-Dist: pysocks; extra == 'socks'\nProvides-Extra: socks\n\
Dynamic: summary\n",
        )
        .unwrap();
        builds.put_metadata(&key, &metadata).unwrap();
        assert_eq!(builds.get_metadata(&key), Some(metadata));
        let _lock = builds.lock(&key).unwrap();
    }

    #[test]
    fn git_keys_separate_commits_and_subdirectories() {
        let url = Url::parse("https://token@host/repo.git").unwrap();
        let plain = Url::parse("https://host/repo.git").unwrap();
        let a = BuildKey::git(&url, "a", None);
        assert_eq!(a, BuildKey::git(&plain, "a", None));
        assert_ne!(a, BuildKey::git(&url, "b", None));
        assert_ne!(a, BuildKey::git(&url, "a", Some("sub")));
        assert_ne!(
            BuildKey::git(&url, "a", Some("one")),
            BuildKey::git(&url, "a", Some("two"))
        );
    }

    #[test]
    fn a_changed_tree_is_a_new_entry_and_the_old_one_goes() {
        let cache = Cache::temp().unwrap();
        let builds = BuildCache::new(cache.clone(), "cpython-3.11", &BuildOptions::default());
        let dir = tree();
        let scratch = tempfile::tempdir().unwrap();
        let wheel = |name: &str| {
            let path = scratch.path().join(name);
            fs_err::write(&path, name).unwrap();
            path
        };
        let old_key = BuildKey::directory(dir.path()).unwrap();
        let old = builds
            .put(&old_key, &wheel("pkg-1.0-py3-none-any.whl"))
            .unwrap();
        assert_eq!(BuildKey::directory(dir.path()).unwrap(), old_key);

        write(dir.path(), "src/pkg/__init__.py", "VALUE = 2\n");
        let new_key = BuildKey::directory(dir.path()).unwrap();
        assert_ne!(new_key, old_key);
        assert_eq!(builds.get(&new_key), None);
        let new = builds
            .put(&new_key, &wheel("pkg-1.0-py3-none-any.whl"))
            .unwrap();
        assert_eq!(builds.get(&new_key), Some(new));
        assert!(!old.exists());
        assert_eq!(builds.get(&old_key), None);
    }
}
