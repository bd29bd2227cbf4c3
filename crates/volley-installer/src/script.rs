//! Scripts: entry points (`entry_points.txt`) turned into launchers, and `#!python` lines of
//! `.data/scripts` files pointed at the environment's interpreter.
//!
//! Behaviour follows pip (which uses distlib's `ScriptMaker`):
//! - only `[console_scripts]` and `[gui_scripts]` make scripts; on POSIX both are the same kind
//!   of launcher. Keys are case-sensitive, `=` is the only delimiter, `#`/`;` start comment lines;
//! - a value is `module:attr.sub`, optionally followed by extras `[x, y]` (ignored); a value
//!   with no `:attr` is refused, as pip does;
//! - a script name must be a plain file name (`\w`, `-`, `.`, `+`), which also keeps it inside
//!   the scripts directory;
//! - `pip` and `easy_install` entry points get pip's versioned names (`pip`, `pip3`, `pip3.12`;
//!   `easy_install`, `easy_install-3.12`), and other versioned names of theirs are dropped;
//! - a shebang longer than 127 bytes or with a space in the interpreter path cannot be a plain
//!   `#!` line on Linux: it becomes `#!/bin/sh` plus a line that both sh and Python read
//!   (sh execs the interpreter, Python sees a string literal);
//! - a data script whose first line starts with `#!python` (so `#!pythonw`, `#!python3` too) has
//!   that whole line replaced by the interpreter's shebang.

use std::collections::BTreeMap;

use configparser::ini::{Ini, IniDefault};

/// A `console_scripts` or `gui_scripts` entry point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryPoint {
    pub(crate) group: String,
    pub(crate) name: String,
    pub(crate) module: String,
    /// `attr` or `attr.sub`.
    pub(crate) attribute: String,
}

/// What is wrong with `entry_points.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EntryPointError {
    File(String),
    Entry {
        group: String,
        name: String,
        value: String,
        reason: String,
    },
}

const SCRIPT_GROUPS: [&str; 2] = ["console_scripts", "gui_scripts"];

/// The script entry points of an `entry_points.txt`, sorted by group then name.
pub(crate) fn parse_entry_points(content: &str) -> Result<Vec<EntryPoint>, EntryPointError> {
    let mut defaults = IniDefault::default();
    defaults.case_sensitive = true;
    defaults.delimiters = vec!['='];
    defaults.enable_inline_comments = false;
    let mut ini = Ini::new_from_defaults(defaults);
    let sections = ini
        .read(content.to_string())
        .map_err(EntryPointError::File)?;
    let mut entry_points = Vec::new();
    for group in SCRIPT_GROUPS {
        let Some(entries) = sections.get(group) else {
            continue;
        };
        let sorted: BTreeMap<&String, &Option<String>> = entries.iter().collect();
        for (name, value) in sorted {
            let value = value.as_deref().unwrap_or_default();
            let error = |reason: &str| EntryPointError::Entry {
                group: group.to_string(),
                name: name.clone(),
                value: value.to_string(),
                reason: reason.to_string(),
            };
            if !is_script_name(name) {
                return Err(error(
                    "a script name may only contain letters, digits, \"_\", \"-\", \".\" and \"+\"",
                ));
            }
            let (module, attribute) =
                parse_object_reference(value).map_err(|reason| error(&reason))?;
            entry_points.push(EntryPoint {
                group: group.to_string(),
                name: name.clone(),
                module,
                attribute,
            });
        }
    }
    Ok(entry_points)
}

/// `(\w|[-.+])+` as distlib requires, and not a `.`/`..` path component.
fn is_script_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '+'))
}

/// `module.sub:attr.sub [extra, other]` → `("module.sub", "attr.sub")`.
fn parse_object_reference(value: &str) -> Result<(String, String), String> {
    let mut reference = value.trim();
    if let Some(start) = reference.find('[') {
        let extras = reference[start..].trim_end();
        if !extras.ends_with(']') || extras[1..extras.len() - 1].contains(['[', ']']) {
            return Err("extras must be one \"[...]\" group at the end".to_string());
        }
        reference = reference[..start].trim_end();
    }
    let Some((module, attribute)) = reference.split_once(':') else {
        return Err("a script entry point needs a callable: \"module:function\"".to_string());
    };
    let (module, attribute) = (module.trim(), attribute.trim());
    if !is_dotted_name(module) {
        return Err(format!("\"{module}\" is not a dotted module name"));
    }
    if !is_dotted_name(attribute) {
        return Err(format!("\"{attribute}\" is not a dotted attribute name"));
    }
    Ok((module.to_string(), attribute.to_string()))
}

fn is_dotted_name(name: &str) -> bool {
    name.split('.').all(|part| {
        !part.is_empty()
            && !part.starts_with(|c: char| c.is_ascii_digit())
            && part.chars().all(|c| c.is_alphanumeric() || c == '_')
    })
}

/// The script files to generate: `(file name, entry point)`, with pip's versioned names for
/// `pip` and `easy_install` console scripts. A later entry with the same file name wins.
pub(crate) fn script_names(
    entry_points: &[EntryPoint],
    python_version: (u8, u8),
) -> Vec<(String, &EntryPoint)> {
    let (major, minor) = python_version;
    let console: Vec<&EntryPoint> = entry_points
        .iter()
        .filter(|entry| entry.group == "console_scripts")
        .collect();
    let has_pip = console.iter().any(|entry| entry.name == "pip");
    let has_easy_install = console.iter().any(|entry| entry.name == "easy_install");
    let mut names = Vec::new();
    for entry in console {
        match entry.name.as_str() {
            "pip" => {
                names.push(("pip".to_string(), entry));
                names.push((format!("pip{major}"), entry));
                names.push((format!("pip{major}.{minor}"), entry));
            }
            "easy_install" => {
                names.push(("easy_install".to_string(), entry));
                names.push((format!("easy_install-{major}.{minor}"), entry));
            }
            name if has_pip && is_versioned(name, "pip") => {}
            name if has_easy_install && is_versioned(name, "easy_install-") => {}
            name => names.push((name.to_string(), entry)),
        }
    }
    names.extend(
        entry_points
            .iter()
            .filter(|entry| entry.group == "gui_scripts")
            .map(|entry| (entry.name.clone(), entry)),
    );
    names
}

/// `pip3`, `pip3.12` (prefix `pip`) or `easy_install-3.12` (prefix `easy_install-`).
fn is_versioned(name: &str, prefix: &str) -> bool {
    let Some(version) = name.strip_prefix(prefix) else {
        return false;
    };
    let mut parts = version.split('.');
    let major_ok = parts
        .next()
        .is_some_and(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    let rest: Vec<&str> = parts.collect();
    let rest_ok = match rest.as_slice() {
        [] => prefix == "pip",
        [minor] => !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit()),
        _ => false,
    };
    major_ok && rest_ok
}

/// Whether a file name from `.data/scripts` is a wrapper that setuptools generated for one of
/// the entry points (`name`, `name.exe`, `name-script.py`, `name.pya`): pip skips those and
/// generates its own.
pub(crate) fn is_entry_point_wrapper(file_name: &str, entry_points: &[EntryPoint]) -> bool {
    let lower = file_name.to_lowercase();
    let stem = if lower.ends_with(".exe") || lower.ends_with(".pya") {
        &file_name[..file_name.len() - 4]
    } else if lower.ends_with("-script.py") {
        &file_name[..file_name.len() - 10]
    } else {
        file_name
    };
    entry_points.iter().any(|entry| entry.name == stem)
}

/// The first line of a script that runs `python` (an interpreter path, as bytes), with its line
/// break.
pub(crate) fn shebang(python: &[u8]) -> Vec<u8> {
    const MAX_SHEBANG: usize = if cfg!(target_os = "macos") { 512 } else { 127 };
    let has_space = python.contains(&b' ');
    // `#!`, the path and the line break.
    if !has_space && python.len() + 3 <= MAX_SHEBANG {
        let mut line = b"#!".to_vec();
        line.extend_from_slice(python);
        line.push(b'\n');
        return line;
    }
    let mut quoted = Vec::with_capacity(python.len() + 2);
    if has_space {
        quoted.push(b'"');
        quoted.extend_from_slice(python);
        quoted.push(b'"');
    } else {
        quoted.extend_from_slice(python);
    }
    let mut lines = b"#!/bin/sh\n'''exec' ".to_vec();
    lines.extend_from_slice(&quoted);
    lines.extend_from_slice(b" \"$0\" \"$@\"\n' '''\n");
    lines
}

/// A launcher script for an entry point: the shebang, then [`launcher_body`].
pub(crate) fn launcher(python: &[u8], entry: &EntryPoint) -> Vec<u8> {
    let mut script = shebang(python);
    script.extend_from_slice(&launcher_body(entry));
    script
}

/// The Python of a launcher, without a shebang: it imports the object and exits with what
/// calling it returns. (Windows `.exe` launchers carry it as their zip's `__main__.py`.)
pub(crate) fn launcher_body(entry: &EntryPoint) -> Vec<u8> {
    let import_name = entry
        .attribute
        .split('.')
        .next()
        .unwrap_or(&entry.attribute);
    format!(
        "# -*- coding: utf-8 -*-\n\
         import re\n\
         import sys\n\
         from {module} import {import_name}\n\
         if __name__ == \"__main__\":\n    \
         sys.argv[0] = re.sub(r\"(-script\\.pyw|\\.exe)?$\", \"\", sys.argv[0])\n    \
         sys.exit({attribute}())\n",
        module = entry.module,
        attribute = entry.attribute,
    )
    .into_bytes()
}

/// Replaces a `#!python...` first line with the interpreter's shebang; `None` when the script
/// does not start with `#!python`.
pub(crate) fn fix_shebang(content: &[u8], python: &[u8]) -> Option<Vec<u8>> {
    if !content.starts_with(b"#!python") {
        return None;
    }
    let rest = match content.iter().position(|&byte| byte == b'\n') {
        Some(end) => &content[end + 1..],
        None => &[],
    };
    let mut fixed = shebang(python);
    fixed.extend_from_slice(rest);
    Some(fixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(group: &str, name: &str) -> EntryPoint {
        EntryPoint {
            group: group.to_string(),
            name: name.to_string(),
            module: "m".to_string(),
            attribute: "f".to_string(),
        }
    }

    #[test]
    fn parses_script_groups_only() {
        let content = "\
# comment
[console_scripts]
Tool = pkg.cli:main.run [extra1, extra2]
other=pkg:go

[gui_scripts]
gui = pkg.gui : start

[pkg.plugins]
whatever = not a reference
";
        let entries = parse_entry_points(content).unwrap();
        let summary: Vec<String> = entries
            .iter()
            .map(|e| format!("{} {} {} {}", e.group, e.name, e.module, e.attribute))
            .collect();
        assert_eq!(
            summary,
            [
                "console_scripts Tool pkg.cli main.run",
                "console_scripts other pkg go",
                "gui_scripts gui pkg.gui start",
            ]
        );
    }

    #[test]
    fn rejects_bad_entry_points() {
        let error = |content: &str| match parse_entry_points(content).unwrap_err() {
            EntryPointError::Entry { name, reason, .. } => format!("{name}: {reason}"),
            EntryPointError::File(reason) => reason,
        };
        insta::assert_snapshot!(error("[console_scripts]\ntool = pkg.cli\n"), @r#"tool: a script entry point needs a callable: "module:function""#);
        insta::assert_snapshot!(error("[console_scripts]\n../../evil = pkg:main\n"), @r#"../../evil: a script name may only contain letters, digits, "_", "-", "." and "+""#);
        insta::assert_snapshot!(error("[console_scripts]\ntool = pkg:main [x\n"), @r#"tool: extras must be one "[...]" group at the end"#);
        insta::assert_snapshot!(error("[console_scripts]\ntool = pkg-x:main\n"), @r#"tool: "pkg-x" is not a dotted module name"#);
        insta::assert_snapshot!(error("[console_scripts\n"), @"line 1: Found opening bracket for section name but no closing bracket");
    }

    #[test]
    fn versioned_pip_scripts() {
        let entries = vec![
            entry("console_scripts", "pip"),
            entry("console_scripts", "pip3"),
            entry("console_scripts", "pip3.8"),
            entry("console_scripts", "pipx"),
            entry("console_scripts", "easy_install"),
            entry("console_scripts", "easy_install-3.8"),
            entry("gui_scripts", "window"),
        ];
        let names: Vec<String> = script_names(&entries, (3, 12))
            .into_iter()
            .map(|(name, _)| name)
            .collect();
        assert_eq!(
            names,
            [
                "pip",
                "pip3",
                "pip3.12",
                "pipx",
                "easy_install",
                "easy_install-3.12",
                "window"
            ]
        );
    }

    #[test]
    fn wrappers_of_entry_points() {
        let entries = vec![entry("console_scripts", "tool")];
        assert!(is_entry_point_wrapper("tool", &entries));
        assert!(is_entry_point_wrapper("tool.EXE", &entries));
        assert!(is_entry_point_wrapper("tool-script.py", &entries));
        assert!(!is_entry_point_wrapper("tool2", &entries));
    }

    #[test]
    fn shebangs() {
        assert_eq!(shebang(b"/venv/bin/python"), b"#!/venv/bin/python\n");
        insta::assert_snapshot!(String::from_utf8(shebang(b"/my venv/bin/python")).unwrap(), @r#"
        #!/bin/sh
        '''exec' "/my venv/bin/python" "$0" "$@"
        ' '''
        "#);
        let long = format!("/{}/python", "x".repeat(130));
        assert!(shebang(long.as_bytes()).starts_with(b"#!/bin/sh\n'''exec' /xxx"));
        assert_eq!(
            fix_shebang(b"#!pythonw -u\nprint(1)\n", b"/v/bin/python").unwrap(),
            b"#!/v/bin/python\nprint(1)\n"
        );
        assert_eq!(fix_shebang(b"#!/bin/sh\necho\n", b"/v/bin/python"), None);
    }

    #[test]
    fn launcher_text() {
        let entry = EntryPoint {
            group: "console_scripts".to_string(),
            name: "tool".to_string(),
            module: "pkg.cli".to_string(),
            attribute: "main.run".to_string(),
        };
        insta::assert_snapshot!(String::from_utf8(launcher(b"/venv/bin/python", &entry)).unwrap(), @r#"
        #!/venv/bin/python
        # -*- coding: utf-8 -*-
        import re
        import sys
        from pkg.cli import main
        if __name__ == "__main__":
            sys.argv[0] = re.sub(r"(-script\.pyw|\.exe)?$", "", sys.argv[0])
            sys.exit(main.run())
        "#);
    }
}
