//! PEP 508 requirements as users write them, with errors that point at the position.
//!
//! Parsing is `pep508_rs`'s; this module only turns its error into [`RequirementError`], whose
//! message keeps pep508_rs's three-line display (reason, the input, a caret line under the
//! problem), so callers can show users where the requirement went wrong.

use std::str::FromStr;

use crate::Requirement;

/// Parse one PEP 508 requirement string, e.g. `flask[async]>=2; python_version >= "3.8"`.
pub fn parse_requirement(input: &str) -> Result<Requirement, RequirementError> {
    Requirement::from_str(input).map_err(|error| RequirementError {
        input: input.to_string(),
        message: error.to_string(),
    })
}

/// A requirement that does not parse; the message shows the input with a caret under the
/// position of the problem.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid requirement \"{input}\": {message}")]
pub struct RequirementError {
    pub input: String,
    pub message: String,
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
