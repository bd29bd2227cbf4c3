//! Reading a wheel archive before anything is written: entry names, the `.dist-info`
//! directory, `WHEEL`, `RECORD` and `entry_points.txt`.
//!
//! Traps (binary distribution format spec, pip's `parse_wheel`):
//! - entry names are untrusted: absolute paths, `..` that escapes, backslashes and symlink
//!   entries (`S_IFLNK` in the external attributes) are refused before any file is read;
//! - exactly one top-level `*.dist-info` directory, named `{name}-{version}` with the escaped
//!   name; it must match the wheel filename's name (after normalization) and version (as PEP 440
//!   versions, so `1.0` equals `1.0.0`);
//! - `WHEEL` is RFC 822 style; `Wheel-Version` major must be 1 (a newer minor only warrants a
//!   warning), and `Root-Is-Purelib` is true only when it says `true` (any case).

use std::io::{Read, Seek};
use std::str::FromStr;

use volley_packaging::{PackageName, Version, WheelFilename};
use zip::ZipArchive;

use crate::InstallError;
use crate::path::{EntryPathProblem, normalize_entry};

/// One file entry of the archive, validated.
#[derive(Debug, Clone)]
pub(crate) struct ArchiveEntry {
    /// Index in the zip's central directory.
    pub(crate) index: usize,
    /// The name as stored.
    pub(crate) name: String,
    /// The normalized relative path, `/`-separated.
    pub(crate) path: String,
    /// The zip says the file is executable (any `x` bit on a regular file).
    pub(crate) executable: bool,
}

/// Lists the file entries of the archive (directories are left out), refusing unsafe names,
/// symlinks and encrypted entries.
pub(crate) fn list_entries<R: Read + Seek>(
    archive: &ZipArchive<R>,
    wheel: &str,
) -> Result<Vec<ArchiveEntry>, InstallError> {
    let mut entries = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let file = archive
            .by_index_data(index)
            .map_err(|source| InstallError::Archive {
                wheel: wheel.to_string(),
                source,
            })?;
        let name = file
            .name()
            .map_err(|source| InstallError::Archive {
                wheel: wheel.to_string(),
                source,
            })?
            .into_owned();
        let parts = normalize_entry(&name).map_err(|problem| match problem {
            EntryPathProblem::Absolute => InstallError::AbsolutePath {
                wheel: wheel.to_string(),
                entry: name.clone(),
            },
            EntryPathProblem::Escapes => InstallError::PathEscapes {
                wheel: wheel.to_string(),
                entry: name.clone(),
            },
            EntryPathProblem::Unportable(reason) => InstallError::UnportablePath {
                wheel: wheel.to_string(),
                entry: name.clone(),
                reason,
            },
        })?;
        if file.is_symlink() {
            return Err(InstallError::Symlink {
                wheel: wheel.to_string(),
                entry: name,
            });
        }
        if file.encrypted() {
            return Err(InstallError::Encrypted {
                wheel: wheel.to_string(),
                entry: name,
            });
        }
        if file.is_dir() || parts.is_empty() {
            continue;
        }
        let executable = file
            .unix_mode()
            .is_some_and(|mode| mode & 0o170000 == 0o100000 && mode & 0o111 != 0);
        entries.push(ArchiveEntry {
            index,
            path: parts.join("/"),
            name,
            executable,
        });
    }
    Ok(entries)
}

/// The top-level `.dist-info` directory, checked against the wheel filename.
pub(crate) fn find_dist_info(
    entries: &[ArchiveEntry],
    filename: &WheelFilename,
    wheel: &str,
) -> Result<String, InstallError> {
    let mut found: Vec<&str> = entries
        .iter()
        .filter_map(|entry| entry.path.split_once('/').map(|(top, _)| top))
        .filter(|top| top.ends_with(".dist-info"))
        .collect();
    found.sort_unstable();
    found.dedup();
    let dist_info = match found.as_slice() {
        [] => {
            return Err(InstallError::NoDistInfo {
                wheel: wheel.to_string(),
            });
        }
        [one] => (*one).to_string(),
        many => {
            return Err(InstallError::MultipleDistInfo {
                wheel: wheel.to_string(),
                found: many.join(", "),
            });
        }
    };
    let stem = dist_info.trim_end_matches(".dist-info");
    let mismatch = || InstallError::DistInfoMismatch {
        wheel: wheel.to_string(),
        dist_info: dist_info.clone(),
        expected: format!("{} {}", filename.name, filename.version),
    };
    let (name, version) = stem.split_once('-').ok_or_else(mismatch)?;
    let name = PackageName::from_str(name).map_err(|_| mismatch())?;
    let version = Version::from_str(version).map_err(|_| mismatch())?;
    if name != filename.name || version != filename.version {
        return Err(mismatch());
    }
    Ok(dist_info)
}

/// What the installer needs from `WHEEL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WheelInfo {
    pub(crate) root_is_purelib: bool,
}

/// Parses and checks `WHEEL`.
pub(crate) fn parse_wheel_file(
    content: &[u8],
    wheel: &str,
    entry: &str,
) -> Result<WheelInfo, InstallError> {
    let invalid = |reason: String| InstallError::InvalidWheelFile {
        wheel: wheel.to_string(),
        entry: entry.to_string(),
        reason,
    };
    let text = std::str::from_utf8(content)
        .map_err(|error| invalid(format!("it is not UTF-8 ({error})")))?;
    let headers = parse_headers(text);
    let header = |key: &str| {
        headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .map(|(_, value)| value.as_str())
    };
    let version = header("Wheel-Version").ok_or_else(|| invalid("no Wheel-Version".to_string()))?;
    let parts: Result<Vec<u64>, _> = version.split('.').map(str::parse).collect();
    let parts = parts.map_err(|_| invalid(format!("invalid Wheel-Version \"{version}\"")))?;
    match parts.as_slice() {
        [] => return Err(invalid(format!("invalid Wheel-Version \"{version}\""))),
        [major, ..] if *major > 1 => {
            return Err(InstallError::UnsupportedWheelVersion {
                wheel: wheel.to_string(),
                version: version.to_string(),
            });
        }
        [1, minor, ..] if *minor > 0 => {
            tracing::warn!("wheel {wheel} has a newer Wheel-Version ({version}) than 1.0");
        }
        _ => {}
    }
    let root_is_purelib =
        header("Root-Is-Purelib").is_some_and(|value| value.eq_ignore_ascii_case("true"));
    Ok(WheelInfo { root_is_purelib })
}

/// Checks `METADATA`'s `Name` and `Version` against the wheel filename, and returns the name as
/// the project spells it (pip names the headers directory after it).
pub(crate) fn check_metadata(
    content: &[u8],
    filename: &WheelFilename,
    wheel: &str,
    entry: &str,
) -> Result<String, InstallError> {
    let invalid = |reason: String| InstallError::InvalidMetadata {
        wheel: wheel.to_string(),
        entry: entry.to_string(),
        reason,
    };
    let text = String::from_utf8_lossy(content);
    let headers = parse_headers(&text);
    let header = |key: &str| {
        headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(key))
            .map(|(_, value)| value.as_str())
            .ok_or_else(|| invalid(format!("no {key} field")))
    };
    let name = header("Name")?;
    if PackageName::from_str(name).ok().as_ref() != Some(&filename.name) {
        return Err(invalid(format!(
            "Name \"{name}\" does not match the filename's \"{}\"",
            filename.name
        )));
    }
    let version = header("Version")?;
    if Version::from_str(version).ok().as_ref() != Some(&filename.version) {
        return Err(invalid(format!(
            "Version \"{version}\" does not match the filename's \"{}\"",
            filename.version
        )));
    }
    Ok(name.to_string())
}

/// `Key: value` lines, with continuation lines (starting with whitespace) appended; parsing stops
/// at the first empty line (the body).
fn parse_headers(text: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((key, value)) = line.split_once(':') {
            headers.push((key.trim().to_string(), value.trim().to_string()));
        }
    }
    headers
}

/// Reads a whole (small) entry, such as `WHEEL` or `RECORD`.
pub(crate) fn read_entry<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    entry: &ArchiveEntry,
    wheel: &str,
) -> Result<Vec<u8>, InstallError> {
    let mut file = archive
        .by_index(entry.index)
        .map_err(|source| InstallError::Archive {
            wheel: wheel.to_string(),
            source,
        })?;
    let mut content = Vec::new();
    file.read_to_end(&mut content)
        .map_err(|source| InstallError::Archive {
            wheel: wheel.to_string(),
            source: source.into(),
        })?;
    Ok(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wheel_file(content: &str) -> Result<WheelInfo, String> {
        parse_wheel_file(
            content.as_bytes(),
            "a-1.0-py3-none-any.whl",
            "a-1.0.dist-info/WHEEL",
        )
        .map_err(|error| error.to_string())
    }

    #[test]
    fn wheel_files() {
        assert_eq!(
            wheel_file("Wheel-Version: 1.0\nRoot-Is-Purelib: True\n"),
            Ok(WheelInfo {
                root_is_purelib: true
            })
        );
        assert_eq!(
            wheel_file("Wheel-Version: 1.9\nGenerator: x\n"),
            Ok(WheelInfo {
                root_is_purelib: false
            })
        );
        insta::assert_snapshot!(wheel_file("Wheel-Version: 2.0\n").unwrap_err(), @"wheel a-1.0-py3-none-any.whl: Wheel-Version 2.0 is not supported (volley installs 1.x)");
        insta::assert_snapshot!(wheel_file("Generator: x\n").unwrap_err(), @r#"wheel a-1.0-py3-none-any.whl: invalid WHEEL file "a-1.0.dist-info/WHEEL": no Wheel-Version"#);
        insta::assert_snapshot!(wheel_file("Wheel-Version: one\n").unwrap_err(), @r#"wheel a-1.0-py3-none-any.whl: invalid WHEEL file "a-1.0.dist-info/WHEEL": invalid Wheel-Version "one""#);
    }

    fn entries(paths: &[&str]) -> Vec<ArchiveEntry> {
        paths
            .iter()
            .enumerate()
            .map(|(index, path)| ArchiveEntry {
                index,
                name: path.to_string(),
                path: path.to_string(),
                executable: false,
            })
            .collect()
    }

    #[test]
    fn dist_info_directory() {
        let filename: WheelFilename = "Foo_Bar-1.0-py3-none-any.whl".parse().unwrap();
        let find = |paths: &[&str]| {
            find_dist_info(&entries(paths), &filename, "Foo_Bar-1.0-py3-none-any.whl")
                .map_err(|error| error.to_string())
        };
        assert_eq!(
            find(&["foo/__init__.py", "foo_bar-1.0.0.dist-info/RECORD"]),
            Ok("foo_bar-1.0.0.dist-info".to_string())
        );
        insta::assert_snapshot!(find(&["Other-1.0.dist-info/RECORD"]).unwrap_err(), @r#"wheel Foo_Bar-1.0-py3-none-any.whl: .dist-info directory "Other-1.0.dist-info" does not match the filename's foo-bar 1.0"#);
        insta::assert_snapshot!(find(&["Foo_Bar-2.0.dist-info/RECORD"]).unwrap_err(), @r#"wheel Foo_Bar-1.0-py3-none-any.whl: .dist-info directory "Foo_Bar-2.0.dist-info" does not match the filename's foo-bar 1.0"#);
        insta::assert_snapshot!(find(&["a-1.0.dist-info/RECORD", "b-1.0.dist-info/RECORD"]).unwrap_err(), @"wheel Foo_Bar-1.0-py3-none-any.whl: more than one top-level .dist-info directory (a-1.0.dist-info, b-1.0.dist-info)");
        insta::assert_snapshot!(find(&["foo/__init__.py"]).unwrap_err(), @"wheel Foo_Bar-1.0-py3-none-any.whl: no top-level .dist-info directory");
    }

    #[test]
    fn metadata_name_and_version() {
        let filename: WheelFilename = "Foo_Bar-1.0-py3-none-any.whl".parse().unwrap();
        let check = |content: &str| {
            check_metadata(
                content.as_bytes(),
                &filename,
                "Foo_Bar-1.0-py3-none-any.whl",
                "M",
            )
            .map_err(|error| error.to_string())
        };
        assert_eq!(
            check("Metadata-Version: 2.1\nName: Foo.Bar\nVersion: 1.0.0\n\nName: body\n"),
            Ok("Foo.Bar".to_string())
        );
        insta::assert_snapshot!(check("Name: foo-baz\nVersion: 1.0\n").unwrap_err(), @r#"wheel Foo_Bar-1.0-py3-none-any.whl: invalid METADATA "M": Name "foo-baz" does not match the filename's "foo-bar""#);
        insta::assert_snapshot!(check("Name: foo-bar\nVersion: 1.1\n").unwrap_err(), @r#"wheel Foo_Bar-1.0-py3-none-any.whl: invalid METADATA "M": Version "1.1" does not match the filename's "1.0""#);
        insta::assert_snapshot!(check("Version: 1.0\n").unwrap_err(), @r#"wheel Foo_Bar-1.0-py3-none-any.whl: invalid METADATA "M": no Name field"#);
    }
}
