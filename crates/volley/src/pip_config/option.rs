//! The options volley reads from pip's configuration, and how each value is checked and
//! stored (pip's `ConfigOptionParser._update_defaults` and the option callbacks in
//! `cmdoptions.py`).

use std::path::{Path, PathBuf};

use volley_requirements::apply_binary_choice;

use super::{Entry, PipConfig, PipConfigError};

/// The options volley reads, by every long name pip accepts for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setting {
    IndexUrl,
    ExtraIndexUrl,
    FindLinks,
    NoIndex,
    TrustedHost,
    Cert,
    ClientCert,
    Timeout,
    Retries,
    CacheDir,
    NoCacheDir,
    RequireHashes,
    Pre,
    OnlyBinary,
    NoBinary,
    PreferBinary,
    Proxy,
    KeyringProvider,
    NoDeps,
    UpgradeStrategy,
    Constraint,
    Compile,
    NoCompile,
    BreakSystemPackages,
    NoWarnConflicts,
    RequireVirtualenv,
}

impl Setting {
    fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "index-url" | "pypi-url" => Self::IndexUrl,
            "extra-index-url" => Self::ExtraIndexUrl,
            "find-links" => Self::FindLinks,
            "no-index" => Self::NoIndex,
            "trusted-host" => Self::TrustedHost,
            "cert" => Self::Cert,
            "client-cert" => Self::ClientCert,
            "timeout" | "default-timeout" => Self::Timeout,
            "retries" => Self::Retries,
            "cache-dir" => Self::CacheDir,
            "no-cache-dir" => Self::NoCacheDir,
            "require-hashes" => Self::RequireHashes,
            "pre" => Self::Pre,
            "only-binary" => Self::OnlyBinary,
            "no-binary" => Self::NoBinary,
            "prefer-binary" => Self::PreferBinary,
            "proxy" => Self::Proxy,
            "keyring-provider" => Self::KeyringProvider,
            "no-deps" | "no-dependencies" => Self::NoDeps,
            "upgrade-strategy" => Self::UpgradeStrategy,
            "constraint" => Self::Constraint,
            "compile" => Self::Compile,
            "no-compile" => Self::NoCompile,
            "break-system-packages" => Self::BreakSystemPackages,
            "no-warn-conflicts" => Self::NoWarnConflicts,
            "require-virtualenv" | "require-venv" => Self::RequireVirtualenv,
            _ => return None,
        })
    }

    /// Whether pip's `command` has this option (pip ignores configuration for options a command
    /// does not have). Commands pip does not have get every option.
    fn applies_to(self, command: &str) -> bool {
        const INDEX_COMMANDS: &[&str] = &["install", "download", "wheel", "list", "index"];
        const FORMAT_COMMANDS: &[&str] = &["install", "download", "wheel", "index"];
        const RESOLVE_COMMANDS: &[&str] = &["install", "download", "wheel"];
        const PIP_COMMANDS: &[&str] = &[
            "install",
            "download",
            "uninstall",
            "freeze",
            "inspect",
            "list",
            "show",
            "check",
            "config",
            "search",
            "cache",
            "index",
            "wheel",
            "hash",
            "completion",
            "debug",
            "help",
        ];
        if !PIP_COMMANDS.contains(&command) {
            return true;
        }
        let commands = match self {
            Self::Cert
            | Self::ClientCert
            | Self::Timeout
            | Self::Retries
            | Self::CacheDir
            | Self::NoCacheDir
            | Self::TrustedHost
            | Self::Proxy
            | Self::KeyringProvider => return true,
            Self::IndexUrl | Self::ExtraIndexUrl | Self::FindLinks | Self::NoIndex | Self::Pre => {
                INDEX_COMMANDS
            }
            Self::OnlyBinary | Self::NoBinary => FORMAT_COMMANDS,
            Self::PreferBinary | Self::RequireHashes | Self::NoDeps | Self::Constraint => {
                RESOLVE_COMMANDS
            }
            Self::UpgradeStrategy | Self::Compile | Self::NoCompile | Self::NoWarnConflicts => {
                &["install"]
            }
            Self::BreakSystemPackages => &["install", "uninstall"],
            // A general option of pip's; volley honours it for `install`.
            Self::RequireVirtualenv => &["install"],
        };
        commands.contains(&command)
    }
}

const BOOLEAN: &str = "a boolean (yes/no, true/false, on/off, 1/0)";

/// Set the option `entry` names, if `command` has it.
pub(super) fn apply(
    config: &mut PipConfig,
    command: &str,
    entry: &Entry,
    home: Option<&Path>,
) -> Result<(), PipConfigError> {
    let Some(setting) = Setting::from_name(&entry.name) else {
        tracing::debug!(
            "ignoring {} from {}: not an option volley reads",
            entry.name,
            entry.origin
        );
        return Ok(());
    };
    if !setting.applies_to(command) {
        tracing::debug!(
            "ignoring {} from {}: pip {command} has no such option",
            entry.name,
            entry.origin
        );
        return Ok(());
    }
    tracing::debug!("{} = {:?} from {}", entry.name, entry.value, entry.origin);
    let invalid = |expected: &'static str| PipConfigError::InvalidValue {
        origin: entry.origin.clone(),
        name: entry.name.clone(),
        value: entry.value.clone(),
        expected,
    };
    let value = entry.value.as_str();
    let boolean = || strtobool(value.trim()).ok_or_else(|| invalid(BOOLEAN));
    let list = || value.split_whitespace().map(str::to_string).collect();
    let path = || expand_user(value.trim(), home);
    match setting {
        Setting::IndexUrl => config.index_url = Some(value.trim().to_string()),
        Setting::ExtraIndexUrl => config.extra_index_urls = list(),
        Setting::FindLinks => config.find_links = list(),
        Setting::NoIndex => config.no_index = Some(boolean()?),
        Setting::TrustedHost => config.trusted_hosts = list(),
        Setting::Cert => config.cert = Some(path()),
        Setting::ClientCert => config.client_cert = Some(path()),
        Setting::Timeout => {
            let seconds = value
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
                .ok_or_else(|| invalid("a number of seconds"))?;
            config.timeout = Some(seconds);
        }
        Setting::Retries => {
            let retries = value
                .trim()
                .parse::<u32>()
                .map_err(|_| invalid("a whole number of retries"))?;
            config.retries = Some(retries);
        }
        Setting::CacheDir => config.cache_dir = Some(path()),
        Setting::NoCacheDir => {
            // pip disables the cache for any valid boolean, `false` included.
            boolean()?;
            config.no_cache_dir = Some(true);
        }
        Setting::RequireHashes => config.require_hashes = Some(boolean()?),
        Setting::Pre => config.pre = Some(boolean()?),
        Setting::OnlyBinary | Setting::NoBinary => {
            if value.starts_with('-') {
                return Err(invalid(
                    "\":all:\", \":none:\" or package names separated by commas",
                ));
            }
            let (target, other) = if setting == Setting::OnlyBinary {
                (&mut config.only_binary, &mut config.no_binary)
            } else {
                (&mut config.no_binary, &mut config.only_binary)
            };
            apply_binary_choice(value, target, other);
        }
        Setting::PreferBinary => config.prefer_binary = Some(boolean()?),
        Setting::Proxy => config.proxy = Some(value.trim().to_string()),
        Setting::KeyringProvider => {
            let choice = value.trim();
            if !["auto", "disabled", "import", "subprocess"].contains(&choice) {
                return Err(invalid("one of auto, disabled, import, subprocess"));
            }
            config.keyring_provider = Some(choice.to_string());
        }
        Setting::NoDeps => config.no_deps = Some(boolean()?),
        Setting::UpgradeStrategy => {
            let choice = value.trim();
            if !["only-if-needed", "eager"].contains(&choice) {
                return Err(invalid("one of only-if-needed, eager"));
            }
            config.upgrade_strategy = Some(choice.to_string());
        }
        Setting::Constraint => {
            config.constraints = value.split_whitespace().map(PathBuf::from).collect();
        }
        // `no-compile` stores its value as is: `no-compile = false` means "do not compile".
        Setting::Compile | Setting::NoCompile => config.compile = Some(boolean()?),
        Setting::BreakSystemPackages => config.break_system_packages = Some(boolean()?),
        // Like `no-compile`, stored as is: `no-warn-conflicts = false` silences the warning.
        Setting::NoWarnConflicts => config.warn_conflicts = Some(boolean()?),
        Setting::RequireVirtualenv => config.require_virtualenv = Some(boolean()?),
    }
    Ok(())
}

/// Python's `strtobool` (pip's copy), on a lowercased value.
fn strtobool(value: &str) -> Option<bool> {
    match value.to_lowercase().as_str() {
        "y" | "yes" | "t" | "true" | "on" | "1" => Some(true),
        "n" | "no" | "f" | "false" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// `os.path.expanduser` for `~` and `~/...`; other paths (and `~user`) are kept as written.
pub(super) fn expand_user(path: &str, home: Option<&Path>) -> PathBuf {
    match (path, home) {
        ("~", Some(home)) => home.to_path_buf(),
        (path, Some(home)) if path.starts_with("~/") => {
            home.join(path["~/".len()..].trim_start_matches('/'))
        }
        (path, _) => PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtobool_words() {
        assert_eq!(strtobool("Yes"), Some(true));
        assert_eq!(strtobool("OFF"), Some(false));
        assert_eq!(strtobool("2"), None);
        assert_eq!(strtobool(""), None);
    }

    #[test]
    fn home_is_expanded_only_at_the_start() {
        let home = Some(Path::new("/home/u"));
        assert_eq!(expand_user("~", home), PathBuf::from("/home/u"));
        assert_eq!(expand_user("~/a/b", home), PathBuf::from("/home/u/a/b"));
        assert_eq!(expand_user("~other/a", home), PathBuf::from("~other/a"));
        assert_eq!(expand_user("a/~/b", home), PathBuf::from("a/~/b"));
        assert_eq!(expand_user("~/a", None), PathBuf::from("~/a"));
    }

    #[test]
    fn binary_choices_follow_pips_mutual_excludes() {
        let (mut only, mut no) = (Vec::new(), Vec::new());
        apply_binary_choice("a,B_c", &mut only, &mut no);
        apply_binary_choice("a", &mut no, &mut only);
        assert_eq!(
            (only.as_slice(), no.as_slice()),
            (["b-c".to_string()].as_slice(), ["a".to_string()].as_slice())
        );
        apply_binary_choice(":all:,x", &mut only, &mut no);
        assert_eq!(
            (only.as_slice(), no.as_slice()),
            ([":all:".to_string()].as_slice(), [].as_slice())
        );
        apply_binary_choice(":all:,:none:,y", &mut only, &mut no);
        assert_eq!(only, ["y"]);
    }
}
