//! `RECORD` files (PEP 376, the binary distribution format): one CSV row per file,
//! `path,algorithm=digest,size`.
//!
//! Traps:
//! - the digest is urlsafe base64 *without* padding (some tools pad anyway: accept both);
//! - it is CSV, so a path with a comma or a quote is quoted (`"a,b.py",sha256=...,3`);
//! - `RECORD` lists itself with an empty hash and size, and so may signature files;
//! - any `hashlib` algorithm may appear; md5 and sha1 are not allowed by the spec.

use base64::Engine;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

/// One row of a RECORD file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordEntry {
    pub(crate) path: String,
    /// `(algorithm, urlsafe base64 digest without padding)`.
    pub(crate) hash: Option<(String, String)>,
    pub(crate) size: Option<u64>,
    /// 1-based line number, for error messages.
    pub(crate) line: usize,
}

/// A syntax error in a RECORD file: the line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordSyntaxError {
    pub(crate) line: usize,
    pub(crate) reason: String,
}

/// Parses RECORD content. Empty lines are skipped.
pub(crate) fn parse_record(content: &str) -> Result<Vec<RecordEntry>, RecordSyntaxError> {
    let mut entries = Vec::new();
    for (line, fields) in parse_csv(content)? {
        if fields.iter().all(String::is_empty) {
            continue;
        }
        let error = |reason: String| RecordSyntaxError { line, reason };
        let mut fields = fields.into_iter();
        let path = fields.next().unwrap_or_default();
        if path.is_empty() {
            return Err(error("the path is empty".to_string()));
        }
        let hash = match fields.next().unwrap_or_default() {
            hash if hash.is_empty() => None,
            hash => {
                let (algorithm, digest) = hash
                    .split_once('=')
                    .ok_or_else(|| error(format!("hash \"{hash}\" is not ALGORITHM=DIGEST")))?;
                Some((
                    algorithm.to_ascii_lowercase(),
                    digest.trim_end_matches('=').to_string(),
                ))
            }
        };
        let size = match fields.next().unwrap_or_default() {
            size if size.is_empty() => None,
            size => Some(
                size.trim()
                    .parse()
                    .map_err(|_| error(format!("size \"{size}\" is not a number")))?,
            ),
        };
        entries.push(RecordEntry {
            path,
            hash,
            size,
            line,
        });
    }
    Ok(entries)
}

/// Splits CSV text into rows of fields, with the line each row starts on. Quoted fields may hold
/// commas, doubled quotes and line breaks.
fn parse_csv(content: &str) -> Result<Vec<(usize, Vec<String>)>, RecordSyntaxError> {
    let mut rows = Vec::new();
    let mut line = 1;
    let mut rest = content;
    while !rest.is_empty() {
        // The common case: a line without quotes or carriage returns is split on its commas.
        let end = rest.find('\n').unwrap_or(rest.len());
        let simple = &rest[..end];
        if !simple.contains(['"', '\r']) {
            rows.push((line, simple.split(',').map(str::to_string).collect()));
            rest = rest.get(end + 1..).unwrap_or("");
            line += 1;
            continue;
        }
        let (row, lines, consumed) = parse_quoted_row(rest, line)?;
        rows.push((line, row));
        line += lines;
        rest = &rest[consumed..];
    }
    Ok(rows)
}

/// Parses one CSV row at the start of `content` (which starts on line `line`), quotes allowed;
/// returns its fields, the lines it spans and the bytes it takes (its line break included).
fn parse_quoted_row(
    content: &str,
    line: usize,
) -> Result<(Vec<String>, usize, usize), RecordSyntaxError> {
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut lines = 1;
    let mut chars = content.char_indices().peekable();
    while let Some((offset, character)) = chars.next() {
        if in_quotes {
            match character {
                '"' if chars.peek().map(|&(_, next)| next) == Some('"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    lines += 1;
                    field.push('\n');
                }
                character => field.push(character),
            }
            continue;
        }
        match character {
            '"' if field.is_empty() => in_quotes = true,
            ',' => fields.push(std::mem::take(&mut field)),
            '\r' if chars.peek().map(|&(_, next)| next) == Some('\n') => {}
            '\n' | '\r' => {
                fields.push(field);
                return Ok((fields, lines, offset + 1));
            }
            character => field.push(character),
        }
    }
    if in_quotes {
        return Err(RecordSyntaxError {
            line,
            reason: "a quoted field is not closed".to_string(),
        });
    }
    fields.push(field);
    Ok((fields, lines, content.len()))
}

/// One row of an installed distribution's `RECORD`: a path relative to the lib directory, and the
/// sha256 (urlsafe base64) and size of the file, or neither (the `RECORD` itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordRow<'a> {
    pub(crate) path: std::borrow::Cow<'a, str>,
    pub(crate) hash: Option<(std::borrow::Cow<'a, str>, u64)>,
}

/// Writes a `RECORD`: rows sorted by path as pip does, one `\n`-terminated line each; of rows
/// with the same path, the last one given wins.
pub(crate) fn write_record(mut rows: Vec<RecordRow<'_>>) -> (String, usize) {
    // Stable: equal paths keep their order, and the later row is kept.
    rows.sort_by(|a, b| a.path.cmp(&b.path));
    rows.dedup_by(|later, earlier| {
        if later.path == earlier.path {
            std::mem::swap(later, earlier);
            true
        } else {
            false
        }
    });
    let mut out = String::with_capacity(rows.len() * 80);
    for row in &rows {
        push_csv_field(&mut out, &row.path);
        match &row.hash {
            Some((hash, size)) => {
                use std::fmt::Write;
                let _ = writeln!(out, ",sha256={hash},{size}");
            }
            None => out.push_str(",,\n"),
        }
    }
    (out, rows.len())
}

/// Writes rows as CSV in the order given, one `\n`-terminated line each.
pub(crate) fn write_rows(rows: &[(String, String, String)]) -> String {
    let mut out = String::new();
    for (path, hash, size) in rows.iter() {
        push_csv_field(&mut out, path);
        out.push(',');
        push_csv_field(&mut out, hash);
        out.push(',');
        push_csv_field(&mut out, size);
        out.push('\n');
    }
    out
}

/// Appends a CSV field quoted the way Python's `csv.writer` does by default (QUOTE_MINIMAL).
fn push_csv_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// `sha256=` + urlsafe base64 without padding, as RECORD writes it.
pub(crate) fn record_digest(digest: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// The RECORD sha256 of `bytes`.
pub(crate) fn sha256_digest(bytes: &[u8]) -> String {
    record_digest(&Sha256::digest(bytes))
}

/// A running hash in one of the algorithms RECORD files use.
pub(crate) enum RecordHasher {
    Sha224(Sha224),
    Sha256(Sha256),
    Sha384(Sha384),
    Sha512(Sha512),
}

/// Why an algorithm named in RECORD cannot be checked.
pub(crate) enum UnsupportedAlgorithm {
    Insecure,
    Unknown,
}

impl RecordHasher {
    pub(crate) fn new(algorithm: &str) -> Result<Self, UnsupportedAlgorithm> {
        match algorithm {
            "sha224" => Ok(Self::Sha224(Sha224::new())),
            "sha256" => Ok(Self::Sha256(Sha256::new())),
            "sha384" => Ok(Self::Sha384(Sha384::new())),
            "sha512" => Ok(Self::Sha512(Sha512::new())),
            "md5" | "sha1" => Err(UnsupportedAlgorithm::Insecure),
            _ => Err(UnsupportedAlgorithm::Unknown),
        }
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Sha224(hasher) => hasher.update(bytes),
            Self::Sha256(hasher) => hasher.update(bytes),
            Self::Sha384(hasher) => hasher.update(bytes),
            Self::Sha512(hasher) => hasher.update(bytes),
        }
    }

    /// The digest in RECORD's encoding.
    pub(crate) fn finish(self) -> String {
        match self {
            Self::Sha224(hasher) => record_digest(&hasher.finalize()),
            Self::Sha256(hasher) => record_digest(&hasher.finalize()),
            Self::Sha384(hasher) => record_digest(&hasher.finalize()),
            Self::Sha512(hasher) => record_digest(&hasher.finalize()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rows_quotes_and_blank_lines() {
        let record = "pkg/__init__.py,sha256=AAAA,3\r\n\"a,b.py\",sha256=BBBB==,4\n\nfoo-1.0.dist-info/RECORD,,\n\"multi\nline\",,";
        let entries = parse_record(record).unwrap();
        assert_eq!(entries.len(), 4);
        assert_eq!(entries[0].path, "pkg/__init__.py");
        assert_eq!(
            entries[0].hash,
            Some(("sha256".to_string(), "AAAA".to_string()))
        );
        assert_eq!(entries[0].size, Some(3));
        assert_eq!(entries[1].path, "a,b.py");
        assert_eq!(entries[1].hash.as_ref().unwrap().1, "BBBB");
        assert_eq!(entries[1].line, 2);
        assert_eq!(entries[2].hash, None);
        assert_eq!(entries[2].size, None);
        assert_eq!(entries[3].path, "multi\nline");
        assert_eq!(entries[3].line, 5);
    }

    #[test]
    fn rejects_bad_rows() {
        let error = parse_record("a.py,sha256=AAAA,many\n").unwrap_err();
        assert_eq!(error.line, 1);
        insta::assert_snapshot!(error.reason, @r#"size "many" is not a number"#);
        let error = parse_record("a.py,AAAA,1\n").unwrap_err();
        insta::assert_snapshot!(error.reason, @r#"hash "AAAA" is not ALGORITHM=DIGEST"#);
        let error = parse_record("ok,,\n\"open,,\n").unwrap_err();
        assert_eq!(error.line, 2);
    }

    #[test]
    fn writes_sorted_quoted_rows_the_last_of_a_path_winning() {
        let row = |path: &'static str, hash: Option<(&'static str, u64)>| RecordRow {
            path: std::borrow::Cow::Borrowed(path),
            hash: hash.map(|(hash, size)| (std::borrow::Cow::Borrowed(hash), size)),
        };
        let rows = vec![
            row("b.py", Some(("X", 1))),
            row("a,1.py", None),
            row("c.pyc", Some(("old", 2))),
            row("c.pyc", Some(("new", 3))),
        ];
        let (record, count) = write_record(rows);
        assert_eq!(count, 3);
        insta::assert_snapshot!(record, @r#"
        "a,1.py",,
        b.py,sha256=X,1
        c.pyc,sha256=new,3
        "#);
        assert_eq!(
            write_rows(&[("a\"b".to_string(), String::new(), "1".to_string())]),
            "\"a\"\"b\",,1\n"
        );
    }

    #[test]
    fn hashes_like_pip() {
        // pip's rehash() of b"hello\n".
        let digest = sha256_digest(b"hello\n");
        assert_eq!(digest, "WJG1tSLV3whtD_CxEPvZ0hu0_HFjrzTQgoai6Eb2vgM");
        let mut hasher = RecordHasher::new("sha256").ok().unwrap();
        hasher.update(b"hello\n");
        assert_eq!(hasher.finish(), digest);
    }
}
