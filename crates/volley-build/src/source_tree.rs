//! A directory to build from, and its `pyproject.toml`.

use std::path::{Path, PathBuf};

use crate::BuildError;

/// A directory holding a Python project: `pyproject.toml` and/or `setup.py` at its root. A local
/// checkout, or an sdist unpacked by [`crate::unpack_sdist`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceTree {
    pub path: PathBuf,
}

impl SourceTree {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }
}

/// The parsed `pyproject.toml` of `tree`, or `None` when it has none.
pub(crate) fn load_pyproject(tree: &Path) -> Result<Option<toml::Table>, BuildError> {
    let path = tree.join("pyproject.toml");
    if !path.is_file() {
        return Ok(None);
    }
    let content = fs_err::read_to_string(&path)?;
    content
        .parse::<toml::Table>()
        .map(Some)
        .map_err(|error| BuildError::PyprojectToml {
            path,
            message: error.to_string().trim_end().to_string(),
        })
}
