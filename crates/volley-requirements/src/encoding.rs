//! Decoding a requirements file's bytes as pip does: a byte-order mark wins, then a PEP 263
//! `# -*- coding: NAME -*-` comment on one of the first two lines, else UTF-8.
//!
//! pip falls back to the locale's encoding, which is UTF-8 on every system volley targets.
//! Encodings other than UTF-8, UTF-16, UTF-32, ASCII and Latin-1 are refused with a clear error
//! rather than guessed.

use std::path::Path;

use crate::RequirementsError;

/// The text of a requirements file.
pub(crate) fn decode(bytes: &[u8], path: &Path) -> Result<String, RequirementsError> {
    let decode_error = |encoding: &str| RequirementsError::Decode {
        path: path.to_path_buf(),
        encoding: encoding.to_string(),
    };
    // UTF-32 first: its little-endian mark starts like UTF-16's.
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE, 0x00, 0x00]) {
        return utf32(rest, u32::from_le_bytes).ok_or_else(|| decode_error("UTF-32"));
    }
    if let Some(rest) = bytes.strip_prefix(&[0x00, 0x00, 0xFE, 0xFF]) {
        return utf32(rest, u32::from_be_bytes).ok_or_else(|| decode_error("UTF-32"));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8(rest.to_vec()).map_err(|_| decode_error("UTF-8"));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16(rest, u16::from_le_bytes).ok_or_else(|| decode_error("UTF-16"));
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return utf16(rest, u16::from_be_bytes).ok_or_else(|| decode_error("UTF-16"));
    }
    match declared_encoding(bytes).as_deref() {
        None | Some("utf-8" | "utf8" | "utf-8-sig" | "u8") => {
            String::from_utf8(bytes.to_vec()).map_err(|_| decode_error("UTF-8"))
        }
        Some("ascii" | "us-ascii" | "646") => {
            if bytes.is_ascii() {
                Ok(String::from_utf8_lossy(bytes).into_owned())
            } else {
                Err(decode_error("ASCII"))
            }
        }
        Some("latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" | "cp819" | "8859") => {
            Ok(bytes.iter().map(|&byte| char::from(byte)).collect())
        }
        Some(other) => Err(RequirementsError::UnsupportedEncoding {
            path: path.to_path_buf(),
            encoding: other.to_string(),
        }),
    }
}

/// The encoding named by a `coding[:=] NAME` comment on the first or second line, lowercased
/// with `_` as `-`.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    for line in bytes.split(|&byte| byte == b'\n').take(2) {
        if !line.starts_with(b"#") {
            continue;
        }
        let line = String::from_utf8_lossy(line);
        let Some(position) = line.find("coding") else {
            continue;
        };
        let rest = &line[position + "coding".len()..];
        let Some(rest) = rest.strip_prefix([':', '=']) else {
            continue;
        };
        let name: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .collect();
        if !name.is_empty() {
            return Some(name.to_lowercase().replace('_', "-"));
        }
    }
    None
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Option<String> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let units = bytes.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()
}

fn utf32(bytes: &[u8], unit: fn([u8; 4]) -> u32) -> Option<String> {
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    bytes
        .chunks_exact(4)
        .map(|quad| char::from_u32(unit([quad[0], quad[1], quad[2], quad[3]])))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_ok(bytes: &[u8]) -> String {
        decode(bytes, Path::new("r.txt")).unwrap()
    }

    fn decode_err(bytes: &[u8]) -> String {
        decode(bytes, Path::new("r.txt")).unwrap_err().to_string()
    }

    #[test]
    fn byte_order_marks() {
        assert_eq!(decode_ok(b"\xEF\xBB\xBFflask\n"), "flask\n");
        assert_eq!(decode_ok(b"\xFF\xFEa\x00=\x00\n\x00"), "a=\n");
        assert_eq!(decode_ok(b"\xFE\xFF\x00a\x00\n"), "a\n");
        assert_eq!(decode_ok(b"\xFF\xFE\x00\x00a\x00\x00\x00"), "a");
        assert_eq!(decode_ok(b"\x00\x00\xFE\xFF\x00\x00\x00a"), "a");
    }

    #[test]
    fn coding_comment() {
        assert_eq!(
            decode_ok(b"# -*- coding: latin-1 -*-\ncaf\xE9\n"),
            "# -*- coding: latin-1 -*-\ncaf\u{e9}\n"
        );
        assert_eq!(
            decode_ok(b"#!x\n# vim: set fileencoding=utf_8 :\nb\n"),
            "#!x\n# vim: set fileencoding=utf_8 :\nb\n"
        );
        // Only the first two lines count.
        assert!(decode(b"a\nb\n# coding: latin-1\n\xE9", Path::new("r.txt")).is_err());
    }

    #[test]
    fn errors() {
        insta::assert_snapshot!(decode_err(b"caf\xE9\n"), @r#"could not read requirements file "r.txt": it is not valid UTF-8"#);
        insta::assert_snapshot!(decode_err(b"# coding: shift_jis\nx\n"), @r#"could not read requirements file "r.txt": its encoding "shift-jis" is not supported (use UTF-8)"#);
        insta::assert_snapshot!(decode_err(b"# coding: ascii\n\xC3\xA9\n"), @r#"could not read requirements file "r.txt": it is not valid ASCII"#);
        insta::assert_snapshot!(decode_err(b"\xFF\xFEa"), @r#"could not read requirements file "r.txt": it is not valid UTF-16"#);
    }
}
