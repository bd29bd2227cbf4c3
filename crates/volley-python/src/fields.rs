//! The raw fields of an installed distribution's metadata file, read as pip reads them for
//! `pip show`, `pip freeze` and `pip list`: Python's `email` parser with the `compat32` policy.
//!
//! [`volley_packaging::CoreMetadata`] is the validated view (normalized name, parsed version and
//! requirements); this is the text view, for output that must spell things as the file does
//! (`Name: Foo_Bar` is shown as `Foo_Bar`, not `foo-bar`).
//!
//! Traps (`email.feedparser` and `email._policybase.Compat32`):
//! - a field's value starts after the colon with leading spaces and tabs removed, and keeps its
//!   continuation lines verbatim: the line breaks and the indentation of a folded value are
//!   part of it (pip prints a folded `Summary` on several lines);
//! - the header section ends at the first empty line, or at the first line that is neither a
//!   field nor a continuation (the rest is the body);
//! - names compare case-insensitively, and `get` returns the first of repeated fields.

/// The header fields of a metadata file, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataFields {
    fields: Vec<(String, String)>,
}

impl MetadataFields {
    /// Reads the header section of `content` (RFC 822 style, as `compat32` does).
    pub fn parse(content: &str) -> Self {
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in content.split_inclusive('\n') {
            let text = line.trim_end_matches(['\r', '\n']);
            if text.is_empty() {
                break;
            }
            if text.starts_with([' ', '\t']) {
                // A continuation line: kept verbatim, as compat32 does (and ignored before the
                // first field).
                if let Some((_, value)) = fields.last_mut() {
                    value.push_str(line);
                }
                continue;
            }
            let Some((name, value)) = text.split_once(':') else {
                break;
            };
            if name.is_empty() || name.chars().any(|c| !c.is_ascii_graphic()) {
                break;
            }
            let mut value = value.trim_start_matches([' ', '\t']).to_string();
            // The line break is dropped only at the very end (below), so a continuation keeps it.
            value.push_str(&line[text.len()..]);
            fields.push((name.to_string(), value));
        }
        for (_, value) in &mut fields {
            let trimmed = value.trim_end_matches(['\r', '\n']).len();
            value.truncate(trimmed);
        }
        Self { fields }
    }

    /// The first value of field `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every value of field `name` (case-insensitive), in file order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Whether the file had no fields at all.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_like_compat32() {
        let fields = MetadataFields::parse(
            "Metadata-Version: 2.1\r\nName:   Foo_Bar\nSummary: a summary\n  folded here\n\
             Requires-Dist: a\nrequires-dist: b (>=1)\nKeywords:\n\nName: body\n",
        );
        assert_eq!(fields.get("name"), Some("Foo_Bar"));
        assert_eq!(fields.get("Metadata-Version"), Some("2.1"));
        assert_eq!(fields.get("Summary"), Some("a summary\n  folded here"));
        assert_eq!(
            fields.get_all("Requires-Dist").collect::<Vec<_>>(),
            ["a", "b (>=1)"]
        );
        assert_eq!(fields.get("Keywords"), Some(""));
        assert_eq!(fields.get("License"), None);
    }

    #[test]
    fn a_line_that_is_not_a_field_ends_the_headers() {
        let fields = MetadataFields::parse("Name: x\nthis is the description\nVersion: 1\n");
        assert_eq!(fields.get("Name"), Some("x"));
        assert_eq!(fields.get("Version"), None);
        assert!(MetadataFields::parse("").is_empty());
        let fields = MetadataFields::parse("  leading continuation\nName: x\n");
        assert_eq!(fields.get("Name"), Some("x"));
    }
}
