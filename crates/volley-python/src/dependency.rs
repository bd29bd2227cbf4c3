//! A dependency of an installed distribution (one `Requires-Dist`, or a `requires.txt` line of
//! a legacy `*.egg-info`): the parsed requirement and the text it came from, which pip's
//! output shows.
//!
//! pip writes requirements in its messages (`pip check`) the way its vendored `packaging`
//! 21.3 prints a `Requirement`, which is neither the text in the file nor `pep508_rs`'s
//! display: [`Dependency::pip_display`] rebuilds that form from the text.
//!
//! Traps of that form:
//! - the name is kept as written (`Foo_Bar`), extras are deduplicated and sorted;
//! - specifiers lose their parentheses and spaces and are sorted as strings
//!   (`charset-normalizer (<4,>=2)` → `charset-normalizer<4,>=2`), versions are not normalized;
//! - a URL requirement reads `name@ url` (no space before `@`), and ` ; marker` after a URL;
//! - markers are re-serialized: single spaces around operators, values in double quotes,
//!   legacy names replaced (`os.name` → `os_name`, `python_implementation` →
//!   `platform_python_implementation`), redundant parentheses dropped.

use std::collections::BTreeSet;

use volley_packaging::Requirement;

/// One requirement of an installed distribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub requirement: Requirement,
    /// The requirement as written in the metadata.
    pub text: String,
}

impl Dependency {
    /// Parses a requirement string from metadata.
    pub fn parse(text: &str) -> Result<Self, String> {
        let requirement = volley_packaging::parse_requirement(text)
            .map_err(|error| error.reason().to_string())?;
        Ok(Self {
            requirement,
            text: text.to_string(),
        })
    }

    /// The project name as written (`Foo_Bar`, where [`Requirement::name`] is `foo-bar`).
    pub fn name_as_written(&self) -> &str {
        let text = self.text.trim_start();
        let end = text
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
            .unwrap_or(text.len());
        &text[..end]
    }

    /// The requirement as pip prints it (`str()` of a `packaging` 21.3 `Requirement`).
    pub fn pip_display(&self) -> String {
        let name = self.name_as_written();
        let mut rest = self.text.trim_start()[name.len()..].trim_start();
        let mut display = name.to_string();

        if let Some(after) = rest.strip_prefix('[') {
            let (extras, after) = after.split_once(']').unwrap_or((after, ""));
            let extras: BTreeSet<&str> = extras
                .split(',')
                .map(str::trim)
                .filter(|extra| !extra.is_empty())
                .collect();
            if !extras.is_empty() {
                display.push('[');
                display.push_str(&extras.into_iter().collect::<Vec<_>>().join(","));
                display.push(']');
            }
            rest = after.trim_start();
        }

        let (version_or_url, marker) = match rest.split_once(';') {
            Some((before, marker)) => (before.trim(), Some(marker.trim())),
            None => (rest.trim(), None),
        };
        let has_url = if let Some(url) = version_or_url.strip_prefix('@') {
            display.push_str("@ ");
            display.push_str(url.trim());
            true
        } else {
            let clauses = version_or_url.trim_start_matches('(').trim_end_matches(')');
            let mut specifiers: Vec<String> = clauses
                .split(',')
                .map(|clause| clause.split_whitespace().collect::<String>())
                .filter(|clause| !clause.is_empty())
                .collect();
            specifiers.sort();
            specifiers.dedup();
            display.push_str(&specifiers.join(","));
            false
        };
        if let Some(marker) = marker.filter(|marker| !marker.is_empty()) {
            if has_url {
                display.push(' ');
            }
            display.push_str("; ");
            display.push_str(&marker_display(marker));
        }
        display
    }
}

/// A marker expression re-serialized as `packaging` 21.3 does.
fn marker_display(marker: &str) -> String {
    let tokens = tokenize(marker);
    let mut position = 0;
    let tree = parse_expression(&tokens, &mut position);
    format_nodes(&tree, true)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    /// A variable, an operator or `and`/`or`.
    Word(String),
    /// A quoted string, without its quotes.
    Quoted(String),
}

fn tokenize(text: &str) -> Vec<Token> {
    const OPERATORS: [&str; 8] = ["===", "==", ">=", "<=", "!=", "~=", ">", "<"];
    let mut tokens = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        let Some(first) = rest.chars().next() else {
            break;
        };
        match first {
            '(' => {
                tokens.push(Token::Open);
                rest = &rest[1..];
            }
            ')' => {
                tokens.push(Token::Close);
                rest = &rest[1..];
            }
            '\'' | '"' => {
                let body = &rest[1..];
                let end = body.find(first).unwrap_or(body.len());
                tokens.push(Token::Quoted(body[..end].to_string()));
                rest = body.get(end + 1..).unwrap_or("");
            }
            _ => {
                if let Some(operator) = OPERATORS.iter().find(|op| rest.starts_with(**op)) {
                    tokens.push(Token::Word((*operator).to_string()));
                    rest = &rest[operator.len()..];
                    continue;
                }
                let end = rest
                    .find(|c: char| c.is_whitespace() || "()'\"<>=!~".contains(c))
                    .unwrap_or(rest.len())
                    .max(first.len_utf8());
                let word = &rest[..end];
                rest = &rest[end..];
                // `not in` is one operator.
                if word == "in"
                    && matches!(tokens.last(), Some(Token::Word(previous)) if previous == "not")
                {
                    tokens.pop();
                    tokens.push(Token::Word("not in".to_string()));
                } else {
                    tokens.push(Token::Word(word.to_string()));
                }
            }
        }
    }
    tokens
}

/// `packaging`'s parse result: comparisons, `and`/`or`, and parenthesized groups.
#[derive(Debug)]
enum Node {
    Comparison(String, String, String),
    BooleanOperator(String),
    Group(Vec<Node>),
}

fn parse_expression(tokens: &[Token], position: &mut usize) -> Vec<Node> {
    let mut nodes = Vec::new();
    while let Some(token) = tokens.get(*position) {
        match token {
            Token::Close => {
                *position += 1;
                break;
            }
            Token::Open => {
                *position += 1;
                nodes.push(Node::Group(parse_expression(tokens, position)));
            }
            Token::Word(word) if word == "and" || word == "or" => {
                *position += 1;
                nodes.push(Node::BooleanOperator(word.clone()));
            }
            _ => {
                let left = value_display(token);
                let operator = match tokens.get(*position + 1) {
                    Some(Token::Word(operator)) => operator.clone(),
                    _ => String::new(),
                };
                let right = tokens
                    .get(*position + 2)
                    .map(value_display)
                    .unwrap_or_default();
                *position += 3;
                nodes.push(Node::Comparison(left, operator, right));
            }
        }
    }
    nodes
}

/// A marker value: a variable (legacy names replaced) or a string, in double quotes.
fn value_display(token: &Token) -> String {
    match token {
        Token::Quoted(value) => format!("\"{value}\""),
        Token::Word(variable) => match variable.as_str() {
            "os.name" => "os_name",
            "sys.platform" => "sys_platform",
            "platform.version" => "platform_version",
            "platform.machine" => "platform_machine",
            "platform.python_implementation" | "python_implementation" => {
                "platform_python_implementation"
            }
            other => other,
        }
        .to_string(),
        Token::Open => "(".to_string(),
        Token::Close => ")".to_string(),
    }
}

/// `packaging.markers._format_marker`: a group of one item loses its parentheses, the outermost
/// list has none.
fn format_nodes(nodes: &[Node], first: bool) -> String {
    if let [Node::Group(inner)] = nodes {
        return format_nodes(inner, true);
    }
    if let [Node::Comparison(..)] = nodes {
        return format_node(&nodes[0]);
    }
    let inner = nodes.iter().map(format_node).collect::<Vec<_>>().join(" ");
    if first { inner } else { format!("({inner})") }
}

fn format_node(node: &Node) -> String {
    match node {
        Node::Comparison(left, operator, right) => format!("{left} {operator} {right}"),
        Node::BooleanOperator(operator) => operator.clone(),
        Node::Group(inner) => format_nodes(inner, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn display(text: &str) -> String {
        Dependency::parse(text).unwrap().pip_display()
    }

    /// Expected values are what `str(pip._vendor.packaging.requirements.Requirement(text))`
    /// prints with pip 23.2.
    #[test]
    fn displays_as_packaging_21_3() {
        assert_eq!(display("baz>=2"), "baz>=2");
        assert_eq!(
            display("charset-normalizer (<4,>=2)"),
            "charset-normalizer<4,>=2"
        );
        assert_eq!(display("Foo_Bar >= 1.0 , < 2"), "Foo_Bar<2,>=1.0");
        assert_eq!(display("pkg[b, a,a] ==1.0.0"), "pkg[a,b]==1.0.0");
        assert_eq!(
            display("PySocks (!=1.5.7,>=1.5.6) ; extra == 'socks'"),
            "PySocks!=1.5.7,>=1.5.6; extra == \"socks\""
        );
        assert_eq!(
            display("x>1;python_version<'3.11' and (os.name=='posix' or sys_platform=='win32')"),
            "x>1; python_version < \"3.11\" and (os_name == \"posix\" or sys_platform == \"win32\")"
        );
        assert_eq!(
            display("x ; ((python_version < '3'))"),
            "x; python_version < \"3\""
        );
        assert_eq!(
            display("x ; (python_version < '3' or python_version > '4') and extra != 'y'"),
            "x; (python_version < \"3\" or python_version > \"4\") and extra != \"y\""
        );
        assert_eq!(
            display("x; 'linux' not in sys_platform"),
            "x; \"linux\" not in sys_platform"
        );
        assert_eq!(
            display("x @ https://host/x-1.0.whl ; python_version>='3'"),
            "x@ https://host/x-1.0.whl ; python_version >= \"3\""
        );
        assert_eq!(display("x@file:///w/x"), "x@ file:///w/x");
        assert_eq!(
            display("x ; python_version < '3' and (extra == 'a')"),
            "x; python_version < \"3\" and extra == \"a\""
        );
        assert_eq!(display("x>=1.0-rc1,!=1.5"), "x!=1.5,>=1.0-rc1");
    }

    #[test]
    fn names_as_written() {
        let dependency = Dependency::parse("  Foo_Bar.baz[x]>=1").unwrap();
        assert_eq!(dependency.name_as_written(), "Foo_Bar.baz");
        assert_eq!(dependency.requirement.name.to_string(), "foo-bar-baz");
        insta::assert_snapshot!(
            Dependency::parse("foo>=").unwrap_err(),
            @"Unexpected end of version specifier, expected version"
        );
    }
}
