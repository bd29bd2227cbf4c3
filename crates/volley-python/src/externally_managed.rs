//! PEP 668: an interpreter whose distributor manages its packages says so with a file named
//! `EXTERNALLY-MANAGED` in its standard library directory, and installers refuse to change its
//! environment (pip's `check_externally_managed`).
//!
//! Traps:
//! - a virtual environment is never externally managed, even when made from an interpreter that
//!   is: the marker belongs to the base installation;
//! - the file is an INI file read with Python's `configparser`: the message is the `Error` key of
//!   the `[externally-managed]` section (keys are case-insensitive), and may span indented
//!   continuation lines; a file without it, or one that does not read, still marks the
//!   interpreter, with pip's default message;
//! - pip also tries `Error-<lang>` keys for the locale; volley shows `Error`.

use std::path::PathBuf;

use crate::Interpreter;

/// The name of the marker file, in the standard library directory.
const MARKER: &str = "EXTERNALLY-MANAGED";

/// An interpreter marked as externally managed, and what its marker says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternallyManaged {
    /// The `EXTERNALLY-MANAGED` file.
    pub marker: PathBuf,
    /// The marker's `Error` message, or pip's default one.
    pub message: String,
}

impl Interpreter {
    /// `Some` when this interpreter's environment is externally managed (PEP 668): it is not a
    /// virtual environment and its standard library holds an `EXTERNALLY-MANAGED` file.
    pub fn externally_managed(&self) -> Option<ExternallyManaged> {
        if self.is_virtualenv {
            return None;
        }
        let marker = self.stdlib.join(MARKER);
        if !marker.is_file() {
            return None;
        }
        let message = match fs_err::read_to_string(&marker) {
            Ok(text) => error_message(&text),
            Err(error) => {
                tracing::warn!("failed to read {}: {error}", marker.display());
                None
            }
        }
        .unwrap_or_else(|| {
            format!(
                "The Python environment under {} is managed externally, and may not be\n\
                 manipulated by the user. Please use specific tooling from the distributor of\n\
                 the Python installation to interact with this environment instead.",
                self.sys_prefix.display()
            )
        });
        Some(ExternallyManaged { marker, message })
    }
}

/// The `Error` value of the `[externally-managed]` section, as Python's `configparser` reads
/// it: continuation lines are those indented deeper than the key, joined with newlines, each
/// stripped; full-line `#` and `;` comments are skipped.
fn error_message(text: &str) -> Option<String> {
    let mut in_section = false;
    // The key being read, its indentation and its lines.
    let mut current: Option<(String, usize, Vec<String>)> = None;
    let mut error = None;
    let mut finish = |current: &mut Option<(String, usize, Vec<String>)>| {
        if let Some((key, _, mut lines)) = current.take()
            && key == "error"
        {
            while lines.last().is_some_and(String::is_empty) {
                lines.pop();
            }
            error = Some(lines.join("\n"));
        }
    };
    for line in text.lines() {
        let trimmed = line.trim();
        let indent = line.len() - line.trim_start().len();
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if trimmed.is_empty() {
            if let Some((_, _, lines)) = &mut current {
                lines.push(String::new());
            }
            continue;
        }
        if let Some((_, key_indent, lines)) = &mut current
            && indent > *key_indent
        {
            lines.push(trimmed.to_string());
            continue;
        }
        finish(&mut current);
        if let Some(section) = trimmed
            .strip_prefix('[')
            .and_then(|rest| rest.strip_suffix(']'))
        {
            in_section = section == "externally-managed";
            continue;
        }
        if !in_section {
            continue;
        }
        let Some(split) = trimmed.find(['=', ':']) else {
            continue;
        };
        let key = trimmed[..split].trim().to_lowercase();
        let value = trimmed[split + 1..].trim().to_string();
        current = Some((key, indent, vec![value]));
    }
    finish(&mut current);
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_key_is_read_as_configparser_reads_it() {
        let debian = "[externally-managed]\nError=To install Python packages system-wide, try apt install\n python3-xyz, where xyz is the package you are trying to\n install.\n \n See /usr/share/doc/python3.11/README.venv for more information.\n";
        insta::assert_snapshot!(error_message(debian).unwrap(), @r"
        To install Python packages system-wide, try apt install
        python3-xyz, where xyz is the package you are trying to
        install.

        See /usr/share/doc/python3.11/README.venv for more information.
        ");
        let other_sections = "[other]\nerror = no\n[externally-managed]\n# a comment\nERROR : use the distributor's tools\nError-de = nein\n";
        assert_eq!(
            error_message(other_sections).as_deref(),
            Some("use the distributor's tools")
        );
        assert_eq!(error_message("[externally-managed]\n"), None);
        assert_eq!(error_message("not an ini file"), None);
    }
}
