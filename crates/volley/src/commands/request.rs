//! What the user asked for: requirements from the command line and from files, constraints,
//! and the index and format options files may carry.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use url::Url;
use volley_build::{DirectRequirement, DirectSource};
use volley_packaging::{
    HashDigest, Operator, PackageName, Requirement, SourceDistExtension, VersionOrUrl,
    parse_requirement,
};
use volley_requirements::{RequirementEntry, RequirementSpec, RequirementsTxt};

/// Requirements and constraints gathered from every source, in the order given.
#[derive(Debug, Default)]
pub struct Request {
    pub requirements: Vec<Requirement>,
    /// Where each requirement came from, for `# via -r file` annotations: the file, or `None`
    /// for the command line. Keyed by normalized name.
    pub sources: HashMap<String, Vec<String>>,
    pub constraints: Vec<Requirement>,
    /// Options that requirements files set (`--index-url`, `--pre`, ...).
    pub file_options: RequirementsTxt,
    /// `--hash` values per package (pip's hash-checking mode).
    pub hashes: HashMap<PackageName, BTreeSet<HashDigest>>,
    /// Paths, URLs, git references and editables (`./pkg`, `name @ https://...`, `-e .`),
    /// prepared before resolving (see `direct.rs`).
    pub direct: Vec<DirectRequirement>,
    /// For each of `direct`, at the same position: its `--hash` values and where it was
    /// written, for hash-checking mode.
    pub direct_hashes: Vec<DirectHashes>,
    /// `-e git+URL#egg=name`: cloned into `<src>/<name>` when the target is known, then
    /// installed as editable directories (see `editable_vcs.rs`); with where each was written.
    pub editable_vcs: Vec<(DirectRequirement, Option<String>)>,
}

/// The `--hash` values of one direct reference and where it came from.
#[derive(Debug, Clone, Default)]
pub struct DirectHashes {
    pub hashes: BTreeSet<HashDigest>,
    /// `-r FILE line N`, or `None` for the command line.
    pub origin: Option<String>,
}

impl Request {
    /// Whether every download must match a hash the user gave: `--require-hashes` (on the
    /// command line or in a file), or implied by any `--hash` option, as in pip.
    pub fn requires_hashes(&self, flag: bool) -> bool {
        flag || self.file_options.require_hashes
            || !self.hashes.is_empty()
            || self
                .direct_hashes
                .iter()
                .any(|direct| !direct.hashes.is_empty())
    }

    fn push_direct(&mut self, requirement: DirectRequirement, hashes: DirectHashes) {
        self.direct.push(requirement);
        self.direct_hashes.push(hashes);
    }

    /// An `-e` value: a VCS checkout to make, or an editable directory.
    fn push_editable(&mut self, requirement: DirectRequirement, origin: Option<String>) {
        if matches!(requirement.source, DirectSource::Git { .. }) {
            self.editable_vcs.push((requirement, origin));
        } else {
            let hashes = DirectHashes {
                hashes: BTreeSet::new(),
                origin,
            };
            self.push_direct(requirement, hashes);
        }
    }

    /// pip's rules for hash-checking mode, before anything is resolved: no editable, no VCS
    /// reference or directory (there is no single file to hash), and every named requirement
    /// pinned to one version with `==` or `===` and carrying at least one hash. Archives named
    /// by path or URL are checked once fetched (see `direct::check_hashes`).
    pub fn check_hash_mode(&self) -> Result<()> {
        let describe = |index: usize| {
            let requirement = &self.direct[index];
            let mut text = match &requirement.name {
                Some(name) => format!("{name} @ {}", requirement.source),
                None => requirement.source.to_string(),
            };
            if let Some(origin) = &self.direct_hashes[index].origin {
                text.push_str(&format!(" (from {origin})"));
            }
            text
        };
        if let Some((requirement, origin)) = self.editable_vcs.first() {
            bail!(
                "The editable requirement {} @ {}{} cannot be installed when requiring hashes, \
                 because there is no single file to hash.",
                requirement
                    .name
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                requirement.source,
                origin
                    .as_ref()
                    .map(|origin| format!(" (from {origin})"))
                    .unwrap_or_default()
            );
        }
        if let Some(index) = self
            .direct
            .iter()
            .position(|requirement| requirement.source.is_editable())
        {
            bail!(
                "The editable requirement {} cannot be installed when requiring hashes, because \
                 there is no single file to hash.",
                describe(index)
            );
        }
        // pip's order: what cannot be hashed at all first, version control before directories.
        let mut unhashable = Vec::new();
        for (head, wanted) in [
            (
                "Can't verify hashes for these requirements because we don't have a way to \
                 hash version control repositories:",
                true,
            ),
            (
                "Can't verify hashes for these file:// requirements because they point to \
                 directories:",
                false,
            ),
        ] {
            let listed: Vec<String> = (0..self.direct.len())
                .filter(|&index| match &self.direct[index].source {
                    DirectSource::Git { .. } => wanted,
                    DirectSource::LocalDirectory { .. } => !wanted,
                    DirectSource::LocalArchive { .. } | DirectSource::Url { .. } => false,
                })
                .map(|index| format!("    {}", describe(index)))
                .collect();
            if !listed.is_empty() {
                unhashable.push(head.to_string());
                unhashable.extend(listed);
            }
        }
        if !unhashable.is_empty() {
            bail!("{}", unhashable.join("\n"));
        }
        let unpinned: Vec<String> = self
            .requirements
            .iter()
            .filter(|requirement| !is_pinned(requirement))
            .map(ToString::to_string)
            .collect();
        if !unpinned.is_empty() {
            bail!(
                "in hash-checking mode every requirement must be pinned with ==; these are not: {}",
                unpinned.join(", ")
            );
        }
        let missing: Vec<String> = self
            .requirements
            .iter()
            .filter(|requirement| !self.hashes.contains_key(&requirement.name))
            .map(ToString::to_string)
            .collect();
        if !missing.is_empty() {
            bail!(
                "in hash-checking mode every requirement needs a --hash; these have none: {}",
                missing.join(", ")
            );
        }
        Ok(())
    }
}

fn is_pinned(requirement: &Requirement) -> bool {
    match &requirement.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(specifiers)) => {
            specifiers.len() == 1
                && specifiers.iter().all(|specifier| {
                    matches!(specifier.operator(), Operator::Equal | Operator::ExactEqual)
                })
        }
        _ => false,
    }
}

/// Fetches the text of a requirements file named by an `http(s)` URL.
pub type Fetch<'a> = &'a dyn Fn(&Url) -> Result<String>;

/// A [`Fetch`] through a client made from the command's index options (so with the same
/// credentials, certificates, proxy, retries and timeouts as the rest of the run). It blocks
/// the async worker it runs on while it waits: call it from the multi-threaded runtime.
pub fn client_fetch<'a>(
    index: &'a crate::cli::IndexArgs,
    global: &'a crate::cli::GlobalArgs,
    env: &'a crate::settings::Environment,
) -> impl Fn(&Url) -> Result<String> + 'a {
    move |url: &Url| {
        let cache = crate::settings::CacheSettings::resolve(global, env)?.open()?;
        let client = volley_client::RegistryClient::new(
            crate::settings::client_options(index, env)?,
            cache,
            std::sync::Arc::new(volley_client::NoReporter),
        )?;
        let url = url.clone();
        let text = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(async move { client.fetch_text(&url).await })
        })?;
        Ok(text)
    }
}

impl Request {
    /// [`Self::read_fetching`] where a requirements file named by URL is an error.
    pub fn read(
        command_line: &[String],
        requirement_files: &[PathBuf],
        constraint_files: &[PathBuf],
        cwd: &Path,
    ) -> Result<Self> {
        Self::read_fetching(
            command_line,
            requirement_files,
            constraint_files,
            cwd,
            &|url: &Url| bail!("cannot fetch the requirements file {url} here"),
        )
    }

    /// The request from command-line requirements, `-r` and `-c` files; a file named by an
    /// `http(s)` URL is fetched with `fetch`, as pip does.
    pub fn read_fetching(
        command_line: &[String],
        requirement_files: &[PathBuf],
        constraint_files: &[PathBuf],
        cwd: &Path,
        fetch: Fetch<'_>,
    ) -> Result<Self> {
        let mut request = Self::default();
        for text in command_line {
            match parse_named_or_direct(text, cwd)? {
                Parsed::Named(requirement) => {
                    request
                        .sources
                        .entry(requirement.name.to_string())
                        .or_default();
                    request.requirements.push(requirement);
                }
                Parsed::Direct(direct) => request.push_direct(direct, DirectHashes::default()),
            }
        }
        for path in requirement_files {
            let file = read_file(path, cwd, fetch)?;
            let label = format!("-r {}", path.display());
            for entry in &file.requirements {
                if let Some(direct) = direct(entry, cwd)? {
                    let hashes = DirectHashes {
                        hashes: entry.hashes.iter().cloned().collect(),
                        origin: Some(format!("-r {}", entry.origin)),
                    };
                    request.push_direct(direct, hashes);
                    continue;
                }
                let requirement = named(entry)?;
                if !entry.hashes.is_empty() {
                    request
                        .hashes
                        .entry(requirement.name.clone())
                        .or_default()
                        .extend(entry.hashes.iter().cloned());
                }
                request
                    .sources
                    .entry(requirement.name.to_string())
                    .or_default()
                    .push(label.clone());
                request.requirements.push(requirement);
            }
            for entry in &file.constraints {
                request.constraints.push(named(entry)?);
            }
            for editable in &file.editables {
                let direct = volley_build::parse_editable(
                    &editable.value,
                    &origin_dir(&editable.origin, cwd),
                )
                .with_context(|| format!("{}", editable.origin))?;
                request.push_editable(direct, Some(format!("-r {}", editable.origin)));
            }
            request.file_options.merge(file);
        }
        for path in constraint_files {
            let file = read_file(path, cwd, fetch)?;
            // Everything in a constraints file constrains; nothing in it is installed.
            for entry in file.requirements.iter().chain(&file.constraints) {
                request.constraints.push(named(entry)?);
            }
        }
        Ok(request)
    }
}

impl Request {
    /// Adds `-e PATH` arguments.
    pub fn add_editables(&mut self, editables: &[String], cwd: &Path) -> Result<()> {
        for text in editables {
            let direct = volley_build::parse_editable(text, cwd)?;
            self.push_editable(direct, None);
        }
        Ok(())
    }

    /// Whether nothing at all was asked for.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty() && self.direct.is_empty() && self.editable_vcs.is_empty()
    }
}

enum Parsed {
    Named(Requirement),
    Direct(DirectRequirement),
}

/// A command-line requirement: a path, a URL or `name @ URL` is a direct reference, anything
/// else PEP 508 (`pkg-1.0-py3-none-any.whl` is a valid PEP 508 name, so paths go first).
fn parse_named_or_direct(text: &str, cwd: &Path) -> Result<Parsed> {
    let trimmed = text.trim();
    let looks_direct = trimmed.contains('/')
        || trimmed.contains('\\')
        || trimmed.starts_with('.')
        || trimmed.contains("://")
        || trimmed.ends_with(".whl")
        || SourceDistExtension::ALL
            .iter()
            .any(|extension| trimmed.ends_with(extension.as_str()));
    if !looks_direct && !trimmed.contains('@') {
        return Ok(Parsed::Named(parse_requirement(trimmed)?));
    }
    if !looks_direct
        && let Ok(requirement) = parse_requirement(trimmed)
        && !matches!(requirement.version_or_url, Some(VersionOrUrl::Url(_)))
    {
        return Ok(Parsed::Named(requirement));
    }
    Ok(Parsed::Direct(volley_build::parse_direct(trimmed, cwd)?))
}

/// The directory relative paths on a requirements-file line are resolved against: the
/// directory of the file (nested files included).
fn origin_dir(origin: &volley_requirements::Origin, cwd: &Path) -> PathBuf {
    let full = cwd.join(&origin.path);
    full.parent()
        .map_or_else(|| cwd.to_path_buf(), Path::to_path_buf)
}

/// A requirements-file entry that is a path, a URL or `name @ URL`.
fn direct(entry: &RequirementEntry, cwd: &Path) -> Result<Option<DirectRequirement>> {
    let text = match &entry.requirement {
        RequirementSpec::Unnamed(text) => text.clone(),
        RequirementSpec::Named(requirement)
            if matches!(requirement.version_or_url, Some(VersionOrUrl::Url(_))) =>
        {
            requirement.to_string()
        }
        RequirementSpec::Named(_) => return Ok(None),
    };
    volley_build::parse_direct(&text, &origin_dir(&entry.origin, cwd))
        .map(Some)
        .with_context(|| format!("{}", entry.origin))
}

fn read_file(path: &Path, cwd: &Path, fetch: Fetch<'_>) -> Result<RequirementsTxt> {
    let text = path.to_string_lossy();
    if let Some((scheme, _)) = text.split_once("://")
        && (scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"))
    {
        let url = Url::parse(&text).with_context(|| format!("invalid URL \"{text}\""))?;
        let content = fetch(&url).with_context(|| {
            format!(
                "cannot fetch requirements from {}",
                volley_client::redact(&url)
            )
        })?;
        // Messages name the URL; files it includes by a relative path are refused (they would
        // have to be fetched too).
        let origin = PathBuf::from(volley_client::redact(&url));
        return RequirementsTxt::parse_str(&content, &origin, &crate::settings::variable)
            .with_context(|| format!("cannot read requirements from {}", origin.display()));
    }
    let full = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    RequirementsTxt::parse_file(&full, &crate::settings::variable)
        .with_context(|| format!("cannot read requirements from {}", path.display()))
}

fn named(entry: &RequirementEntry) -> Result<Requirement> {
    match &entry.requirement {
        RequirementSpec::Named(requirement) => Ok(requirement.clone()),
        RequirementSpec::Unnamed(text) => bail!(
            "{}: requirement \"{text}\" is a path or URL; installing from paths and URLs is \
             not supported yet",
            entry.origin
        ),
    }
}
