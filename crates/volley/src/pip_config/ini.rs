//! Python's `configparser.RawConfigParser`, as pip uses it to read `pip.conf`: strict (a
//! section or key written twice in one file is an error), no interpolation, `#`/`;` comments
//! only at the start of a line, indented continuation lines, and a `[DEFAULT]` section whose
//! keys every other section inherits.

use std::path::Path;

use super::PipConfigError;

/// Python's `RawConfigParser` on one file (strict, no interpolation, `#`/`;` comments at the
/// start of a line only): `(section, key, value)` for every section but `DEFAULT`, whose keys
/// come first in each section as Python's `items(section)` gives them.
pub(super) fn parse_ini(
    text: &str,
    path: &Path,
) -> Result<Vec<(String, String, String)>, PipConfigError> {
    /// A key and its value lines (continuations and blank lines joined at the end).
    type Options = Vec<(String, Vec<String>)>;
    let mut defaults: Options = Vec::new();
    let mut sections: Vec<(String, Options)> = Vec::new();
    // `None` before the first header; `Some(None)` is `[DEFAULT]`.
    let mut current: Option<Option<usize>> = None;
    let mut option: Option<usize> = None;
    let mut indent_level = 0;

    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let stripped = line.trim();
        let comment = stripped.starts_with('#') || stripped.starts_with(';');
        if stripped.is_empty() || comment {
            // A blank line (not a comment) inside a value is kept, as Python keeps it.
            if !comment && let (Some(section), Some(option)) = (current, option) {
                let options = match section {
                    Some(index) => &mut sections[index].1,
                    None => &mut defaults,
                };
                options[option].1.push(String::new());
            }
            continue;
        }
        let indent = line.chars().take_while(|c| c.is_whitespace()).count();
        if let (Some(section), Some(option)) = (current, option)
            && indent > indent_level
        {
            let options = match section {
                Some(index) => &mut sections[index].1,
                None => &mut defaults,
            };
            options[option].1.push(stripped.to_string());
            continue;
        }
        indent_level = indent;

        if let Some(header) = section_header(stripped) {
            option = None;
            if header == "DEFAULT" {
                current = Some(None);
            } else if sections.iter().any(|(name, _)| name == header) {
                return Err(PipConfigError::DuplicateSection {
                    path: path.to_path_buf(),
                    line: number,
                    section: header.to_string(),
                });
            } else {
                sections.push((header.to_string(), Vec::new()));
                current = Some(Some(sections.len() - 1));
            }
            continue;
        }
        let Some(section) = current else {
            return Err(PipConfigError::MissingSection {
                path: path.to_path_buf(),
                line: number,
                text: stripped.to_string(),
            });
        };
        let invalid_line = || PipConfigError::InvalidLine {
            path: path.to_path_buf(),
            line: number,
            text: stripped.to_string(),
        };
        let separator = stripped.find(['=', ':']).ok_or_else(invalid_line)?;
        let name = stripped[..separator].trim_end().to_lowercase();
        if name.is_empty() {
            return Err(invalid_line());
        }
        let value = stripped[separator + 1..].trim().to_string();
        let (section_name, options) = match section {
            Some(index) => {
                let (name, options) = &mut sections[index];
                (name.as_str(), options)
            }
            None => ("DEFAULT", &mut defaults),
        };
        if options.iter().any(|(existing, _)| *existing == name) {
            return Err(PipConfigError::DuplicateOption {
                path: path.to_path_buf(),
                line: number,
                section: section_name.to_string(),
                name,
            });
        }
        options.push((name, vec![value]));
        option = Some(options.len() - 1);
    }

    let join = |lines: &[String]| lines.join("\n").trim_end().to_string();
    let mut items = Vec::new();
    for (section, options) in &sections {
        let mut merged: Vec<(&str, &[String])> = defaults
            .iter()
            .map(|(name, lines)| (name.as_str(), lines.as_slice()))
            .collect();
        for (name, lines) in options {
            match merged.iter_mut().find(|(existing, _)| existing == name) {
                Some(slot) => slot.1 = lines,
                None => merged.push((name, lines)),
            }
        }
        for (name, lines) in merged {
            items.push((section.clone(), name.to_string(), join(lines)));
        }
    }
    Ok(items)
}

/// Python's `\[(?P<header>.+)\]` matched at the start of a stripped line: everything between
/// the first `[` and the last `]`, at least one character.
fn section_header(line: &str) -> Option<&str> {
    let rest = line.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    (end > 0).then(|| &rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_values_join_continuation_lines() {
        let items = parse_ini(
            "[global]\na = one\n  two\n\n  three\n\nb =\n\tx\n[x]\n c = 1\n",
            Path::new("pip.conf"),
        )
        .unwrap();
        insta::assert_debug_snapshot!(items, @r#"
        [
            (
                "global",
                "a",
                "one\ntwo\n\nthree",
            ),
            (
                "global",
                "b",
                "\nx",
            ),
            (
                "x",
                "c",
                "1",
            ),
        ]
        "#);
    }

    #[test]
    fn ini_errors_name_the_file_and_line() {
        let cases = [
            "timeout = 5\n[global]\n",
            "[global]\ntimeout 5\n",
            "[global]\n= 5\n",
            "[global]\ntimeout = 5\n[install]\n[global]\n",
            "[global]\ntimeout = 5\nTimeout = 6\n",
            "[DEFAULT]\na = 1\n[DEFAULT]\na = 2\n",
        ];
        let messages: Vec<String> = cases
            .iter()
            .map(|text| {
                parse_ini(text, Path::new("pip.conf"))
                    .unwrap_err()
                    .to_string()
            })
            .collect();
        insta::assert_snapshot!(messages.join("\n"), @r#"
        error in pip.conf line 1: "timeout = 5" comes before any [section] header (start the file with [global])
        error in pip.conf line 2: expected "name = value" or a [section] header, got "timeout 5"
        error in pip.conf line 2: expected "name = value" or a [section] header, got "= 5"
        error in pip.conf line 4: section [global] is written twice
        error in pip.conf line 3: option "timeout" is written twice in section [global]
        error in pip.conf line 4: option "a" is written twice in section [DEFAULT]
        "#);
    }

    #[test]
    fn section_headers_match_pythons_pattern() {
        assert_eq!(section_header("[global]"), Some("global"));
        assert_eq!(section_header("[global] trailing"), Some("global"));
        assert_eq!(section_header("[a]b]"), Some("a]b"));
        assert_eq!(section_header("[]"), None);
        assert_eq!(section_header("global]"), None);
    }
}
