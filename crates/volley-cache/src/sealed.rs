//! Cache entries that carry the sha256 of their own content, so that a damaged copy is noticed
//! when it is read rather than trusted.
//!
//! A key that names an entry by what it was made *from* (the metadata of a wheel, keyed by the
//! wheel's sha256) says nothing about the entry's bytes: a file cut short at a line boundary is
//! still a well-formed `METADATA` that has merely lost its last `Requires-Dist` lines. A sealed
//! entry starts with one line naming the sha256 of the rest:
//!
//! ```text
//! Volley-Content-Sha256: <64 lowercase hex digits>\n
//! <content, byte for byte>
//! ```
//!
//! The line has the shape of an RFC 822 header, so tools that read the headers of a sealed
//! `METADATA` (such as `cache clean <package>` looking for `Name:`) still find them.

use sha2::{Digest, Sha256};

/// The start of a sealed entry's first line.
const HEADER: &[u8] = b"Volley-Content-Sha256: ";
/// The hex digits of a sha256.
const DIGEST_LEN: usize = 64;

/// `content` with its seal line before it.
pub fn seal(content: &[u8]) -> Vec<u8> {
    let digest = hex::encode(Sha256::digest(content));
    let mut entry = Vec::with_capacity(HEADER.len() + DIGEST_LEN + 1 + content.len());
    entry.extend_from_slice(HEADER);
    entry.extend_from_slice(digest.as_bytes());
    entry.push(b'\n');
    entry.extend_from_slice(content);
    entry
}

/// The content of a sealed `entry`, or `None` when it has no seal line or its content does not
/// have the sha256 the line names (truncated, edited, or written by something else).
pub fn unseal(entry: &[u8]) -> Option<&[u8]> {
    let rest = entry.strip_prefix(HEADER)?;
    let digest = rest.get(..DIGEST_LEN)?;
    let content = rest.get(DIGEST_LEN..)?.strip_prefix(b"\n")?;
    let actual = hex::encode(Sha256::digest(content));
    (actual.as_bytes() == digest).then_some(content)
}

#[cfg(test)]
mod tests {
    use super::*;

    const METADATA: &[u8] =
        b"Metadata-Version: 2.1\nName: a\nVersion: 1.0\nRequires-Dist: b\nRequires-Dist: c\n";

    #[test]
    fn round_trip() {
        let entry = seal(METADATA);
        assert!(entry.starts_with(b"Volley-Content-Sha256: "));
        assert_eq!(unseal(&entry), Some(METADATA));
        assert_eq!(unseal(&seal(b"")), Some(&b""[..]));
    }

    #[test]
    fn damaged_entries_are_refused() {
        let entry = seal(METADATA);
        let text = String::from_utf8(entry.clone()).unwrap();
        // Cut at the start of the last line: still well-formed metadata, one dependency short.
        let line_cut = &entry[..text.rfind("Requires-Dist").unwrap()];
        let edited = text.replace("Requires-Dist: c", "Requires-Dist: x");
        let upper = text.replacen(&text[23..87], &text[23..87].to_uppercase(), 1);
        for (label, damaged) in [
            ("cut at a line", line_cut),
            ("cut in the seal", &entry[..40]),
            ("edited", edited.as_bytes()),
            ("unsealed", METADATA),
            ("empty", b""),
            ("seal without content line", &entry[..87]),
            ("uppercase digest", upper.as_bytes()),
        ] {
            assert_eq!(unseal(damaged), None, "{label}");
        }
    }
}
