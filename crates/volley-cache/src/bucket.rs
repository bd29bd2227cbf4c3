//! The cache's buckets: one directory per kind of content, each with a versioned name.

use std::fmt;

/// A kind of cached content and the directory it lives in under the cache root.
///
/// The directory name carries a format version; when the layout or the file format of a bucket
/// changes, its version goes up and the old directory is left for `volley cache prune`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CacheBucket {
    /// Index pages (PEP 503 HTML or PEP 691 JSON) with the response headers that decide their
    /// HTTP caching (`Cache-Control`, `Expires`, `Date`, `Age`, `ETag`, `Last-Modified`, ...),
    /// so that a later run uses a fresh page without a request and revalidates a stale one.
    ///
    /// Layout: `simple-v1/<index-url-key>/<package>.json`, where `<index-url-key>` is
    /// [`cache_key`](crate::cache_key) of the index URL and `<package>` the normalized name. The
    /// file is one JSON object: `format` (2; an entry of another format is ignored and
    /// replaced), `request_url`, `url` (after redirects), `request_headers`, `status`,
    /// `response_headers` (name/value pairs), `response_time` (ms since the Unix epoch) and
    /// `body` (the page as text). A remote find-links page is stored the same way as
    /// `simple-v1/<page-url-key>/_find-links.json` (`_` keeps it apart from project names).
    /// Version 1 of the client wrote `<package>.page` files here; they are never read.
    Simple,
    /// Core metadata (`METADATA`) of a distribution file, however it was obtained (a PEP 658
    /// `.metadata` file, a range request into the wheel, the whole wheel, or an sdist's
    /// `prepare_metadata_for_build_wheel`).
    ///
    /// Layout: `metadata-v2/<sha256>.metadata`, where `<sha256>` is the hex sha256 of the
    /// distribution file that the metadata belongs to (not of the metadata itself); or, when
    /// the index gives no hash for the file but one for its PEP 658 `.metadata` file, the hex
    /// sha256 of that `.metadata` file (whose bytes the entry's content then is exactly).
    /// The file is [`seal`](crate::seal)ed: a first line names the sha256 of the `METADATA`
    /// bytes that follow, checked when read, so that a truncated copy (which may still parse,
    /// short of some `Requires-Dist` lines) is fetched again. Version 1 held the bare bytes.
    Metadata,
    /// Downloaded wheel files, exactly as served.
    ///
    /// Layout: `wheels-v1/<sha256>/<filename>`, where `<sha256>` is the hex sha256 of the wheel
    /// and `<filename>` its file name (e.g. `Flask-3.0.0-py3-none-any.whl`). Next to it,
    /// `<filename>.verified` records (JSON: `size`, `modified_secs`, `modified_nanos`) what
    /// the file looked like when its hash was last checked; a file that no longer matches its
    /// sidecar is hashed again before use.
    Wheels,
    /// Unpacked wheels, ready to be linked into an environment.
    ///
    /// Layout: `unpacked-v1/<sha256>/`, where `<sha256>` is the hex sha256 of the wheel file and
    /// the directory holds the wheel's tree (its packages and `<name>-<version>.dist-info/`).
    /// The directory is renamed into place only when it is complete.
    Unpacked,
    /// Facts about a Python interpreter (marker environment, tags, scheme paths).
    ///
    /// Layout: `interpreter-v1/<key>.json`, where `<key>` is [`cache_key`](crate::cache_key) of
    /// the interpreter's path; the JSON records the modification time it was computed for.
    Interpreter,
    /// Wheels built from source distributions and source trees, and the metadata their
    /// backends prepared (`prepare_metadata_for_build_wheel`), so that a second install builds
    /// nothing. Editable wheels are never cached: they are cheap and point into the tree.
    ///
    /// Layout: `builds-v1/<source>/<flavour>/`, holding the built `<wheel filename>` and/or
    /// `METADATA`, with a `<flavour>.lock` next to it taken while building. `<source>` is
    /// - `archive/<sha256>` for an sdist, by the hex sha256 of the archive;
    /// - `git/<repository-key>/<commit>` (or `<commit>-<subdirectory-key>`) for a git
    ///   checkout, `<repository-key>` as in [`CacheBucket::Git`], the subdirectory keyed by
    ///   [`cache_key`](crate::cache_key);
    /// - `path/<path-key>/<fingerprint>` for a local directory: [`cache_key`](crate::cache_key)
    ///   of its absolute path, then a digest of the relative path, size and modification time
    ///   of every file in the tree (VCS metadata, caches, virtual environments and build
    ///   outputs left out), so any change to the tree is a new entry; older fingerprints of the
    ///   same path are removed when a new one is stored.
    ///
    /// `<flavour>` is a [`cache_key`](crate::cache_key) of what the build depends on besides
    /// the source: the target interpreter, build isolation, config settings and build
    /// constraints. The keys are computed by `volley-build` (`BuildCache`).
    Builds,
    /// Git repositories fetched for `git+` requirements, and checkouts of their commits.
    ///
    /// Layout: `git-v1/db/<repository-key>/` is a bare repository per remote, where
    /// `<repository-key>` is [`cache_key`](crate::cache_key) of the repository URL without
    /// its credentials and trailing `/`; `git-v1/db/<repository-key>.lock` is held while it is
    /// fetched into or checked out from. `git-v1/checkouts/<repository-key>/<commit>/` is a
    /// working tree at that full commit hash (submodules included), renamed into place once
    /// complete and marked by `.git/volley-ok`; a checkout is never updated, so it is reused
    /// as is.
    Git,
}

impl CacheBucket {
    /// Every bucket, in a fixed order.
    pub const ALL: [CacheBucket; 7] = [
        Self::Simple,
        Self::Metadata,
        Self::Wheels,
        Self::Unpacked,
        Self::Interpreter,
        Self::Builds,
        Self::Git,
    ];

    /// The directory name under the cache root, e.g. `wheels-v1`.
    pub fn dir_name(self) -> &'static str {
        match self {
            Self::Simple => "simple-v1",
            Self::Metadata => "metadata-v2",
            Self::Wheels => "wheels-v1",
            Self::Unpacked => "unpacked-v1",
            Self::Interpreter => "interpreter-v1",
            Self::Builds => "builds-v1",
            Self::Git => "git-v1",
        }
    }
}

impl fmt::Display for CacheBucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.dir_name())
    }
}
