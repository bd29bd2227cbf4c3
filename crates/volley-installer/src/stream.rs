//! Unpacking a wheel while it downloads, so that when its last byte arrives the unpacked tree is
//! almost complete.
//!
//! [`StreamedWheel::extract`] reads the wheel front to back from a reader that blocks until more
//! bytes are there (a download's file as it grows), following the zip's local file headers
//! (APPNOTE 4.3.7): each entry's name, method (stored or deflate), sizes and crc32, then its
//! data. Each file is written into a temporary directory in the unpacked bucket, laid out as
//! [`unpack_wheel`] lays it out, its sha256, size and crc32 computed as it is written. Nothing of
//! it is trusted yet: [`StreamedWheel::finish`] runs once the download is complete and its hash
//! matched the index's. It accepts the streamed entries only if the complete file's central
//! directory lists exactly them, in the same order, at the same offsets, with the same names,
//! methods, sizes and crc32s; then it runs `unpack_wheel`'s own checks (shared code, `unpack`)
//! and writes the same marker, so that the tree cannot be told from `unpack_wheel`'s.
//!
//! Traps:
//! - the central directory, not the local headers, is what zip readers (pip, `unpack_wheel`)
//!   believe. A local entry that the central directory leaves out or describes differently would
//!   be a file that no other installer writes: the streamed tree is a guess until `finish`
//!   compared the two;
//! - a local header has no external attributes, so executable bits and symlinks are known only
//!   from the central directory: files are written plain (`.data/scripts` files executable, as
//!   their path says), `finish` sets the zip's executable bits, and refuses symlink entries
//!   through the shared checks (meanwhile they were plain files in a temporary directory);
//! - entry names are checked before anything is written (`path`), as `unpack_wheel` does;
//! - the reader must end only at the end of the complete file: the streamer reads through the
//!   central directory to the end, so a download that fails or starts over midway (a retry)
//!   fails the read instead of passing for a short wheel;
//! - what is not handled gives up with a [`StreamFallback`], not an error: an entry with a data
//!   descriptor (flag bit 3: its sizes come after its data), encryption, a method other than
//!   stored and deflate, a name that is not UTF-8 or has an Info-ZIP Unicode Path field, any
//!   read or write failure. The caller then unpacks the complete file with `unpack_wheel`, which
//!   also gives a malformed wheel its usual error message. Giving up deletes the temporary
//!   directory, as dropping a [`StreamedWheel`] does.

use std::collections::HashSet;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use flate2::Crc;
use flate2::bufread::DeflateDecoder;
use sha2::{Digest, Sha256};
use tempfile::TempDir;
use zip::{CompressionMethod, ZipArchive};

use crate::InstallError;
use crate::path::normalize_entry;
use crate::record::record_digest;
use crate::unpack::{
    Inspection, Manifest, UnpackedFile, UnpackedWheel, Unpacker, create_file, is_data_script,
};

/// The signature that starts a local file header.
const LOCAL_HEADER: u32 = 0x0403_4b50;
/// General purpose flags: encrypted, sizes in a data descriptor, strong encryption.
const FLAG_ENCRYPTED: u16 = 1;
const FLAG_DATA_DESCRIPTOR: u16 = 1 << 3;
const FLAG_STRONG_ENCRYPTION: u16 = 1 << 6;
/// Compression methods.
const STORED: u16 = 0;
const DEFLATED: u16 = 8;
/// Extra field ids: zip64 sizes, and Info-ZIP's Unicode Path (which renames the entry).
const ZIP64_EXTRA: u16 = 0x0001;
const UNICODE_PATH_EXTRA: u16 = 0x7075;
/// Bytes read from the download at a time, and copied at a time.
const BUFFER_SIZE: usize = 64 * 1024;

/// Why a wheel was not unpacked while it downloaded. Not an error for the user: unpack the
/// complete file with [`unpack_wheel`](crate::unpack_wheel) instead.
#[derive(Debug, thiserror::Error)]
#[error("{reason}")]
pub struct StreamFallback {
    reason: String,
}

impl StreamFallback {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }
}

impl From<InstallError> for StreamFallback {
    fn from(error: InstallError) -> Self {
        Self::new(error.to_string())
    }
}

/// A wheel's entries extracted while it downloaded, not yet checked: [`Self::finish`] checks
/// them against the complete file. Dropping it deletes them.
#[derive(Debug)]
pub struct StreamedWheel {
    temp: TempDir,
    /// Every local entry, directories included, in file order.
    entries: Vec<LocalEntry>,
}

/// One entry as its local header described it.
#[derive(Debug)]
struct LocalEntry {
    /// Where its local header starts.
    offset: u64,
    /// The name as stored.
    name: Vec<u8>,
    method: u16,
    compressed_size: u64,
    size: u64,
    crc32: u32,
    /// `None` for a directory entry, which is not written.
    file: Option<WrittenFile>,
}

/// A file extracted from a local entry.
#[derive(Debug)]
struct WrittenFile {
    /// Normalized, `/`-separated, relative to the tree's root.
    path: String,
    /// Urlsafe base64 sha256, without padding.
    sha256: String,
}

impl StreamedWheel {
    /// Reads a wheel from `reader` front to back, extracting each entry as it arrives into a new
    /// temporary directory in `dir` (the directory that the unpacked tree will be renamed into:
    /// the parent of [`Self::finish`]'s `dest`). `reader` may block until more bytes are there;
    /// it must end (read 0) only at the end of the complete file, and fail when the file will
    /// not be completed as it is (a failed, cancelled or restarted download).
    ///
    /// Blocking: call it from a blocking thread.
    pub fn extract(reader: impl Read, dir: &Path) -> Result<Self, StreamFallback> {
        let temp = volley_cache::temp_dir_in(dir)
            .map_err(|error| StreamFallback::new(error.to_string()))?;
        let mut extraction = Extraction {
            input: BufReader::with_capacity(BUFFER_SIZE, reader),
            offset: 0,
            root: temp.path().to_path_buf(),
            created: HashSet::new(),
            buffer: vec![0; BUFFER_SIZE],
            entries: Vec::new(),
        };
        // On failure, `temp` is dropped here, which deletes it.
        extraction.run()?;
        Ok(Self {
            temp,
            entries: extraction.entries,
        })
    }

    /// Makes the streamed entries the unpacked tree of `wheel` (the complete file, whose hash
    /// the caller has checked) at `dest`, exactly as [`unpack_wheel`](crate::unpack_wheel)
    /// would, when the file's central directory describes exactly the entries that were
    /// streamed and they pass `unpack_wheel`'s checks. A `dest` that already holds a good tree
    /// is used as it is. Otherwise says why not: then call `unpack_wheel`.
    ///
    /// Blocking: call it from a blocking thread.
    pub fn finish(self, wheel: &Path, dest: &Path) -> Result<UnpackedWheel, StreamFallback> {
        let unpacker = Unpacker::new(wheel)?;
        if let Some(unpacked) = unpacker.existing(dest) {
            return Ok(unpacked);
        }
        let mut archive = unpacker.open(wheel)?;
        self.match_central_directory(&archive)?;
        let inspection = unpacker.inspect(&mut archive)?;
        let files = self.check(&unpacker, &inspection)?;
        self.set_executable(&inspection)
            .map_err(|error| StreamFallback::new(error.to_string()))?;
        Ok(unpacker.place(self.temp, &inspection, files, dest)?)
    }

    /// Every central directory entry must be the streamed entry at the same position, with the
    /// same offset, name, method, sizes and crc32; and there must be no other streamed entry.
    fn match_central_directory<R: Read + io::Seek>(
        &self,
        archive: &ZipArchive<R>,
    ) -> Result<(), StreamFallback> {
        if archive.len() != self.entries.len() {
            return Err(StreamFallback::new(format!(
                "the central directory lists {} entries, the local headers {}",
                archive.len(),
                self.entries.len()
            )));
        }
        for (index, local) in self.entries.iter().enumerate() {
            let central = archive
                .by_index_data(index)
                .map_err(|error| StreamFallback::new(error.to_string()))?;
            let method = match central.compression() {
                CompressionMethod::Stored => Some(STORED),
                CompressionMethod::Deflated => Some(DEFLATED),
                _ => None,
            };
            if central.header_start() != local.offset
                || central.name_raw() != local.name.as_slice()
                || method != Some(local.method)
                || central.compressed_size() != local.compressed_size
                || central.size() != local.size
                || central.crc32() != local.crc32
            {
                return Err(StreamFallback::new(format!(
                    "the central directory's entry {index} (\"{}\") does not match the local \
                     entry \"{}\" at offset {}",
                    String::from_utf8_lossy(central.name_raw()),
                    String::from_utf8_lossy(&local.name),
                    local.offset
                )));
            }
        }
        Ok(())
    }

    /// Checks every file against RECORD, as `unpack_wheel` does while it extracts, and gives the
    /// manifest.
    fn check(
        &self,
        unpacker: &Unpacker,
        inspection: &Inspection,
    ) -> Result<Vec<UnpackedFile>, StreamFallback> {
        let mut manifest = Manifest::new(unpacker, inspection);
        for entry in &inspection.entries {
            let local = &self.entries[entry.index];
            let Some(file) = local.file.as_ref().filter(|file| file.path == entry.path) else {
                return Err(StreamFallback::new(format!(
                    "entry \"{}\" was not streamed as \"{}\"",
                    entry.name, entry.path
                )));
            };
            if let Some(row) = manifest.row(entry)? {
                // The same refusals as `unpack_wheel` (no hash, a weak or unknown algorithm).
                unpacker.record_hasher(entry, row)?;
                if let Some((algorithm, _)) = row
                    .hash
                    .as_ref()
                    .filter(|(algorithm, _)| algorithm != "sha256")
                {
                    return Err(StreamFallback::new(format!(
                        "RECORD hashes \"{}\" with {algorithm}: only sha256 is computed while \
                         streaming",
                        row.path
                    )));
                }
                unpacker.verify(entry, row, file.sha256.clone(), local.size)?;
            }
            manifest.add(entry, file.sha256.clone(), local.size);
        }
        Ok(manifest.finish()?)
    }

    /// Gives the files that the zip marks executable the mode `unpack_wheel` creates them with
    /// (`.data/scripts` files have it already). For a path that appears twice, the first entry
    /// decides, as in `unpack_wheel`, where the second only truncates the file.
    #[cfg(unix)]
    fn set_executable(&self, inspection: &Inspection) -> io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let mut mode = None;
        let mut seen = HashSet::new();
        for entry in &inspection.entries {
            if !seen.insert(entry.path.as_str()) || !entry.executable || is_data_script(&entry.path)
            {
                continue;
            }
            let mode = match mode {
                Some(mode) => mode,
                None => *mode.insert(executable_mode(self.temp.path())?),
            };
            fs_err::set_permissions(
                self.temp.path().join(&entry.path),
                std::fs::Permissions::from_mode(mode),
            )?;
        }
        Ok(())
    }

    #[cfg(not(unix))]
    fn set_executable(&self, _inspection: &Inspection) -> io::Result<()> {
        Ok(())
    }
}

/// The mode a new executable file gets (`0o777` less the umask), learnt by creating one beside
/// `temp` (not inside it: any name inside may be an entry's).
#[cfg(unix)]
fn executable_mode(temp: &Path) -> io::Result<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mut probe = temp.as_os_str().to_owned();
    probe.push(".mode");
    let probe = PathBuf::from(probe);
    let mode = create_file(&probe, true)
        .and_then(|file| file.metadata())
        .map(|metadata| metadata.permissions().mode() & 0o7777);
    let _ = fs_err::remove_file(&probe);
    mode
}

/// The state of one pass over the growing file.
struct Extraction<R> {
    input: BufReader<R>,
    /// Bytes consumed from `input`.
    offset: u64,
    root: PathBuf,
    /// Directories created so far.
    created: HashSet<PathBuf>,
    buffer: Vec<u8>,
    entries: Vec<LocalEntry>,
}

impl<R: Read> Extraction<R> {
    /// Extracts every local entry, then reads the rest (the central directory) to the end.
    fn run(&mut self) -> Result<(), StreamFallback> {
        loop {
            let offset = self.offset;
            let signature = u32::from_le_bytes(self.array()?);
            if signature != LOCAL_HEADER {
                break;
            }
            let entry = self.entry(offset)?;
            self.entries.push(entry);
        }
        io::copy(&mut self.input, &mut io::sink()).map_err(read_failed)?;
        Ok(())
    }

    /// Reads one local entry (after its signature, at `offset`) and writes its file.
    fn entry(&mut self, offset: u64) -> Result<LocalEntry, StreamFallback> {
        let header: [u8; 26] = self.array()?;
        let field16 = |at: usize| u16::from_le_bytes([header[at], header[at + 1]]);
        let field32 = |at: usize| {
            u32::from_le_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
        };
        let (flags, method, crc32) = (field16(2), field16(4), field32(10));
        let (compressed_size, size) = (field32(14), field32(18));
        let name = self.bytes(field16(22))?;
        let extra = self.bytes(field16(24))?;

        let shown = String::from_utf8_lossy(&name).into_owned();
        let give_up = |why: &str| Err(StreamFallback::new(format!("entry \"{shown}\" {why}")));
        if flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION) != 0 {
            return give_up("is encrypted");
        }
        if flags & FLAG_DATA_DESCRIPTOR != 0 {
            return give_up("has its sizes in a data descriptor after its data");
        }
        if method != STORED && method != DEFLATED {
            return give_up(&format!("uses compression method {method}"));
        }
        if extra_field(&extra, UNICODE_PATH_EXTRA).is_some() {
            return give_up("is renamed by a Unicode Path extra field");
        }
        let (size, compressed_size) = if compressed_size == u32::MAX || size == u32::MAX {
            match zip64_sizes(&extra) {
                Some(sizes) => sizes,
                None => return give_up("has no zip64 sizes"),
            }
        } else {
            (u64::from(size), u64::from(compressed_size))
        };
        if method == STORED && compressed_size != size {
            return give_up("is stored with two different sizes");
        }
        let Ok(text) = std::str::from_utf8(&name) else {
            return give_up("has a name that is not UTF-8");
        };
        let Ok(parts) = normalize_entry(text) else {
            return give_up("is not a safe relative path");
        };
        let file = if text.ends_with('/') || parts.is_empty() {
            self.skip(compressed_size)?;
            None
        } else {
            let path = parts.join("/");
            let sha256 = self.write(&path, method, compressed_size, size, crc32)?;
            Some(WrittenFile { path, sha256 })
        };
        Ok(LocalEntry {
            offset,
            name,
            method,
            compressed_size,
            size,
            crc32,
            file,
        })
    }

    /// Extracts the entry's data (`compressed_size` bytes) into `path` under the root, and checks
    /// it against its header. Returns its sha256.
    fn write(
        &mut self,
        path: &str,
        method: u16,
        compressed_size: u64,
        size: u64,
        crc32: u32,
    ) -> Result<String, StreamFallback> {
        let target = self.root.join(path);
        if let Some(parent) = target.parent()
            && self.created.insert(parent.to_path_buf())
        {
            fs_err::create_dir_all(parent).map_err(write_failed)?;
        }
        let mut file = create_file(&target, is_data_script(path)).map_err(write_failed)?;
        let mut data = (&mut self.input).take(compressed_size);
        let copied = if method == DEFLATED {
            let mut decoder = DeflateDecoder::new(&mut data);
            copy(&mut decoder, &mut file, &mut self.buffer)?
        } else {
            copy(&mut data, &mut file, &mut self.buffer)?
        };
        if data.limit() != 0 {
            return Err(StreamFallback::new(format!(
                "entry \"{path}\": its compressed data ends {} bytes early",
                data.limit()
            )));
        }
        self.offset += compressed_size;
        if copied.size != size || copied.crc32 != crc32 {
            return Err(StreamFallback::new(format!(
                "entry \"{path}\" does not match its header: {} bytes with crc32 {:08x}, \
                 expected {size} bytes with crc32 {crc32:08x}",
                copied.size, copied.crc32
            )));
        }
        Ok(copied.sha256)
    }

    /// Reads past `len` bytes.
    fn skip(&mut self, len: u64) -> Result<(), StreamFallback> {
        let skipped =
            io::copy(&mut (&mut self.input).take(len), &mut io::sink()).map_err(read_failed)?;
        if skipped != len {
            return Err(ended());
        }
        self.offset += len;
        Ok(())
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], StreamFallback> {
        let mut bytes = [0; N];
        self.input.read_exact(&mut bytes).map_err(read_failed)?;
        self.offset += N as u64;
        Ok(bytes)
    }

    fn bytes(&mut self, len: u16) -> Result<Vec<u8>, StreamFallback> {
        let mut bytes = vec![0; usize::from(len)];
        self.input.read_exact(&mut bytes).map_err(read_failed)?;
        self.offset += u64::from(len);
        Ok(bytes)
    }
}

/// What [`copy`] wrote.
struct Copied {
    sha256: String,
    crc32: u32,
    size: u64,
}

/// Copies `reader` to its end into `file`, computing the sha256 and crc32 of what it wrote.
fn copy(
    reader: &mut impl Read,
    file: &mut fs_err::File,
    buffer: &mut [u8],
) -> Result<Copied, StreamFallback> {
    let mut sha256 = Sha256::new();
    let mut crc = Crc::new();
    let mut size = 0u64;
    loop {
        let read = match reader.read(buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(read_failed(error)),
        };
        let chunk = &buffer[..read];
        sha256.update(chunk);
        crc.update(chunk);
        size += read as u64;
        file.write_all(chunk).map_err(write_failed)?;
    }
    Ok(Copied {
        sha256: record_digest(&sha256.finalize()),
        crc32: crc.sum(),
        size,
    })
}

fn read_failed(error: io::Error) -> StreamFallback {
    if error.kind() == io::ErrorKind::UnexpectedEof {
        ended()
    } else {
        StreamFallback::new(format!("cannot read the wheel: {error}"))
    }
}

fn ended() -> StreamFallback {
    StreamFallback::new("the wheel ends in the middle of an entry")
}

fn write_failed(error: io::Error) -> StreamFallback {
    StreamFallback::new(format!("cannot write the unpacked file: {error}"))
}

/// The data of the extra field `id`, if `extra` has it.
fn extra_field(extra: &[u8], id: u16) -> Option<&[u8]> {
    let mut rest = extra;
    while rest.len() >= 4 {
        let field = u16::from_le_bytes([rest[0], rest[1]]);
        let len = usize::from(u16::from_le_bytes([rest[2], rest[3]]));
        let data = rest.get(4..4 + len)?;
        if field == id {
            return Some(data);
        }
        rest = &rest[4 + len..];
    }
    None
}

/// `(size, compressed size)` from a local header's zip64 extra field, which holds both.
fn zip64_sizes(extra: &[u8]) -> Option<(u64, u64)> {
    let data = extra_field(extra, ZIP64_EXTRA)?;
    let size = u64::from_le_bytes(data.get(0..8)?.try_into().ok()?);
    let compressed_size = u64::from_le_bytes(data.get(8..16)?.try_into().ok()?);
    Some((size, compressed_size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extra_fields() {
        let mut extra = vec![0x55, 0x54, 1, 0, 9];
        extra.extend([1, 0, 16, 0]);
        extra.extend(5u64.to_le_bytes());
        extra.extend(3u64.to_le_bytes());
        assert_eq!(extra_field(&extra, 0x5455), Some(&[9u8][..]));
        assert_eq!(zip64_sizes(&extra), Some((5, 3)));
        assert_eq!(extra_field(&extra, UNICODE_PATH_EXTRA), None);
        // A field that claims more bytes than there are ends the search.
        assert_eq!(extra_field(&[1, 0, 200, 0, 1, 2], ZIP64_EXTRA), None);
        assert_eq!(zip64_sizes(&[1, 0, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0]), None);
    }
}
