//! Path arithmetic without touching the filesystem.
//!
//! Archive entry names are untrusted: [`normalize_entry`] turns one into a safe relative path or
//! says why it is not one (absolute, escaping with `..`, a backslash or NUL). RECORD paths are
//! relative to the site-packages directory that holds the `.dist-info` directory, and reach the
//! other scheme directories with `..` (`../../../bin/tool`): [`relative_path`] computes them and
//! [`normalize`] resolves them back, both lexically, as pip does (symlinks are not followed, so
//! `lib64 -> lib` stays as written).

use std::path::{Component, Path, PathBuf};

/// Why an archive entry name is not a safe relative path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EntryPathProblem {
    Absolute,
    Escapes,
    Unportable(&'static str),
}

/// Normalizes a `/`-separated archive entry name: empty and `.` parts are dropped, `..` removes
/// the part before it. Returns the parts of the normalized path (empty for the archive root).
pub(crate) fn normalize_entry(name: &str) -> Result<Vec<&str>, EntryPathProblem> {
    if name.starts_with('/') {
        return Err(EntryPathProblem::Absolute);
    }
    if name.contains('\0') {
        return Err(EntryPathProblem::Unportable("it contains a NUL character"));
    }
    if name.contains('\\') {
        // A backslash is a separator on Windows: `..\\..\\x` would escape there.
        return Err(EntryPathProblem::Unportable("it contains a backslash"));
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err(EntryPathProblem::Absolute);
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(EntryPathProblem::Escapes);
                }
            }
            part => parts.push(part),
        }
    }
    Ok(parts)
}

/// Resolves `.` and `..` lexically. `..` at the root stays at the root.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut normalized = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                // `..` at the root stays at the root; a relative path keeps its leading `..`.
                if !normalized.pop() && !normalized.has_root() {
                    normalized.push(component);
                }
            }
            component => normalized.push(component),
        }
    }
    normalized
}

/// The path of `target` relative to the directory `base`, `/`-separated, with `..` where needed.
/// Both are normalized first; when they share no root (Windows drives) `target` is returned.
pub(crate) fn relative_path(base: &Path, target: &Path) -> String {
    // Most files of an install lie inside the base, and both paths are normalized already.
    if let Some(inside) = relative_inside(base, target) {
        return inside;
    }
    let base = normalize(base);
    let target = normalize(target);
    let base_parts: Vec<Component> = base.components().collect();
    let target_parts: Vec<Component> = target.components().collect();
    let common = base_parts
        .iter()
        .zip(&target_parts)
        .take_while(|(a, b)| a == b)
        .count();
    if common == 0 && base.has_root() {
        return target.to_string_lossy().replace('\\', "/");
    }
    let mut parts: Vec<String> = vec!["..".to_string(); base_parts.len() - common];
    parts.extend(
        target_parts[common..]
            .iter()
            .map(|part| part.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// [`relative_path`] for the common case, by comparing bytes: `target` inside `base`, both
/// absolute, without `.`, `..` or empty parts, `target`'s relative part valid UTF-8.
#[cfg(unix)]
fn relative_inside(base: &Path, target: &Path) -> Option<String> {
    use std::os::unix::ffi::OsStrExt;
    let plain = |path: &[u8]| {
        path.split(|&byte| byte == b'/')
            .all(|part| !part.is_empty() && part != b"." && part != b"..")
    };
    let base = base.as_os_str().as_bytes().strip_prefix(b"/")?;
    let target = target.as_os_str().as_bytes().strip_prefix(b"/")?;
    let rest = target.strip_prefix(base)?.strip_prefix(b"/")?;
    if !plain(base) || !plain(rest) || rest.contains(&b'\\') {
        return None;
    }
    std::str::from_utf8(rest).ok().map(str::to_string)
}

#[cfg(not(unix))]
fn relative_inside(_base: &Path, _target: &Path) -> Option<String> {
    None
}

/// A normalized absolute path's parent and file name, split at its last `/` (cheaper than
/// parsing its components); `None` for the root.
#[cfg(unix)]
pub(crate) fn split_last(path: &Path) -> Option<(&Path, &std::ffi::OsStr)> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let slash = bytes.iter().rposition(|&byte| byte == b'/')?;
    let name = &bytes[slash + 1..];
    if name.is_empty() || name == b".." || name == b"." {
        return None;
    }
    let parent: &[u8] = if slash == 0 { b"/" } else { &bytes[..slash] };
    Some((
        Path::new(std::ffi::OsStr::from_bytes(parent)),
        std::ffi::OsStr::from_bytes(name),
    ))
}

#[cfg(not(unix))]
pub(crate) fn split_last(path: &Path) -> Option<(&Path, &std::ffi::OsStr)> {
    Some((path.parent()?, path.file_name()?))
}

/// Whether `joined` is `base` joined with `relative` (`base` itself when `relative` is empty),
/// comparing bytes: for normalized paths, as `base.join(relative) == joined` without building it.
pub(crate) fn is_joined(joined: &Path, base: &Path, relative: &str) -> bool {
    let (joined, base) = (
        joined.as_os_str().as_encoded_bytes(),
        base.as_os_str().as_encoded_bytes(),
    );
    if relative.is_empty() {
        return joined == base;
    }
    joined.len() == base.len() + 1 + relative.len()
        && joined.starts_with(base)
        && joined[base.len()] == b'/'
        && joined.ends_with(relative.as_bytes())
}

/// Whether `path` is `directory` or inside it (lexically, both normalized by the caller).
pub(crate) fn is_within(directory: &Path, path: &Path) -> bool {
    path.starts_with(directory)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names() {
        assert_eq!(normalize_entry("pkg/mod.py"), Ok(vec!["pkg", "mod.py"]));
        assert_eq!(
            normalize_entry("./pkg//a/../mod.py"),
            Ok(vec!["pkg", "mod.py"])
        );
        assert_eq!(normalize_entry("pkg/"), Ok(vec!["pkg"]));
        assert_eq!(
            normalize_entry("../evil.py"),
            Err(EntryPathProblem::Escapes)
        );
        assert_eq!(
            normalize_entry("a/../../evil.py"),
            Err(EntryPathProblem::Escapes)
        );
        assert_eq!(
            normalize_entry("/etc/passwd"),
            Err(EntryPathProblem::Absolute)
        );
        assert_eq!(normalize_entry("C:/x"), Err(EntryPathProblem::Absolute));
        assert!(matches!(
            normalize_entry("..\\evil.py"),
            Err(EntryPathProblem::Unportable(_))
        ));
    }

    #[test]
    fn joined_paths_compare_as_bytes() {
        let base = Path::new("/cache/tree");
        assert!(is_joined(
            Path::new("/cache/tree/pkg/a.py"),
            base,
            "pkg/a.py"
        ));
        assert!(is_joined(base, base, ""));
        assert!(!is_joined(Path::new("/cache/treex/a.py"), base, "a.py"));
        assert!(!is_joined(Path::new("/cache/tree/a.py"), base, "b.py"));
        assert!(!is_joined(Path::new("/cache/tree/pkg/a.py"), base, "a.py"));
    }

    #[test]
    fn relative_paths() {
        let site = Path::new("/venv/lib/python3.12/site-packages");
        assert_eq!(
            relative_path(site, Path::new("/venv/bin/tool")),
            "../../../bin/tool"
        );
        assert_eq!(
            relative_path(site, &site.join("pkg/__init__.py")),
            "pkg/__init__.py"
        );
        // Not plain: resolved lexically, as the slow path does.
        assert_eq!(relative_path(site, &site.join("pkg/../x.py")), "x.py");
        assert_eq!(relative_path(site, &site.join("./pkg//y.py")), "pkg/y.py");
        assert_eq!(
            relative_path(
                Path::new("/venv/lib/../lib/site"),
                Path::new("/venv/lib/site/z")
            ),
            "z"
        );
        assert_eq!(
            relative_path(site, Path::new("/venv/lib/python3.12/site-packagesx/a")),
            "../site-packagesx/a"
        );
        assert_eq!(
            normalize(&site.join("../../../bin/tool")),
            Path::new("/venv/bin/tool")
        );
        assert!(is_within(Path::new("/venv"), Path::new("/venv/bin/x")));
        assert!(!is_within(Path::new("/venv/bin"), Path::new("/venv/binx")));
    }
}
