//! Build source distributions (`.tar.gz`) in memory from plain strings.
//!
//! The archive follows the source distribution format: one top directory
//! `{name}-{version}/` holding `PKG-INFO` and the files you add. The filename and the top
//! directory use the normalized name with `_` (`Foo.Bar` → `foo_bar-1.0.tar.gz`).
//!
//! The tar (ustar) and gzip encoders are written here, small and uncompressed (gzip "stored"
//! blocks), so that the crate needs no archive dependency; Python's `tarfile` reads them.

use std::path::{Path, PathBuf};

use crate::wheel::{normalize_name, sha256_hex};

/// Builds a source distribution; see the module documentation.
#[derive(Debug, Clone)]
pub struct SdistBuilder {
    name: String,
    version: String,
    pkg_info: Option<Vec<u8>>,
    files: Vec<(String, Vec<u8>)>,
}

/// A file built in memory: an sdist from [`SdistBuilder::build`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltFile {
    /// The filename, e.g. `foo_bar-1.0.tar.gz`.
    pub filename: String,
    /// The whole file.
    pub bytes: Vec<u8>,
    /// Lowercase hex sha256 of `bytes`.
    pub sha256: String,
}

impl BuiltFile {
    /// Writes the file into `dir` (which must exist) under its filename and returns the path.
    ///
    /// # Panics
    /// When the file cannot be written.
    pub fn write_to(&self, dir: &Path) -> PathBuf {
        let path = dir.join(&self.filename);
        fs_err::write(&path, &self.bytes).expect("write the built file");
        path
    }
}

impl SdistBuilder {
    /// An sdist for `name-version` with a minimal `PKG-INFO` and no other files.
    pub fn new(name: &str, version: &str) -> Self {
        Self {
            name: name.to_string(),
            version: version.to_string(),
            pkg_info: None,
            files: Vec::new(),
        }
    }

    /// Adds a file at `path`, relative to the top directory (e.g. `pyproject.toml`,
    /// `src/foo/__init__.py`).
    #[must_use]
    pub fn file(mut self, path: &str, content: impl AsRef<[u8]>) -> Self {
        self.files
            .push((path.to_string(), content.as_ref().to_vec()));
        self
    }

    /// Replaces the generated `PKG-INFO`.
    #[must_use]
    pub fn pkg_info(mut self, content: impl AsRef<[u8]>) -> Self {
        self.pkg_info = Some(content.as_ref().to_vec());
        self
    }

    /// `{normalized name with _}-{version}`: the top directory and the filename stem.
    pub fn base_name(&self) -> String {
        format!(
            "{}-{}",
            normalize_name(&self.name).replace('-', "_"),
            self.version
        )
    }

    /// Builds the `.tar.gz`.
    ///
    /// # Panics
    /// When a path is too long for a ustar header.
    pub fn build(&self) -> BuiltFile {
        let bytes = gzip_stored(&self.build_tar());
        BuiltFile {
            filename: format!("{}.tar.gz", self.base_name()),
            sha256: sha256_hex(&bytes),
            bytes,
        }
    }

    /// The uncompressed tar of [`SdistBuilder::build`], for tests that compress it another way
    /// (`.tar`, `.tar.bz2`, `.tar.xz`).
    ///
    /// # Panics
    /// When a path is too long for a ustar header.
    pub fn build_tar(&self) -> Vec<u8> {
        let base = self.base_name();
        let pkg_info = self.pkg_info.clone().unwrap_or_else(|| {
            format!(
                "Metadata-Version: 2.1\nName: {}\nVersion: {}\n",
                self.name, self.version
            )
            .into_bytes()
        });
        let mut tar = Vec::new();
        append_tar_directory(&mut tar, &format!("{base}/"));
        append_tar_file(&mut tar, &format!("{base}/PKG-INFO"), &pkg_info);
        for (path, content) in &self.files {
            append_tar_file(&mut tar, &format!("{base}/{path}"), content);
        }
        tar.extend_from_slice(&[0; 1024]);
        tar
    }
}

const TAR_BLOCK: usize = 512;

fn append_tar_directory(tar: &mut Vec<u8>, path: &str) {
    append_tar_entry(tar, path, b"", b'5', 0o755);
}

fn append_tar_file(tar: &mut Vec<u8>, path: &str, content: &[u8]) {
    append_tar_entry(tar, path, content, b'0', 0o644);
}

/// Appends a ustar header and the content, padded to whole blocks.
fn append_tar_entry(tar: &mut Vec<u8>, path: &str, content: &[u8], kind: u8, mode: u32) {
    let mut header = [0u8; TAR_BLOCK];
    let (prefix, name) = split_ustar_path(path);
    header[..name.len()].copy_from_slice(name.as_bytes());
    write_octal(&mut header[100..108], u64::from(mode));
    write_octal(&mut header[108..116], 0);
    write_octal(&mut header[116..124], 0);
    write_octal(&mut header[124..136], content.len() as u64);
    write_octal(&mut header[136..148], 0);
    header[156] = kind;
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[265..269].copy_from_slice(b"root");
    header[297..301].copy_from_slice(b"root");
    header[345..345 + prefix.len()].copy_from_slice(prefix.as_bytes());
    // The checksum is computed with its own field set to spaces.
    header[148..156].copy_from_slice(b"        ");
    let checksum: u32 = header.iter().map(|&byte| u32::from(byte)).sum();
    let digits = format!("{checksum:06o}\0 ");
    header[148..156].copy_from_slice(digits.as_bytes());

    tar.extend_from_slice(&header);
    tar.extend_from_slice(content);
    let padding = (TAR_BLOCK - content.len() % TAR_BLOCK) % TAR_BLOCK;
    tar.extend(std::iter::repeat_n(0, padding));
}

/// Splits a path into ustar's 155-byte prefix and 100-byte name.
fn split_ustar_path(path: &str) -> (&str, &str) {
    if path.len() <= 100 {
        return ("", path);
    }
    for (index, _) in path.match_indices('/') {
        let (prefix, name) = (&path[..index], &path[index + 1..]);
        if prefix.len() <= 155 && name.len() <= 100 && !name.is_empty() {
            return (prefix, name);
        }
    }
    panic!("path \"{path}\" is too long for a ustar header");
}

/// Writes `value` as zero-padded octal digits followed by a NUL, filling `field`.
fn write_octal(field: &mut [u8], value: u64) {
    let digits = format!("{value:0width$o}\0", width = field.len() - 1);
    field.copy_from_slice(digits.as_bytes());
}

/// Wraps `data` in a gzip member made of uncompressed deflate blocks.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut chunks = data.chunks(0xffff).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(chunk) = chunks.next() {
        let last = chunks.peek().is_none();
        out.push(u8::from(last));
        let length = u16::try_from(chunk.len()).expect("chunks are at most 0xffff bytes");
        out.extend_from_slice(&length.to_le_bytes());
        out.extend_from_slice(&(!length).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// CRC-32 (IEEE 802.3, reflected), as gzip uses.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_of_check_string() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn filename_uses_normalized_name() {
        let sdist = SdistBuilder::new("Foo.Bar", "1.0").build();
        assert_eq!(sdist.filename, "foo_bar-1.0.tar.gz");
        assert_eq!(sdist.sha256, sha256_hex(&sdist.bytes));
    }
}
