//! Where a line of a requirements file came from, so that every message can point at it.

use std::fmt;
use std::path::PathBuf;

/// A requirements file and a line number in it (1-based; a line continued with `\` takes the
/// number of its first physical line, as in pip).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The file as it was named: the path given to the parser, or a nested `-r`/`-c` path
    /// joined to the directory of the file that named it.
    pub path: PathBuf,
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}", self.path.display(), self.line)
    }
}

/// A value and the line it was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T: fmt::Display> fmt::Display for Located<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.origin, self.value)
    }
}
