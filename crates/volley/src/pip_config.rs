//! pip's configuration (`pip.conf` files and `PIP_*` environment variables), read the way pip
//! reads it, for the options volley shares with pip.
//!
//! Start with [`config_files`] (which files, in pip's order) and [`load`] (files plus variables
//! into one [`PipConfig`] for a command). Nothing here reads the process environment: the
//! settings module fills [`ConfigEnv`] and passes the `PIP_*` variables in [`ConfigSources`].
//!
//! The traps, each checked against pip's `configuration.py` and `cli/parser.py`:
//! - **Files, lowest precedence first**: global (`$XDG_CONFIG_DIRS/pip/pip.conf` for each
//!   directory, default `/etc/xdg`, then `/etc/pip.conf`), user (legacy `~/.pip/pip.conf`, then
//!   `$XDG_CONFIG_HOME/pip/pip.conf`), site (`$VIRTUAL_ENV/pip.conf`), then `PIP_CONFIG_FILE`.
//!   `PIP_CONFIG_FILE=/dev/null` disables every file; a `PIP_CONFIG_FILE` that exists replaces
//!   the user files (but not the global and site ones). Missing or unreadable files are skipped.
//! - **Sections beat files**: all files are merged key by key first, then `[global]` is applied,
//!   then the command's section (`[install]`, `[download]`, ...), then the environment. So an
//!   `[install] timeout` in `/etc/pip.conf` wins over a `[global] timeout` in the user file.
//! - **Names**: keys are long option names without `--`; case and `_`/`-` do not matter
//!   (`PIP_INDEX_URL`, `index_url`, `Index-URL` are all `index-url`). Aliases work as on the
//!   command line (`default-timeout`, `no-dependencies`, `pypi-url`). Unknown names, and
//!   options the command does not have (`index-url` for `freeze`), are ignored, as pip ignores
//!   them, even when their value is invalid. Empty values are ignored.
//! - **Values**: booleans are Python's `strtobool` words (`y/yes/t/true/on/1`,
//!   `n/no/f/false/off/0`); anything else is an error naming the file and key. Options that
//!   repeat on the command line (`extra-index-url`, `find-links`, `trusted-host`, `constraint`)
//!   take whitespace-separated values, often one per continuation line; a later source
//!   replaces an earlier list, it does not add to it.
//! - **Quirks kept on purpose**: `no-cache-dir` disables the cache for *any* boolean value,
//!   `false` included (pip keeps this for compatibility); `no-compile = false` means "do not
//!   compile" (the value is stored as is into `compile`); `only-binary` and `no-binary` add up
//!   across sections with pip's `:all:`/`:none:` rules instead of replacing each other.
//! - **INI syntax** is Python's `RawConfigParser`: `=` or `:` separates name and value, `#` and
//!   `;` start comments only at the start of a line (an inline `#` is part of the value),
//!   continuation lines are indented deeper than their option, `[DEFAULT]` entries apply to
//!   every section, and a key before any section, a line without `=`/`:`, or a section or key
//!   written twice in one file is an error, as it is in pip.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

mod ini;
mod location;
mod option;

pub use location::{ConfigEnv, config_files};

use ini::parse_ini;
use option::apply;

/// The section of environment variables, after the sections of files (pip's `:env:`).
const ENV_SECTION: &str = ":env:";

/// Where the configuration comes from: files in increasing precedence, then variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigSources {
    /// Configuration files, lowest precedence first (usually [`config_files`]). Files that do
    /// not exist are skipped.
    pub files: Vec<PathBuf>,
    /// Environment variables as `(name, value)`; only those starting with `PIP_` are used.
    pub env: Vec<(String, String)>,
    /// `HOME`, for `~` in path values (`cert`, `client-cert`, `cache-dir`).
    pub home: Option<PathBuf>,
}

impl ConfigSources {
    /// pip's sources: the files [`config_files`] finds and the `PIP_*` variables among
    /// `variables`.
    pub fn new(env: &ConfigEnv, variables: impl IntoIterator<Item = (String, String)>) -> Self {
        Self {
            files: config_files(env),
            env: variables
                .into_iter()
                .filter(|(name, _)| name.starts_with("PIP_"))
                .collect(),
            home: env.home.clone(),
        }
    }
}

/// The options volley shares with pip, as pip's configuration sets them. `None` and empty
/// lists mean "not configured": the command line and volley's defaults decide.
///
/// On the command line pip adds repeated options (`--extra-index-url`, `--find-links`,
/// `--trusted-host`, `--constraint`) to the configured list and replaces single values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PipConfig {
    /// `index-url` (alias `pypi-url`).
    pub index_url: Option<String>,
    pub extra_index_urls: Vec<String>,
    pub find_links: Vec<String>,
    pub no_index: Option<bool>,
    pub trusted_hosts: Vec<String>,
    /// `cert`, with `~` expanded.
    pub cert: Option<PathBuf>,
    /// `client-cert`, with `~` expanded.
    pub client_cert: Option<PathBuf>,
    /// `timeout` (alias `default-timeout`), in seconds.
    pub timeout: Option<f64>,
    pub retries: Option<u32>,
    /// `Some(true)` when `no-cache-dir` is set to any boolean (see the module doc). It wins over
    /// `cache_dir`, whatever their order, as in pip.
    pub no_cache_dir: Option<bool>,
    /// `cache-dir`, with `~` expanded.
    pub cache_dir: Option<PathBuf>,
    pub require_hashes: Option<bool>,
    pub pre: Option<bool>,
    /// Normalized names or `:all:`, after pip's rules between `only-binary` and `no-binary`
    /// (naming a package in one removes it from the other, `:all:` clears both, `:none:`
    /// clears its own list).
    pub only_binary: Vec<String>,
    pub no_binary: Vec<String>,
    pub prefer_binary: Option<bool>,
    pub proxy: Option<String>,
    /// One of pip's choices: `auto`, `disabled`, `import`, `subprocess`.
    pub keyring_provider: Option<String>,
    /// `no-deps` (alias `no-dependencies`).
    pub no_deps: Option<bool>,
    /// One of pip's choices: `only-if-needed`, `eager`.
    pub upgrade_strategy: Option<String>,
    /// `constraint` files, as written (relative paths are relative to the working directory).
    pub constraints: Vec<PathBuf>,
    /// Whether to compile bytecode: `compile = yes`, or `no-compile` whose value is stored as
    /// is (`no-compile = false` means do not compile).
    pub compile: Option<bool>,
    /// `break-system-packages` (`PIP_BREAK_SYSTEM_PACKAGES`): install into an externally
    /// managed interpreter anyway (PEP 668).
    pub break_system_packages: Option<bool>,
    /// Whether to warn about broken dependencies after an install: `no-warn-conflicts`, whose
    /// value is stored as is, as pip does (`no-warn-conflicts = false` silences the warning).
    pub warn_conflicts: Option<bool>,
    /// `require-virtualenv` (`PIP_REQUIRE_VIRTUALENV`, alias `require-venv`): refuse to install
    /// outside a virtual environment.
    pub require_virtualenv: Option<bool>,
}

/// Where a configuration value was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueOrigin {
    File { path: PathBuf, section: String },
    Variable { name: String },
}

impl fmt::Display for ValueOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File { path, section } => write!(f, "{} [{section}]", path.display()),
            Self::Variable { name } => write!(f, "environment variable {name}"),
        }
    }
}

/// A configuration file that pip would refuse, or a value that pip would reject.
#[derive(Debug, thiserror::Error)]
pub enum PipConfigError {
    #[error("could not read pip configuration file \"{}\": it is not valid UTF-8", path.display())]
    Decode { path: PathBuf },
    #[error(
        "error in {} line {line}: \"{text}\" comes before any [section] header (start the file with [global])",
        path.display()
    )]
    MissingSection {
        path: PathBuf,
        line: usize,
        text: String,
    },
    #[error(
        "error in {} line {line}: expected \"name = value\" or a [section] header, got \"{text}\"",
        path.display()
    )]
    InvalidLine {
        path: PathBuf,
        line: usize,
        text: String,
    },
    #[error("error in {} line {line}: section [{section}] is written twice", path.display())]
    DuplicateSection {
        path: PathBuf,
        line: usize,
        section: String,
    },
    #[error(
        "error in {} line {line}: option \"{name}\" is written twice in section [{section}]",
        path.display()
    )]
    DuplicateOption {
        path: PathBuf,
        line: usize,
        section: String,
        name: String,
    },
    #[error("invalid value \"{value}\" for {name} in {origin}: expected {expected}")]
    InvalidValue {
        origin: ValueOrigin,
        name: String,
        value: String,
        expected: &'static str,
    },
}

/// Read the configuration for `command` (`"install"`, `"download"`, ...): files, then `PIP_*`
/// variables, with pip's precedence and value checks (see the module doc). For a command pip
/// does not have, every option applies.
pub fn load(command: &str, sources: &ConfigSources) -> Result<PipConfig, PipConfigError> {
    let mut entries = Entries::default();
    for path in &sources.files {
        let Some(text) = read_file(path)? else {
            continue;
        };
        for (section, name, value) in parse_ini(&text, path)? {
            let origin = ValueOrigin::File {
                path: path.clone(),
                section: section.clone(),
            };
            entries.set(section, normalize_name(&name), value, origin);
        }
    }
    for (variable, value) in &sources.env {
        let Some(name) = variable.strip_prefix("PIP_") else {
            continue;
        };
        let origin = ValueOrigin::Variable {
            name: variable.clone(),
        };
        entries.set(
            ENV_SECTION.to_string(),
            normalize_name(name),
            value.clone(),
            origin,
        );
    }

    let home = sources
        .home
        .as_deref()
        .filter(|home| !home.as_os_str().is_empty());
    let mut config = PipConfig::default();
    for section in ["global", command, ENV_SECTION] {
        for entry in entries.0.iter().filter(|entry| entry.section == section) {
            if entry.value.is_empty() {
                tracing::debug!("ignoring {} from {}: empty value", entry.name, entry.origin);
                continue;
            }
            apply(&mut config, command, entry, home)?;
        }
    }
    Ok(config)
}

/// The file's text, or `None` when pip would skip it: it does not exist or cannot be read
/// (Python's `ConfigParser.read` ignores files it cannot open).
fn read_file(path: &Path) -> Result<Option<String>, PipConfigError> {
    let bytes = match fs_err::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            if error.kind() != io::ErrorKind::NotFound {
                tracing::debug!("skipping pip configuration file: {error}");
            }
            return Ok(None);
        }
    };
    let text = String::from_utf8(bytes).map_err(|_| PipConfigError::Decode {
        path: path.to_path_buf(),
    })?;
    Ok(Some(match text.strip_prefix('\u{feff}') {
        Some(text) => text.to_string(),
        None => text,
    }))
}

/// One configuration value, keyed by section and normalized name.
#[derive(Debug)]
struct Entry {
    section: String,
    name: String,
    value: String,
    origin: ValueOrigin,
}

/// The values of every source, in pip's dictionary order: a key keeps the place where it was
/// first seen, and a later source replaces its value.
#[derive(Debug, Default)]
struct Entries(Vec<Entry>);

impl Entries {
    fn set(&mut self, section: String, name: String, value: String, origin: ValueOrigin) {
        match self
            .0
            .iter_mut()
            .find(|entry| entry.section == section && entry.name == name)
        {
            Some(entry) => {
                entry.value = value;
                entry.origin = origin;
            }
            None => self.0.push(Entry {
                section,
                name,
                value,
                origin,
            }),
        }
    }
}

/// pip's `_normalize_name`: lowercase, `_` as `-`, no leading `--`.
fn normalize_name(name: &str) -> String {
    let name = name.to_lowercase().replace('_', "-");
    match name.strip_prefix("--") {
        Some(rest) => rest.to_string(),
        None => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A temporary directory holding configuration files.
    struct Files(tempfile::TempDir);

    impl Files {
        fn new() -> Self {
            Self(tempfile::tempdir().unwrap())
        }

        fn write(&self, name: &str, text: &str) -> PathBuf {
            let path = self.0.path().join(name);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(&path, text).unwrap();
            path
        }

        fn path(&self, name: &str) -> PathBuf {
            self.0.path().join(name)
        }
    }

    fn sources(files: &[&Path], env: &[(&str, &str)]) -> ConfigSources {
        ConfigSources {
            files: files.iter().map(|file| file.to_path_buf()).collect(),
            env: env
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
            home: Some("/home/u".into()),
        }
    }

    fn load_ok(command: &str, files: &[&Path], env: &[(&str, &str)]) -> PipConfig {
        load(command, &sources(files, env)).unwrap()
    }

    /// The error message with the temporary directory replaced by `[TEMP]`.
    fn load_err(files: &Files, command: &str, paths: &[&Path], env: &[(&str, &str)]) -> String {
        let error = load(command, &sources(paths, env)).unwrap_err();
        error
            .to_string()
            .replace(&files.0.path().display().to_string(), "[TEMP]")
    }

    #[test]
    fn later_files_override_earlier_ones() {
        let files = Files::new();
        let global = files.write(
            "etc/pip.conf",
            "[global]\ntimeout = 1\nretries = 1\nproxy = global\npre = yes\n",
        );
        let legacy = files.write(
            "home/.pip/pip.conf",
            "[global]\ntimeout = 2\nretries = 2\nproxy = legacy\n",
        );
        let user = files.write(
            "home/.config/pip/pip.conf",
            "[global]\ntimeout = 3\nretries = 3\n",
        );
        let site = files.write("venv/pip.conf", "[global]\ntimeout = 4\n");
        let missing = files.path("missing.conf");
        let config = load_ok("install", &[&global, &legacy, &user, &missing, &site], &[]);
        assert_eq!(config.timeout, Some(4.0));
        assert_eq!(config.retries, Some(3));
        assert_eq!(config.proxy.as_deref(), Some("legacy"));
        assert_eq!(config.pre, Some(true));
    }

    #[test]
    fn command_section_overrides_global_section_whatever_the_file() {
        let files = Files::new();
        // The command section of the lowest file beats [global] of a higher one: pip merges
        // files first, then applies [global], then [install].
        let low = files.write(
            "low.conf",
            "[install]\ntimeout = 10\n[global]\nretries = 1\n",
        );
        let high = files.write(
            "high.conf",
            "[global]\ntimeout = 60\nretries = 2\n[download]\nretries = 9\n",
        );
        let install = load_ok("install", &[&low, &high], &[]);
        assert_eq!((install.timeout, install.retries), (Some(10.0), Some(2)));
        let download = load_ok("download", &[&low, &high], &[]);
        assert_eq!((download.timeout, download.retries), (Some(60.0), Some(9)));
    }

    #[test]
    fn environment_overrides_files() {
        let files = Files::new();
        let conf = files.write("pip.conf", "[global]\nindex-url = https://file.example/simple\n[install]\ntimeout = 5\nno-deps = yes\n");
        let config = load_ok(
            "install",
            &[&conf],
            &[
                ("PIP_INDEX_URL", "https://env.example/simple"),
                ("PIP_DEFAULT_TIMEOUT", "30"),
                ("PIP_NO_DEPENDENCIES", "no"),
                ("PIP_PYPI_URL", "https://alias.example/simple"),
                ("HOME", "/home/u"),
            ],
        );
        // PIP_PYPI_URL comes after PIP_INDEX_URL and names the same option.
        assert_eq!(
            config.index_url.as_deref(),
            Some("https://alias.example/simple")
        );
        assert_eq!(config.timeout, Some(30.0));
        assert_eq!(config.no_deps, Some(false));
    }

    #[test]
    fn names_ignore_case_underscores_and_dashes() {
        let files = Files::new();
        let conf = files.write(
            "pip.conf",
            "[global]\nIndex_URL = https://a.example/simple\n--retries = 7\n",
        );
        let config = load_ok("install", &[&conf], &[("PIP_Trusted-Host", "a.example")]);
        assert_eq!(
            config.index_url.as_deref(),
            Some("https://a.example/simple")
        );
        assert_eq!(config.retries, Some(7));
        assert_eq!(config.trusted_hosts, ["a.example"]);
        // Section names are case-sensitive, as in Python.
        let conf = files.write("upper.conf", "[Global]\nretries = 7\n");
        assert_eq!(load_ok("install", &[&conf], &[]).retries, None);
    }

    #[test]
    fn booleans_are_strtobool_words() {
        for (word, expected) in [
            ("y", true),
            ("YES", true),
            ("t", true),
            ("True", true),
            ("on", true),
            ("1", true),
            ("n", false),
            ("no", false),
            ("f", false),
            ("FALSE", false),
            ("off", false),
            ("0", false),
        ] {
            let config = load_ok("install", &[], &[("PIP_NO_INDEX", word)]);
            assert_eq!(config.no_index, Some(expected), "{word}");
        }
        let files = Files::new();
        let conf = files.write("pip.conf", "[install]\nrequire-hashes = maybe\n");
        insta::assert_snapshot!(
            load_err(&files, "install", &[&conf], &[]),
            @"invalid value \"maybe\" for require-hashes in [TEMP]/pip.conf [install]: expected a boolean (yes/no, true/false, on/off, 1/0)"
        );
        insta::assert_snapshot!(
            load_err(&files, "install", &[], &[("PIP_PRE", "2")]),
            @"invalid value \"2\" for pre in environment variable PIP_PRE: expected a boolean (yes/no, true/false, on/off, 1/0)"
        );
    }

    #[test]
    fn every_boolean_option() {
        let config = load_ok(
            "install",
            &[],
            &[
                ("PIP_NO_INDEX", "1"),
                ("PIP_REQUIRE_HASHES", "1"),
                ("PIP_PRE", "1"),
                ("PIP_PREFER_BINARY", "1"),
                ("PIP_NO_DEPS", "1"),
                ("PIP_COMPILE", "1"),
            ],
        );
        assert_eq!(
            [
                config.no_index,
                config.require_hashes,
                config.pre,
                config.prefer_binary,
                config.no_deps,
                config.compile
            ],
            [Some(true); 6]
        );
    }

    #[test]
    fn repeated_options_are_whitespace_separated_and_replace_earlier_lists() {
        let files = Files::new();
        let conf = files.write(
            "pip.conf",
            "[global]\nfind-links =\n    https://one.example\n\n    https://two.example\nextra-index-url = https://g.example/simple\nconstraint = a.txt b.txt\n[install]\nextra-index-url =\n    https://i1.example/simple\n    https://i2.example/simple\ntrusted-host = i1.example i2.example\n",
        );
        let config = load_ok("install", &[&conf], &[]);
        assert_eq!(
            config.find_links,
            ["https://one.example", "https://two.example"]
        );
        assert_eq!(
            config.extra_index_urls,
            ["https://i1.example/simple", "https://i2.example/simple"]
        );
        assert_eq!(config.trusted_hosts, ["i1.example", "i2.example"]);
        assert_eq!(
            config.constraints,
            [PathBuf::from("a.txt"), PathBuf::from("b.txt")]
        );
        let config = load_ok(
            "install",
            &[&conf],
            &[("PIP_FIND_LINKS", " /wheels\t/more ")],
        );
        assert_eq!(config.find_links, ["/wheels", "/more"]);
    }

    #[test]
    fn empty_values_are_ignored() {
        let files = Files::new();
        let conf = files.write("pip.conf", "[global]\ntimeout = 5\n[install]\ntimeout =\n");
        let config = load_ok(
            "install",
            &[&conf],
            &[("PIP_NO_INDEX", ""), ("PIP_TIMEOUT", "")],
        );
        assert_eq!(config.timeout, Some(5.0));
        assert_eq!(config.no_index, None);
    }

    #[test]
    fn no_cache_dir_disables_the_cache_for_any_boolean() {
        for word in ["true", "false", "0", "off"] {
            let config = load_ok("install", &[], &[("PIP_NO_CACHE_DIR", word)]);
            assert_eq!(config.no_cache_dir, Some(true), "{word}");
        }
        let files = Files::new();
        insta::assert_snapshot!(
            load_err(&files, "install", &[], &[("PIP_NO_CACHE_DIR", "please")]),
            @"invalid value \"please\" for no-cache-dir in environment variable PIP_NO_CACHE_DIR: expected a boolean (yes/no, true/false, on/off, 1/0)"
        );
    }

    #[test]
    fn no_compile_stores_its_value_as_is() {
        let files = Files::new();
        let conf = files.write("pip.conf", "[install]\nno-compile = false\n");
        assert_eq!(load_ok("install", &[&conf], &[]).compile, Some(false));
        let conf = files.write(
            "other.conf",
            "[global]\ncompile = no\n[install]\nno-compile = yes\n",
        );
        assert_eq!(load_ok("install", &[&conf], &[]).compile, Some(true));
    }

    #[test]
    fn binary_choices_add_up_across_sections() {
        let files = Files::new();
        let conf = files.write(
            "pip.conf",
            "[global]\nonly-binary = Numpy,scipy\nno-binary = lxml\n[install]\nno-binary = numpy\n",
        );
        let config = load_ok("install", &[&conf], &[]);
        assert_eq!(config.only_binary, ["scipy"]);
        assert_eq!(config.no_binary, ["lxml", "numpy"]);
        let config = load_ok("install", &[&conf], &[("PIP_ONLY_BINARY", ":all:")]);
        assert_eq!(config.only_binary, [":all:"]);
        assert!(config.no_binary.is_empty());
        let config = load_ok("install", &[&conf], &[("PIP_NO_BINARY", ":none:,Foo.Bar")]);
        assert_eq!(config.no_binary, ["foo-bar"]);
        insta::assert_snapshot!(
            load_err(&files, "install", &[], &[("PIP_ONLY_BINARY", "--pre")]),
            @r#"invalid value "--pre" for only-binary in environment variable PIP_ONLY_BINARY: expected ":all:", ":none:" or package names separated by commas"#
        );
    }

    #[test]
    fn paths_expand_the_home_directory() {
        let files = Files::new();
        let conf = files.write(
            "pip.conf",
            "[global]\ncert = ~/ca.pem\nclient-cert = /abs/client.pem\ncache-dir = ~\n",
        );
        let config = load_ok("install", &[&conf], &[]);
        assert_eq!(config.cert, Some(PathBuf::from("/home/u/ca.pem")));
        assert_eq!(config.client_cert, Some(PathBuf::from("/abs/client.pem")));
        assert_eq!(config.cache_dir, Some(PathBuf::from("/home/u")));
        // Without a home directory, `~` stays as written.
        let sources = ConfigSources {
            home: None,
            ..sources(&[&conf], &[])
        };
        assert_eq!(
            load("install", &sources).unwrap().cert,
            Some(PathBuf::from("~/ca.pem"))
        );
    }

    #[test]
    fn options_a_command_does_not_have_are_ignored_even_when_invalid() {
        let files = Files::new();
        let conf = files.write(
            "pip.conf",
            "[global]\nno-index = maybe\nupgrade-strategy = sideways\nprogress-bar = off\nunknown-option = 3\ntimeout = 9\n",
        );
        let config = load_ok("freeze", &[&conf], &[("PIP_REQUIRE_HASHES", "maybe")]);
        assert_eq!(
            config,
            PipConfig {
                timeout: Some(9.0),
                ..PipConfig::default()
            }
        );
        // `list` has index options but not upgrade-strategy.
        insta::assert_snapshot!(
            load_err(&files, "list", &[&conf], &[]),
            @"invalid value \"maybe\" for no-index in [TEMP]/pip.conf [global]: expected a boolean (yes/no, true/false, on/off, 1/0)"
        );
        // A command pip does not have gets every option.
        insta::assert_snapshot!(
            load_err(&files, "compile", &[&conf], &[]),
            @"invalid value \"maybe\" for no-index in [TEMP]/pip.conf [global]: expected a boolean (yes/no, true/false, on/off, 1/0)"
        );
    }

    #[test]
    fn invalid_values_name_the_file_section_and_key() {
        let files = Files::new();
        let cases = [
            ("timeout = soon", "install"),
            ("timeout = -1", "install"),
            ("timeout = nan", "install"),
            ("retries = -1", "install"),
            ("retries = 2.5", "install"),
            ("keyring-provider = vault", "install"),
            ("upgrade-strategy = always", "install"),
        ];
        let messages: Vec<String> = cases
            .iter()
            .map(|(line, command)| {
                let conf = files.write("pip.conf", &format!("[{command}]\n{line}\n"));
                load_err(&files, command, &[&conf], &[])
            })
            .collect();
        insta::assert_snapshot!(messages.join("\n"), @r#"
        invalid value "soon" for timeout in [TEMP]/pip.conf [install]: expected a number of seconds
        invalid value "-1" for timeout in [TEMP]/pip.conf [install]: expected a number of seconds
        invalid value "nan" for timeout in [TEMP]/pip.conf [install]: expected a number of seconds
        invalid value "-1" for retries in [TEMP]/pip.conf [install]: expected a whole number of retries
        invalid value "2.5" for retries in [TEMP]/pip.conf [install]: expected a whole number of retries
        invalid value "vault" for keyring-provider in [TEMP]/pip.conf [install]: expected one of auto, disabled, import, subprocess
        invalid value "always" for upgrade-strategy in [TEMP]/pip.conf [install]: expected one of only-if-needed, eager
        "#);
        let config = load_ok(
            "install",
            &[],
            &[
                ("PIP_TIMEOUT", "2.5"),
                ("PIP_KEYRING_PROVIDER", "subprocess"),
                ("PIP_UPGRADE_STRATEGY", "eager"),
                ("PIP_PROXY", "http://proxy:3128"),
            ],
        );
        assert_eq!(config.timeout, Some(2.5));
        assert_eq!(config.keyring_provider.as_deref(), Some("subprocess"));
        assert_eq!(config.upgrade_strategy.as_deref(), Some("eager"));
        assert_eq!(config.proxy.as_deref(), Some("http://proxy:3128"));
    }

    #[test]
    fn a_global_value_is_checked_even_when_the_command_section_overrides_it() {
        let files = Files::new();
        let conf = files.write(
            "pip.conf",
            "[global]\ntimeout = soon\n[install]\ntimeout = 5\n",
        );
        insta::assert_snapshot!(
            load_err(&files, "install", &[&conf], &[]),
            @r#"invalid value "soon" for timeout in [TEMP]/pip.conf [global]: expected a number of seconds"#
        );
    }

    #[test]
    fn ini_syntax_is_pythons() {
        let files = Files::new();
        let conf = files.write(
            "pip.conf",
            "# comment\n; another\n[DEFAULT]\nretries = 4\n\n[global]\nindex-url: https://a.example/simple # not a comment\n  ; a comment line inside a value is skipped\ntimeout=7\n[install]\nretries = 1\n",
        );
        let config = load_ok("install", &[&conf], &[]);
        assert_eq!(
            config.index_url.as_deref(),
            Some("https://a.example/simple # not a comment")
        );
        assert_eq!(config.timeout, Some(7.0));
        // [DEFAULT] applies to [global] and [install]; [install] overrides it.
        assert_eq!(config.retries, Some(1));
        assert_eq!(load_ok("download", &[&conf], &[]).retries, Some(4));
    }

    #[test]
    fn files_that_are_not_utf8_are_errors_and_missing_files_are_skipped() {
        let files = Files::new();
        let path = files.path("latin1.conf");
        fs_err::write(&path, b"[global]\nproxy = caf\xe9\n").unwrap();
        insta::assert_snapshot!(
            load_err(&files, "install", &[&files.path("missing.conf"), &path], &[]),
            @r#"could not read pip configuration file "[TEMP]/latin1.conf": it is not valid UTF-8"#
        );
        // A directory cannot be read: pip skips it.
        fs_err::create_dir_all(files.path("dir.conf")).unwrap();
        assert_eq!(
            load_ok("install", &[&files.path("dir.conf")], &[]),
            PipConfig::default()
        );
    }

    #[test]
    fn sources_keep_only_pip_variables() {
        let env = ConfigEnv {
            pip_config_file: Some("/dev/null".into()),
            ..ConfigEnv::default()
        };
        let sources = ConfigSources::new(
            &env,
            [
                ("PIP_TIMEOUT".to_string(), "3".to_string()),
                ("VOLLEY_TIMEOUT".to_string(), "4".to_string()),
                ("pip_retries".to_string(), "5".to_string()),
            ],
        );
        assert_eq!(sources.files, Vec::<PathBuf>::new());
        assert_eq!(sources.env, [("PIP_TIMEOUT".to_string(), "3".to_string())]);
        assert_eq!(sources.home, None);
    }

    #[test]
    fn break_system_packages_and_no_warn_conflicts_read_as_pip_reads_them() {
        let variables = [
            ("PIP_BREAK_SYSTEM_PACKAGES", "1"),
            // Stored as is, as pip does: `false` silences the warning.
            ("PIP_NO_WARN_CONFLICTS", "false"),
        ];
        let config = load_ok("install", &[], &variables);
        assert_eq!(config.break_system_packages, Some(true));
        assert_eq!(config.warn_conflicts, Some(false));
        // `uninstall` has --break-system-packages only.
        let config = load_ok("uninstall", &[], &variables);
        assert_eq!(config.break_system_packages, Some(true));
        assert_eq!(config.warn_conflicts, None);
    }

    #[test]
    fn require_virtualenv_reads_under_both_names() {
        let config = load_ok("install", &[], &[("PIP_REQUIRE_VIRTUALENV", "yes")]);
        assert_eq!(config.require_virtualenv, Some(true));
        let config = load_ok("install", &[], &[("PIP_REQUIRE_VENV", "0")]);
        assert_eq!(config.require_virtualenv, Some(false));
        // volley honours it for `install` only.
        let config = load_ok("list", &[], &[("PIP_REQUIRE_VIRTUALENV", "yes")]);
        assert_eq!(config.require_virtualenv, None);
    }
}
