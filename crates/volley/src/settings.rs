//! The one place where the process environment is read, and where flags, environment
//! variables and defaults are merged into validated settings for the commands.
//!
//! Precedence, highest first: command-line flag, `VOLLEY_*` variable, default.

#![allow(clippy::disallowed_methods)] // this module is the environment gateway

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use url::Url;

use crate::cli::{GlobalArgs, IndexArgs, PythonArgs};

/// The default cap on concurrent connections. Chosen by the benchmark in `bench/` (see its
/// README): with wheels unpacked while they stream, 32 keeps a 200 Mbit/s, 40 ms link busiest;
/// 48 gains nothing and 16 leaves it idle while big wheels wait for a slot.
pub const DEFAULT_MAX_CONNECTIONS: usize = 32;
/// pip's default number of retries.
pub const DEFAULT_RETRIES: u32 = 5;
/// pip's default socket timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// The longest timeout used: larger ones are cut to it.
const MAX_TIMEOUT: Duration = Duration::from_secs(365 * 24 * 3600);
pub const DEFAULT_INDEX_URL: &str = "https://pypi.org/simple";

/// Environment variables volley reads, read once at startup.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    pub volley_cache_dir: Option<PathBuf>,
    pub volley_max_connections: Option<String>,
    /// `VOLLEY_MAX_BODY_SIZE`: the largest decoded index page or metadata file.
    pub volley_max_body_size: Option<String>,
    /// `VOLLEY_MIN_TRANSFER_RATE`: bytes per second below which a body is abandoned.
    pub volley_min_transfer_rate: Option<String>,
    /// For the integration tests of interruption only: the install sends itself SIGINT after
    /// this step of its commit (`__VOLLEY_TEST_SIGNAL_AT_COMMIT_STEP`).
    pub test_signal_at_commit_step: Option<usize>,
    pub xdg_cache_home: Option<PathBuf>,
    pub home: Option<PathBuf>,
    pub virtual_env: Option<PathBuf>,
    pub conda_prefix: Option<PathBuf>,
    pub path: Option<OsString>,
    pub ssl_cert_file: Option<PathBuf>,
    pub volley_install_threads: Option<String>,
    /// `VOLLEY_BUILD_JOBS`: how many builds may run at once (default: the CPU count).
    pub volley_build_jobs: Option<String>,
    pub volley_link_mode: Option<String>,
    pub netrc: Option<PathBuf>,
    pub xdg_config_home: Option<PathBuf>,
    pub xdg_config_dirs: Option<OsString>,
    /// Every `PIP_*` variable, for pip's configuration.
    pub pip_variables: Vec<(String, String)>,
    pub cwd: PathBuf,
}

impl Environment {
    pub fn from_process() -> Result<Self> {
        let path = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Ok(Self {
            volley_cache_dir: path("VOLLEY_CACHE_DIR"),
            volley_max_connections: std::env::var("VOLLEY_MAX_CONNECTIONS").ok(),
            volley_max_body_size: std::env::var("VOLLEY_MAX_BODY_SIZE").ok(),
            volley_min_transfer_rate: std::env::var("VOLLEY_MIN_TRANSFER_RATE").ok(),
            test_signal_at_commit_step: std::env::var("__VOLLEY_TEST_SIGNAL_AT_COMMIT_STEP")
                .ok()
                .and_then(|step| step.parse().ok()),
            xdg_cache_home: path("XDG_CACHE_HOME"),
            home: path("HOME"),
            virtual_env: path("VIRTUAL_ENV"),
            conda_prefix: path("CONDA_PREFIX"),
            path: std::env::var_os("PATH"),
            ssl_cert_file: path("SSL_CERT_FILE"),
            volley_install_threads: std::env::var("VOLLEY_INSTALL_THREADS").ok(),
            volley_build_jobs: std::env::var("VOLLEY_BUILD_JOBS").ok(),
            volley_link_mode: std::env::var("VOLLEY_LINK_MODE").ok(),
            netrc: path("NETRC"),
            xdg_config_home: path("XDG_CONFIG_HOME"),
            xdg_config_dirs: std::env::var_os("XDG_CONFIG_DIRS"),
            pip_variables: std::env::vars_os()
                .filter_map(|(name, value)| {
                    Some((name.into_string().ok()?, value.into_string().ok()?))
                })
                .filter(|(name, _)| name.starts_with("PIP_"))
                .collect(),
            cwd: std::env::current_dir().context("cannot read the current directory")?,
        })
    }

    /// The discovery inputs for the interpreter search.
    pub fn discovery(&self) -> volley_python::DiscoveryEnv {
        volley_python::DiscoveryEnv {
            virtual_env: self.virtual_env.clone(),
            conda_prefix: self.conda_prefix.clone(),
            cwd: self.cwd.clone(),
            path: self.path.clone(),
        }
    }
}

/// `${NAME}` in requirements files expands to the environment variable `NAME`, as in pip.
pub fn variable(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// pip's configuration (`pip.conf` files and `PIP_*` variables) for `command`, or nothing with
/// `--isolated`. `target_prefix` is the environment whose own `pip.conf` is read.
pub fn pip_config(
    global: &GlobalArgs,
    env: &Environment,
    command: &str,
) -> Result<crate::pip_config::PipConfig> {
    if global.isolated {
        return Ok(crate::pip_config::PipConfig::default());
    }
    let config_env = crate::pip_config::ConfigEnv {
        pip_config_file: env
            .pip_variables
            .iter()
            .find(|(name, _)| name == "PIP_CONFIG_FILE")
            .map(|(_, value)| PathBuf::from(value)),
        xdg_config_home: env.xdg_config_home.clone(),
        xdg_config_dirs: env.xdg_config_dirs.clone(),
        home: env.home.clone(),
        virtual_env: env.virtual_env.clone(),
    };
    let sources = crate::pip_config::ConfigSources::new(&config_env, env.pip_variables.clone());
    Ok(crate::pip_config::load(command, &sources)?)
}

/// Fill what the command line left unset from pip's configuration. Single values on the
/// command line win; lists add up, configuration first (as pip does).
pub fn apply_pip_config(
    config: &crate::pip_config::PipConfig,
    global: &mut GlobalArgs,
    index: &mut IndexArgs,
    resolve: &mut crate::cli::ResolveArgs,
) {
    apply_pip_index_config(config, global, index);
    resolve.pre |= config.pre == Some(true);
    resolve.prefer_binary |= config.prefer_binary == Some(true);
    prepend(&mut resolve.only_binary, &config.only_binary);
    prepend(&mut resolve.no_binary, &config.no_binary);
    let constraints: Vec<PathBuf> = config.constraints.clone();
    let mut all = constraints;
    all.append(&mut resolve.constraint);
    resolve.constraint = all;
}

/// [`apply_pip_config`] for commands that only read indexes (`list --outdated`).
pub fn apply_pip_index_config(
    config: &crate::pip_config::PipConfig,
    global: &mut GlobalArgs,
    index: &mut IndexArgs,
) {
    if config.no_cache_dir == Some(true) {
        global.no_cache = true;
    }
    if index.index_url.is_none() {
        index.index_url = config.index_url.clone();
    }
    prepend(&mut index.extra_index_url, &config.extra_index_urls);
    prepend(&mut index.find_links, &config.find_links);
    prepend(&mut index.trusted_host, &config.trusted_hosts);
    index.no_index |= config.no_index == Some(true);
    if index.cert.is_none() && config.cert.is_some() {
        index.cert = config.cert.clone();
        index.cert_from_config = true;
    }
    if index.client_cert.is_none() {
        index.client_cert = config.client_cert.clone();
    }
    if index.timeout.is_none() {
        index.timeout = config.timeout;
    }
    if index.retries.is_none() {
        index.retries = config.retries;
    }
    if index.proxy.is_none() {
        index.proxy = config.proxy.clone();
    }
    if index.keyring_provider.is_none() {
        index.keyring_provider = config.keyring_provider.clone();
    }
}

fn prepend<T: Clone>(values: &mut Vec<T>, first: &[T]) {
    if !first.is_empty() {
        let mut all = first.to_vec();
        all.append(values);
        *values = all;
    }
}

/// How `install` writes into the environment.
#[derive(Debug, Clone)]
pub struct InstallSettings {
    pub link_mode: volley_installer::LinkMode,
    /// Threads that link files, and bytecode compiler processes.
    pub threads: usize,
    pub compile: bool,
    /// See [`Environment::test_signal_at_commit_step`].
    pub test_signal_at_commit_step: Option<usize>,
}

impl InstallSettings {
    pub fn resolve(args: &crate::cli::InstallArgs, env: &Environment) -> Result<Self> {
        let link_mode = match args.link_mode.as_ref().or(env.volley_link_mode.as_ref()) {
            Some(mode) => mode
                .parse()
                .with_context(|| format!("invalid link mode \"{mode}\""))?,
            None => volley_installer::LinkMode::default(),
        };
        let threads = match &env.volley_install_threads {
            Some(value) => value
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|threads| *threads > 0)
                .with_context(|| {
                    format!(
                        "invalid VOLLEY_INSTALL_THREADS \"{value}\": expected a positive number"
                    )
                })?,
            None => std::thread::available_parallelism().map_or(2, usize::from),
        };
        Ok(Self {
            link_mode,
            threads,
            compile: args.compile && !args.no_compile,
            test_signal_at_commit_step: env.test_signal_at_commit_step,
        })
    }
}

/// Where the cache lives, or that it is thrown away after the run.
#[derive(Debug, Clone)]
pub enum CacheSettings {
    Path(PathBuf),
    Temporary,
}

impl CacheSettings {
    pub fn resolve(global: &GlobalArgs, env: &Environment) -> Result<Self> {
        if global.no_cache {
            return Ok(Self::Temporary);
        }
        if let Some(dir) = global
            .cache_dir
            .clone()
            .or_else(|| env.volley_cache_dir.clone())
        {
            return Ok(Self::Path(absolute(dir, env)));
        }
        if let Some(xdg) = &env.xdg_cache_home {
            return Ok(Self::Path(absolute(xdg.join("volley"), env)));
        }
        if let Some(home) = &env.home {
            return Ok(Self::Path(home.join(".cache").join("volley")));
        }
        bail!("no cache directory: set VOLLEY_CACHE_DIR or HOME, or pass --cache-dir or --no-cache")
    }

    /// The cache, locked shared for as long as it lives: `cache clean` waits for this run to
    /// end, and this run for a clean under way.
    pub fn open(&self) -> Result<volley_cache::Cache> {
        let cache = self.open_unlocked()?;
        if let Self::Path(path) = self {
            #[allow(
                clippy::print_stderr,
                reason = "said while the command waits, before it has a printer"
            )]
            cache.lock_shared(|| {
                eprintln!(
                    "Waiting for `volley cache clean` to finish with {}",
                    path.display()
                );
            })?;
        }
        Ok(cache)
    }

    /// The cache without its shared lock, for `cache clean` and `prune` (which lock it
    /// exclusively).
    pub fn open_unlocked(&self) -> Result<volley_cache::Cache> {
        Ok(match self {
            Self::Path(path) => volley_cache::Cache::from_path(path.clone())?,
            Self::Temporary => volley_cache::Cache::temp()?,
        })
    }
}

fn absolute(path: PathBuf, env: &Environment) -> PathBuf {
    if path.is_absolute() {
        path
    } else {
        env.cwd.join(path)
    }
}

/// The interpreter a command targets.
pub fn python_request(args: &PythonArgs, env: &Environment) -> volley_python::PythonRequest {
    if args.system {
        volley_python::PythonRequest::System
    } else if let Some(python) = &args.python {
        // A bare name such as `python3.12` is looked up on PATH; anything with a separator is
        // a path relative to the current directory.
        if python.components().count() > 1 || python.exists() {
            volley_python::PythonRequest::Path(absolute(python.clone(), env))
        } else {
            volley_python::PythonRequest::Path(python.clone())
        }
    } else {
        volley_python::PythonRequest::Default
    }
}

/// Which certificates the network client trusts, in words, once the command's client options
/// are made: for the hint of a certificate error.
static TRUST_STORE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// The certificates the client trusts, in words (see [`TRUST_STORE`]); `None` before any
/// client was set up.
pub fn trust_store() -> Option<&'static str> {
    TRUST_STORE.get().map(String::as_str)
}

/// The trust store that `--cert` (or pip's `cert`) and `SSL_CERT_FILE` make, in words.
fn describe_trust_store(
    cert: Option<&std::path::Path>,
    from_config: bool,
    env: &Environment,
) -> String {
    match (cert, &env.ssl_cert_file) {
        (Some(cert), ssl_cert_file) => {
            let origin = if from_config {
                "`cert` in pip's configuration or PIP_CERT"
            } else {
                "--cert"
            };
            let ignored = if ssl_cert_file.is_some() {
                "; SSL_CERT_FILE is not used when it is given"
            } else {
                ""
            };
            format!(
                "only the certificates in {} ({origin}){ignored}",
                cert.display()
            )
        }
        (None, Some(ssl_cert_file)) => format!(
            "the system's certificates and those in {} (SSL_CERT_FILE)",
            ssl_cert_file.display()
        ),
        (None, None) => "the system's certificates".to_string(),
    }
}

/// Settings of the network client.
pub fn client_options(args: &IndexArgs, env: &Environment) -> Result<volley_client::ClientOptions> {
    let mut index_urls = Vec::new();
    if !args.no_index {
        let primary = args.index_url.as_deref().unwrap_or(DEFAULT_INDEX_URL);
        index_urls.push(parse_index_url(primary)?);
        for extra in &args.extra_index_url {
            index_urls.push(parse_index_url(extra)?);
        }
    }
    let find_links = args
        .find_links
        .iter()
        .map(|location| volley_client::FindLinks::parse(location, &env.cwd))
        .collect::<Result<Vec<_>, _>>()?;
    let index_strategy = match args.index_strategy.as_deref() {
        None | Some("first-index") => volley_client::IndexStrategy::FirstIndex,
        Some("unsafe-best-match") => volley_client::IndexStrategy::UnsafeBestMatch,
        Some(other) => {
            bail!("invalid index strategy \"{other}\": expected first-index or unsafe-best-match")
        }
    };
    let keyring_provider = match args.keyring_provider.as_deref() {
        None | Some("disabled" | "auto") => volley_client::KeyringProvider::Disabled,
        Some("subprocess") => volley_client::KeyringProvider::Subprocess,
        Some(other) => bail!(
            "invalid keyring provider \"{other}\": expected subprocess or disabled (volley \
             cannot import Python's keyring module)"
        ),
    };
    let max_connections = match (args.max_connections, &env.volley_max_connections) {
        (Some(n), _) => n,
        (None, Some(value)) => crate::cli::parse_connections(value)
            .map_err(|reason| anyhow!("invalid VOLLEY_MAX_CONNECTIONS \"{value}\": {reason}"))?,
        (None, None) => DEFAULT_MAX_CONNECTIONS,
    };
    let timeout = match args.timeout {
        Some(seconds) if seconds.is_finite() && seconds > 0.0 => {
            // A timeout past a year is no timeout in practice; it must still fit the timers.
            Duration::try_from_secs_f64(seconds)
                .unwrap_or(MAX_TIMEOUT)
                .min(MAX_TIMEOUT)
        }
        Some(seconds) => {
            bail!("invalid timeout {seconds}: expected a positive number of seconds")
        }
        None => DEFAULT_TIMEOUT,
    };
    let cert = args.cert.clone().map(|path| absolute(path, env));
    let _ = TRUST_STORE.set(describe_trust_store(
        cert.as_deref(),
        args.cert_from_config,
        env,
    ));
    Ok(volley_client::ClientOptions {
        index_urls,
        max_connections,
        retries: args.retries.unwrap_or(DEFAULT_RETRIES),
        timeout,
        connect_timeout: timeout,
        user_agent: format!("volley/{}", env!("CARGO_PKG_VERSION")),
        extra_root_certificates: env.ssl_cert_file.iter().cloned().collect(),
        refresh: if args.refresh {
            volley_client::Refresh::All
        } else if args.refresh_package.is_empty() {
            volley_client::Refresh::None
        } else {
            volley_client::Refresh::Packages(
                args.refresh_package
                    .iter()
                    .map(|name| {
                        name.parse()
                            .with_context(|| format!("invalid package name \"{name}\""))
                    })
                    .collect::<Result<_>>()?,
            )
        },
        offline: args.offline,
        no_index: args.no_index,
        index_strategy,
        find_links,
        cert,
        client_cert: args.client_cert.clone().map(|path| absolute(path, env)),
        trusted_hosts: args.trusted_host.clone(),
        proxy: args.proxy.clone(),
        netrc: env
            .netrc
            .clone()
            .or_else(|| env.home.as_ref().map(|home| home.join(".netrc"))),
        keyring_provider,
        keyring_command: PathBuf::from("keyring"),
        max_body_size: match &env.volley_max_body_size {
            Some(value) => parse_size(value)
                .map_err(|reason| anyhow!("invalid VOLLEY_MAX_BODY_SIZE \"{value}\": {reason}"))?,
            None => volley_client::DEFAULT_MAX_BODY_SIZE,
        },
        min_transfer_rate: match &env.volley_min_transfer_rate {
            Some(value) => parse_size(value).map_err(|reason| {
                anyhow!("invalid VOLLEY_MIN_TRANSFER_RATE \"{value}\": {reason}")
            })?,
            None => volley_client::DEFAULT_MIN_TRANSFER_RATE,
        },
    })
}

/// A number of bytes, optionally with a binary suffix: `1048576`, `512K`, `100M`, `1G`.
fn parse_size(value: &str) -> Result<u64, String> {
    let value = value.trim();
    let (number, factor) = match value.char_indices().last() {
        Some((at, 'k' | 'K')) => (&value[..at], 1u64 << 10),
        Some((at, 'm' | 'M')) => (&value[..at], 1 << 20),
        Some((at, 'g' | 'G')) => (&value[..at], 1 << 30),
        _ => (value, 1),
    };
    number
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|number| number.checked_mul(factor))
        .ok_or_else(|| "expected a number of bytes, optionally with K, M or G".to_string())
}

fn parse_index_url(text: &str) -> Result<Url> {
    let url = Url::parse(text.trim()).with_context(|| format!("invalid index URL \"{text}\""))?;
    if !matches!(url.scheme(), "http" | "https" | "file") {
        bail!("invalid index URL \"{text}\": expected an http or https URL");
    }
    Ok(url)
}

/// Parse pip's `--only-binary`/`--no-binary` values (`:all:`, `:none:`, comma-separated names)
/// into one set, later values overriding earlier ones as in pip.
pub fn format_control(values: &[String]) -> Result<volley_resolver::NameSet> {
    use volley_resolver::NameSet;
    let mut set = NameSet::default();
    for value in values {
        for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match item {
                ":all:" => set = NameSet::All,
                ":none:" => set = NameSet::default(),
                name => {
                    let name = name
                        .parse()
                        .with_context(|| format!("invalid package name \"{name}\""))?;
                    if let NameSet::Names(names) = &mut set {
                        names.insert(name);
                    }
                }
            }
        }
    }
    Ok(set)
}

/// Whether output may be coloured: never with `--no-color` or a non-empty `NO_COLOR`
/// (no-color.org), always with a non-empty `FORCE_COLOR`, else only when stderr is a terminal.
pub fn colors(no_color_flag: bool, stderr_is_terminal: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    if no_color_flag || set("NO_COLOR") {
        false
    } else if set("FORCE_COLOR") {
        true
    } else {
        stderr_is_terminal
    }
}
