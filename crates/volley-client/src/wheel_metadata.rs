//! Reading a wheel's `METADATA` out of its zip, either from the whole file or from a
//! [`SparseFile`] filled by range requests.
//!
//! The lazy read is a loop run by the caller: [`read_sparse`] runs the `zip` crate over what has
//! been fetched; when it needs bytes that are not there it returns [`SparseRead::Need`] with the
//! range to fetch, and the caller fetches it and calls again. Reading the archive's end record
//! and central directory needs the end of the file (a 64 KiB tail fetched first holds it for
//! nearly every wheel); reading the entry needs its local header and data, whose extent the
//! central directory gives (up to the next entry's header), so that is one more request.
//!
//! Traps: the `METADATA` that counts is the one in the wheel's own `.dist-info` directory
//! (`{escaped name}-{version}.dist-info`, compared after name normalization) — vendored
//! packages may carry other `.dist-info` directories deeper down, which are ignored because only
//! top-level ones are considered. These functions block: run them in `spawn_blocking`.

use std::io::{Read, Seek};
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;

use volley_packaging::{PackageName, Version, WheelFilename};
use zip::ZipArchive;
use zip::result::ZipError;

use crate::sparse_file::{Missing, SparseFile};

/// No `METADATA` is this large; a bigger entry is a broken or hostile wheel.
const MAX_METADATA_SIZE: u64 = 64 * 1024 * 1024;
/// The least a range request fetches after an unexpected miss, to avoid many tiny requests.
const MIN_EXTRA_FETCH: u64 = 16 * 1024;

/// The outcome of one pass over a sparse wheel.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SparseRead {
    Found(Vec<u8>),
    /// Fetch these bytes, then call again.
    Need(Range<u64>),
}

/// Read `METADATA` from the wheel at `path`.
pub(crate) fn read_file(path: &Path, wheel: &WheelFilename) -> Result<Vec<u8>, String> {
    let file = fs_err::File::open(path).map_err(|error| error.to_string())?;
    let mut archive = ZipArchive::new(std::io::BufReader::new(file)).map_err(zip_reason)?;
    let index = find_metadata(&archive, wheel)?;
    read_entry(&mut archive, index).map_err(zip_reason)
}

/// One pass of the lazy read over what `file` holds.
pub(crate) fn read_sparse(file: &SparseFile, wheel: &WheelFilename) -> Result<SparseRead, String> {
    let mut archive = match ZipArchive::new(file.clone()) {
        Ok(archive) => archive,
        Err(error) => {
            return match missing(&error) {
                // The end record or central directory reaches before what was fetched: fetch
                // the whole gap up to the bytes already present (it is all directory).
                Some(Missing(range)) => Ok(SparseRead::Need(
                    range.start..file.next_present(range.start).max(range.end),
                )),
                None => Err(zip_reason(error)),
            };
        }
    };
    let index = find_metadata(&archive, wheel)?;
    let extent = entry_extent(&archive, index, file.len())?;
    if !file.contains(extent.clone()) {
        return Ok(SparseRead::Need(extent));
    }
    match read_entry(&mut archive, index) {
        Ok(bytes) => Ok(SparseRead::Found(bytes)),
        Err(error) => match missing(&error) {
            Some(Missing(range)) => {
                let end = (range.start + MIN_EXTRA_FETCH)
                    .max(range.end)
                    .min(file.next_present(range.start).max(range.end));
                Ok(SparseRead::Need(range.start..end))
            }
            None => Err(zip_reason(error)),
        },
    }
}

/// The index of the `METADATA` entry of the wheel's own `.dist-info` directory.
fn find_metadata<R: Read + Seek>(
    archive: &ZipArchive<R>,
    wheel: &WheelFilename,
) -> Result<usize, String> {
    let mut candidates = Vec::new();
    for (index, name) in archive.file_names_raw().enumerate() {
        let Ok(name) = std::str::from_utf8(name) else {
            continue;
        };
        let Some(directory) = name.strip_suffix(".dist-info/METADATA") else {
            continue;
        };
        if directory.contains('/') {
            continue;
        }
        let (project, version) = directory.split_once('-').unwrap_or((directory, ""));
        if PackageName::from_str(project).is_ok_and(|project| project == wheel.name) {
            let version_matches =
                Version::from_str(version).is_ok_and(|version| version == wheel.version);
            candidates.push((version_matches, index));
        }
    }
    // Prefer the directory whose version matches the filename's.
    candidates.sort_by_key(|(version_matches, _)| !version_matches);
    match candidates.first() {
        Some((_, index)) => Ok(*index),
        None => Err(format!(
            "it has no {}-{}.dist-info/METADATA",
            wheel.name.as_dist_info_name(),
            wheel.version
        )),
    }
}

/// Where entry `index` lies in the file: from its local header to the next entry's header (or
/// the central directory).
fn entry_extent<R: Read + Seek>(
    archive: &ZipArchive<R>,
    index: usize,
    len: u64,
) -> Result<Range<u64>, String> {
    let start = archive
        .by_index_data(index)
        .map_err(zip_reason)?
        .header_start();
    let mut end = archive.central_directory_start().min(len);
    for other in 0..archive.len() {
        let other_start = archive
            .by_index_data(other)
            .map_err(zip_reason)?
            .header_start();
        if other_start > start && other_start < end {
            end = other_start;
        }
    }
    if end <= start {
        return Err(format!(
            "its entry at offset {start} lies outside the archive"
        ));
    }
    Ok(start..end)
}

fn read_entry<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    index: usize,
) -> Result<Vec<u8>, ZipError> {
    let entry = archive.by_index(index)?;
    let mut bytes = Vec::new();
    entry.take(MAX_METADATA_SIZE).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn missing(error: &ZipError) -> Option<&Missing> {
    match error {
        ZipError::Io(error) => Missing::from_io(error),
        _ => None,
    }
}

fn zip_reason(error: ZipError) -> String {
    error.to_string()
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use bytes::Bytes;
    use volley_test_support::noise;
    use zip::write::{SimpleFileOptions, ZipWriter};

    use super::*;

    fn wheel_bytes(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content) in entries {
            writer
                .start_file(*name, SimpleFileOptions::default())
                .unwrap();
            writer.write_all(content).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    fn filename(text: &str) -> WheelFilename {
        WheelFilename::from_str(text).unwrap()
    }

    /// Run the lazy loop over `bytes`, counting the bytes it had to fetch.
    fn lazy(
        bytes: &[u8],
        wheel: &WheelFilename,
        tail: u64,
    ) -> (Result<Vec<u8>, String>, u64, usize) {
        let len = bytes.len() as u64;
        let mut file = SparseFile::new(len);
        let start = len.saturating_sub(tail);
        file.insert(start, Bytes::copy_from_slice(&bytes[start as usize..]));
        let mut requests = 1;
        loop {
            match read_sparse(&file, wheel) {
                Ok(SparseRead::Found(metadata)) => {
                    return (Ok(metadata), file.fetched_bytes(), requests);
                }
                Ok(SparseRead::Need(range)) => {
                    assert!(requests < 10, "too many requests");
                    requests += 1;
                    let range = range.start as usize..(range.end as usize).min(bytes.len());
                    file.insert(range.start as u64, Bytes::copy_from_slice(&bytes[range]));
                }
                Err(error) => return (Err(error), file.fetched_bytes(), requests),
            }
        }
    }

    #[test]
    fn reads_metadata_from_a_tail_and_one_more_range() {
        let wheel = filename("foo_bar-1.0-py3-none-any.whl");
        let bytes = wheel_bytes(&[
            ("foo_bar/__init__.py", b"".to_vec()),
            (
                "foo_bar-1.0.dist-info/METADATA",
                b"Metadata-Version: 2.1\nName: foo-bar\nVersion: 1.0\n".to_vec(),
            ),
            ("foo_bar/big.bin", noise(300_000)),
            ("foo_bar-1.0.dist-info/RECORD", b"".to_vec()),
        ]);
        let (metadata, fetched, requests) = lazy(&bytes, &wheel, 64 * 1024);
        assert_eq!(
            metadata.unwrap(),
            b"Metadata-Version: 2.1\nName: foo-bar\nVersion: 1.0\n"
        );
        assert_eq!(requests, 2);
        assert!(fetched < 70 * 1024, "fetched {fetched} of {}", bytes.len());
    }

    #[test]
    fn fetches_a_central_directory_longer_than_the_tail() {
        let wheel = filename("many-2.0-py3-none-any.whl");
        let mut entries: Vec<(String, Vec<u8>)> = (0..400)
            .map(|i| {
                (
                    format!("many/a_rather_long_module_name_number_{i:04}.py"),
                    b"x = 1\n".to_vec(),
                )
            })
            .collect();
        entries.push((
            "many-2.0.dist-info/METADATA".to_string(),
            b"Name: many\n".to_vec(),
        ));
        let entries: Vec<(&str, Vec<u8>)> = entries
            .iter()
            .map(|(n, c)| (n.as_str(), c.clone()))
            .collect();
        let bytes = wheel_bytes(&entries);
        let (metadata, _, requests) = lazy(&bytes, &wheel, 4 * 1024);
        assert_eq!(metadata.unwrap(), b"Name: many\n");
        assert!(requests <= 4, "{requests} requests");
    }

    #[test]
    fn picks_the_wheels_own_dist_info() {
        let wheel = filename("Foo.Bar-2.0-py3-none-any.whl");
        let bytes = wheel_bytes(&[
            (
                "vendored/other-1.0.dist-info/METADATA",
                b"Name: other\n".to_vec(),
            ),
            ("other-1.0.dist-info/METADATA", b"Name: other\n".to_vec()),
            (
                "foo_bar-1.9.dist-info/METADATA",
                b"Name: foo-bar\nVersion: 1.9\n".to_vec(),
            ),
            (
                "foo_bar-2.0.dist-info/METADATA",
                b"Name: foo-bar\nVersion: 2.0\n".to_vec(),
            ),
        ]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wheel.whl");
        fs_err::write(&path, &bytes).unwrap();
        assert_eq!(
            read_file(&path, &wheel).unwrap(),
            b"Name: foo-bar\nVersion: 2.0\n"
        );
        let (metadata, _, _) = lazy(&bytes, &wheel, 64 * 1024);
        assert_eq!(metadata.unwrap(), b"Name: foo-bar\nVersion: 2.0\n");
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let wheel = filename("foo-1.0-py3-none-any.whl");
        let no_metadata = wheel_bytes(&[("foo/__init__.py", Vec::new())]);
        let (error, _, _) = lazy(&no_metadata, &wheel, 64 * 1024);
        let (not_zip, _, _) = lazy(&noise(1000), &wheel, 64 * 1024);
        insta::assert_snapshot!(format!("{}\n{}", error.unwrap_err(), not_zip.unwrap_err()), @r#"
        it has no foo-1.0.dist-info/METADATA
        invalid Zip archive: Could not find EOCD
        "#);
    }
}
