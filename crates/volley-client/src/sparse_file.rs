//! A file of known length of which only some byte ranges are present: the part of a remote
//! wheel that range requests have fetched so far.
//!
//! It implements `Read + Seek` so that the (synchronous) `zip` crate can read it. Reading a
//! byte that is not present fails with an IO error carrying [`Missing`]; the caller fetches
//! that range and runs the read again. See [`crate::wheel_metadata`] for the loop.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};
use std::ops::Range;

use bytes::Bytes;

/// The bytes a read needed that are not present, `start..end` (`end` is where the read wanted
/// to stop, at most the file's length).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Missing(pub(crate) Range<u64>);

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bytes {}..{} are not fetched yet",
            self.0.start, self.0.end
        )
    }
}

impl std::error::Error for Missing {}

impl Missing {
    /// The `Missing` inside an IO error that a [`SparseFile`] read returned, if it is one.
    pub(crate) fn from_io(error: &io::Error) -> Option<&Missing> {
        error.get_ref()?.downcast_ref::<Missing>()
    }
}

/// Chunks of a file by their start offset. Clones share the chunks' memory.
#[derive(Debug, Clone)]
pub(crate) struct SparseFile {
    len: u64,
    chunks: BTreeMap<u64, Bytes>,
    position: u64,
}

impl SparseFile {
    pub(crate) fn new(len: u64) -> Self {
        Self {
            len,
            chunks: BTreeMap::new(),
            position: 0,
        }
    }

    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Add the bytes at `start..start + bytes.len()` (clipped to the file's length).
    pub(crate) fn insert(&mut self, start: u64, mut bytes: Bytes) {
        if start >= self.len || bytes.is_empty() {
            return;
        }
        let room = usize::try_from(self.len - start).unwrap_or(usize::MAX);
        bytes.truncate(room);
        // Keep the longer chunk when two start at the same offset.
        let keep = self
            .chunks
            .get(&start)
            .is_none_or(|existing| existing.len() < bytes.len());
        if keep {
            self.chunks.insert(start, bytes);
        }
    }

    /// The chunk holding `offset`, with its start.
    fn chunk_at(&self, offset: u64) -> Option<(u64, &Bytes)> {
        self.chunks
            .range(..=offset)
            .rev()
            .find(|(start, bytes)| offset < **start + bytes.len() as u64)
            .map(|(start, bytes)| (*start, bytes))
    }

    /// Where the next present byte at or after `offset` is (the file's length if none).
    pub(crate) fn next_present(&self, offset: u64) -> u64 {
        if self.chunk_at(offset).is_some() {
            return offset;
        }
        self.chunks
            .range(offset..)
            .next()
            .map_or(self.len, |(start, _)| *start)
    }

    /// Whether every byte of `range` is present.
    pub(crate) fn contains(&self, range: Range<u64>) -> bool {
        let mut offset = range.start;
        while offset < range.end.min(self.len) {
            match self.chunk_at(offset) {
                Some((start, bytes)) => offset = start + bytes.len() as u64,
                None => return false,
            }
        }
        true
    }

    /// How many bytes the chunks hold (overlaps counted twice).
    pub(crate) fn fetched_bytes(&self) -> u64 {
        self.chunks.values().map(|bytes| bytes.len() as u64).sum()
    }
}

impl Read for SparseFile {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self.position >= self.len || buffer.is_empty() {
            return Ok(0);
        }
        let Some((start, bytes)) = self.chunk_at(self.position) else {
            let end = self.len.min(self.position + buffer.len() as u64);
            return Err(io::Error::other(Missing(self.position..end)));
        };
        let offset = usize::try_from(self.position - start).expect("inside a chunk in memory");
        let count = buffer.len().min(bytes.len() - offset);
        buffer[..count].copy_from_slice(&bytes[offset..offset + count]);
        self.position += count as u64;
        Ok(count)
    }
}

impl Seek for SparseFile {
    fn seek(&mut self, position: SeekFrom) -> io::Result<u64> {
        let target = match position {
            SeekFrom::Start(offset) => Some(offset),
            SeekFrom::End(delta) => self.len.checked_add_signed(delta),
            SeekFrom::Current(delta) => self.position.checked_add_signed(delta),
        };
        let Some(target) = target else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            ));
        };
        self.position = target;
        Ok(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_present_bytes_and_reports_missing_ones() {
        let mut file = SparseFile::new(100);
        file.insert(90, Bytes::from_static(b"0123456789tail past the end"));
        file.insert(10, Bytes::from_static(b"abcdef"));
        assert_eq!(file.fetched_bytes(), 16);

        let mut buffer = [0; 4];
        file.seek(SeekFrom::End(-4)).unwrap();
        file.read_exact(&mut buffer).unwrap();
        assert_eq!(&buffer, b"6789");
        assert_eq!(file.read(&mut buffer).unwrap(), 0);

        // A read stops at the end of a chunk; the next one reports the gap.
        file.seek(SeekFrom::Start(12)).unwrap();
        let mut buffer = [0; 10];
        assert_eq!(file.read(&mut buffer).unwrap(), 4);
        assert_eq!(&buffer[..4], b"cdef");
        let error = file.read(&mut buffer).unwrap_err();
        assert_eq!(Missing::from_io(&error), Some(&Missing(16..26)));

        assert!(file.contains(10..16));
        assert!(!file.contains(10..17));
        assert!(file.contains(95..200));
        assert_eq!(file.next_present(0), 10);
        assert_eq!(file.next_present(12), 12);
        assert_eq!(file.next_present(16), 90);
        assert!(file.seek(SeekFrom::Current(-1000)).is_err());
    }
}
