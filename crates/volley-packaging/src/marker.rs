//! PEP 508 environment markers, read with `packaging`'s grammar (what pip accepts), then
//! lowered to `pep508_rs`'s [`MarkerTree`] for evaluation and algebra.
//!
//! Why our own parser: pep508_rs 0.9 (frozen) is stricter than `packaging` (it wants spaces
//! around `and`/`or`, so `python_version >= "3" and(os_name == "nt")` from real metadata fails)
//! and *panics* on some markers packaging accepts (`os_name ~= "1.0"`), which would poison its
//! global marker interner for the rest of the process. So markers never reach pep508_rs as
//! text: [`MarkerExpression::parse`] reads them exactly as `packaging.markers.Marker` does
//! (its `_tokenizer`/`_parser` rules), and [`MarkerExpression::to_tree`] hands pep508_rs one
//! comparison at a time, in a canonical form it is known to handle, combining them with its
//! `and`/`or`.
//!
//! The grammar (`packaging`'s):
//! ```text
//! marker      = atom (BOOLOP atom)*                      BOOLOP = \b(and|or)\b ("and" binds tighter)
//! atom        = WS? '(' WS? marker WS? ')' WS? | WS? item WS?
//! item        = var WS? op WS? var
//! var         = VARIABLE | QUOTED_STRING                 QUOTED_STRING = '[^']*' | "[^"]*", a Python literal
//! op          = 'in' | 'not' WS 'in' | === | == | ~= | != | <= | >= | < | >
//! ```
//! `VARIABLE` includes the PEP 345 spellings (`os.name`, `sys.platform`, `platform.version`,
//! `platform.machine`, `platform.python_implementation`), setuptools' `python_implementation`,
//! and PEP 751's `extras` and `dependency_groups`.
//!
//! Lowering follows packaging's evaluation, and refuses (an error, never a guess) what
//! packaging cannot evaluate either: `~=` and `===` on a string variable (packaging raises
//! `UndefinedComparison`), two variables or two strings compared, a version variable compared
//! with something that is not a version. `extra == "name"` compares normalized names; an
//! extra that is not a valid name never matches. `extras` and `dependency_groups` exist only in
//! lock files ([`MarkerContext`]), where they are the requested sets and the comparison is
//! decided at once. `===` on a version variable is taken as `==` (pep508_rs has no arbitrary
//! equality; interpreters report normalized versions), and `"3.8" in python_full_version` (a
//! substring test in packaging) as a release prefix, `python_full_version == "3.8.*"`.

use std::fmt;
use std::str::FromStr;

use pep508_rs::{ExtraName, MarkerTree, MarkerWarningKind};

/// A parsed marker, before lowering: `and`/`or` over comparisons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkerExpression {
    Compare {
        left: MarkerOperand,
        operator: MarkerOperator,
        right: MarkerOperand,
    },
    And(Vec<MarkerExpression>),
    Or(Vec<MarkerExpression>),
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarkerOperand {
    /// A marker variable by its canonical name (`os.name` is `os_name`, `python_implementation`
    /// is `platform_python_implementation`).
    Variable(&'static str),
    /// A quoted string, its Python escapes decoded.
    Value(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerOperator {
    Equal,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    Compatible,
    Arbitrary,
    In,
    NotIn,
}

impl MarkerOperator {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Equal => "==",
            Self::NotEqual => "!=",
            Self::Less => "<",
            Self::LessEqual => "<=",
            Self::Greater => ">",
            Self::GreaterEqual => ">=",
            Self::Compatible => "~=",
            Self::Arbitrary => "===",
            Self::In => "in",
            Self::NotIn => "not in",
        }
    }
}

/// What the variables of lock files stand for: in a lock file (PEP 751), `extras` and
/// `dependency_groups` are the sets the installer was asked for; elsewhere they do not exist.
#[derive(Debug, Clone, Copy, Default)]
pub struct MarkerContext<'a> {
    /// `Some` in a lock file: the requested extras and dependency groups.
    pub lock_file: Option<(&'a [String], &'a [String])>,
}

/// A marker that does not parse, or that cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid marker \"{input}\": {reason}{}", caret(*position, input))]
pub struct MarkerError {
    pub input: String,
    pub reason: String,
    /// Where the problem is, in bytes, when it is one place.
    pub position: Option<usize>,
}

fn caret(position: Option<usize>, input: &str) -> String {
    match position {
        Some(position) => {
            let column = input
                .get(..position)
                .map_or(position, |text| text.chars().count());
            format!("\n{input}\n{}^", " ".repeat(column))
        }
        None => String::new(),
    }
}

/// Parses `text` as a marker (packaging's grammar) and lowers it for a requirement (no
/// `extras`/`dependency_groups`).
pub fn parse_marker(text: &str) -> Result<MarkerTree, MarkerError> {
    MarkerExpression::parse(text)?.to_tree(text, MarkerContext::default())
}

impl MarkerExpression {
    /// Parses `text` with packaging's grammar (see the module documentation).
    pub fn parse(text: &str) -> Result<Self, MarkerError> {
        let mut parser = Parser {
            input: text,
            position: 0,
        };
        let expression = parser.marker()?;
        if parser.position < text.len() {
            return Err(parser.error("expected end of marker expression"));
        }
        Ok(expression)
    }

    /// Lowers the expression to pep508_rs's tree; `input` is the text it was parsed from, for
    /// errors.
    pub fn to_tree(
        &self,
        input: &str,
        context: MarkerContext<'_>,
    ) -> Result<MarkerTree, MarkerError> {
        match self {
            Self::And(parts) => {
                let mut tree = MarkerTree::TRUE;
                for part in parts {
                    tree.and(part.to_tree(input, context)?);
                }
                Ok(tree)
            }
            Self::Or(parts) => {
                let mut tree = MarkerTree::FALSE;
                for part in parts {
                    tree.or(part.to_tree(input, context)?);
                }
                Ok(tree)
            }
            Self::Compare {
                left,
                operator,
                right,
            } => compare(left, *operator, right, context).map_err(|reason| MarkerError {
                input: input.to_string(),
                reason: format!("{self}: {reason}"),
                position: None,
            }),
        }
    }
}

/// As packaging writes markers back: `"` quotes, one space around operators.
impl fmt::Display for MarkerExpression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, parts: &[Self], word: &str| {
            for (index, part) in parts.iter().enumerate() {
                if index > 0 {
                    write!(f, " {word} ")?;
                }
                // "and" binds tighter than "or": only an "or" inside an "and" needs parentheses.
                if word == "and" && matches!(part, Self::Or(_)) {
                    write!(f, "({part})")?;
                } else {
                    write!(f, "{part}")?;
                }
            }
            Ok(())
        };
        match self {
            Self::Compare {
                left,
                operator,
                right,
            } => write!(f, "{left} {} {right}", operator.as_str()),
            Self::And(parts) => join(f, parts, "and"),
            Self::Or(parts) => join(f, parts, "or"),
        }
    }
}

impl fmt::Display for MarkerOperand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Variable(name) => f.write_str(name),
            Self::Value(value) => write!(f, "\"{value}\""),
        }
    }
}

/// Variables whose comparisons packaging makes as PEP 440 versions when the other side is one.
const VERSION_VARIABLES: [&str; 3] = [
    "python_version",
    "python_full_version",
    "implementation_version",
];

/// One comparison as a pep508_rs tree (see the module documentation for the rules).
fn compare(
    left: &MarkerOperand,
    operator: MarkerOperator,
    right: &MarkerOperand,
    context: MarkerContext<'_>,
) -> Result<MarkerTree, String> {
    let (variable, value, variable_first) = match (left, right) {
        (MarkerOperand::Variable(variable), MarkerOperand::Value(value)) => {
            (*variable, value, true)
        }
        (MarkerOperand::Value(value), MarkerOperand::Variable(variable)) => {
            (*variable, value, false)
        }
        (MarkerOperand::Variable(_), MarkerOperand::Variable(_)) => {
            return Err("comparing two variables is not supported".to_string());
        }
        (MarkerOperand::Value(_), MarkerOperand::Value(_)) => {
            return Err("comparing two strings is not supported".to_string());
        }
    };
    let constant = |value: bool| {
        Ok(if value {
            MarkerTree::TRUE
        } else {
            MarkerTree::FALSE
        })
    };
    if matches!(variable, "extras" | "dependency_groups") {
        let Some((extras, groups)) = context.lock_file else {
            return Err(format!("\"{variable}\" exists only in lock files"));
        };
        let names = if variable == "extras" { extras } else { groups };
        let contains = || names.iter().any(|name| normalize(name) == normalize(value));
        return match (operator, variable_first) {
            (MarkerOperator::In, false) => constant(contains()),
            (MarkerOperator::NotIn, false) => constant(!contains()),
            _ => Err(format!(
                "\"{variable}\" can only be tested with \"NAME\" in {variable}"
            )),
        };
    }
    if variable == "extra" {
        return match operator {
            MarkerOperator::Equal | MarkerOperator::NotEqual => {
                if ExtraName::from_str(value).is_err() {
                    // packaging compares normalized names: no extra is ever named like this.
                    return constant(operator == MarkerOperator::NotEqual);
                }
                atom(&format!("extra {} {}", operator.as_str(), quote(value)?))
            }
            _ => Err("an extra can only be compared with == or !=".to_string()),
        };
    }
    let is_version = VERSION_VARIABLES.contains(&variable);
    let operator = match operator {
        MarkerOperator::Arbitrary if is_version => MarkerOperator::Equal,
        MarkerOperator::Arbitrary | MarkerOperator::Compatible if !is_version => {
            return Err(format!(
                "\"{}\" has no meaning for the string variable {variable}",
                operator.as_str()
            ));
        }
        other => other,
    };
    if is_version
        && !variable_first
        && matches!(operator, MarkerOperator::In | MarkerOperator::NotIn)
    {
        // packaging tests a substring of the version; in practice a release prefix
        // (`"2.7" in python_full_version`), which is what this keeps.
        let negated = if operator == MarkerOperator::In {
            "=="
        } else {
            "!="
        };
        return atom(&format!(
            "{variable} {negated} {}",
            quote(&format!("{value}.*"))?
        ));
    }
    let quoted = quote(value)?;
    let text = if variable_first {
        format!("{variable} {} {quoted}", operator.as_str())
    } else {
        format!("{quoted} {} {variable}", operator.as_str())
    };
    atom(&text)
}

/// pep508_rs's tree for one canonical comparison; an expression it would ignore (it reports a
/// warning and treats it as true) is an error here.
fn atom(text: &str) -> Result<MarkerTree, String> {
    let mut ignored = Vec::new();
    let mut reporter = |kind: MarkerWarningKind, message: String| {
        if kind != MarkerWarningKind::DeprecatedMarkerName {
            ignored.push(message);
        }
    };
    let tree = MarkerTree::parse_reporter(text, &mut reporter)
        .map_err(|error| error.message.to_string())?;
    match ignored.first() {
        Some(message) => Err(message.split_whitespace().collect::<Vec<_>>().join(" ")),
        None => Ok(tree),
    }
}

/// `value` quoted for pep508_rs, which knows no escapes.
fn quote(value: &str) -> Result<String, String> {
    if !value.contains('\'') {
        Ok(format!("'{value}'"))
    } else if !value.contains('"') {
        Ok(format!("\"{value}\""))
    } else {
        Err("a value holding both kinds of quotes is not supported".to_string())
    }
}

/// PEP 503/685 normalization, for extra and group names.
fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
        } else {
            if separator && !out.is_empty() {
                out.push('-');
            }
            separator = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Variable spellings, longest first where one is a prefix of another, with their canonical
/// names.
const VARIABLES: [(&str, &str); 20] = [
    ("python_version", "python_version"),
    ("python_full_version", "python_full_version"),
    ("os_name", "os_name"),
    ("os.name", "os_name"),
    ("sys_platform", "sys_platform"),
    ("sys.platform", "sys_platform"),
    ("platform_release", "platform_release"),
    ("platform_system", "platform_system"),
    ("platform_version", "platform_version"),
    ("platform.version", "platform_version"),
    ("platform_machine", "platform_machine"),
    ("platform.machine", "platform_machine"),
    (
        "platform_python_implementation",
        "platform_python_implementation",
    ),
    (
        "platform.python_implementation",
        "platform_python_implementation",
    ),
    ("python_implementation", "platform_python_implementation"),
    ("implementation_name", "implementation_name"),
    ("implementation_version", "implementation_version"),
    ("extras", "extras"),
    ("extra", "extra"),
    ("dependency_groups", "dependency_groups"),
];

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

struct Parser<'a> {
    input: &'a str,
    position: usize,
}

impl Parser<'_> {
    fn error(&self, reason: &str) -> MarkerError {
        MarkerError {
            input: self.input.to_string(),
            reason: reason.to_string(),
            position: Some(self.position),
        }
    }

    fn rest(&self) -> &str {
        &self.input[self.position..]
    }

    /// `[ \t]+`, optional.
    fn whitespace(&mut self) -> bool {
        let skipped = self
            .rest()
            .bytes()
            .take_while(|byte| matches!(byte, b' ' | b'\t'))
            .count();
        self.position += skipped;
        skipped > 0
    }

    /// `\bword\b` at the current position.
    fn word(&self, word: &str) -> bool {
        let bytes = self.input.as_bytes();
        let start = self.position;
        let end = start + word.len();
        self.rest().starts_with(word)
            && (start == 0 || !is_word(bytes[start - 1]))
            && (end == bytes.len() || !is_word(bytes[end]))
    }

    fn marker(&mut self) -> Result<MarkerExpression, MarkerError> {
        // "and" binds tighter than "or", as packaging evaluates its flat list.
        let mut alternatives = Vec::new();
        let mut conjunction = vec![self.atom()?];
        loop {
            if self.word("and") {
                self.position += 3;
                conjunction.push(self.atom()?);
            } else if self.word("or") {
                self.position += 2;
                alternatives.push(collapse(
                    std::mem::take(&mut conjunction),
                    MarkerExpression::And,
                ));
                conjunction.push(self.atom()?);
            } else {
                break;
            }
        }
        alternatives.push(collapse(conjunction, MarkerExpression::And));
        Ok(collapse(alternatives, MarkerExpression::Or))
    }

    fn atom(&mut self) -> Result<MarkerExpression, MarkerError> {
        self.whitespace();
        let expression = if self.rest().starts_with('(') {
            let open = self.position;
            self.position += 1;
            self.whitespace();
            let inner = self.marker()?;
            self.whitespace();
            if !self.rest().starts_with(')') {
                let mut error = self.error(
                    "expected matching right parenthesis for left parenthesis, after marker expression",
                );
                error.position = Some(open);
                return Err(error);
            }
            self.position += 1;
            inner
        } else {
            self.item()?
        };
        self.whitespace();
        Ok(expression)
    }

    fn item(&mut self) -> Result<MarkerExpression, MarkerError> {
        self.whitespace();
        let left = self.operand()?;
        self.whitespace();
        let operator = self.operator()?;
        self.whitespace();
        let right = self.operand()?;
        self.whitespace();
        Ok(MarkerExpression::Compare {
            left,
            operator,
            right,
        })
    }

    fn operand(&mut self) -> Result<MarkerOperand, MarkerError> {
        for (spelling, canonical) in VARIABLES {
            if self.word(spelling) {
                self.position += spelling.len();
                return Ok(MarkerOperand::Variable(canonical));
            }
        }
        let rest = self.rest();
        let Some(quote) = rest.chars().next().filter(|c| matches!(c, '\'' | '"')) else {
            return Err(self.error("expected a marker variable or quoted string"));
        };
        let Some(length) = rest[1..].find(quote) else {
            return Err(self.error("expected a marker variable or quoted string"));
        };
        let raw = &rest[1..1 + length];
        let value = python_string(raw).map_err(|reason| {
            let mut error = self.error(&format!("invalid quoted string: {reason}"));
            error.position = Some(self.position + length + 1);
            error
        })?;
        self.position += length + 2;
        Ok(MarkerOperand::Value(value))
    }

    fn operator(&mut self) -> Result<MarkerOperator, MarkerError> {
        if self.word("in") {
            self.position += 2;
            return Ok(MarkerOperator::In);
        }
        if self.word("not") {
            self.position += 3;
            if !self.whitespace() {
                return Err(self.error("expected whitespace after 'not'"));
            }
            if !self.word("in") {
                return Err(self.error("expected 'in' after 'not'"));
            }
            self.position += 2;
            return Ok(MarkerOperator::NotIn);
        }
        for (text, operator) in [
            ("===", MarkerOperator::Arbitrary),
            ("==", MarkerOperator::Equal),
            ("~=", MarkerOperator::Compatible),
            ("!=", MarkerOperator::NotEqual),
            ("<=", MarkerOperator::LessEqual),
            (">=", MarkerOperator::GreaterEqual),
            ("<", MarkerOperator::Less),
            (">", MarkerOperator::Greater),
        ] {
            if self.rest().starts_with(text) {
                self.position += text.len();
                return Ok(operator);
            }
        }
        Err(self
            .error("expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in"))
    }
}

fn collapse(
    mut parts: Vec<MarkerExpression>,
    wrap: fn(Vec<MarkerExpression>) -> MarkerExpression,
) -> MarkerExpression {
    if parts.len() == 1 {
        parts.remove(0)
    } else {
        wrap(parts)
    }
}

/// The value of a Python string literal's body (packaging reads quoted strings with
/// `ast.literal_eval`): backslash escapes decoded, unknown ones kept as written.
fn python_string(raw: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(escape) = chars.next() else {
            return Err("it ends with a backslash".to_string());
        };
        let mut hex = |digits: usize| -> Result<char, String> {
            let text: String = (0..digits).filter_map(|_| chars.next()).collect();
            u32::from_str_radix(&text, 16)
                .ok()
                .filter(|_| text.len() == digits && text.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(char::from_u32)
                .ok_or_else(|| format!("invalid \\{escape} escape"))
        };
        match escape {
            '\n' => {}
            '\\' | '\'' | '"' => out.push(escape),
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            'x' => out.push(hex(2)?),
            'u' => out.push(hex(4)?),
            'U' => out.push(hex(8)?),
            'N' => return Err("named escapes are not supported".to_string()),
            '0'..='7' => {
                let mut value = escape.to_digit(8).unwrap_or_default();
                for _ in 0..2 {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(digit) => {
                            value = value * 8 + digit;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(char::from_u32(value).ok_or("invalid octal escape")?);
            }
            other => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use pep508_rs::{MarkerEnvironment, MarkerEnvironmentBuilder};
    use proptest::prelude::*;

    use super::*;

    /// packaging's test variables: PEP 508, PEP 345 and setuptools spellings.
    const VARIABLE_SPELLINGS: [&str; 18] = [
        "extra",
        "implementation_name",
        "implementation_version",
        "os_name",
        "platform_machine",
        "platform_release",
        "platform_system",
        "platform_version",
        "python_full_version",
        "python_version",
        "platform_python_implementation",
        "sys_platform",
        "os.name",
        "sys.platform",
        "platform.version",
        "platform.machine",
        "platform.python_implementation",
        "python_implementation",
    ];
    const OPERATORS: [&str; 10] = [
        "===", "==", ">=", "<=", "!=", "~=", ">", "<", "in", "not in",
    ];
    const VALUES: [&str; 6] = [
        "1.0",
        "5.6a0",
        "dog",
        "freebsd",
        "literally any string can go here",
        "things @#4 dsfd (((",
    ];

    fn environment(overrides: &[(&str, &str)]) -> MarkerEnvironment {
        let value = |key: &str, default: &'static str| {
            overrides
                .iter()
                .find(|(name, _)| *name == key)
                .map_or(default, |(_, value)| value)
        };
        MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
            implementation_name: value("implementation_name", "cpython"),
            implementation_version: value("implementation_version", "3.11.7"),
            os_name: value("os_name", "posix"),
            platform_machine: value("platform_machine", "x86_64"),
            platform_python_implementation: value("platform_python_implementation", "CPython"),
            platform_release: value("platform_release", "6.1.0"),
            platform_system: value("platform_system", "Linux"),
            platform_version: value("platform_version", "#1 SMP"),
            python_full_version: value("python_full_version", "3.11.7"),
            python_version: value("python_version", "3.11"),
            sys_platform: value("sys_platform", "linux"),
        })
        .unwrap()
    }

    fn evaluate(marker: &str, overrides: &[(&str, &str)], extras: &[&str]) -> bool {
        let extras: Vec<ExtraName> = extras
            .iter()
            .map(|e| ExtraName::from_str(e).unwrap())
            .collect();
        parse_marker(marker)
            .unwrap_or_else(|error| panic!("{error}"))
            .evaluate(&environment(overrides), &extras)
    }

    /// packaging's `test_parses_valid`, `test_parses_pep345_valid` and
    /// `test_parses_setuptools_legacy_valid`: every variable, operator and value, both ways
    /// round, is grammatical.
    #[test]
    fn packaging_valid_markers_parse() {
        for variable in VARIABLE_SPELLINGS {
            for operator in OPERATORS {
                for value in VALUES {
                    for text in [
                        format!("{variable} {operator} '{value}'"),
                        format!("'{value}' {operator} {variable}"),
                    ] {
                        MarkerExpression::parse(&text).unwrap_or_else(|error| panic!("{error}"));
                    }
                }
            }
        }
    }

    /// Where packaging's grammar accepts what cannot be evaluated, lowering says so instead of
    /// guessing, and nothing panics (pep508_rs 0.9 does on `os_name ~= "1.0"`).
    #[test]
    fn every_packaging_valid_marker_lowers_or_is_refused_without_panicking() {
        let mut refused = std::collections::BTreeSet::new();
        for variable in VARIABLE_SPELLINGS {
            for operator in OPERATORS {
                for value in VALUES {
                    for text in [
                        format!("{variable} {operator} '{value}'"),
                        format!("'{value}' {operator} {variable}"),
                    ] {
                        if let Err(error) = parse_marker(&text) {
                            refused.insert((variable, operator));
                            assert!(error.to_string().starts_with("invalid marker"), "{error}");
                        }
                    }
                }
            }
        }
        // String comparisons never fail; only `~=`/`===` on strings, odd extra comparisons and
        // versions compared with non-versions are refused.
        for (variable, operator) in &refused {
            let version = matches!(
                *variable,
                "python_version" | "python_full_version" | "implementation_version"
            );
            assert!(
                version || *variable == "extra" || matches!(*operator, "~=" | "==="),
                "{variable} {operator}"
            );
        }
        assert!(parse_marker("os_name ~= '1.0'").is_err());
        assert!(parse_marker("'1.0' ~= os_name").is_err());
    }

    /// packaging's `test_parses_invalid` and malformed quoted strings.
    #[test]
    fn packaging_invalid_markers_are_refused() {
        let errors: Vec<String> = [
            "this_isnt_a_real_variable >= '1.0'",
            "python_version",
            "(python_version)",
            "python_version >= 1.0 and (python_version)",
            "(python_version == \"2.7\" and os_name == \"linux\"",
            "(python_version == \"2.7\") with random text",
            "os_name == \"C:\\\"",
            "os_name == \"\\x\"",
            "python_version >= '3' andos_name == 'nt'",
            "os_name not'nt'",
        ]
        .iter()
        .map(|text| MarkerExpression::parse(text).unwrap_err().to_string())
        .collect();
        insta::assert_snapshot!(errors.join("\n"), @r#"
        invalid marker "this_isnt_a_real_variable >= '1.0'": expected a marker variable or quoted string
        this_isnt_a_real_variable >= '1.0'
        ^
        invalid marker "python_version": expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in
        python_version
                      ^
        invalid marker "(python_version)": expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in
        (python_version)
                       ^
        invalid marker "python_version >= 1.0 and (python_version)": expected a marker variable or quoted string
        python_version >= 1.0 and (python_version)
                          ^
        invalid marker "(python_version == "2.7" and os_name == "linux"": expected matching right parenthesis for left parenthesis, after marker expression
        (python_version == "2.7" and os_name == "linux"
        ^
        invalid marker "(python_version == "2.7") with random text": expected end of marker expression
        (python_version == "2.7") with random text
                                  ^
        invalid marker "os_name == "C:\"": invalid quoted string: it ends with a backslash
        os_name == "C:\"
                       ^
        invalid marker "os_name == "\x"": invalid quoted string: invalid \x escape
        os_name == "\x"
                      ^
        invalid marker "python_version >= '3' andos_name == 'nt'": expected end of marker expression
        python_version >= '3' andos_name == 'nt'
                              ^
        invalid marker "os_name not'nt'": expected whitespace after 'not'
        os_name not'nt'
                   ^
        "#);
    }

    /// packaging's `test_str_repr_eq_hash`: how markers are written back.
    #[test]
    fn written_back_as_packaging_does() {
        for (text, expected) in [
            ("python_version == '2.7'", "python_version == \"2.7\""),
            ("python_version == \"2.7\"", "python_version == \"2.7\""),
            (
                "python_version == \"2.7\" and os_name == \"linux\"",
                "python_version == \"2.7\" and os_name == \"linux\"",
            ),
            (
                "python_version == \"2.7\" and os_name == \"linux\" or sys_platform == \"win32\"",
                "python_version == \"2.7\" and os_name == \"linux\" or sys_platform == \"win32\"",
            ),
            ("(python_version == \"2.7\")", "python_version == \"2.7\""),
            (
                "(python_version == \"2.7\" and sys_platform == \"win32\")",
                "python_version == \"2.7\" and sys_platform == \"win32\"",
            ),
            (
                "python_version == \"2.7\" and (sys_platform == \"win32\" or sys_platform == \"linux\")",
                "python_version == \"2.7\" and (sys_platform == \"win32\" or sys_platform == \"linux\")",
            ),
            (
                "python_implementation=='Jython'",
                "platform_python_implementation == \"Jython\"",
            ),
        ] {
            let parsed = MarkerExpression::parse(text).unwrap();
            assert_eq!(parsed.to_string(), expected, "{text}");
            assert_eq!(MarkerExpression::parse(expected).unwrap(), parsed, "{text}");
            assert_eq!(parse_marker(text).unwrap(), parse_marker(expected).unwrap());
        }
    }

    /// A marker, the environment values that differ from the default, the extras, the result.
    type Case = (
        &'static str,
        &'static [(&'static str, &'static str)],
        &'static [&'static str],
        bool,
    );

    /// packaging's `test_evaluates` and `test_evaluate_pep345_markers`.
    #[test]
    fn packaging_evaluation_cases() {
        let cases: [Case; 20] = [
            ("os_name == 'foo'", &[("os_name", "foo")], &[], true),
            ("os_name == 'foo'", &[("os_name", "bar")], &[], false),
            (
                "'2.7' in python_version",
                &[("python_version", "2.7"), ("python_full_version", "2.7.5")],
                &[],
                true,
            ),
            (
                "'2.7' not in python_version",
                &[("python_version", "2.7"), ("python_full_version", "2.7.5")],
                &[],
                false,
            ),
            (
                "os_name == 'foo' and python_version ~= '2.7.0'",
                &[
                    ("os_name", "foo"),
                    ("python_version", "2.7"),
                    ("python_full_version", "2.7.6"),
                ],
                &[],
                true,
            ),
            (
                "python_version ~= '2.7.0' and (os_name == 'foo' or os_name == 'bar')",
                &[
                    ("os_name", "bar"),
                    ("python_version", "2.7"),
                    ("python_full_version", "2.7.4"),
                ],
                &[],
                true,
            ),
            (
                "python_version ~= '2.7.0' and (os_name == 'foo' or os_name == 'bar')",
                &[
                    ("os_name", "other"),
                    ("python_version", "2.7"),
                    ("python_full_version", "2.7.4"),
                ],
                &[],
                false,
            ),
            ("extra == 'security'", &[], &["quux"], false),
            ("extra == 'security'", &[], &["security"], true),
            ("extra == 'SECURITY'", &[], &["security"], true),
            ("extra == 'pep-685-norm'", &[], &["PEP_685...norm"], true),
            (
                "extra == 'Different.punctuation..is...equal'",
                &[],
                &["different__punctuation_is_EQUAL"],
                true,
            ),
            ("extra == 'v2'", &[], &[], false),
            ("extra == 'v2a3'", &[], &["v2"], false),
            (
                "sys.platform == 'win32'",
                &[("sys_platform", "linux2")],
                &[],
                false,
            ),
            (
                "platform.version in 'Ubuntu'",
                &[("platform_version", "#39")],
                &[],
                false,
            ),
            (
                "platform.machine=='x86_64'",
                &[("platform_machine", "x86_64")],
                &[],
                true,
            ),
            (
                "platform.python_implementation=='Jython'",
                &[("platform_python_implementation", "CPython")],
                &[],
                false,
            ),
            (
                "python_version == '2.5' and platform.python_implementation!= 'Jython'",
                &[("python_version", "2.7"), ("python_full_version", "2.7.18")],
                &[],
                false,
            ),
            (
                "python_full_version > \"3.6.2\"",
                &[("python_full_version", "3.11.0a5")],
                &[],
                true,
            ),
        ];
        for (marker, overrides, extras, expected) in cases {
            assert_eq!(evaluate(marker, overrides, extras), expected, "{marker}");
        }
        assert!(evaluate(
            "\"2.7.9\" < python_full_version",
            &[("python_full_version", "2.7.10")],
            &[]
        ));
        assert!(!evaluate(
            "\"2.7.9\" < python_full_version",
            &[("python_full_version", "2.7.8")],
            &[]
        ));
    }

    /// Markers from real metadata that pep508_rs 0.9 refuses: keywords next to parentheses
    /// and quotes, no spaces at all.
    #[test]
    fn spacing_that_packaging_accepts() {
        let spaced =
            parse_marker("python_version >= '3' and (os_name == 'nt' or sys_platform == 'win32')")
                .unwrap();
        for text in [
            "python_version >= '3' and(os_name == 'nt' or sys_platform == 'win32')",
            "python_version>='3'and(os_name=='nt'or sys_platform=='win32')",
            "(python_version >= \"3\")and(os_name==\"nt\"or\tsys_platform == \"win32\")",
            "\t python_version >= '3' and ( os_name == 'nt' or sys_platform == 'win32' ) ",
        ] {
            assert_eq!(parse_marker(text).unwrap(), spaced, "{text}");
        }
    }

    /// PEP 751's `extras` and `dependency_groups`, which exist in lock files only.
    #[test]
    fn multi_use_lock_file_markers() {
        let extras = ["foo".to_string(), "bar".to_string()];
        let groups = ["dev".to_string()];
        let context = MarkerContext {
            lock_file: Some((&extras, &groups)),
        };
        let lower = |text: &str| {
            MarkerExpression::parse(text)
                .unwrap()
                .to_tree(text, context)
                .unwrap_or_else(|error| panic!("{error}"))
        };
        for (text, expected) in [
            ("'foo' in extras", true),
            ("'Foo' in extras", true),
            ("'baz' in extras", false),
            ("'baz' not in extras", true),
            ("'foo' in extras and 'bar' in extras", true),
            ("'baz' in extras or 'dev' in dependency_groups", true),
            ("'baz' in extras and 'foo' in extras", false),
        ] {
            assert_eq!(lower(text).is_true(), expected, "{text}");
            assert_eq!(lower(text).is_false(), !expected, "{text}");
        }
        let mixed = lower("'dev' in dependency_groups and sys_platform == 'linux'");
        assert_eq!(mixed, parse_marker("sys_platform == 'linux'").unwrap());
        insta::assert_snapshot!(parse_marker("'foo' in extras").unwrap_err(), @r#"invalid marker "'foo' in extras": "foo" in extras: "extras" exists only in lock files"#);
    }

    /// A marker the grammar allows, written with random spacing where the grammar allows it.
    fn marker_text() -> impl Strategy<Value = (String, String)> {
        let space = prop::sample::select(vec!["", " ", "\t", "  "]);
        let required = prop::sample::select(vec![" ", "\t", " \t"]);
        let variable = prop::sample::select(VARIABLE_SPELLINGS.to_vec());
        let operator = prop::sample::select(OPERATORS.to_vec());
        let value = prop::sample::select(VALUES.to_vec());
        let quote = prop::sample::select(vec!['\'', '"']);
        let item = (
            variable,
            operator,
            value,
            quote,
            any::<bool>(),
            space.clone(),
            space.clone(),
            required,
        )
            .prop_map(
                |(variable, operator, value, quote, flip, s1, s2, not_space)| {
                    let operator_text = if operator == "not in" {
                        format!("not{not_space}in")
                    } else {
                        operator.to_string()
                    };
                    // Words next to words need a space; next to quotes they need none.
                    let (left, right) = if flip {
                        (format!("{quote}{value}{quote}"), variable.to_string())
                    } else {
                        (variable.to_string(), format!("{quote}{value}{quote}"))
                    };
                    let needs_space = operator.ends_with("in");
                    let (s1, s2) = if needs_space {
                        (
                            if flip {
                                s1.to_string()
                            } else {
                                format!(" {s1}")
                            },
                            if flip {
                                format!(" {s2}")
                            } else {
                                s2.to_string()
                            },
                        )
                    } else {
                        (s1.to_string(), s2.to_string())
                    };
                    let loose = format!("{left}{s1}{operator_text}{s2}{right}");
                    let tight = format!("{left} {operator} {right}");
                    (loose, tight)
                },
            );
        item.prop_recursive(3, 12, 3, move |inner| {
            let space = prop::sample::select(vec!["", " ", "\t"]);
            prop_oneof![
                (inner.clone(), space.clone(), space.clone()).prop_map(|((loose, tight), a, b)| {
                    (format!("({a}{loose}{b})"), format!("({tight})"))
                }),
                (
                    inner.clone(),
                    inner,
                    prop::sample::select(vec!["and", "or"]),
                    space.clone(),
                    space,
                )
                    .prop_map(|((l1, t1), (l2, t2), word, a, b)| {
                        // Parentheses keep the meaning; a keyword next to them needs no space.
                        (
                            format!("({l1}){a}{word}{b}({l2})"),
                            format!("({t1}) {word} ({t2})"),
                        )
                    }),
            ]
        })
    }

    proptest! {
        /// Everything packaging's grammar accepts is accepted, whatever the spacing, and means
        /// the same as the same marker written with plain spacing and parentheses.
        #[test]
        fn grammatical_markers_are_accepted((loose, tight) in marker_text()) {
            let parsed = MarkerExpression::parse(&loose);
            prop_assert!(parsed.is_ok(), "{}", parsed.unwrap_err());
            let reference = MarkerExpression::parse(&tight).unwrap();
            prop_assert_eq!(parsed.unwrap().to_string(), reference.to_string());
            let lowered = parse_marker(&loose);
            let reference = parse_marker(&tight);
            prop_assert_eq!(lowered.is_ok(), reference.is_ok());
            if let (Ok(lowered), Ok(reference)) = (lowered, reference) {
                prop_assert_eq!(lowered, reference);
            }
        }
    }
}
