//! The options a requirements-file line may carry, read the way pip reads them.
//!
//! pip splits a line at the first space-separated token that starts with `-`: what comes before
//! is the requirement (left alone, since markers contain quotes), what comes after is split like
//! a POSIX shell would (`shlex.split`) and parsed with `optparse`. So, as in pip:
//! - long options take their value after `=` or as the next token (`--hash=sha256:..`,
//!   `--index-url URL`), short ones attached or as the next token (`-rfile.txt`, `-r file.txt`);
//! - a long option may be abbreviated to any unique prefix (`--extra` for `--extra-index-url`);
//! - an option that takes a value takes the next token even if it starts with `-`.
//!
//! The values with a syntax of their own are checked here too: `--hash=ALGORITHM:DIGEST` (only
//! pip's strong algorithms: sha256, sha384, sha512), `--config-settings KEY=VALUE`, and the
//! comma-separated name lists of `--no-binary`/`--only-binary` with `:all:` and `:none:`.

use volley_packaging::{HashAlgorithm, HashDigest};

use crate::{Origin, RequirementsError};

/// An option that requirements files accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OptionName {
    IndexUrl,
    ExtraIndexUrl,
    NoIndex,
    Constraint,
    Requirement,
    Editable,
    FindLinks,
    NoBinary,
    OnlyBinary,
    PreferBinary,
    RequireHashes,
    Pre,
    TrustedHost,
    UseFeature,
    Hash,
    ConfigSettings,
}

struct Spec {
    name: OptionName,
    long: &'static str,
    short: Option<char>,
    takes_value: bool,
}

const SPECS: &[Spec] = &[
    spec(OptionName::IndexUrl, "--index-url", Some('i'), true),
    spec(OptionName::ExtraIndexUrl, "--extra-index-url", None, true),
    spec(OptionName::NoIndex, "--no-index", None, false),
    spec(OptionName::Constraint, "--constraint", Some('c'), true),
    spec(OptionName::Requirement, "--requirement", Some('r'), true),
    spec(OptionName::Editable, "--editable", Some('e'), true),
    spec(OptionName::FindLinks, "--find-links", Some('f'), true),
    spec(OptionName::NoBinary, "--no-binary", None, true),
    spec(OptionName::OnlyBinary, "--only-binary", None, true),
    spec(OptionName::PreferBinary, "--prefer-binary", None, false),
    spec(OptionName::RequireHashes, "--require-hashes", None, false),
    spec(OptionName::Pre, "--pre", None, false),
    spec(OptionName::TrustedHost, "--trusted-host", None, true),
    spec(OptionName::UseFeature, "--use-feature", None, true),
    spec(OptionName::Hash, "--hash", None, true),
    spec(
        OptionName::ConfigSettings,
        "--config-settings",
        Some('C'),
        true,
    ),
];

const fn spec(
    name: OptionName,
    long: &'static str,
    short: Option<char>,
    takes_value: bool,
) -> Spec {
    Spec {
        name,
        long,
        short,
        takes_value,
    }
}

impl OptionName {
    /// The long spelling, for messages.
    pub(crate) fn long(self) -> &'static str {
        SPECS
            .iter()
            .find(|spec| spec.name == self)
            .map_or("", |spec| spec.long)
    }
}

/// One option found on a line, with its value if it takes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedOption {
    pub(crate) name: OptionName,
    pub(crate) value: Option<String>,
}

/// A line split into its requirement part and its options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SplitLine {
    /// The text before the first option, or empty.
    pub(crate) requirement: String,
    pub(crate) options: Vec<ParsedOption>,
    /// Tokens after the options that are not options (pip ignores them silently).
    pub(crate) extra_arguments: Vec<String>,
}

/// Split a logical line into its requirement part and its parsed options.
pub(crate) fn split_line(line: &str, origin: &Origin) -> Result<SplitLine, RequirementsError> {
    let (requirement, options) = break_requirement_options(line);
    let tokens = shell_split(&options).ok_or_else(|| RequirementsError::UnclosedQuote {
        origin: origin.clone(),
        options: options.clone(),
    })?;
    let (options, extra_arguments) = parse_options(&tokens, origin)?;
    Ok(SplitLine {
        requirement,
        options,
        extra_arguments,
    })
}

/// pip's `break_args_options`: tokens up to the first one starting with `-` are the requirement.
/// pip splits on single spaces only; tabs count as spaces here.
fn break_requirement_options(line: &str) -> (String, String) {
    let tokens: Vec<&str> = line.split([' ', '\t']).collect();
    let split = tokens
        .iter()
        .position(|token| token.starts_with('-'))
        .unwrap_or(tokens.len());
    (tokens[..split].join(" "), tokens[split..].join(" "))
}

/// POSIX shell word splitting as Python's `shlex.split` does it; `None` if a quote is not closed.
fn shell_split(text: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(character) = chars.next() {
        match character {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('"' | '\\') => word.push(c),
                            c => {
                                word.push('\\');
                                word.push(c);
                            }
                        },
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                // A trailing backslash escapes nothing: shlex reports "No escaped character".
                word.push(chars.next()?);
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

fn parse_options(
    tokens: &[String],
    origin: &Origin,
) -> Result<(Vec<ParsedOption>, Vec<String>), RequirementsError> {
    let mut options = Vec::new();
    let mut extra = Vec::new();
    let mut index = 0;
    let missing_value = |option: &str| RequirementsError::MissingValue {
        origin: origin.clone(),
        option: option.to_string(),
    };
    while index < tokens.len() {
        let token = &tokens[index];
        index += 1;
        if token == "--" {
            extra.extend(tokens[index..].iter().cloned());
            break;
        }
        if let Some(long) = token.strip_prefix("--") {
            let (name, attached) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (long, None),
            };
            let spec = find_long(&format!("--{name}"), origin)?;
            let value = if spec.takes_value {
                match attached {
                    Some(value) => Some(value),
                    None => {
                        let value = tokens.get(index).ok_or_else(|| missing_value(spec.long))?;
                        index += 1;
                        Some(value.clone())
                    }
                }
            } else {
                if let Some(value) = attached {
                    return Err(RequirementsError::UnexpectedValue {
                        origin: origin.clone(),
                        option: spec.long.to_string(),
                        value,
                    });
                }
                None
            };
            options.push(ParsedOption {
                name: spec.name,
                value,
            });
        } else if token.len() > 1 && token.starts_with('-') {
            // A cluster of short options (`-r file`, `-rfile`); none of ours is a flag, so the
            // first one takes the rest of the token or the next token as its value.
            let mut characters = token[1..].chars();
            let short = characters.next().unwrap_or('-');
            let spec = SPECS
                .iter()
                .find(|spec| spec.short == Some(short))
                .ok_or_else(|| RequirementsError::UnknownOption {
                    origin: origin.clone(),
                    option: format!("-{short}"),
                })?;
            let rest = characters.as_str();
            let value = if rest.is_empty() {
                let value = tokens
                    .get(index)
                    .ok_or_else(|| missing_value(&format!("-{short}")))?;
                index += 1;
                value.clone()
            } else {
                rest.to_string()
            };
            options.push(ParsedOption {
                name: spec.name,
                value: Some(value),
            });
        } else {
            extra.push(token.clone());
        }
    }
    Ok((options, extra))
}

/// The option spelled `long` exactly, or else the one it is a unique prefix of.
fn find_long(long: &str, origin: &Origin) -> Result<&'static Spec, RequirementsError> {
    if let Some(spec) = SPECS.iter().find(|spec| spec.long == long) {
        return Ok(spec);
    }
    let candidates: Vec<&Spec> = SPECS
        .iter()
        .filter(|spec| spec.long.starts_with(long))
        .collect();
    match candidates.as_slice() {
        [spec] => Ok(spec),
        [] => Err(RequirementsError::UnknownOption {
            origin: origin.clone(),
            option: long.to_string(),
        }),
        _ => Err(RequirementsError::AmbiguousOption {
            origin: origin.clone(),
            option: long.to_string(),
            candidates: candidates
                .iter()
                .map(|spec| spec.long)
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// `--hash=ALGORITHM:DIGEST` with one of pip's strong algorithms.
pub(crate) fn parse_hash(value: &str, origin: &Origin) -> Result<HashDigest, RequirementsError> {
    let invalid = || RequirementsError::InvalidHash {
        origin: origin.clone(),
        value: value.to_string(),
    };
    let (algorithm, digest) = value.split_once(':').ok_or_else(invalid)?;
    let algorithm = match algorithm {
        "sha256" => HashAlgorithm::Sha256,
        "sha384" => HashAlgorithm::Sha384,
        "sha512" => HashAlgorithm::Sha512,
        other => {
            return Err(RequirementsError::WeakHash {
                origin: origin.clone(),
                algorithm: other.to_string(),
            });
        }
    };
    HashDigest::new(algorithm, digest).map_err(|_| invalid())
}

/// `--config-settings KEY=VALUE` (the value may be empty or contain `=`).
pub(crate) fn parse_config_setting(
    value: &str,
    origin: &Origin,
) -> Result<(String, String), RequirementsError> {
    value
        .split_once('=')
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .ok_or_else(|| RequirementsError::InvalidConfigSetting {
            origin: origin.clone(),
            value: value.to_string(),
        })
}

/// pip's `FormatControl.handle_mutual_excludes` for `--no-binary`/`--only-binary`: apply
/// `value` (a comma-separated list of names, `:all:` and `:none:`) to the `target` list, taking
/// the names it gives out of the `other` one. Names come out PEP 503-normalized. Shared by
/// requirements files and pip's configuration, which follow the same rules.
pub fn apply_binary_choice(value: &str, target: &mut Vec<String>, other: &mut Vec<String>) {
    let mut names: Vec<&str> = value.split(',').collect();
    while let Some(position) = names.iter().position(|name| *name == ":all:") {
        other.clear();
        target.clear();
        target.push(":all:".to_string());
        names.drain(..=position);
        // `:all:` covers every name after it, unless a `:none:` follows to start over.
        if !names.contains(&":none:") {
            return;
        }
    }
    for name in names {
        if name == ":none:" {
            target.clear();
            continue;
        }
        let name = normalize(name);
        other.retain(|existing| *existing != name);
        if !target.contains(&name) {
            target.push(name);
        }
    }
}

/// PEP 503 normalization of a package name (pip's `canonicalize_name`).
fn normalize(name: &str) -> String {
    let mut normalized = String::with_capacity(name.len());
    let mut in_separator = false;
    for character in name.chars() {
        if matches!(character, '-' | '_' | '.') {
            in_separator = true;
        } else {
            if in_separator {
                normalized.push('-');
            }
            in_separator = false;
            normalized.push(character.to_ascii_lowercase());
        }
    }
    if in_separator {
        normalized.push('-');
    }
    normalized
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn origin() -> Origin {
        Origin {
            path: PathBuf::from("requirements.txt"),
            line: 3,
        }
    }

    fn render(line: &str) -> String {
        match split_line(line, &origin()) {
            Ok(split) => {
                let mut out = format!("requirement: {:?}", split.requirement);
                for option in split.options {
                    out.push_str(&format!("\n{} {:?}", option.name.long(), option.value));
                }
                if !split.extra_arguments.is_empty() {
                    out.push_str(&format!("\nextra: {:?}", split.extra_arguments));
                }
                out
            }
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn requirement_then_options() {
        insta::assert_snapshot!(render(r#"requests [security] >= 2.8.1 ; python_version < "2.7" --hash=sha256:AB --hash sha256:cd"#), @r#"
        requirement: "requests [security] >= 2.8.1 ; python_version < \"2.7\""
        --hash Some("sha256:AB")
        --hash Some("sha256:cd")
        "#);
    }

    #[test]
    fn every_spelling_of_values() {
        insta::assert_snapshot!(render("-i https://a --extra-index-url=https://b -rother.txt -c c.txt -C k=v --config-settings=x=y --extra https://c"), @r#"
        requirement: ""
        --index-url Some("https://a")
        --extra-index-url Some("https://b")
        --requirement Some("other.txt")
        --constraint Some("c.txt")
        --config-settings Some("k=v")
        --config-settings Some("x=y")
        --extra-index-url Some("https://c")
        "#);
    }

    #[test]
    fn flags() {
        insta::assert_snapshot!(render("--pre --no-index --prefer-binary --require-hashes"), @r#"
        requirement: ""
        --pre None
        --no-index None
        --prefer-binary None
        --require-hashes None
        "#);
    }

    #[test]
    fn shell_quoting() {
        insta::assert_snapshot!(render(r#"--find-links "/path with/spaces" -C 'a=b c' --trusted-host=ho\ st"#), @r#"
        requirement: ""
        --find-links Some("/path with/spaces")
        --config-settings Some("a=b c")
        --trusted-host Some("ho st")
        "#);
        assert_eq!(
            shell_split(r#"a"b\"c\d"e 'x\y'"#).unwrap(),
            [r#"ab"c\de"#, r"x\y"]
        );
    }

    #[test]
    fn value_may_start_with_a_dash() {
        insta::assert_snapshot!(render("--no-binary --pre"), @r#"
        requirement: ""
        --no-binary Some("--pre")
        "#);
    }

    #[test]
    fn extra_arguments_are_kept() {
        insta::assert_snapshot!(render("-r a.txt b.txt"), @r#"
        requirement: ""
        --requirement Some("a.txt")
        extra: ["b.txt"]
        "#);
    }

    #[test]
    fn unknown_option() {
        insta::assert_snapshot!(render("flask --install-option=--prefix"), @"error in requirements.txt line 3: no such option: --install-option");
        insta::assert_snapshot!(render("-x foo"), @"error in requirements.txt line 3: no such option: -x");
    }

    #[test]
    fn ambiguous_option() {
        insta::assert_snapshot!(render("--no"), @"error in requirements.txt line 3: ambiguous option: --no (could be --no-index, --no-binary)");
    }

    #[test]
    fn missing_value() {
        insta::assert_snapshot!(render("--index-url"), @"error in requirements.txt line 3: option --index-url requires a value");
        insta::assert_snapshot!(render("-r"), @"error in requirements.txt line 3: option -r requires a value");
    }

    #[test]
    fn flag_with_a_value() {
        insta::assert_snapshot!(render("--pre=yes"), @r#"error in requirements.txt line 3: option --pre does not take a value, got "yes""#);
    }

    #[test]
    fn unclosed_quote() {
        insta::assert_snapshot!(render("flask --hash='sha256:00"), @r#"error in requirements.txt line 3: could not split options "--hash='sha256:00": no closing quotation"#);
    }
}
