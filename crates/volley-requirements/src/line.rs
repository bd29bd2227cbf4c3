//! From file content to logical lines, in pip's order: split into physical lines, join
//! continuations, strip comments, expand `${VARIABLES}`.
//!
//! Traps, all as pip does them:
//! - Lines are split where Python's `str.splitlines` splits: `\n`, `\r\n`, `\r`, and the rarer
//!   `\v`, `\f`, `\x1c`-`\x1e`, `\x85`, U+2028, U+2029.
//! - A line ending in `\` continues on the next one, and the joined line keeps the number of its
//!   first physical line. pip strips *every* `\` at both ends of such a line, not just one.
//! - A comment line ends a continuation (`a \` then `# note` gives `a`), and comments are
//!   stripped only after joining.
//! - A comment starts at a `#` that begins the line or follows whitespace; `pkg.whl#sha256=...`
//!   and `git+https://...#egg=x` keep their fragment.
//! - Only `${NAME}` with `NAME` made of `A-Z`, `0-9` and `_` is expanded. A variable that is not
//!   set, or set to the empty string, is left as written.

/// A logical line: its number (of the first physical line) and its text, trimmed, without
/// comments, never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogicalLine {
    pub(crate) number: usize,
    pub(crate) text: String,
}

/// The logical lines of `content`, with `vars` looked up for `${NAME}`.
pub(crate) fn logical_lines(
    content: &str,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Vec<LogicalLine> {
    join_continuations(split_lines(content))
        .into_iter()
        .filter_map(|(number, line)| {
            let text = strip_comment(&line).trim();
            if text.is_empty() {
                None
            } else {
                Some(LogicalLine {
                    number,
                    text: expand_variables(text, vars),
                })
            }
        })
        .collect()
}

/// Python's `str.splitlines()`: numbered from 1, line breaks removed.
fn split_lines(content: &str) -> Vec<(usize, &str)> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = content.char_indices().peekable();
    while let Some((index, character)) = chars.next() {
        let is_break = matches!(
            character,
            '\n' | '\r'
                | '\x0b'
                | '\x0c'
                | '\x1c'
                | '\x1d'
                | '\x1e'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if !is_break {
            continue;
        }
        lines.push(&content[start..index]);
        let mut end = index + character.len_utf8();
        if character == '\r' && chars.peek().is_some_and(|&(_, next)| next == '\n') {
            chars.next();
            end += 1;
        }
        start = end;
    }
    if start < content.len() {
        lines.push(&content[start..]);
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(index, line)| (index + 1, line))
        .collect()
}

/// Whether the whole line is a comment: it starts with `#`, possibly after whitespace.
fn is_comment_line(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

fn join_continuations(lines: Vec<(usize, &str)>) -> Vec<(usize, String)> {
    let mut joined = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (number, line) in lines {
        if line.ends_with('\\') && !is_comment_line(line) {
            let part = line.trim_matches('\\');
            match &mut pending {
                Some((_, text)) => text.push_str(part),
                None => pending = Some((number, part.to_string())),
            }
            continue;
        }
        // A comment line ends the continuation; the leading space makes sure the comment is
        // still recognized once joined to the text before it.
        let line = if is_comment_line(line) {
            format!(" {line}")
        } else {
            line.to_string()
        };
        match pending.take() {
            Some((first, mut text)) => {
                text.push_str(&line);
                joined.push((first, text));
            }
            None => joined.push((number, line)),
        }
    }
    // The file ends with a `\`.
    joined.extend(pending);
    joined
}

/// The line without its comment: from the first `#` that starts the line or follows whitespace
/// (the whitespace goes too).
fn strip_comment(line: &str) -> &str {
    let mut previous_is_space = true;
    for (index, character) in line.char_indices() {
        if character == '#' && previous_is_space {
            return line[..index].trim_end();
        }
        previous_is_space = character.is_whitespace();
    }
    line
}

/// Replace each `${NAME}` whose variable is set and not empty.
fn expand_variables(line: &str, vars: &dyn Fn(&str) -> Option<String>) -> String {
    let mut expanded = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let name_length = after
            .bytes()
            .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
            .count();
        if name_length > 0 && after.as_bytes().get(name_length) == Some(&b'}') {
            let name = &after[..name_length];
            expanded.push_str(&rest[..start]);
            match vars(name).filter(|value| !value.is_empty()) {
                Some(value) => expanded.push_str(&value),
                None => expanded.push_str(&rest[start..start + 2 + name_length + 1]),
            }
            rest = &after[name_length + 1..];
        } else {
            expanded.push_str(&rest[..start + 2]);
            rest = after;
        }
    }
    expanded.push_str(rest);
    expanded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_vars(_: &str) -> Option<String> {
        None
    }

    fn render(content: &str) -> String {
        logical_lines(content, &no_vars)
            .iter()
            .map(|line| format!("{}: {}", line.number, line.text))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn comments_and_blank_lines() {
        let content = "# top\n\nflask  # web\n  \t\nhttps://x/pkg.whl#sha256=00 # c\nurl#frag\n  # indented\n";
        insta::assert_snapshot!(render(content), @r"
        3: flask
        5: https://x/pkg.whl#sha256=00
        6: url#frag
        ");
    }

    #[test]
    fn continuations_keep_the_first_line_number() {
        let content = "a==1 \\\n    --hash=sha256:00 \\\n    --hash=sha256:11\nb\n";
        insta::assert_snapshot!(render(content), @r"
        1: a==1     --hash=sha256:00     --hash=sha256:11
        4: b
        ");
    }

    #[test]
    fn comment_line_ends_a_continuation() {
        // pip-compile writes `# via` after hashes; the comment is not part of the requirement.
        let content = "a==1 \\\n    --hash=sha256:00 \\\n    # via b\nc\n";
        insta::assert_snapshot!(render(content), @r"
        1: a==1     --hash=sha256:00
        4: c
        ");
    }

    #[test]
    fn trailing_backslash_at_end_of_file_and_double_backslashes() {
        insta::assert_snapshot!(render("a\\\\\nb\nc \\"), @r"
        1: ab
        3: c
        ");
    }

    #[test]
    fn comment_line_after_a_backslash_is_still_a_comment() {
        insta::assert_snapshot!(render("pkg==1.0 \\\n#not-a-fragment\n"), @"1: pkg==1.0");
        insta::assert_snapshot!(render("pkg==1.0\\\n#fragment\n"), @"1: pkg==1.0");
    }

    #[test]
    fn python_line_boundaries() {
        insta::assert_snapshot!(render("a\r\nb\rc\x0bd\u{2028}e\n\nf"), @r"
        1: a
        2: b
        3: c
        4: d
        5: e
        7: f
        ");
    }

    #[test]
    fn variables() {
        let vars = |name: &str| match name {
            "TOKEN" => Some("s3cret".to_string()),
            "EMPTY" => Some(String::new()),
            "A_1" => Some("one".to_string()),
            _ => None,
        };
        let expand = |line: &str| expand_variables(line, &vars);
        assert_eq!(
            expand("https://${TOKEN}@host/${TOKEN}/${A_1}"),
            "https://s3cret@host/s3cret/one"
        );
        assert_eq!(expand("${UNSET} ${EMPTY}"), "${UNSET} ${EMPTY}");
        assert_eq!(
            expand("$TOKEN ${token} ${TO-KEN} ${} ${TOKEN"),
            "$TOKEN ${token} ${TO-KEN} ${} ${TOKEN"
        );
        assert_eq!(expand("${${TOKEN}}"), "${s3cret}");
    }
}
