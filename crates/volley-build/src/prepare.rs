//! [`prepare`]: one call from a [`DirectSource`] to what resolving and installing it need —
//! its metadata, a wheel when asked for, and its `direct_url.json`.
//!
//! What each source costs, cheapest first:
//! - a wheel (local or downloaded) is used as is; its `METADATA` is read from the zip;
//! - an sdist is keyed by its sha256: cached metadata or a cached built wheel means it is not
//!   even unpacked; else it is unpacked into `out_dir` and its metadata read statically
//!   (`PKG-INFO` 2.2+, a static `[project]` table) or prepared by the backend;
//! - a local directory: static metadata straight from the tree; else the build cache, keyed by
//!   a fingerprint of the tree taken *before* any build (backends write into the tree);
//! - a git source: checked out in the cache ([`Git`]), then as a directory, keyed by commit;
//! - an editable directory: its wheel is always built (PEP 660, never cached), into `out_dir`.
//!
//! A wheel is built only when [`PrepareContext::need_wheel`] says so; then the metadata comes
//! from the wheel, since that is what gets installed. Work on one cache entry holds its lock,
//! so two processes preparing the same sdist build it once.
//!
//! Traps:
//! - a hash in the reference (`#sha256=...`) is checked against the file before anything is
//!   unpacked; for downloads, the downloader is handed the hash and must check it too (it
//!   knows algorithms volley does not compute here, such as md5);
//! - a build requirement may itself need preparing (an sdist-only build dependency): the
//!   [`crate::BuildRequirementsInstaller`] may call back into [`prepare`], but a build that
//!   needs itself would wait for its own lock forever; the installer must refuse such cycles.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use url::Url;
use volley_packaging::{CoreMetadata, HashAlgorithm, HashDigest, SourceDistExtension};

use crate::builder::wheel_metadata;
use crate::source::{Archive, archive_kind};
use crate::static_metadata::{from_pkg_info, from_pyproject};
use crate::{
    BuildCache, BuildError, BuildKey, DirectSource, Git, ResolvedSource, SourceBuilder, SourceTree,
    direct_url_json, redact_url, unpack_sdist,
};

/// A file the downloader fetched for a URL source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// Where the file is; it must stay there while the prepared source is used.
    pub path: PathBuf,
    /// The lowercase hex sha256 of the file.
    pub sha256: String,
}

/// Downloads a URL source (the binary's HTTP client, with its cache): given the URL and the
/// hash the reference carries (to check while downloading), returns the local file; the error
/// is shown after `downloading URL failed: `.
pub type Download = dyn Fn(&Url, Option<&HashDigest>) -> Result<Downloaded, String> + Send + Sync;

/// What [`prepare`] works with. Cheap to clone.
#[derive(Clone)]
pub struct PrepareContext {
    /// Builds metadata and wheels.
    pub builder: SourceBuilder,
    /// Built wheels and prepared metadata from earlier runs.
    pub build_cache: BuildCache,
    /// Fetches git sources.
    pub git: Git,
    /// Fetches URL sources.
    pub download: Arc<Download>,
    /// Whether a wheel is needed (installing, `volley wheel`) or only the metadata
    /// (resolving): without it, nothing is built that can be avoided.
    pub need_wheel: bool,
}

impl fmt::Debug for PrepareContext {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("PrepareContext")
            .field("builder", &self.builder)
            .field("build_cache", &self.build_cache)
            .field("git", &self.git)
            .field("need_wheel", &self.need_wheel)
            .finish_non_exhaustive()
    }
}

/// A direct reference, ready to resolve and install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedSource {
    pub metadata: CoreMetadata,
    /// The wheel to install: the given one, or built (in the build cache), or for an editable
    /// the editable wheel (in `out_dir`). `None` when no wheel was needed nor at hand.
    pub wheel: Option<PathBuf>,
    /// The `direct_url.json` to write into the installed `.dist-info`.
    pub direct_url: String,
    /// The source tree, when one was used: the directory, the git checkout (subdirectory
    /// applied), or the sdist unpacked into `out_dir`.
    pub tree: Option<PathBuf>,
    /// What the source resolved to (archive hash, git commit).
    pub resolved: ResolvedSource,
}

/// Prepares `source` (see the module documentation). `out_dir` (created when missing) receives
/// unpacked sdists and editable wheels; the caller owns it and removes it when done with the
/// result.
pub fn prepare(
    source: &DirectSource,
    context: &PrepareContext,
    out_dir: &Path,
) -> Result<PreparedSource, BuildError> {
    fs_err::create_dir_all(out_dir)?;
    let (parts, resolved) = match source {
        DirectSource::LocalDirectory {
            path,
            editable: true,
        } => {
            let parts = if context.need_wheel {
                let wheel = context
                    .builder
                    .build_editable(&SourceTree::new(path), &scratch(out_dir, "editable-")?)?;
                Parts {
                    metadata: wheel_metadata(&wheel)?,
                    wheel: Some(wheel),
                    tree: Some(path.clone()),
                }
            } else {
                from_tree(context, path, || BuildKey::directory(path), out_dir)?
            };
            (parts, ResolvedSource::Directory)
        }
        DirectSource::LocalDirectory {
            path,
            editable: false,
        } => (
            from_tree(context, path, || BuildKey::directory(path), out_dir)?,
            ResolvedSource::Directory,
        ),
        DirectSource::LocalArchive { path, hash } => {
            let sha256 = file_digest(path, HashAlgorithm::Sha256)?;
            if let Some(expected) = hash {
                let actual = if expected.algorithm == HashAlgorithm::Sha256 {
                    sha256.clone()
                } else {
                    file_digest(path, expected.algorithm)?
                };
                check_hash(expected, &actual, || path.display().to_string())?;
            }
            (
                from_archive(context, path, &sha256, out_dir)?,
                ResolvedSource::Archive { sha256 },
            )
        }
        DirectSource::Url { url, hash } => {
            let downloaded =
                (context.download)(url, hash.as_ref()).map_err(|message| BuildError::Download {
                    url: redact_url(url),
                    message,
                })?;
            let sha256 = downloaded.sha256.to_ascii_lowercase();
            if let Some(expected) = hash
                && expected.algorithm == HashAlgorithm::Sha256
            {
                check_hash(expected, &sha256, || redact_url(url))?;
            }
            (
                from_archive(context, &downloaded.path, &sha256, out_dir)?,
                ResolvedSource::Archive { sha256 },
            )
        }
        DirectSource::Git {
            repository,
            rev,
            subdirectory,
        } => {
            let checkout =
                context
                    .git
                    .checkout(repository, rev.as_deref(), subdirectory.as_deref())?;
            let key = BuildKey::git(repository, &checkout.commit, subdirectory.as_deref());
            (
                from_tree(context, &checkout.path, || Ok(key), out_dir)?,
                ResolvedSource::Git {
                    commit: checkout.commit,
                },
            )
        }
    };
    Ok(PreparedSource {
        metadata: parts.metadata,
        wheel: parts.wheel,
        direct_url: direct_url_json(source, &resolved),
        tree: parts.tree,
        resolved,
    })
}

/// What preparing found, before `direct_url.json` is written.
struct Parts {
    metadata: CoreMetadata,
    wheel: Option<PathBuf>,
    tree: Option<PathBuf>,
}

/// A project directory (local, or a git checkout); `key` is computed only when the build
/// cache is consulted, and before any build.
fn from_tree(
    context: &PrepareContext,
    tree: &Path,
    key: impl FnOnce() -> Result<BuildKey, BuildError>,
    out_dir: &Path,
) -> Result<Parts, BuildError> {
    if !context.need_wheel
        && let Some(metadata) = static_metadata(tree)?
    {
        return Ok(Parts {
            metadata,
            wheel: None,
            tree: Some(tree.to_path_buf()),
        });
    }
    let key = key()?;
    let _lock = context.build_cache.lock(&key)?;
    if let Some(parts) = cached(context, &key)? {
        return Ok(Parts {
            tree: Some(tree.to_path_buf()),
            ..parts
        });
    }
    build(context, tree, &key, out_dir)
}

/// A wheel or an sdist file whose sha256 is `sha256`.
fn from_archive(
    context: &PrepareContext,
    path: &Path,
    sha256: &str,
    out_dir: &Path,
) -> Result<Parts, BuildError> {
    let filename = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    if archive_kind(&filename) == Some(Archive::Wheel) {
        return Ok(Parts {
            metadata: wheel_metadata(path)?,
            wheel: Some(path.to_path_buf()),
            tree: None,
        });
    }
    let key = BuildKey::archive(sha256);
    let _lock = context.build_cache.lock(&key)?;
    if let Some(parts) = cached(context, &key)? {
        return Ok(parts);
    }
    let stem = SourceDistExtension::split(&filename).map_or(filename.as_str(), |(stem, _)| stem);
    let tree = unpack_sdist(path, &scratch(out_dir, &format!("{stem}-"))?)?;
    build(context, &tree.path, &key, out_dir)
}

/// What the build cache already has for `key`: the metadata when that is all that is needed,
/// else a built wheel (and its metadata).
fn cached(context: &PrepareContext, key: &BuildKey) -> Result<Option<Parts>, BuildError> {
    let cache = &context.build_cache;
    if !context.need_wheel
        && let Some(metadata) = cache.get_metadata(key)
    {
        tracing::debug!("cached metadata for {}", metadata.name);
        return Ok(Some(Parts {
            metadata,
            wheel: None,
            tree: None,
        }));
    }
    match cache.get(key) {
        Some(wheel) => {
            tracing::debug!("cached build {}", wheel.display());
            Ok(Some(Parts {
                metadata: wheel_metadata(&wheel)?,
                wheel: Some(wheel),
                tree: None,
            }))
        }
        None => Ok(None),
    }
}

/// Builds the wheel of `tree` (or only its metadata) and stores the result under `key`.
fn build(
    context: &PrepareContext,
    tree: &Path,
    key: &BuildKey,
    out_dir: &Path,
) -> Result<Parts, BuildError> {
    let source = SourceTree::new(tree);
    if context.need_wheel {
        let scratch = tempfile::Builder::new()
            .prefix("wheel-")
            .tempdir_in(out_dir)?;
        let built = context.builder.build_wheel(&source, scratch.path())?;
        let metadata = wheel_metadata(&built)?;
        let wheel = context.build_cache.put(key, &built)?;
        return Ok(Parts {
            metadata,
            wheel: Some(wheel),
            tree: Some(tree.to_path_buf()),
        });
    }
    let metadata = context.builder.metadata(&source)?;
    context.build_cache.put_metadata(key, &metadata)?;
    Ok(Parts {
        metadata,
        wheel: None,
        tree: Some(tree.to_path_buf()),
    })
}

/// Metadata read from the tree without running anything, if it is reliable there.
fn static_metadata(tree: &Path) -> Result<Option<CoreMetadata>, BuildError> {
    if let Some(metadata) = from_pyproject(tree)? {
        return Ok(Some(metadata));
    }
    from_pkg_info(tree)
}

/// A new directory in `out_dir`, kept (the caller removes `out_dir`).
fn scratch(out_dir: &Path, prefix: &str) -> Result<PathBuf, BuildError> {
    Ok(tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(out_dir)?
        .keep())
}

fn check_hash(
    expected: &HashDigest,
    actual: &str,
    origin: impl FnOnce() -> String,
) -> Result<(), BuildError> {
    if expected.digest == actual {
        return Ok(());
    }
    Err(BuildError::HashMismatch {
        origin: origin(),
        expected: expected.to_string(),
        actual: format!("{}:{actual}", expected.algorithm),
    })
}

/// The lowercase hex digest of the file at `path`.
fn file_digest(path: &Path, algorithm: HashAlgorithm) -> Result<String, BuildError> {
    fn digest<D: Digest>(mut file: impl Read) -> std::io::Result<String> {
        let mut hasher = D::new();
        let mut buffer = vec![0; 64 * 1024];
        loop {
            let read = file.read(&mut buffer)?;
            if read == 0 {
                return Ok(hex::encode(hasher.finalize()));
            }
            hasher.update(&buffer[..read]);
        }
    }
    let file = fs_err::File::open(path)?;
    match algorithm {
        HashAlgorithm::Sha224 => Ok(digest::<Sha224>(file)?),
        HashAlgorithm::Sha256 => Ok(digest::<Sha256>(file)?),
        HashAlgorithm::Sha384 => Ok(digest::<Sha384>(file)?),
        HashAlgorithm::Sha512 => Ok(digest::<Sha512>(file)?),
        HashAlgorithm::Md5 | HashAlgorithm::Sha1 => Err(BuildError::DirectReference {
            input: path.display().to_string(),
            reason: format!("volley cannot check {algorithm} hashes of local files: use sha256"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_digests() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        fs_err::write(&path, "abc").unwrap();
        assert_eq!(
            file_digest(&path, HashAlgorithm::Sha256).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            file_digest(&path, HashAlgorithm::Sha224).unwrap(),
            "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"
        );
        let error = file_digest(&path, HashAlgorithm::Md5)
            .unwrap_err()
            .to_string();
        assert!(error.ends_with("volley cannot check md5 hashes of local files: use sha256"));
        let expected = HashDigest::sha256("00");
        let error = check_hash(&expected, "ab", || "here".to_string()).unwrap_err();
        insta::assert_snapshot!(error, @"hash mismatch for here: expected sha256:00, got sha256:ab");
    }
}
