//! `volley cache clean`, `prune` and the size shown by `cache info`: removing entries by package
//! name, whole, or when they are left over.
//!
//! Entries are keyed by hashes, not names, so finding a package's entries means looking inside:
//! - `wheels-v1/<sha256>/<filename>`: the wheel file name starts with the package name as wheels
//!   spell it (`Foo_Bar-1.0-...whl`);
//! - `unpacked-v1/<sha256>/`: the unpacked tree of a removed wheel (same `<sha256>`), or any tree
//!   whose `<name>-<version>.dist-info` directory names the package;
//! - `metadata-v2/<sha256>.metadata`: of a removed wheel, or whose `Name:` header is the package;
//! - `simple-v1/<index-key>/<name>.json`: the package's index page for each index.
//!
//! Names are compared after PEP 503 normalization (lowercase, runs of `-`, `_`, `.` become `-`),
//! so `Foo_Bar`, `foo-bar` and `foo.bar` are one package.

use std::collections::HashSet;
use std::io::{self, BufRead, BufReader};
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::cache::{CACHEDIR_TAG, GITIGNORE, LOCK};
use crate::file::TEMP_PREFIX;
use crate::{Cache, CacheBucket, CacheError};

/// What a `clean` or `prune` removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CleanSummary {
    /// Files (and symlinks) removed.
    pub files: u64,
    /// Their total size in bytes.
    pub bytes: u64,
}

/// Temporary files younger than this may belong to a running volley; `prune` leaves them.
const TEMP_GRACE: Duration = Duration::from_secs(60 * 60);

impl Cache {
    /// Remove cache entries. With no `packages`, everything in the cache is removed except the
    /// root directory and its marker files. With package names, only the entries of those
    /// packages in the wheels, unpacked, metadata and simple buckets (see the module docs).
    pub fn clean(&self, packages: &[String]) -> Result<CleanSummary, CacheError> {
        let mut summary = CleanSummary::default();
        if packages.is_empty() {
            for entry in read_dir_or_empty(self.root())? {
                let entry = entry?;
                let name = entry.file_name();
                if name == CACHEDIR_TAG || name == GITIGNORE || name == LOCK {
                    continue;
                }
                remove_counted(&entry.path(), &mut summary)?;
            }
            return Ok(summary);
        }

        let names: HashSet<String> = packages.iter().map(|name| normalize(name)).collect();
        let bucket = |bucket: CacheBucket| self.root().join(bucket.dir_name());

        // Wheels first: their hashes key the unpacked trees and metadata of the same file.
        let mut removed_hashes = HashSet::new();
        for entry in read_dir_or_empty(&bucket(CacheBucket::Wheels))? {
            let entry = entry?;
            let mut matches = false;
            for file in read_dir_or_empty(&entry.path())? {
                let file_name = file?.file_name();
                if names.contains(&distribution_name(&file_name.to_string_lossy())) {
                    matches = true;
                    break;
                }
            }
            if matches {
                removed_hashes.insert(entry.file_name().to_string_lossy().into_owned());
                remove_counted(&entry.path(), &mut summary)?;
            }
        }

        for entry in read_dir_or_empty(&bucket(CacheBucket::Unpacked))? {
            let entry = entry?;
            let hash = entry.file_name().to_string_lossy().into_owned();
            let matches = removed_hashes.contains(&hash) || {
                let mut found = false;
                if entry.file_type()?.is_dir() {
                    for child in read_dir_or_empty(&entry.path())? {
                        let child_name = child?.file_name().to_string_lossy().into_owned();
                        if let Some(stem) = child_name.strip_suffix(".dist-info")
                            && names.contains(&distribution_name(stem))
                        {
                            found = true;
                            break;
                        }
                    }
                }
                found
            };
            if matches {
                remove_counted(&entry.path(), &mut summary)?;
            }
        }

        for entry in read_dir_or_empty(&bucket(CacheBucket::Metadata))? {
            let entry = entry?;
            let file_name = entry.file_name().to_string_lossy().into_owned();
            let Some(hash) = file_name.strip_suffix(".metadata") else {
                continue;
            };
            let matches = removed_hashes.contains(hash)
                || metadata_name(&entry.path())?.is_some_and(|name| names.contains(&name));
            if matches {
                remove_counted(&entry.path(), &mut summary)?;
            }
        }

        for index in read_dir_or_empty(&bucket(CacheBucket::Simple))? {
            let index = index?;
            if !index.file_type()?.is_dir() {
                continue;
            }
            for page in read_dir_or_empty(&index.path())? {
                let page = page?;
                let file_name = page.file_name().to_string_lossy().into_owned();
                if let Some(stem) = file_name.strip_suffix(".json")
                    && names.contains(&normalize(stem))
                {
                    remove_counted(&page.path(), &mut summary)?;
                }
            }
        }
        Ok(summary)
    }

    /// Remove what no current volley reads: bucket directories of older format versions (e.g.
    /// `wheels-v0` once `wheels-v1` exists) and temporary files and directories more than an hour
    /// old, left by a process that was killed. Newer versions' buckets are kept, since a newer
    /// volley may share this cache.
    pub fn prune(&self) -> Result<CleanSummary, CacheError> {
        let mut summary = CleanSummary::default();
        for entry in read_dir_or_empty(self.root())? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if is_older_bucket_version(&name) {
                remove_counted(&entry.path(), &mut summary)?;
            }
        }
        let now = SystemTime::now();
        for bucket in CacheBucket::ALL {
            prune_temporaries(&self.root().join(bucket.dir_name()), 2, now, &mut summary)?;
        }
        Ok(summary)
    }

    /// The number of files in the cache and their total size in bytes.
    pub fn size(&self) -> Result<(u64, u64), CacheError> {
        let mut summary = CleanSummary::default();
        count(self.root(), &mut summary)?;
        Ok((summary.files, summary.bytes))
    }
}

/// PEP 503 normalization: lowercase, and each run of `-`, `_` and `.` becomes one `-`.
fn normalize(name: &str) -> String {
    let mut normalized = String::with_capacity(name.len());
    let mut in_separator = false;
    for character in name.trim().chars() {
        if matches!(character, '-' | '_' | '.') {
            in_separator = true;
        } else {
            if in_separator && !normalized.is_empty() {
                normalized.push('-');
            }
            in_separator = false;
            normalized.push(character.to_ascii_lowercase());
        }
    }
    normalized
}

/// The normalized distribution name at the start of a wheel, sdist or `.dist-info` name
/// (`Foo_Bar-1.0-py3-none-any.whl` gives `foo-bar`): everything before the first `-`, since
/// those file names escape the `-` in names as `_`.
fn distribution_name(file_name: &str) -> String {
    normalize(file_name.split('-').next().unwrap_or(file_name))
}

/// The normalized `Name:` header of a cached METADATA file, if it has one.
fn metadata_name(path: &Path) -> Result<Option<String>, CacheError> {
    let file = match fs_err::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    for line in BufReader::new(file).lines() {
        let Ok(line) = line else {
            // Not UTF-8: not a METADATA file this crate can read a name from.
            return Ok(None);
        };
        if line.is_empty() {
            // The end of the headers.
            break;
        }
        if let Some((key, value)) = line.split_once(':')
            && key.eq_ignore_ascii_case("name")
        {
            return Ok(Some(normalize(value)));
        }
    }
    Ok(None)
}

/// `name` is a bucket directory of a format version older than the current one.
fn is_older_bucket_version(name: &str) -> bool {
    let Some((prefix, version)) = name.rsplit_once("-v") else {
        return false;
    };
    let Ok(version) = version.parse::<u32>() else {
        return false;
    };
    CacheBucket::ALL.iter().any(|bucket| {
        let (current_prefix, current) = bucket
            .dir_name()
            .rsplit_once("-v")
            .expect("bucket names end in -v<N>");
        prefix == current_prefix
            && current
                .parse::<u32>()
                .is_ok_and(|current| version < current)
    })
}

fn prune_temporaries(
    dir: &Path,
    depth: u32,
    now: SystemTime,
    summary: &mut CleanSummary,
) -> Result<(), CacheError> {
    for entry in read_dir_or_empty(dir)? {
        let entry = entry?;
        let is_temp = entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX);
        let metadata = match fs_err::symlink_metadata(entry.path()) {
            Ok(metadata) => metadata,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error.into()),
        };
        if is_temp {
            let age = metadata
                .modified()
                .ok()
                .and_then(|modified| now.duration_since(modified).ok())
                .unwrap_or_default();
            if age > TEMP_GRACE {
                remove_counted(&entry.path(), summary)?;
            }
        } else if depth > 0 && metadata.is_dir() {
            prune_temporaries(&entry.path(), depth - 1, now, summary)?;
        }
    }
    Ok(())
}

/// The entries of `dir`, or none if it does not exist (a bucket never written to).
fn read_dir_or_empty(
    dir: &Path,
) -> Result<Box<dyn Iterator<Item = io::Result<fs_err::DirEntry>>>, CacheError> {
    match fs_err::read_dir(dir) {
        Ok(entries) => Ok(Box::new(entries)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(Box::new(std::iter::empty())),
        Err(error) => Err(error.into()),
    }
}

/// Add the files under `path` (or `path` itself) to `summary`, without following symlinks.
fn count(path: &Path, summary: &mut CleanSummary) -> Result<(), CacheError> {
    let metadata = match fs_err::symlink_metadata(path) {
        Ok(metadata) => metadata,
        // Removed meanwhile by another process.
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    if metadata.is_dir() {
        for entry in read_dir_or_empty(path)? {
            count(&entry?.path(), summary)?;
        }
    } else {
        summary.files += 1;
        summary.bytes += metadata.len();
    }
    Ok(())
}

/// Remove `path` (a file, symlink or directory tree) and add what it held to `summary`.
fn remove_counted(path: &Path, summary: &mut CleanSummary) -> Result<(), CacheError> {
    let mut removed = CleanSummary::default();
    count(path, &mut removed)?;
    let result = match fs_err::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => fs_err::remove_dir_all(path),
        Ok(_) => fs_err::remove_file(path),
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(error.into()),
    }
    tracing::debug!("removed {}", path.display());
    summary.files += removed.files;
    summary.bytes += removed.bytes;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::write_atomic;

    const FLASK: &str = "aaaa0000";
    const FOO_BAR: &str = "bbbb1111";
    const CLICK: &str = "cccc2222";

    /// A cache with entries of three packages in every bucket that `clean` looks at.
    fn populated() -> Cache {
        let cache = Cache::temp().unwrap();
        let put = |bucket, key: &str, content: &str| {
            write_atomic(&cache.entry(bucket, key), content.as_bytes()).unwrap();
        };
        put(
            CacheBucket::Wheels,
            &format!("{FLASK}/Flask-3.0.0-py3-none-any.whl"),
            "flask wheel",
        );
        put(
            CacheBucket::Wheels,
            &format!("{FOO_BAR}/foo_bar-1.0-py3-none-any.whl"),
            "foo wheel",
        );
        put(
            CacheBucket::Wheels,
            &format!("{CLICK}/click-8.1.7-py3-none-any.whl"),
            "click wheel",
        );
        put(
            CacheBucket::Unpacked,
            &format!("{FLASK}/flask/__init__.py"),
            "",
        );
        put(
            CacheBucket::Unpacked,
            &format!("{FLASK}/flask-3.0.0.dist-info/METADATA"),
            "Name: Flask\n",
        );
        put(
            CacheBucket::Unpacked,
            &format!("{CLICK}/click-8.1.7.dist-info/METADATA"),
            "Name: click\n",
        );
        // An unpacked tree whose wheel is gone: found through its .dist-info name.
        put(
            CacheBucket::Unpacked,
            "dddd3333/Foo.Bar-0.9.dist-info/METADATA",
            "Name: Foo.Bar\n",
        );
        put(
            CacheBucket::Metadata,
            &format!("{FLASK}.metadata"),
            "Metadata-Version: 2.1\nName: Flask\n",
        );
        put(
            CacheBucket::Metadata,
            &format!("{CLICK}.metadata"),
            "Metadata-Version: 2.1\nName: click\n",
        );
        // The metadata of an sdist: found through its Name header.
        put(
            CacheBucket::Metadata,
            "eeee4444.metadata",
            "Metadata-Version: 2.1\nName: foo_bar\n\nName: not-a-header\n",
        );
        put(CacheBucket::Simple, "0123456789abcdef/flask.json", "{}");
        put(CacheBucket::Simple, "0123456789abcdef/foo-bar.json", "{}");
        put(CacheBucket::Simple, "fedcba9876543210/foo-bar.json", "{}");
        put(CacheBucket::Simple, "fedcba9876543210/click.json", "{}");
        put(CacheBucket::Interpreter, "1111222233334444.json", "{}");
        cache
    }

    /// Every file under the cache root, relative, sorted.
    fn files(cache: &Cache) -> Vec<String> {
        fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
            for entry in fs_err::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, root, out);
                } else {
                    out.push(path.strip_prefix(root).unwrap().display().to_string());
                }
            }
        }
        let mut out = Vec::new();
        walk(cache.root(), cache.root(), &mut out);
        out.sort();
        out
    }

    #[test]
    fn clean_by_name_removes_every_entry_of_the_package() {
        let cache = populated();
        let (files_before, bytes_before) = cache.size().unwrap();
        let summary = cache
            .clean(&["FOO.bar".to_string(), "flask".to_string()])
            .unwrap();
        insta::assert_snapshot!(files(&cache).join("\n"), @r"
        .gitignore
        CACHEDIR.TAG
        interpreter-v1/1111222233334444.json
        metadata-v2/cccc2222.metadata
        simple-v1/fedcba9876543210/click.json
        unpacked-v1/cccc2222/click-8.1.7.dist-info/METADATA
        wheels-v1/cccc2222/click-8.1.7-py3-none-any.whl
        ");
        let (files_after, bytes_after) = cache.size().unwrap();
        assert_eq!(summary.files, files_before - files_after);
        assert_eq!(summary.bytes, bytes_before - bytes_after);
    }

    #[test]
    fn clean_of_an_unknown_package_removes_nothing() {
        let cache = populated();
        let before = files(&cache);
        let summary = cache
            .clean(&["django".to_string(), "fla".to_string()])
            .unwrap();
        assert_eq!(summary, CleanSummary::default());
        assert_eq!(files(&cache), before);
    }

    #[test]
    fn clean_everything_keeps_root_and_markers() {
        let cache = populated();
        let (files_before, bytes_before) = cache.size().unwrap();
        let marker_bytes = fs_err::metadata(cache.root().join(CACHEDIR_TAG))
            .unwrap()
            .len()
            + fs_err::metadata(cache.root().join(GITIGNORE))
                .unwrap()
                .len();
        let summary = cache.clean(&[]).unwrap();
        assert_eq!(files(&cache), [".gitignore", "CACHEDIR.TAG"]);
        assert_eq!(summary.files, files_before - 2);
        assert_eq!(summary.bytes, bytes_before - marker_bytes);
        // The cache is usable again right away.
        assert!(cache.bucket(CacheBucket::Wheels).is_dir());
    }

    #[test]
    fn clean_of_an_empty_cache() {
        let cache = Cache::temp().unwrap();
        assert_eq!(
            cache.clean(&["flask".to_string()]).unwrap(),
            CleanSummary::default()
        );
        assert_eq!(cache.clean(&[]).unwrap(), CleanSummary::default());
    }

    #[test]
    fn size_counts_files_and_bytes() {
        let cache = Cache::temp().unwrap();
        let (files, bytes) = cache.size().unwrap();
        assert_eq!(files, 2);
        write_atomic(&cache.entry(CacheBucket::Wheels, "x/y.whl"), b"12345").unwrap();
        assert_eq!(cache.size().unwrap(), (files + 1, bytes + 5));
    }

    #[test]
    fn prune_removes_old_buckets_and_stale_temporaries() {
        let cache = Cache::temp().unwrap();
        let old_wheel = cache.root().join("wheels-v0/abc/x-1.0-py3-none-any.whl");
        write_atomic(&old_wheel, b"old").unwrap();
        let newer = cache.root().join("wheels-v2/abc/x-1.0-py3-none-any.whl");
        write_atomic(&newer, b"newer").unwrap();
        let kept = cache.entry(CacheBucket::Wheels, "abc/x-1.0-py3-none-any.whl");
        write_atomic(&kept, b"current").unwrap();

        let wheel_dir = cache.bucket(CacheBucket::Wheels).join("abc");
        let stale = crate::temp_file_in(&wheel_dir).unwrap().keep().unwrap().1;
        let fresh = crate::temp_file_in(&wheel_dir).unwrap().keep().unwrap().1;
        let stale_dir: PathBuf = crate::temp_dir_in(&cache.bucket(CacheBucket::Unpacked))
            .unwrap()
            .keep();
        fs_err::write(stale_dir.join("partial.py"), "12").unwrap();
        let long_ago = SystemTime::now() - Duration::from_secs(2 * 60 * 60);
        for path in [&stale, &stale_dir] {
            fs_err::File::options()
                .read(true)
                .open(path)
                .unwrap()
                .set_modified(long_ago)
                .unwrap();
        }

        let summary = cache.prune().unwrap();
        assert_eq!(summary, CleanSummary { files: 3, bytes: 5 });
        assert!(!cache.root().join("wheels-v0").exists());
        assert!(newer.exists());
        assert!(kept.exists());
        assert!(!stale.exists());
        assert!(fresh.exists());
        assert!(!stale_dir.exists());
    }

    #[test]
    fn names_are_normalized() {
        assert_eq!(normalize("Foo__Bar.-baz"), "foo-bar-baz");
        assert_eq!(distribution_name("Foo_Bar-1.0-py3-none-any.whl"), "foo-bar");
        assert_eq!(
            distribution_name("zope.interface-6.0.dist-info"),
            "zope-interface"
        );
        assert!(is_older_bucket_version("wheels-v0"));
        assert!(!is_older_bucket_version("wheels-v1"));
        assert!(!is_older_bucket_version("wheels-v2"));
        assert!(!is_older_bucket_version("somebody-v0"));
    }
}
