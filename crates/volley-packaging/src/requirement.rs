//! PEP 508 requirements as users write them, with errors that point at the position.
//!
//! The name, extras, version specifiers and URL are parsed by `pep508_rs`; the marker after
//! `;` by [`crate::marker`], with `packaging`'s grammar (pep508_rs's own marker parser is
//! stricter than pip's and panics on some markers). The marker starts at the first `;` after
//! which a whole marker parses (a URL may itself hold `;`). Errors keep pep508_rs's three-line
//! display (reason, the input, a caret line under the problem), so callers can show users
//! where the requirement went wrong.

use std::str::FromStr;

use crate::Requirement;
use crate::marker::{MarkerExpression, parse_marker};

/// Parse one PEP 508 requirement string, e.g. `flask[async]>=2; python_version >= "3.8"`.
pub fn parse_requirement(input: &str) -> Result<Requirement, RequirementError> {
    let error = |message: String| RequirementError {
        input: input.to_string(),
        message,
    };
    let mut first_marker_error = None;
    for (index, _) in input.match_indices(';') {
        let (head, marker) = (&input[..index], &input[index + 1..]);
        if MarkerExpression::parse(marker).is_err() {
            continue;
        }
        let Ok(mut requirement) = Requirement::from_str(head) else {
            continue;
        };
        match parse_marker(marker) {
            Ok(tree) => {
                requirement.marker = tree;
                return Ok(requirement);
            }
            Err(marker_error) => {
                first_marker_error.get_or_insert(marker_error);
            }
        }
    }
    if let Some(marker_error) = first_marker_error {
        return Err(error(marker_error.to_string()));
    }
    // No `;` starts a marker of packaging's grammar: either there is no marker (a URL may hold
    // `;`), or the text is wrong, which pep508_rs's error describes.
    Requirement::from_str(input).map_err(|requirement_error| error(requirement_error.to_string()))
}

/// A requirement that does not parse; the message shows the input with a caret under the
/// position of the problem.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid requirement \"{input}\": {message}")]
pub struct RequirementError {
    pub input: String,
    pub message: String,
}

impl RequirementError {
    /// The reason alone: the message's first line, without the input and caret lines.
    pub fn reason(&self) -> &str {
        self.message.lines().next().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ExtraName, PackageName, VersionOrUrl};

    #[test]
    fn parses_name_extras_specifiers_and_markers() {
        let requirement =
            parse_requirement("Flask[Async, dotenv]>=2.0,<3; python_version >= \"3.8\"").unwrap();
        assert_eq!(requirement.name, PackageName::from_str("flask").unwrap());
        assert_eq!(
            requirement.extras,
            vec![
                ExtraName::from_str("async").unwrap(),
                ExtraName::from_str("dotenv").unwrap()
            ]
        );
        let Some(VersionOrUrl::VersionSpecifier(specifiers)) = &requirement.version_or_url else {
            panic!(
                "expected version specifiers, got {:?}",
                requirement.version_or_url
            );
        };
        assert_eq!(specifiers.to_string(), ">=2.0, <3");
        assert_eq!(
            requirement.marker.try_to_string().as_deref(),
            Some("python_full_version >= '3.8'")
        );
    }

    #[test]
    fn parses_url_requirements() {
        let requirement =
            parse_requirement("pip @ https://example.com/pip-24.0-py3-none-any.whl").unwrap();
        let Some(VersionOrUrl::Url(url)) = &requirement.version_or_url else {
            panic!("expected a URL, got {:?}", requirement.version_or_url);
        };
        assert_eq!(
            url.to_string(),
            "https://example.com/pip-24.0-py3-none-any.whl"
        );
    }

    /// Markers from real metadata that pep508_rs alone refuses, or panics on.
    #[test]
    fn markers_are_read_with_packagings_grammar() {
        let spaced =
            parse_requirement("foo>=1; python_version >= '3' and (os_name == 'nt')").unwrap();
        for text in [
            "foo>=1; python_version >= '3' and(os_name == 'nt')",
            "foo>=1;python_version>='3'and(os_name=='nt')",
            "foo >=1 ; (python_version >= \"3\")and os_name == \"nt\"",
        ] {
            assert_eq!(parse_requirement(text).unwrap(), spaced, "{text}");
        }
        // pep508_rs 0.9 panics on this one (and its marker interner stays poisoned after).
        let error = parse_requirement("foo; os_name ~= '1.0'").unwrap_err();
        insta::assert_snapshot!(error, @r#"invalid requirement "foo; os_name ~= '1.0'": invalid marker " os_name ~= '1.0'": os_name ~= "1.0": "~=" has no meaning for the string variable os_name"#);
        assert!(parse_requirement("bar; os_name == 'nt'").is_ok());
        // A `;` inside a URL is not a marker.
        let requirement =
            parse_requirement("pkg @ https://host/x;y/pkg-1.0.tar.gz ; os_name == 'nt'").unwrap();
        let Some(VersionOrUrl::Url(url)) = &requirement.version_or_url else {
            panic!("expected a URL");
        };
        assert_eq!(url.to_string(), "https://host/x;y/pkg-1.0.tar.gz");
        assert_eq!(
            requirement.marker.try_to_string().as_deref(),
            Some("os_name == 'nt'")
        );
        assert!(parse_requirement("pkg @ https://host/x;y/pkg-1.0.tar.gz").is_ok());
        // Metadata with such a marker reads.
        let metadata = crate::CoreMetadata::parse(
            b"Metadata-Version: 2.1\nName: a\nVersion: 1.0\nRequires-Dist: b; extra == 'x' and(python_version < '4')\n",
        )
        .unwrap();
        assert_eq!(metadata.requires_dist.len(), 1);
    }

    #[test]
    fn missing_version_after_operator() {
        let error = parse_requirement("flask>=").unwrap_err();
        insta::assert_snapshot!(error, @r#"
        invalid requirement "flask>=": Unexpected end of version specifier, expected version
        flask>=
             ^^
        "#);
    }

    #[test]
    fn unclosed_extras() {
        let error = parse_requirement("foo[bar").unwrap_err();
        insta::assert_snapshot!(error, @r#"
        invalid requirement "foo[bar": Missing closing bracket (expected ']', found end of dependency specification)
        foo[bar
           ^
        "#);
    }

    #[test]
    fn missing_url_after_at() {
        let error = parse_requirement("name @").unwrap_err();
        insta::assert_snapshot!(error, @r#"
        invalid requirement "name @": Expected URL
        name @
              ^
        "#);
    }

    #[test]
    fn error_keeps_input() {
        let error = parse_requirement("foo ==").unwrap_err();
        assert_eq!(error.input, "foo ==");
        assert!(error.message.contains('^'), "{}", error.message);
    }
}
