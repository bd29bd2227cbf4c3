//! The on-disk cache that volley shares between runs and between concurrent processes.
//!
//! Start with [`Cache`]: a root directory (`Cache::from_path`, or `Cache::temp` for
//! `--no-cache`) holding one versioned directory per [`CacheBucket`]. Each bucket's layout is
//! documented on its variant. Files get into the cache through [`write_atomic`] or
//! [`temp_file_in`] + [`persist_atomic`], so a reader never sees half a file; work that must not
//! run twice at once (building the same sdist, unpacking the same wheel) takes a [`LockedFile`].
//!
//! This crate knows nothing of HTTP or packaging: keys are computed by its callers (a sha256 of
//! a file, [`cache_key`] of a URL).
//!
//! Traps:
//! - Several volley processes may share one cache. A rename is atomic, but two processes can both
//!   finish the same download; [`persist_atomic`] treats "the other one won with the same bytes"
//!   as success.
//! - Temporary files live in the directory of their final path, so the rename never crosses a
//!   filesystem.
//! - Every format carries a version in its bucket directory name (`wheels-v1`); a change of
//!   format is a new bucket, and `prune` removes the old ones.
//! - Removing entries (`clean`, `prune`) under a running install would make it fail: runs hold
//!   `<root>/.lock` shared ([`Cache::lock_shared`]), and removal takes it exclusively
//!   ([`Cache::lock_exclusive`]), so each waits for the other.
//! - `--no-cache` directories are `volley-cache-<pid>-*` in the system's temporary directory, so
//!   that those of killed processes can be found and removed ([`remove_stale_temp_dirs`]).
//! - A key derived from what an entry was made from does not vouch for the entry's bytes: such
//!   entries are [`seal`]ed with their own sha256 and checked by [`unseal`] when read.

mod bucket;
mod cache;
mod error;
mod file;
mod key;
mod lock;
mod management;
mod sealed;

pub use bucket::CacheBucket;
pub use cache::{Cache, remove_own_temp_dirs, remove_stale_temp_dirs};
pub use error::CacheError;
pub use file::{persist_atomic, same_content, temp_dir_in, temp_file_in, write_atomic};
pub use key::cache_key;
pub use lock::LockedFile;
pub use management::CleanSummary;
pub use sealed::{seal, unseal};
