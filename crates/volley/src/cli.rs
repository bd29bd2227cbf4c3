//! The command line: one struct per command, flags named and spelled as pip's.
//!
//! Parsing only: these structs are turned into validated settings in `settings.rs`, and the
//! commands in `commands/` never look at raw flags.

// Doc comments here are `--help` texts for a terminal, not rustdoc: URLs stay bare and
// brackets are not links.
#![allow(rustdoc::bare_urls, rustdoc::broken_intra_doc_links)]
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// A pip-compatible Python package installer that resolves, downloads and installs at once.
#[derive(Debug, Parser)]
#[command(name = "volley", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub global: GlobalArgs,
}

#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Print less output: once hides progress and summaries, errors are always shown
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub quiet: u8,

    /// Print more output: each network fetch with its timing (-vv for debug logs, -vvv for
    /// everything, each line with its time since start; VOLLEY_LOG=FILTER picks the logs)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// The cache directory [env: VOLLEY_CACHE_DIR] [default: $XDG_CACHE_HOME/volley or
    /// ~/.cache/volley]
    #[arg(long, global = true, value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,

    /// Use a temporary cache for this run only
    #[arg(long, global = true, alias = "no-cache-dir")]
    pub no_cache: bool,

    /// Ignore pip's configuration files and PIP_* environment variables
    #[arg(long, global = true)]
    pub isolated: bool,

    /// Append the verbose log of the run (what -v prints, and debug logs) to FILE
    #[arg(long, global = true, value_name = "FILE")]
    pub log: Option<PathBuf>,

    /// No colour in the output (also when NO_COLOR is set; FORCE_COLOR colours even a pipe)
    #[arg(long, global = true)]
    pub no_color: bool,

    #[command(flatten)]
    pub pip: PipGeneralArgs,
}

/// pip's general options that have no effect in volley, accepted so that pip command lines
/// run unchanged (see docs/pip-compatibility.md for why each one is ignored).
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Accepted for pip compatibility (no effect)")]
pub struct PipGeneralArgs {
    /// Accepted for pip compatibility: volley never asks for input, except `uninstall`'s
    /// confirmation (skipped with -y)
    #[arg(long, global = true)]
    pub no_input: bool,

    /// Accepted for pip compatibility: volley never checks for a newer version of itself
    #[arg(long, global = true)]
    pub disable_pip_version_check: bool,

    /// Accepted for pip compatibility: volley warns about no upcoming Python
    #[arg(long, global = true)]
    pub no_python_version_warning: bool,

    /// Accepted for pip compatibility: errors are always reported, never as tracebacks
    #[arg(long, global = true)]
    pub debug: bool,

    /// Accepted for pip compatibility (s, i, w, b or a): volley checks out version control
    /// sources into its cache and never meets a path that needs the question
    #[arg(long, global = true, value_name = "ACTION", value_parser = ["s", "i", "w", "b", "a"])]
    pub exists_action: Vec<String>,

    /// Accepted for pip compatibility: pip's features `fast-deps` and `truststore` are what
    /// volley always does
    #[arg(
        long,
        global = true,
        value_name = "FEATURE",
        value_parser = ["fast-deps", "truststore", "no-binary-enable-wheel-cache"]
    )]
    pub use_feature: Vec<String>,

    /// Accepted for pip compatibility: volley has only its own resolver and certificate
    /// handling, and warns that the deprecated behaviour is not available
    #[arg(
        long,
        global = true,
        value_name = "FEATURE",
        value_parser = ["legacy-resolver", "legacy-certs"]
    )]
    pub use_deprecated: Vec<String>,
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Resolve and install packages into a Python environment
    Install(InstallArgs),
    /// Resolve requirements and write them pinned, in pip-compile's style (or as a pylock.toml)
    Compile(CompileArgs),
    /// Resolve and download the distribution files into a directory, without installing
    Download(DownloadArgs),
    /// Build (or download) a wheel of every requirement and dependency into a directory
    Wheel(crate::commands::WheelArgs),
    /// Uninstall packages, removing the files their RECORD lists
    Uninstall(UninstallArgs),
    /// Print the installed packages in requirements format
    Freeze(FreezeArgs),
    /// List the installed packages
    List(ListArgs),
    /// Show information about installed packages
    Show(ShowArgs),
    /// Verify that the installed packages have compatible dependencies
    Check(CheckArgs),
    /// Inspect or clean volley's cache
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Print the hash of each file, as `--hash` options for requirements files
    Hash(HashArgs),
    /// Inspect what a package index offers
    #[command(subcommand)]
    Index(IndexCommand),
}

#[derive(Debug, Args)]
pub struct HashArgs {
    /// Files to hash
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,

    /// The hash algorithm
    #[arg(
        long,
        short = 'a',
        value_name = "ALGORITHM",
        default_value = "sha256",
        value_parser = ["sha256", "sha384", "sha512"]
    )]
    pub algorithm: String,
}

#[derive(Debug, Subcommand)]
pub enum IndexCommand {
    /// List the versions of a package that the index offers for the target interpreter
    Versions(IndexVersionsArgs),
}

#[derive(Debug, Args)]
pub struct IndexVersionsArgs {
    /// The package
    #[arg(value_name = "PACKAGE")]
    pub package: String,

    /// Include pre-release and development versions
    #[arg(long)]
    pub pre: bool,

    /// List versions whose Requires-Python excludes the interpreter too
    #[arg(long)]
    pub ignore_requires_python: bool,

    #[command(flatten)]
    pub python: PythonArgs,

    #[command(flatten)]
    pub index: IndexArgs,
}

/// Which interpreter (and so which environment) a command works on.
#[derive(Debug, Args, Clone)]
pub struct PythonArgs {
    /// The Python interpreter or virtual environment directory to work on [default:
    /// $VIRTUAL_ENV, else .venv in the current directory or a parent]
    #[arg(long, short = 'p', value_name = "PYTHON")]
    pub python: Option<PathBuf>,

    /// Work on the `python3` found on PATH (outside any virtual environment)
    #[arg(long, conflicts_with = "python")]
    pub system: bool,
}

/// Where packages come from and how they are fetched.
#[derive(Debug, Args, Clone)]
pub struct IndexArgs {
    /// Base URL of the package index (PEP 503/691) [default: https://pypi.org/simple]
    #[arg(long, short = 'i', value_name = "URL")]
    pub index_url: Option<String>,

    /// Extra index URLs, searched after --index-url when a project is not found there
    #[arg(long, value_name = "URL")]
    pub extra_index_url: Vec<String>,

    /// Also look for packages in this directory or HTML page of links (may be repeated)
    #[arg(long, short = 'f', value_name = "PATH_OR_URL")]
    pub find_links: Vec<String>,

    /// Use no index: only --find-links locations
    #[arg(long)]
    pub no_index: bool,

    /// How several indexes combine: `first-index` takes a project from the first index that
    /// has it (safe against dependency confusion); `unsafe-best-match` merges all of them as
    /// pip does [default: first-index]
    #[arg(long, value_name = "STRATEGY")]
    pub index_strategy: Option<String>,

    /// Trust this host (HOST or HOST:PORT): plain HTTP and invalid certificates are accepted
    #[arg(long, value_name = "HOST")]
    pub trusted_host: Vec<String>,

    /// Verify TLS with this CA bundle instead of the system's certificate store
    #[arg(long, value_name = "PATH")]
    pub cert: Option<PathBuf>,

    /// `cert` came from pip's configuration (`PIP_CERT`, pip.conf), not from `--cert`.
    #[arg(skip)]
    pub cert_from_config: bool,

    /// Client certificate for TLS: one PEM file with the certificate and its private key
    #[arg(long, value_name = "PATH")]
    pub client_cert: Option<PathBuf>,

    /// Send every request through this proxy (scheme://[user:pass@]host:port)
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,

    /// Ask the `keyring` command for index credentials: `subprocess` or `disabled`
    /// [default: disabled]
    #[arg(long, value_name = "PROVIDER")]
    pub keyring_provider: Option<String>,

    /// Most network connections open at once [env: VOLLEY_MAX_CONNECTIONS] [default: 32];
    /// 1 fetches one file at a time, as pip does
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = parse_connections)]
    pub max_connections: Option<usize>,

    /// Retries of a request that failed for a transient reason [default: 5]
    #[arg(long, value_name = "N", allow_hyphen_values = true, value_parser = parse_retries)]
    pub retries: Option<u32>,

    /// Socket timeout in seconds [default: 15]
    #[arg(long, value_name = "SECONDS", allow_hyphen_values = true, value_parser = parse_seconds)]
    pub timeout: Option<f64>,

    /// Revalidate every cached index page, even those still fresh
    #[arg(long)]
    pub refresh: bool,

    /// Revalidate the cached index page of this package (may be repeated)
    #[arg(long, value_name = "NAME")]
    pub refresh_package: Vec<String>,

    /// Use only the cache: no network request at all
    #[arg(long)]
    pub offline: bool,
}

/// What may be chosen.
#[derive(Debug, Args, Clone)]
pub struct ResolveArgs {
    /// Constrain versions using the given constraints file (may be repeated)
    #[arg(long, short = 'c', value_name = "FILE")]
    pub constraint: Vec<PathBuf>,

    /// Include pre-release and development versions
    #[arg(long)]
    pub pre: bool,

    /// Do not use source distributions for these packages (`:all:`, `:none:`, or names,
    /// comma separated)
    #[arg(long, value_name = "FORMAT_CONTROL")]
    pub only_binary: Vec<String>,

    /// Do not use wheels for these packages (`:all:`, `:none:`, or names, comma separated)
    #[arg(long, value_name = "FORMAT_CONTROL")]
    pub no_binary: Vec<String>,

    /// Prefer an older version with a wheel over a newer one with only a source distribution
    #[arg(long)]
    pub prefer_binary: bool,

    /// Build in the target environment instead of an isolated one (PEP 518); the build
    /// requirements must be installed already
    #[arg(long)]
    pub no_build_isolation: bool,

    /// Pass `KEY=VALUE` to the build backend's hooks (may be repeated)
    #[arg(long = "config-settings", short = 'C', value_name = "KEY=VALUE")]
    pub config_settings: Vec<String>,

    /// Constrain the versions of build requirements with this file (may be repeated)
    #[arg(long, value_name = "FILE")]
    pub build_constraint: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Requirements to install (PEP 508, e.g. `flask>=2` or `requests==2.32.3`)
    #[arg(value_name = "REQUIREMENT")]
    pub requirements: Vec<String>,

    /// Install from the given requirements file (may be repeated)
    #[arg(long, short = 'r', value_name = "FILE")]
    pub requirement: Vec<PathBuf>,

    /// Install the dependency group GROUP of a pyproject.toml (PEP 735), the one in the current
    /// directory unless PATH names another (may be repeated)
    #[arg(long, value_name = "[PATH:]GROUP")]
    pub group: Vec<String>,

    /// Install a local project in editable mode (PEP 660; may be repeated); a VCS URL
    /// (`git+https://...#egg=name`) is cloned into the --src directory first
    #[arg(long, short = 'e', value_name = "PATH/URL")]
    pub editable: Vec<String>,

    /// Do not install dependencies
    #[arg(long)]
    pub no_deps: bool,

    /// Upgrade the named packages to the newest allowed versions
    #[arg(long, short = 'U')]
    pub upgrade: bool,

    /// With --upgrade: `only-if-needed` upgrades dependencies only when a requirement needs
    /// it, `eager` upgrades them all [default: only-if-needed]
    #[arg(long, value_name = "STRATEGY")]
    pub upgrade_strategy: Option<String>,

    /// Upgrade this package (and keep other installed versions); may be repeated
    #[arg(long, value_name = "NAME")]
    pub upgrade_package: Vec<String>,

    /// Reinstall packages even when the installed version is the one resolved
    #[arg(long)]
    pub force_reinstall: bool,

    /// Resolve and print what would be installed or removed, without changing anything
    #[arg(long)]
    pub dry_run: bool,

    /// Write a JSON installation report (pip's format, version 1) to FILE (`-` for standard
    /// output)
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,

    /// Install into DIR as a flat directory of packages, scripts in DIR/bin (add DIR to
    /// PYTHONPATH to use them); what DIR holds is replaced only with --upgrade
    #[arg(long, short = 't', value_name = "DIR")]
    pub target: Option<PathBuf>,

    /// Install under the prefix DIR: DIR/lib/pythonX.Y/site-packages, DIR/bin
    #[arg(long, value_name = "DIR")]
    pub prefix: Option<PathBuf>,

    /// Install into the user site-packages (pip's user scheme, e.g. ~/.local)
    #[arg(long)]
    pub user: bool,

    /// Require a hash for every requirement and check every download against it (implied
    /// when any requirement has `--hash`)
    #[arg(long)]
    pub require_hashes: bool,

    /// Change an interpreter that its distributor manages (PEP 668's EXTERNALLY-MANAGED), at
    /// the risk of breaking it [env: PIP_BREAK_SYSTEM_PACKAGES]
    #[arg(long)]
    pub break_system_packages: bool,

    /// Do not warn about installed packages whose dependencies the install left broken
    #[arg(long)]
    pub no_warn_conflicts: bool,

    /// Ignore the installed packages: resolve and install as if none were installed (what it
    /// replaces is removed first, as with --force-reinstall)
    #[arg(long, short = 'I')]
    pub ignore_installed: bool,

    /// Ignore the Requires-Python of every package
    #[arg(long)]
    pub ignore_requires_python: bool,

    /// Refuse to run unless the target interpreter is a virtual environment (exit code 3, as
    /// pip) [env: PIP_REQUIRE_VIRTUALENV]
    #[arg(long, alias = "require-venv")]
    pub require_virtualenv: bool,

    /// Install everything under this alternate root directory: every install path is
    /// prefixed with DIR (for staging a package, as `make install DESTDIR=...`)
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// Show download progress bars: on (the default, on a terminal), off, or raw (as off)
    #[arg(long, value_name = "WHEN", value_parser = ["on", "off", "raw"])]
    pub progress_bar: Option<String>,

    /// Removed from pip: refused with pip's error (use --config-settings)
    #[arg(long, value_name = "OPTIONS", hide = true, allow_hyphen_values = true)]
    pub global_option: Vec<String>,

    /// How files get from the cache into the environment: clone (reflink), hardlink, copy or
    /// symlink [env: VOLLEY_LINK_MODE] [default: clone, falling back to hardlink, then copy]
    #[arg(long, value_name = "MODE")]
    pub link_mode: Option<String>,

    /// Compile the installed Python files to bytecode (pip does by default; volley does not,
    /// unless asked)
    #[arg(long, overrides_with = "no_compile")]
    pub compile: bool,

    /// Do not compile Python files to bytecode (the default)
    #[arg(long, overrides_with = "compile")]
    pub no_compile: bool,

    /// Directory to clone editable VCS checkouts into [default: VENV/src in a virtual
    /// environment, else ./src]
    #[arg(long, value_name = "DIR")]
    pub src: Option<PathBuf>,

    /// Another platform to install for (`--platform`, `--python-version`, `--implementation`,
    /// `--abi`), with `--target` or `--dry-run` only, as in pip
    #[command(flatten)]
    pub target_platform: TargetArgs,

    #[command(flatten)]
    pub python: PythonArgs,

    #[command(flatten)]
    pub index: IndexArgs,

    #[command(flatten)]
    pub resolve: ResolveArgs,

    /// Last: its help heading applies to what follows it.
    #[command(flatten)]
    pub pip_ignored: PipInstallArgs,
}

/// pip's install options that have no effect in volley, accepted so that pip command lines
/// run unchanged (see docs/pip-compatibility.md for why each one is ignored).
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Accepted for pip compatibility (no effect)")]
pub struct PipInstallArgs {
    /// Accepted for pip compatibility: volley does not warn about scripts outside PATH
    #[arg(long)]
    pub no_warn_script_location: bool,

    /// Accepted for pip compatibility: volley always builds with PEP 517 (setup.py-only
    /// projects through setuptools' backend)
    #[arg(long, overrides_with = "no_use_pep517")]
    pub use_pep517: bool,

    /// Accepted for pip compatibility: volley always builds with PEP 517
    #[arg(long, overrides_with = "use_pep517")]
    pub no_use_pep517: bool,

    /// Accepted for pip compatibility: volley's build directories are always removed
    #[arg(long)]
    pub no_clean: bool,

    /// Accepted for pip compatibility (warn or ignore): volley does not warn when run as root
    #[arg(long, value_name = "ACTION", value_parser = ["warn", "ignore"])]
    pub root_user_action: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompileArgs {
    /// Input files (requirements.in style), read as requirements files
    #[arg(value_name = "SRC_FILE", required = true)]
    pub src_files: Vec<PathBuf>,

    /// Write the pinned requirements to FILE instead of standard output (`-` is standard output)
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output_file: Option<PathBuf>,

    /// Add every file hash of each pinned version (`--hash=sha256:...`)
    #[arg(long)]
    pub generate_hashes: bool,

    /// Leave out the header comment
    #[arg(long)]
    pub no_header: bool,

    /// Leave out the `# via` annotations
    #[arg(long)]
    pub no_annotate: bool,

    /// The output format: pinned requirements, or a PEP 751 lock file (`volley install -r
    /// pylock.toml` installs it exactly)
    #[arg(long, value_enum, default_value_t = CompileFormat::RequirementsTxt)]
    pub format: CompileFormat,

    #[command(flatten)]
    pub python: PythonArgs,

    #[command(flatten)]
    pub index: IndexArgs,

    #[command(flatten)]
    pub resolve: ResolveArgs,
}

/// `volley compile --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompileFormat {
    #[value(name = "requirements.txt")]
    RequirementsTxt,
    #[value(name = "pylock.toml")]
    PylockToml,
}

/// The platform to fetch for, when it is not the interpreter's (pip's flags).
#[derive(Debug, Args, Clone, Default)]
pub struct TargetArgs {
    /// Only use wheels for this platform (e.g. `manylinux2014_x86_64`, `win_amd64`) instead of
    /// the interpreter's; may be repeated
    #[arg(long, value_name = "PLATFORM")]
    pub platform: Vec<String>,

    /// The Python version to fetch for (`3.12`, `312` or `3.12.1`): its wheel tags, its
    /// Requires-Python, and its `python_version` markers
    #[arg(long, value_name = "VERSION")]
    pub python_version: Option<String>,

    /// The implementation to fetch for: `cp`, `pp`, `ip`, `jy`, or `py` for
    /// implementation-agnostic wheels only
    #[arg(long, value_name = "IMPLEMENTATION")]
    pub implementation: Option<String>,

    /// Only use wheels with this ABI (e.g. `cp312`, `abi3`, `none`); may be repeated
    #[arg(long, value_name = "ABI")]
    pub abi: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// Requirements to download (PEP 508)
    #[arg(value_name = "REQUIREMENT")]
    pub requirements: Vec<String>,

    /// Download the requirements of the given requirements file (may be repeated)
    #[arg(long, short = 'r', value_name = "FILE")]
    pub requirement: Vec<PathBuf>,

    /// The directory to save the files in (created if needed)
    #[arg(
        long = "dest",
        short = 'd',
        value_name = "DIR",
        default_value = ".",
        visible_alias = "destination-dir",
        alias = "destination-directory"
    )]
    pub dest: PathBuf,

    /// Do not download dependencies
    #[arg(long)]
    pub no_deps: bool,

    /// Require a hash for every requirement and check every download against it (implied
    /// when any requirement has `--hash`)
    #[arg(long)]
    pub require_hashes: bool,

    #[command(flatten)]
    pub target: TargetArgs,

    #[command(flatten)]
    pub python: PythonArgs,

    #[command(flatten)]
    pub index: IndexArgs,

    #[command(flatten)]
    pub resolve: ResolveArgs,
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Packages to uninstall (names, or requirements such as `pkg==1.0`)
    #[arg(value_name = "PACKAGE")]
    pub packages: Vec<String>,

    /// Uninstall the packages named in the given requirements file (may be repeated)
    #[arg(long, short = 'r', value_name = "FILE")]
    pub requirement: Vec<PathBuf>,

    /// Do not ask for confirmation
    #[arg(long, short = 'y')]
    pub yes: bool,

    /// Change an interpreter that its distributor manages (PEP 668's EXTERNALLY-MANAGED), at
    /// the risk of breaking it [env: PIP_BREAK_SYSTEM_PACKAGES]
    #[arg(long)]
    pub break_system_packages: bool,

    #[command(flatten)]
    pub python: PythonArgs,
}

#[derive(Debug, Args)]
pub struct FreezeArgs {
    /// Also print pip, and on Python < 3.12 setuptools, wheel and distribute (hidden by
    /// default, as pip does)
    #[arg(long)]
    pub all: bool,

    /// Leave this package out (may be repeated)
    #[arg(long, value_name = "PACKAGE")]
    pub exclude: Vec<String>,

    /// Leave editable installs out
    #[arg(long)]
    pub exclude_editable: bool,

    /// Only the environment's own packages (what volley always does: it never lists the
    /// packages a virtual environment sees from its base interpreter)
    #[arg(long, short = 'l')]
    pub local: bool,

    /// List only the distributions installed in DIR (may be repeated), instead of the
    /// environment's
    #[arg(long, value_name = "DIR")]
    pub path: Vec<PathBuf>,

    #[command(flatten)]
    pub python: PythonArgs,
}

/// `volley list --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    Columns,
    Freeze,
    Json,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = ListFormat::Columns)]
    pub format: ListFormat,

    /// Leave this package out (may be repeated)
    #[arg(long, value_name = "PACKAGE")]
    pub exclude: Vec<String>,

    /// List only the packages that no other listed package depends on
    #[arg(long)]
    pub not_required: bool,

    /// List only editable installs
    #[arg(long, short = 'e')]
    pub editable: bool,

    /// Leave editable installs out
    #[arg(long, overrides_with = "include_editable")]
    pub exclude_editable: bool,

    /// List editable installs too (the default)
    #[arg(long, overrides_with = "exclude_editable")]
    pub include_editable: bool,

    /// List only the packages with a newer version on the index, with that version and its
    /// file type
    #[arg(long, short = 'o', conflicts_with = "uptodate")]
    pub outdated: bool,

    /// List only the packages whose installed version is the newest on the index
    #[arg(long, short = 'u')]
    pub uptodate: bool,

    /// With --outdated or --uptodate: count pre-releases and development versions as newer
    #[arg(long)]
    pub pre: bool,

    /// Only the environment's own packages (what volley always does: it never lists the
    /// packages a virtual environment sees from its base interpreter)
    #[arg(long, short = 'l')]
    pub local: bool,

    /// List only the distributions installed in DIR (may be repeated), instead of the
    /// environment's
    #[arg(long, value_name = "DIR")]
    pub path: Vec<PathBuf>,

    #[command(flatten)]
    pub python: PythonArgs,

    #[command(flatten)]
    pub index: IndexArgs,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Installed packages to show
    #[arg(value_name = "PACKAGE", required = true)]
    pub packages: Vec<String>,

    /// List the files of each package (from its RECORD)
    #[arg(long, short = 'f')]
    pub files: bool,

    #[command(flatten)]
    pub python: PythonArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub python: PythonArgs,
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Print the cache directory
    Dir,
    /// Remove the whole cache, or the entries of the named packages
    Clean {
        /// Package names (all when none)
        packages: Vec<String>,
    },
    /// Remove what no current volley reads: buckets of older formats, temporary files left by
    /// killed runs
    Prune,
    /// Remove the whole cache (pip's `cache purge`; as `clean` without names)
    Purge,
    /// Remove the entries of one package (pip's `cache remove`; a name, not a pattern)
    Remove {
        /// The package name
        #[arg(value_name = "PACKAGE")]
        package: String,
    },
}

/// The most connections `--max-connections` takes: more would only exhaust file descriptors.
pub const MAX_CONNECTIONS: usize = 1024;

/// `--max-connections`: a whole number from 1 to [`MAX_CONNECTIONS`]. Also used for
/// `VOLLEY_MAX_CONNECTIONS`.
pub fn parse_connections(value: &str) -> Result<usize, String> {
    let number = parse_integer(value)?;
    usize::try_from(number)
        .ok()
        .filter(|number| (1..=MAX_CONNECTIONS).contains(number))
        .ok_or_else(|| format!("expected a whole number from 1 to {MAX_CONNECTIONS}, not {number}"))
}

/// `--retries`: a whole number, 0 or more.
pub fn parse_retries(value: &str) -> Result<u32, String> {
    let number = parse_integer(value)?;
    if number < 0 {
        return Err(format!("expected 0 or more retries, not {number}"));
    }
    u32::try_from(number)
        .map_err(|_| format!("expected at most {} retries, not {number}", u32::MAX))
}

/// `--timeout`: a positive number of seconds (fractions allowed, as in pip).
pub fn parse_seconds(value: &str) -> Result<f64, String> {
    let seconds: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("invalid floating-point value: '{value}'"))?;
    if seconds.is_finite() && seconds > 0.0 {
        Ok(seconds)
    } else {
        Err(format!(
            "expected a positive number of seconds, not {value}"
        ))
    }
}

/// A whole number, in pip's words when it is not one.
fn parse_integer(value: &str) -> Result<i128, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("invalid integer value: '{value}'"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn numeric_values() {
        assert_eq!(parse_connections("1"), Ok(1));
        assert_eq!(
            parse_connections("0").unwrap_err(),
            "expected a whole number from 1 to 1024, not 0"
        );
        assert_eq!(
            parse_connections("-1").unwrap_err(),
            "expected a whole number from 1 to 1024, not -1"
        );
        assert_eq!(
            parse_connections("").unwrap_err(),
            "invalid integer value: ''"
        );
        assert_eq!(parse_retries("0"), Ok(0));
        assert_eq!(
            parse_retries("-1").unwrap_err(),
            "expected 0 or more retries, not -1"
        );
        assert!(parse_retries("99999999999999999999").is_err());
        assert!(parse_retries("1e3").is_err());
        assert_eq!(parse_seconds("0.5"), Ok(0.5));
        assert_eq!(parse_seconds("1e20"), Ok(1e20));
        for bad in ["NaN", "inf", "-1", "0", "", "x"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
