//! The netrc file: credentials by host name, as Python's `netrc` module reads them for pip
//! (through requests' `get_netrc_auth`).
//!
//! The format is a stream of whitespace-separated tokens: `machine NAME` starts an entry,
//! `default` starts the entry used for every other host, and within an entry `login NAME`,
//! `password SECRET` and `account NAME` set its fields. `macdef NAME` defines a macro whose body
//! runs to the next empty line (skipped). A token starting with `#` comments out the rest of
//! the line; a token may be double-quoted (with `\` escapes) to hold spaces.
//!
//! Choices, as in Python: a later entry for the same machine replaces an earlier one; the
//! lookup is by host name only (no port); an entry without `login` gives its `account` as the
//! user name, as requests does. A file that cannot be read or parsed is ignored (with a
//! warning), as requests ignores it.

use std::collections::HashMap;
use std::path::Path;

use crate::credentials::Credentials;

/// The entries of a netrc file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Netrc {
    machines: HashMap<String, Entry>,
    default: Option<Entry>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Entry {
    login: Option<String>,
    account: Option<String>,
    password: Option<String>,
}

impl Netrc {
    /// Read `path`; `None` when it does not exist, cannot be read or does not parse (the
    /// last two with a warning).
    pub(crate) fn load(path: &Path) -> Option<Self> {
        let text = match fs_err::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
            Err(error) => {
                tracing::warn!("ignoring the netrc file: {error}");
                return None;
            }
        };
        match Self::parse(&text) {
            Ok(netrc) => Some(netrc),
            Err(reason) => {
                tracing::warn!("ignoring the netrc file {}: {reason}", path.display());
                None
            }
        }
    }

    /// Parse netrc text; the error says what is wrong, and where.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut netrc = Self::default();
        let mut tokens = Tokens::new(text);
        // The entry being read: its machine (`None` for `default`) and fields.
        let mut current: Option<(Option<String>, Entry)> = None;
        while let Some(token) = tokens.next_token() {
            match token.as_str() {
                "machine" | "default" => {
                    if let Some((machine, entry)) = current.take() {
                        netrc.insert(machine, entry);
                    }
                    let machine = if token == "machine" {
                        Some(tokens.value("machine")?)
                    } else {
                        None
                    };
                    current = Some((machine, Entry::default()));
                }
                "login" | "password" | "account" => {
                    let value = tokens.value(&token)?;
                    let Some((_, entry)) = current.as_mut() else {
                        return Err(format!(
                            "\"{token}\" before any \"machine\" or \"default\" (line {})",
                            tokens.line
                        ));
                    };
                    let field = match token.as_str() {
                        "login" => &mut entry.login,
                        "password" => &mut entry.password,
                        _ => &mut entry.account,
                    };
                    *field = Some(value);
                }
                "macdef" => {
                    tokens.value("macdef")?;
                    tokens.skip_macro();
                }
                _ => {
                    return Err(format!(
                        "unexpected token \"{token}\" (line {})",
                        tokens.line
                    ));
                }
            }
        }
        if let Some((machine, entry)) = current {
            netrc.insert(machine, entry);
        }
        Ok(netrc)
    }

    fn insert(&mut self, machine: Option<String>, entry: Entry) {
        match machine {
            Some(machine) => {
                self.machines.insert(machine, entry);
            }
            None => self.default = Some(entry),
        }
    }

    /// The credentials for `host`: its machine entry, else the default entry. An entry with
    /// neither a password nor a user name gives none.
    pub(crate) fn credentials(&self, host: &str) -> Option<Credentials> {
        let entry = self.machines.get(host).or(self.default.as_ref())?;
        let username = entry
            .login
            .clone()
            .filter(|login| !login.is_empty())
            .or_else(|| entry.account.clone())
            .unwrap_or_default();
        if username.is_empty() && entry.password.is_none() {
            return None;
        }
        Some(Credentials::new(
            username,
            Some(entry.password.clone().unwrap_or_default()),
        ))
    }
}

/// The tokens of a netrc file, with the line they are on.
struct Tokens<'a> {
    rest: &'a str,
    line: usize,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            rest: text,
            line: 1,
        }
    }

    fn advance(&mut self, bytes: usize) {
        self.line += self.rest[..bytes].matches('\n').count();
        self.rest = &self.rest[bytes..];
    }

    fn next_token(&mut self) -> Option<String> {
        loop {
            let start = self.rest.len() - self.rest.trim_start().len();
            self.advance(start);
            if self.rest.is_empty() {
                return None;
            }
            if self.rest.starts_with('#') {
                let end = self.rest.find('\n').unwrap_or(self.rest.len());
                self.advance(end);
                continue;
            }
            if let Some(quoted) = self.rest.strip_prefix('"') {
                let mut value = String::new();
                let mut characters = quoted.char_indices();
                let mut end = quoted.len();
                while let Some((index, character)) = characters.next() {
                    match character {
                        '"' => {
                            end = index + 1;
                            break;
                        }
                        '\\' => {
                            if let Some((_, escaped)) = characters.next() {
                                value.push(escaped);
                            }
                        }
                        _ => value.push(character),
                    }
                }
                self.advance(1 + end);
                return Some(value);
            }
            let end = self
                .rest
                .find(char::is_whitespace)
                .unwrap_or(self.rest.len());
            let token = self.rest[..end].to_string();
            self.advance(end);
            return Some(token);
        }
    }

    /// The value after the keyword `keyword`.
    fn value(&mut self, keyword: &str) -> Result<String, String> {
        self.next_token()
            .ok_or_else(|| format!("\"{keyword}\" without a value (line {})", self.line))
    }

    /// Skip a macro body: the rest of the `macdef` line, then every line up to an empty one.
    fn skip_macro(&mut self) {
        let end = self
            .rest
            .find("\n\n")
            .map_or(self.rest.len(), |index| index + 2);
        self.advance(end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(netrc: &Netrc, host: &str) -> String {
        match netrc.credentials(host) {
            Some(credentials) => format!(
                "{}:{}",
                credentials.username,
                credentials.password.unwrap_or_default()
            ),
            None => "-".to_string(),
        }
    }

    #[test]
    fn entries_and_default() {
        let netrc = Netrc::parse(
            r#"# a comment
machine example.org login alice password s3cret
machine other.org
    login bob # trailing comment
    account acct
    password "with space and \"quotes\""

macdef init
cd /pub
get file

machine nologin.org account carol password pw
machine example.org login alice2 password newer
default login anonymous password guest
"#,
        )
        .unwrap();
        insta::assert_snapshot!(
            ["example.org", "other.org", "nologin.org", "elsewhere.org"]
                .map(|host| format!("{host} {}", lookup(&netrc, host)))
                .join("\n"),
            @r#"
        example.org alice2:newer
        other.org bob:with space and "quotes"
        nologin.org carol:pw
        elsewhere.org anonymous:guest
        "#
        );
    }

    #[test]
    fn no_default_means_no_credentials() {
        let netrc = Netrc::parse("machine a.org login u password p").unwrap();
        assert_eq!(lookup(&netrc, "b.org"), "-");
        assert_eq!(lookup(&netrc, "a.org"), "u:p");
        let empty = Netrc::parse("machine a.org").unwrap();
        assert_eq!(lookup(&empty, "a.org"), "-");
    }

    #[test]
    fn errors_say_where() {
        let errors = [
            "login alice password x",
            "machine a.org\nlogin",
            "machine a.org\n\nport 22",
        ]
        .map(|text| Netrc::parse(text).unwrap_err());
        insta::assert_snapshot!(errors.join("\n"), @r#"
        "login" before any "machine" or "default" (line 1)
        "login" without a value (line 2)
        unexpected token "port" (line 3)
        "#);
    }

    #[test]
    fn a_missing_file_is_no_netrc() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Netrc::load(&dir.path().join("absent")), None);
        let path = dir.path().join("netrc");
        fs_err::write(&path, "machine h login u password p\n").unwrap();
        assert_eq!(lookup(&Netrc::load(&path).unwrap(), "h"), "u:p");
    }
}
