//! A requirements file and everything it includes, read into one [`RequirementsTxt`].
//!
//! Nesting follows pip: `-r FILE` reads FILE as requirements and `-c FILE` as constraints,
//! whatever the including file is (so `-r` inside a constraints file yields requirements); a
//! relative FILE is joined to the directory of the file that names it; `file:` URLs are read
//! from disk; `http(s):` URLs are refused (nothing is fetched). A file that includes itself,
//! directly or not, is an error that shows the chain. The same file included twice side by
//! side is read twice, as pip does.
//!
//! What pip accepts but ignores is accepted and reported in [`RequirementsTxt::warnings`]:
//! `--use-feature`, global options on a requirement line, `--hash` on a line without a
//! requirement, stray arguments after the options.

use std::path::{Path, PathBuf};

use volley_packaging::parse_requirement;

use crate::encoding::decode;
use crate::include::{
    canonical, file_url_path, find_links_value, is_remote, read_nested, without_current_dir,
};
use crate::line::logical_lines;
use crate::option::{
    OptionName, ParsedOption, apply_binary_choice, parse_config_setting, parse_hash, split_line,
};
use crate::requirement::is_unnamed;
use crate::{Located, Origin, RequirementEntry, RequirementSpec, RequirementsError};

/// The contents of one or more requirements files, with their nested `-r`/`-c` files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequirementsTxt {
    /// Requirement lines of `-r` files, in file order (nested files where they are named).
    pub requirements: Vec<RequirementEntry>,
    /// Requirement lines of `-c` files. Always named, without extras.
    pub constraints: Vec<RequirementEntry>,
    /// `-e`/`--editable` values (a path or VCS URL), as written.
    pub editables: Vec<Located<String>>,
    /// The last `-i`/`--index-url`.
    pub index_url: Option<String>,
    pub extra_index_urls: Vec<String>,
    pub no_index: bool,
    /// `-f`/`--find-links` values. A relative path that exists next to the requirements file is
    /// made absolute against that file's directory, as pip does; others are kept as written.
    pub find_links: Vec<String>,
    pub pre: bool,
    /// Normalized names, or `:all:`, with pip's rules between the two lists: naming a package
    /// in one removes it from the other, `:all:` clears both, `:none:` clears its own.
    pub only_binary: Vec<String>,
    pub no_binary: Vec<String>,
    pub prefer_binary: bool,
    pub trusted_hosts: Vec<String>,
    pub require_hashes: bool,
    /// Things that were read but ignored, for the CLI to show.
    pub warnings: Vec<Located<String>>,
}

impl RequirementsTxt {
    /// Read a requirements file (`-r FILE` on the command line) and the files it includes.
    /// `vars` gives the values of `${NAME}` variables (the CLI passes the process environment).
    pub fn parse_file(
        path: &Path,
        vars: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, RequirementsError> {
        Self::parse_top_level(path, vars, Kind::Requirements)
    }

    /// Read a constraints file (`-c FILE` on the command line): its requirement lines become
    /// [`RequirementsTxt::constraints`]; its options and nested files count as in
    /// [`RequirementsTxt::parse_file`].
    pub fn parse_constraints_file(
        path: &Path,
        vars: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, RequirementsError> {
        Self::parse_top_level(path, vars, Kind::Constraints)
    }

    fn parse_top_level(
        path: &Path,
        vars: &dyn Fn(&str) -> Option<String>,
        kind: Kind,
    ) -> Result<Self, RequirementsError> {
        let text = path.to_string_lossy();
        if is_remote(&text) {
            return Err(RequirementsError::RemoteTopLevel {
                url: text.into_owned(),
            });
        }
        let path = match file_url_path(&text) {
            Some(Ok(path)) => path,
            Some(Err(())) => {
                return Err(RequirementsError::InvalidFileUrlTopLevel {
                    url: text.into_owned(),
                });
            }
            None => path.to_path_buf(),
        };
        let bytes = fs_err::read(&path).map_err(RequirementsError::Read)?;
        let content = decode(&bytes, &path)?;
        let mut parser = Parser::new(vars);
        parser.parse(&content, &path, kind)?;
        Ok(parser.result)
    }

    /// Read requirements from `content` as if it were the file at `origin_path` (which need not
    /// exist): messages name `origin_path`, and nested files are found next to it.
    pub fn parse_str(
        content: &str,
        origin_path: &Path,
        vars: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, RequirementsError> {
        let mut parser = Parser::new(vars);
        parser.parse(content, origin_path, Kind::Requirements)?;
        Ok(parser.result)
    }

    /// Add what `other` holds, as if its file came after this one (`-r a.txt -r b.txt`): lists
    /// are appended (URL and host lists without repeats), flags are or-ed, a later index URL
    /// wins, and binary choices are applied on top of this one's.
    pub fn merge(&mut self, other: RequirementsTxt) {
        self.requirements.extend(other.requirements);
        self.constraints.extend(other.constraints);
        self.editables.extend(other.editables);
        if other.index_url.is_some() {
            self.index_url = other.index_url;
        }
        extend_unique(&mut self.extra_index_urls, other.extra_index_urls);
        self.no_index |= other.no_index;
        extend_unique(&mut self.find_links, other.find_links);
        self.pre |= other.pre;
        for name in other.no_binary {
            apply_binary_choice(&name, &mut self.no_binary, &mut self.only_binary);
        }
        for name in other.only_binary {
            apply_binary_choice(&name, &mut self.only_binary, &mut self.no_binary);
        }
        self.prefer_binary |= other.prefer_binary;
        extend_unique(&mut self.trusted_hosts, other.trusted_hosts);
        self.require_hashes |= other.require_hashes;
        self.warnings.extend(other.warnings);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Requirements,
    Constraints,
}

/// How deep `-r`/`-c` files may nest. Each level is a few frames of recursion; real projects
/// nest a handful of files, and thousands would overflow the stack.
pub const MAX_NESTING: usize = 256;

struct Parser<'a> {
    vars: &'a dyn Fn(&str) -> Option<String>,
    /// The files being read, outermost first: (canonical path, path as named).
    stack: Vec<(PathBuf, PathBuf)>,
    result: RequirementsTxt,
}

impl<'a> Parser<'a> {
    fn new(vars: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self {
            vars,
            stack: Vec::new(),
            result: RequirementsTxt::default(),
        }
    }

    fn parse(&mut self, content: &str, path: &Path, kind: Kind) -> Result<(), RequirementsError> {
        self.stack.push((canonical(path), path.to_path_buf()));
        for line in logical_lines(content, self.vars) {
            let origin = Origin {
                path: path.to_path_buf(),
                line: line.number,
            };
            self.parse_line(&line.text, origin, kind)?;
        }
        self.stack.pop();
        Ok(())
    }

    fn warn(&mut self, origin: &Origin, message: String) {
        self.result.warnings.push(Located {
            value: message,
            origin: origin.clone(),
        });
    }

    fn parse_line(
        &mut self,
        text: &str,
        origin: Origin,
        kind: Kind,
    ) -> Result<(), RequirementsError> {
        let split = split_line(text, &origin)?;
        if !split.extra_arguments.is_empty() {
            self.warn(
                &origin,
                format!(
                    "ignored argument{} after the options: {}",
                    if split.extra_arguments.len() == 1 {
                        ""
                    } else {
                        "s"
                    },
                    split.extra_arguments.join(" ")
                ),
            );
        }
        if !split.requirement.is_empty() {
            self.requirement_line(&split.requirement, split.options, origin, kind)
        } else if split
            .options
            .iter()
            .any(|option| option.name == OptionName::Editable)
        {
            self.editable_line(split.options, origin, kind)
        } else {
            self.option_line(split.options, origin)
        }
    }

    fn requirement_line(
        &mut self,
        text: &str,
        options: Vec<ParsedOption>,
        origin: Origin,
        kind: Kind,
    ) -> Result<(), RequirementsError> {
        let mut hashes = Vec::new();
        let mut config_settings = Vec::new();
        for option in options {
            let value = option.value.unwrap_or_default();
            match option.name {
                OptionName::Hash => {
                    let hash = parse_hash(&value, &origin)?;
                    if !hashes.contains(&hash) {
                        hashes.push(hash);
                    }
                }
                OptionName::ConfigSettings => {
                    config_settings.push(parse_config_setting(&value, &origin)?);
                }
                other => self.warn(
                    &origin,
                    format!(
                        "ignored {}: it applies only on a line of its own, not after a requirement",
                        other.long()
                    ),
                ),
            }
        }
        let requirement = if is_unnamed(text) {
            RequirementSpec::Unnamed(text.to_string())
        } else {
            RequirementSpec::Named(parse_requirement(text).map_err(|error| {
                RequirementsError::InvalidRequirement {
                    origin: origin.clone(),
                    error,
                }
            })?)
        };
        let entry = RequirementEntry {
            requirement,
            hashes,
            config_settings,
            origin,
        };
        match kind {
            Kind::Requirements => self.result.requirements.push(entry),
            Kind::Constraints => {
                match &entry.requirement {
                    RequirementSpec::Unnamed(text) => {
                        return Err(RequirementsError::UnnamedConstraint {
                            origin: entry.origin,
                            requirement: text.clone(),
                        });
                    }
                    RequirementSpec::Named(requirement) if !requirement.extras.is_empty() => {
                        return Err(RequirementsError::ConstraintExtras {
                            origin: entry.origin,
                            requirement: text.to_string(),
                        });
                    }
                    RequirementSpec::Named(_) => {}
                }
                self.result.constraints.push(entry);
            }
        }
        Ok(())
    }

    fn editable_line(
        &mut self,
        options: Vec<ParsedOption>,
        origin: Origin,
        kind: Kind,
    ) -> Result<(), RequirementsError> {
        let mut editable = None;
        for option in options {
            let value = option.value.unwrap_or_default();
            match option.name {
                OptionName::Editable if editable.is_none() => editable = Some(value),
                OptionName::Editable => self.warn(
                    &origin,
                    format!("ignored --editable {value}: only one editable is read per line"),
                ),
                OptionName::ConfigSettings => {
                    parse_config_setting(&value, &origin)?;
                    self.warn(
                        &origin,
                        format!(
                            "ignored --config-settings {value}: not supported for editables yet"
                        ),
                    );
                }
                other => self.warn(
                    &origin,
                    format!("ignored {}: it does not apply to an editable", other.long()),
                ),
            }
        }
        let value = editable.unwrap_or_default();
        if kind == Kind::Constraints {
            return Err(RequirementsError::EditableConstraint {
                origin,
                requirement: value,
            });
        }
        self.result.editables.push(Located { value, origin });
        Ok(())
    }

    fn option_line(
        &mut self,
        options: Vec<ParsedOption>,
        origin: Origin,
    ) -> Result<(), RequirementsError> {
        for option in options {
            let name = option.name;
            let value = option.value.unwrap_or_default();
            match name {
                OptionName::IndexUrl => self.result.index_url = Some(value),
                OptionName::ExtraIndexUrl => {
                    extend_unique(&mut self.result.extra_index_urls, [value]);
                }
                OptionName::NoIndex => self.result.no_index = true,
                OptionName::Requirement => self.include(&value, &origin, Kind::Requirements)?,
                OptionName::Constraint => self.include(&value, &origin, Kind::Constraints)?,
                OptionName::FindLinks => {
                    let value = find_links_value(value, &origin.path);
                    extend_unique(&mut self.result.find_links, [value]);
                }
                OptionName::NoBinary | OptionName::OnlyBinary => {
                    if value.starts_with('-') {
                        return Err(RequirementsError::MissingValue {
                            origin,
                            option: name.long().to_string(),
                        });
                    }
                    let result = &mut self.result;
                    let (target, other) = if name == OptionName::NoBinary {
                        (&mut result.no_binary, &mut result.only_binary)
                    } else {
                        (&mut result.only_binary, &mut result.no_binary)
                    };
                    apply_binary_choice(&value, target, other);
                }
                OptionName::PreferBinary => self.result.prefer_binary = true,
                OptionName::RequireHashes => self.result.require_hashes = true,
                OptionName::Pre => self.result.pre = true,
                OptionName::TrustedHost => {
                    extend_unique(&mut self.result.trusted_hosts, [value]);
                }
                OptionName::UseFeature => self.warn(
                    &origin,
                    format!("ignored --use-feature={value}: volley has no pip features to enable"),
                ),
                OptionName::Hash => {
                    parse_hash(&value, &origin)?;
                    self.warn(
                        &origin,
                        "ignored --hash: the line has no requirement".to_string(),
                    );
                }
                OptionName::ConfigSettings => {
                    parse_config_setting(&value, &origin)?;
                    self.warn(
                        &origin,
                        "ignored --config-settings: the line has no requirement".to_string(),
                    );
                }
                OptionName::Editable => {
                    unreachable!("lines with -e are read by editable_line")
                }
            }
        }
        Ok(())
    }

    /// Read the file named by `-r`/`-c` on the line at `origin`.
    fn include(
        &mut self,
        target: &str,
        origin: &Origin,
        kind: Kind,
    ) -> Result<(), RequirementsError> {
        // A relative path in a file read from a URL would be a URL too.
        if is_remote(target) || is_remote(&origin.path.to_string_lossy()) {
            return Err(RequirementsError::Remote {
                origin: origin.clone(),
                url: target.to_string(),
            });
        }
        let path = match file_url_path(target) {
            Some(Ok(path)) => path,
            Some(Err(())) => {
                return Err(RequirementsError::InvalidFileUrl {
                    origin: origin.clone(),
                    url: target.to_string(),
                });
            }
            None => without_current_dir(&match origin.path.parent() {
                Some(parent) => parent.join(target),
                None => PathBuf::from(target),
            }),
        };
        if self.stack.len() >= MAX_NESTING {
            return Err(RequirementsError::TooDeep {
                origin: origin.clone(),
                path,
                limit: MAX_NESTING,
            });
        }
        let (path, bytes) = read_nested(path).map_err(|error| RequirementsError::ReadNested {
            origin: origin.clone(),
            error,
        })?;
        let canonical_path = canonical(&path);
        if let Some(position) = self
            .stack
            .iter()
            .position(|(canonical, _)| *canonical == canonical_path)
        {
            let chain = self.stack[position..]
                .iter()
                .map(|(_, named)| named.display().to_string())
                .chain([path.display().to_string()])
                .collect::<Vec<_>>()
                .join(" -> ");
            return Err(RequirementsError::Cycle {
                origin: origin.clone(),
                path,
                chain,
            });
        }
        let content = decode(&bytes, &path).map_err(|error| RequirementsError::DecodeNested {
            origin: origin.clone(),
            error: Box::new(error),
        })?;
        self.parse(&content, &path, kind)
    }
}

fn extend_unique(list: &mut Vec<String>, values: impl IntoIterator<Item = String>) {
    for value in values {
        if !list.contains(&value) {
            list.push(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::fmt::Write as _;

    use tempfile::TempDir;

    use super::*;

    fn no_vars(_: &str) -> Option<String> {
        None
    }

    /// A directory of requirements files, written from `(relative path, content)` pairs.
    fn files(entries: &[(&str, &str)]) -> TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, content) in entries {
            let path = dir.path().join(path);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, content).unwrap();
        }
        dir
    }

    fn origin(entry: &RequirementEntry) -> String {
        entry.origin.to_string()
    }

    fn render(txt: &RequirementsTxt) -> String {
        let mut out = String::new();
        let entries = |out: &mut String, title: &str, entries: &[RequirementEntry]| {
            if entries.is_empty() {
                return;
            }
            writeln!(out, "{title}:").unwrap();
            for entry in entries {
                let requirement = match &entry.requirement {
                    RequirementSpec::Named(requirement) => requirement.to_string(),
                    RequirementSpec::Unnamed(text) => format!("unnamed {text}"),
                };
                write!(out, "  {requirement}  [{}]", origin(entry)).unwrap();
                for hash in &entry.hashes {
                    write!(out, "\n    --hash {hash}").unwrap();
                }
                for (key, value) in &entry.config_settings {
                    write!(out, "\n    -C {key}={value}").unwrap();
                }
                out.push('\n');
            }
        };
        entries(&mut out, "requirements", &txt.requirements);
        entries(&mut out, "constraints", &txt.constraints);
        for editable in &txt.editables {
            writeln!(out, "editable: {editable}").unwrap();
        }
        if let Some(index_url) = &txt.index_url {
            writeln!(out, "index-url: {index_url}").unwrap();
        }
        let lists = [
            ("extra-index-url", &txt.extra_index_urls),
            ("find-links", &txt.find_links),
            ("only-binary", &txt.only_binary),
            ("no-binary", &txt.no_binary),
            ("trusted-host", &txt.trusted_hosts),
        ];
        for (name, list) in lists {
            if !list.is_empty() {
                writeln!(out, "{name}: {}", list.join(", ")).unwrap();
            }
        }
        let flags = [
            ("no-index", txt.no_index),
            ("pre", txt.pre),
            ("prefer-binary", txt.prefer_binary),
            ("require-hashes", txt.require_hashes),
        ];
        let set: Vec<&str> = flags
            .iter()
            .filter(|(_, on)| *on)
            .map(|(name, _)| *name)
            .collect();
        if !set.is_empty() {
            writeln!(out, "flags: {}", set.join(", ")).unwrap();
        }
        for warning in &txt.warnings {
            writeln!(out, "warning: {warning}").unwrap();
        }
        out
    }

    /// Parse `main` (the first file) and render the result or the error, with the temporary
    /// directory shown as `[TEMP]`.
    fn parse_files(entries: &[(&str, &str)]) -> String {
        let dir = files(entries);
        let output = match RequirementsTxt::parse_file(&dir.path().join(entries[0].0), &no_vars) {
            Ok(txt) => render(&txt),
            Err(error) => error.to_string(),
        };
        output.replace(&*dir.path().to_string_lossy(), "[TEMP]")
    }

    /// Parse one file's content, named `requirements.txt`, and render the error.
    fn error(content: &str) -> String {
        match RequirementsTxt::parse_str(content, Path::new("requirements.txt"), &no_vars) {
            Ok(txt) => panic!("expected an error, got:\n{}", render(&txt)),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn realistic_nested_files() {
        let output = parse_files(&[
            (
                "requirements.txt",
                "\
# -*- coding: utf-8 -*-
--index-url https://pypi.example/simple
--extra-index-url=https://extra.example/simple  # mirror
--trusted-host extra.example
-f wheels
--find-links https://links.example/
--prefer-binary
--only-binary=:all: --no-binary psycopg2
-c constraints/pins.txt
-r dev/requirements-dev.txt

flask[async]>=2.0,<3 ; python_version >= \"3.8\"
click==8.1.7 \\
    --hash=sha256:AE74FB96C20A0277A1D615F1E4D73C8414F5A98DB8B799A7931D1582F3390C28 \\
    --hash=sha256:ca9853ad459e787e2192211578cc907e7594e294c7ccc834310722b41b9ca6de
    # via flask
./local/pkg
https://files.example/pkgs/tool-1.0-py3-none-any.whl#sha256=00ff
-e git+https://github.com/org/proj#egg=proj
buildme==1.0 -C editable_mode=compat --config-settings=--build-option=--quiet
",
            ),
            ("wheels/.keep", ""),
            (
                "constraints/pins.txt",
                "werkzeug==3.0.1\nmarkupsafe==2.1.5 ; sys_platform != 'win32'\n-r ../dev/extra.txt\n",
            ),
            (
                "dev/requirements-dev.txt",
                "--pre\npytest>=8  # tests\n-c ../constraints/dev-pins.txt\n",
            ),
            ("dev/extra.txt", "tomli ; python_version < '3.11'\n"),
            ("constraints/dev-pins.txt", "pluggy<2\n"),
        ]);
        insta::assert_snapshot!(output, @r"
        requirements:
          tomli ; python_full_version < '3.11'  [[TEMP]/constraints/../dev/extra.txt line 1]
          pytest>=8  [[TEMP]/dev/requirements-dev.txt line 2]
          flask[async]>=2.0,<3 ; python_full_version >= '3.8'  [[TEMP]/requirements.txt line 12]
          click==8.1.7  [[TEMP]/requirements.txt line 13]
            --hash sha256:ae74fb96c20a0277a1d615f1e4d73c8414f5a98db8b799a7931d1582f3390c28
            --hash sha256:ca9853ad459e787e2192211578cc907e7594e294c7ccc834310722b41b9ca6de
          unnamed ./local/pkg  [[TEMP]/requirements.txt line 17]
          unnamed https://files.example/pkgs/tool-1.0-py3-none-any.whl#sha256=00ff  [[TEMP]/requirements.txt line 18]
          buildme==1.0  [[TEMP]/requirements.txt line 20]
            -C editable_mode=compat
            -C --build-option=--quiet
        constraints:
          werkzeug==3.0.1  [[TEMP]/constraints/pins.txt line 1]
          markupsafe==2.1.5 ; sys_platform != 'win32'  [[TEMP]/constraints/pins.txt line 2]
          pluggy<2  [[TEMP]/dev/../constraints/dev-pins.txt line 1]
        editable: [TEMP]/requirements.txt line 19: git+https://github.com/org/proj#egg=proj
        index-url: https://pypi.example/simple
        extra-index-url: https://extra.example/simple
        find-links: [TEMP]/wheels, https://links.example/
        only-binary: :all:
        no-binary: psycopg2
        trusted-host: extra.example
        flags: pre, prefer-binary
        ");
    }

    #[test]
    fn variables_come_from_the_caller() {
        let vars = HashMap::from([("TOKEN".to_string(), "s3cret".to_string())]);
        let lookup = |name: &str| vars.get(name).cloned();
        let txt = RequirementsTxt::parse_str(
            "--index-url https://user:${TOKEN}@pypi.example/simple\n--extra-index-url https://${UNSET}@x/\n",
            Path::new("requirements.txt"),
            &lookup,
        )
        .unwrap();
        assert_eq!(
            txt.index_url.as_deref(),
            Some("https://user:s3cret@pypi.example/simple")
        );
        assert_eq!(txt.extra_index_urls, ["https://${UNSET}@x/"]);
    }

    #[test]
    fn ignored_options_become_warnings() {
        let txt = RequirementsTxt::parse_str(
            "\
flask --pre
--use-feature=fast-deps
--hash=sha256:00
-e ./a -C k=v --hash=sha256:00
-e ./b -e ./c
-r",
            Path::new("requirements.txt"),
            &no_vars,
        );
        // The last line lacks its value.
        insta::assert_snapshot!(txt.unwrap_err(), @"error in requirements.txt line 6: option -r requires a value");
        let txt = RequirementsTxt::parse_str(
            "\
flask --pre
--use-feature=fast-deps
--hash=sha256:00 --config-settings a=b
-e ./a -C k=v --hash=sha256:00
-e ./b -e ./c
--no-index extra arguments
",
            Path::new("requirements.txt"),
            &no_vars,
        )
        .unwrap();
        insta::assert_snapshot!(render(&txt), @r"
        requirements:
          flask  [requirements.txt line 1]
        editable: requirements.txt line 4: ./a
        editable: requirements.txt line 5: ./b
        flags: no-index
        warning: requirements.txt line 1: ignored --pre: it applies only on a line of its own, not after a requirement
        warning: requirements.txt line 2: ignored --use-feature=fast-deps: volley has no pip features to enable
        warning: requirements.txt line 3: ignored --hash: the line has no requirement
        warning: requirements.txt line 3: ignored --config-settings: the line has no requirement
        warning: requirements.txt line 4: ignored --config-settings k=v: not supported for editables yet
        warning: requirements.txt line 4: ignored --hash: it does not apply to an editable
        warning: requirements.txt line 5: ignored --editable ./c: only one editable is read per line
        warning: requirements.txt line 6: ignored arguments after the options: extra arguments
        ");
    }

    #[test]
    fn binary_choices_follow_pip() {
        let parse = |content: &str| {
            let txt = RequirementsTxt::parse_str(content, Path::new("r.txt"), &no_vars).unwrap();
            format!("only {:?} no {:?}", txt.only_binary, txt.no_binary)
        };
        insta::assert_snapshot!(parse("--no-binary Foo_Bar,baz\n--only-binary foo.bar"), @r#"only ["foo-bar"] no ["baz"]"#);
        insta::assert_snapshot!(parse("--no-binary a\n--only-binary :all:"), @r#"only [":all:"] no []"#);
        insta::assert_snapshot!(parse("--only-binary :all:,:none:,x\n--no-binary y"), @r#"only ["x"] no ["y"]"#);
        insta::assert_snapshot!(parse("--only-binary a,b\n--only-binary :none:,c"), @r#"only ["c"] no []"#);
    }

    #[test]
    fn merge_combines_files_in_order() {
        let parse = |content: &str, name: &str| {
            RequirementsTxt::parse_str(content, Path::new(name), &no_vars).unwrap()
        };
        let mut first = parse(
            "-i https://one/simple\n--extra-index-url https://x/\n--no-binary a\nflask\n",
            "a.txt",
        );
        first.merge(parse(
            "-i https://two/simple\n--extra-index-url https://x/\n--extra-index-url https://y/\n--pre\n--only-binary a\nclick\n",
            "b.txt",
        ));
        insta::assert_snapshot!(render(&first), @r"
        requirements:
          flask  [a.txt line 4]
          click  [b.txt line 6]
        index-url: https://two/simple
        extra-index-url: https://x/, https://y/
        only-binary: a
        flags: pre
        ");
    }

    #[test]
    fn same_file_twice_is_not_a_cycle() {
        let output = parse_files(&[
            ("requirements.txt", "-r common.txt\n-c common.txt\n"),
            ("common.txt", "six==1.16.0\n"),
        ]);
        insta::assert_snapshot!(output, @r"
        requirements:
          six==1.16.0  [[TEMP]/common.txt line 1]
        constraints:
          six==1.16.0  [[TEMP]/common.txt line 1]
        ");
    }

    #[test]
    fn file_url_include() {
        let dir = files(&[("inner.txt", "six\n")]);
        let url = url::Url::from_file_path(dir.path().join("inner.txt")).unwrap();
        let txt = RequirementsTxt::parse_str(
            &format!("-r {url}\n"),
            &dir.path().join("requirements.txt"),
            &no_vars,
        )
        .unwrap();
        assert_eq!(txt.requirements.len(), 1);
        assert_eq!(
            txt.requirements[0].origin.path,
            dir.path().join("inner.txt")
        );
    }

    #[test]
    fn constraints_file_on_the_command_line() {
        let dir = files(&[
            ("c.txt", "--pre\nsix==1.16.0\n-r r.txt\n"),
            ("r.txt", "flask\n"),
        ]);
        let txt =
            RequirementsTxt::parse_constraints_file(&dir.path().join("c.txt"), &no_vars).unwrap();
        let output = render(&txt).replace(&*dir.path().to_string_lossy(), "[TEMP]");
        insta::assert_snapshot!(output, @r"
        requirements:
          flask  [[TEMP]/r.txt line 1]
        constraints:
          six==1.16.0  [[TEMP]/c.txt line 2]
        flags: pre
        ");
        let error =
            RequirementsTxt::parse_constraints_file(Path::new("file://host/c.txt"), &no_vars)
                .unwrap_err();
        insta::assert_snapshot!(error, @r#"invalid file URL "file://host/c.txt" for a requirements file"#);
    }

    #[test]
    fn error_invalid_requirement() {
        insta::assert_snapshot!(error("flask\n\n# c\nflask>=\n"), @r#"
        error in requirements.txt line 4: invalid requirement "flask>=": Unexpected end of version specifier, expected version
        flask>=
             ^^
        "#);
    }

    #[test]
    fn error_invalid_requirement_after_continuation() {
        insta::assert_snapshot!(error("a \\\n  b==1\n"), @r#"
        error in requirements.txt line 1: invalid requirement "a   b==1": Expected one of `@`, `(`, `<`, `=`, `>`, `~`, `!`, `;`, found `b`
        a   b==1
            ^
        "#);
    }

    #[test]
    fn error_unknown_and_ambiguous_options() {
        insta::assert_snapshot!(error("--install-option=--prefix=/x\n"), @"error in requirements.txt line 1: no such option: --install-option");
        insta::assert_snapshot!(error("--no\n"), @"error in requirements.txt line 1: ambiguous option: --no (could be --no-index, --no-binary)");
        insta::assert_snapshot!(error("--pre=1\n"), @r#"error in requirements.txt line 1: option --pre does not take a value, got "1""#);
        insta::assert_snapshot!(error("--index-url\n"), @"error in requirements.txt line 1: option --index-url requires a value");
        insta::assert_snapshot!(error("--no-binary --pre\n"), @"error in requirements.txt line 1: option --no-binary requires a value");
        insta::assert_snapshot!(error("flask --hash 'sha256:00\n"), @r#"error in requirements.txt line 1: could not split options "--hash 'sha256:00": no closing quotation"#);
    }

    #[test]
    fn error_hashes() {
        insta::assert_snapshot!(error("flask --hash=00ff\n"), @r#"error in requirements.txt line 1: invalid hash "00ff": expected a hash name followed by a value, like --hash=sha256:abcde..."#);
        insta::assert_snapshot!(error("flask --hash=md5:00ff\n"), @r#"error in requirements.txt line 1: hash algorithm "md5" is not allowed for --hash (use sha256, sha384 or sha512)"#);
        insta::assert_snapshot!(error("flask --hash=sha256:xyz\n"), @r#"error in requirements.txt line 1: invalid hash "sha256:xyz": expected a hash name followed by a value, like --hash=sha256:abcde..."#);
    }

    #[test]
    fn error_config_settings() {
        insta::assert_snapshot!(error("flask -C novalue\n"), @r#"error in requirements.txt line 1: invalid --config-settings "novalue": expected KEY=VALUE"#);
    }

    #[test]
    fn error_missing_nested_file() {
        let output = parse_files(&[("requirements.txt", "flask\n-r missing.txt\n")]);
        insta::assert_snapshot!(output, @"error in [TEMP]/requirements.txt line 2: could not read requirements file: failed to open file `[TEMP]/missing.txt`: No such file or directory (os error 2)");
    }

    #[test]
    fn error_missing_top_level_file() {
        let dir = tempfile::tempdir().unwrap();
        let error =
            RequirementsTxt::parse_file(&dir.path().join("nope.txt"), &no_vars).unwrap_err();
        let message = error
            .to_string()
            .replace(&*dir.path().to_string_lossy(), "[TEMP]");
        insta::assert_snapshot!(message, @"could not read requirements file: failed to open file `[TEMP]/nope.txt`: No such file or directory (os error 2)");
    }

    #[test]
    fn error_cycle() {
        let output = parse_files(&[
            ("requirements.txt", "-r sub/b.txt\n"),
            ("sub/b.txt", "six\n-c ../c.txt\n"),
            ("c.txt", "# loops back\n-r sub/b.txt\n"),
        ]);
        insta::assert_snapshot!(output, @r#"error in [TEMP]/sub/../c.txt line 2: requirements file "[TEMP]/sub/../sub/b.txt" includes itself: [TEMP]/sub/b.txt -> [TEMP]/sub/../c.txt -> [TEMP]/sub/../sub/b.txt"#);
        let output = parse_files(&[("self.txt", "-r ./self.txt\n")]);
        insta::assert_snapshot!(output, @r#"error in [TEMP]/self.txt line 1: requirements file "[TEMP]/self.txt" includes itself: [TEMP]/self.txt -> [TEMP]/self.txt"#);
    }

    #[test]
    fn error_nested_too_deep() {
        let dir = tempfile::tempdir().unwrap();
        let depth = 5000;
        for level in 0..depth {
            fs_err::write(
                dir.path().join(format!("r{level}.txt")),
                format!("-r r{}.txt\n", level + 1),
            )
            .unwrap();
        }
        fs_err::write(dir.path().join(format!("r{depth}.txt")), "six\n").unwrap();
        let error = RequirementsTxt::parse_file(&dir.path().join("r0.txt"), &no_vars)
            .unwrap_err()
            .to_string()
            .replace(&dir.path().display().to_string(), "[TEMP]");
        insta::assert_snapshot!(error, @r#"error in [TEMP]/r255.txt line 1: requirements files are nested more than 256 deep ("[TEMP]/r256.txt" would be one deeper)"#);
        // At the limit it still works.
        fs_err::write(
            dir.path().join(format!("r{}.txt", MAX_NESTING - 1)),
            "six\n",
        )
        .unwrap();
        let parsed = RequirementsTxt::parse_file(&dir.path().join("r0.txt"), &no_vars).unwrap();
        assert_eq!(parsed.requirements.len(), 1);
    }

    #[test]
    fn error_remote_files() {
        insta::assert_snapshot!(error("-r https://example.com/requirements.txt\n"), @r#"error in requirements.txt line 1: nested remote requirements file "https://example.com/requirements.txt" is not supported (pass it with -r URL on the command line, or download it)"#);
        let from_url = RequirementsTxt::parse_str(
            "six\n-r other.txt\n",
            Path::new("https://example.com/dir/r.txt"),
            &no_vars,
        )
        .unwrap_err();
        insta::assert_snapshot!(from_url, @r#"error in https://example.com/dir/r.txt line 2: nested remote requirements file "other.txt" is not supported (pass it with -r URL on the command line, or download it)"#);
        insta::assert_snapshot!(error("-c file://not-a-local-host/x.txt\n"), @r#"error in requirements.txt line 1: invalid file URL "file://not-a-local-host/x.txt""#);
        let error = RequirementsTxt::parse_file(Path::new("HTTPS://example.com/r.txt"), &no_vars)
            .unwrap_err();
        insta::assert_snapshot!(error, @r#"remote requirements file "HTTPS://example.com/r.txt" is not supported yet (download it and pass the local path)"#);
    }

    #[test]
    fn error_constraint_forms() {
        let output = parse_files(&[("r.txt", "-c c.txt\n"), ("c.txt", "./local/pkg\n")]);
        insta::assert_snapshot!(output, @r#"error in [TEMP]/c.txt line 1: unnamed requirement "./local/pkg" is not allowed as a constraint"#);
        let output = parse_files(&[("r.txt", "-c c.txt\n"), ("c.txt", "-e ./local/pkg\n")]);
        insta::assert_snapshot!(output, @r#"error in [TEMP]/c.txt line 1: editable requirement "./local/pkg" is not allowed as a constraint"#);
        let output = parse_files(&[("r.txt", "-c c.txt\n"), ("c.txt", "flask[async]==3.0\n")]);
        insta::assert_snapshot!(output, @r#"error in [TEMP]/c.txt line 1: constraint "flask[async]==3.0" has extras, which constraints cannot have"#);
    }

    #[test]
    fn declared_encoding_and_error_encoding() {
        let dir = tempfile::tempdir().unwrap();
        fs_err::write(dir.path().join("r.txt"), "-r latin.txt\n").unwrap();
        fs_err::write(
            dir.path().join("latin.txt"),
            b"# -*- coding: latin-1 -*-\nsix  # caf\xE9\n",
        )
        .unwrap();
        let txt = RequirementsTxt::parse_file(&dir.path().join("r.txt"), &no_vars).unwrap();
        assert_eq!(txt.requirements.len(), 1);

        fs_err::write(dir.path().join("latin.txt"), b"six  # caf\xE9\n").unwrap();
        let error = RequirementsTxt::parse_file(&dir.path().join("r.txt"), &no_vars).unwrap_err();
        let message = error
            .to_string()
            .replace(&*dir.path().to_string_lossy(), "[TEMP]");
        insta::assert_snapshot!(message, @r#"error in [TEMP]/r.txt line 1: could not read requirements file "[TEMP]/latin.txt": it is not valid UTF-8"#);
    }

    #[cfg(unix)]
    #[test]
    fn parent_of_a_symlinked_directory() {
        // link -> real/deep, so `link/../x.txt` is real/x.txt through the symlink and x.txt
        // lexically. The filesystem's answer wins; the lexical one is the fallback.
        let dir = files(&[
            ("real/deep/r.txt", "-r ../x.txt\n-r ../only-lexical.txt\n"),
            ("real/x.txt", "physical\n"),
            ("x.txt", "lexical\n"),
            ("only-lexical.txt", "fallback\n"),
        ]);
        std::os::unix::fs::symlink(dir.path().join("real/deep"), dir.path().join("link")).unwrap();
        let txt = RequirementsTxt::parse_file(&dir.path().join("link/r.txt"), &no_vars).unwrap();
        let names: Vec<String> = txt
            .requirements
            .iter()
            .map(|entry| match &entry.requirement {
                RequirementSpec::Named(requirement) => requirement.name.to_string(),
                RequirementSpec::Unnamed(text) => text.clone(),
            })
            .collect();
        assert_eq!(names, ["physical", "fallback"]);
    }
}
