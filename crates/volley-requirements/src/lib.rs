//! pip's requirements-file format (`-r requirements.txt`, `-c constraints.txt`), read into
//! packaging types, without touching the network.
//!
//! Start with [`RequirementsTxt::parse_file`]: it reads a file and the files it includes and
//! returns the requirements ([`RequirementEntry`]: a PEP 508 [`RequirementSpec::Named`] or one of
//! pip's path/URL forms, [`RequirementSpec::Unnamed`], with its `--hash` values), the
//! constraints, the editables, and the global options (index URLs, find-links, `--pre`, binary
//! choices, ...). Several `-r` files on the command line are combined with
//! [`RequirementsTxt::merge`].
//!
//! The format is pip's, including its corners (see pip's "Requirements File Format" reference
//! and `req_file.py`):
//! - continuations (`\` at the end of a line) are joined before comments are stripped, and a
//!   comment line ends a continuation; a `#` starts a comment only at the start of a line or
//!   after whitespace, so URL fragments survive;
//! - `${NAME}` (uppercase, digits, `_`) is expanded from the variables the caller passes; the
//!   library never reads the process environment, and an unset variable stays as written;
//! - a line is a requirement followed by options; the split is at the first token starting with
//!   `-`, and only the options are shell-split, because markers hold quotes;
//! - nested `-r`/`-c` paths are relative to the including file; a file including itself is an
//!   error naming the chain; remote (`http(s):`) files are not fetched.
//!
//! Every error names the file and the line, e.g.
//! `error in requirements.txt line 3: invalid requirement "flask>=": ...`.
//!
//! PEP 751 lock files (`pylock.toml`) are read and written by [`Pylock`]; [`is_pylock_path`]
//! tells them from requirements files by name.

mod encoding;
mod error;
mod include;
mod line;
mod location;
mod option;
mod pylock;
mod requirement;
mod requirements_txt;

pub use error::RequirementsError;
pub use location::{Located, Origin};
pub use option::apply_binary_choice;
pub use pylock::{
    LockedArchive, LockedDependency, LockedDirectory, LockedFile, LockedPackage, LockedVcs, Pylock,
    PylockError, PylockLocation, UploadTime, is_pylock_path,
};
pub use requirement::{RequirementEntry, RequirementSpec};
pub use requirements_txt::{MAX_NESTING, RequirementsTxt};
