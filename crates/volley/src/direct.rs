//! Direct references — local projects, archives, URLs, git, editables — prepared before the
//! resolution and handed to the resolver as fixed candidates.
//!
//! Each source is prepared once for its metadata (`volley_build::prepare` with
//! `need_wheel: false`: static metadata where reliable, else the backend's hooks). The resolver
//! then sees the package with exactly one version, the prepared one, whose dependencies are the
//! prepared metadata's, and the index is never asked about that name; the user's requirement
//! becomes `name[extras]==version`. At install time the wheel is built (build cache first;
//! editables always, PEP 660) and installed with the source's `direct_url.json` (PEP 610).
//!
//! Traps:
//! - the name of `./pkg` or of an archive URL without `#egg=` is known only once its metadata
//!   is read; a name given by the user (`name @ url`) must match it;
//! - two references to one name must be the same source;
//! - `--only-binary` does not apply here: as in pip, it restricts the files found on indexes and
//!   `--find-links` pages, not a path, URL or repository the user named, which is built when it
//!   is not a wheel.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use volley_build::{DirectRequirement, PreparedSource, prepare};
use volley_installer::UnpackedWheel;
use volley_packaging::{CoreMetadata, PackageName, Requirement, Version};
use volley_resolver::{Candidate, CandidateMetadata};

use crate::builds::{Builds, unpack_into_cache};

/// One prepared direct reference.
#[derive(Debug)]
pub struct DirectPackage {
    pub name: PackageName,
    pub version: Version,
    pub requirement: DirectRequirement,
    pub metadata: CoreMetadata,
    /// The metadata-only preparation.
    pub prepared: PreparedSource,
}

impl DirectPackage {
    pub fn candidate(&self) -> Candidate {
        Candidate {
            version: self.version.clone(),
            yanked: false,
            requires_python: self.metadata.requires_python.clone(),
            has_compatible_wheel: true,
            best_wheel_priority: Some(u32::MAX),
            has_sdist: true,
        }
    }

    pub fn candidate_metadata(&self) -> Arc<CandidateMetadata> {
        Arc::new(CandidateMetadata {
            requires_dist: self.metadata.requires_dist.clone(),
            requires_python: self.metadata.requires_python.clone(),
        })
    }

    /// What the resolver is given instead of the user's requirement.
    fn pinned_requirement(&self) -> Result<Requirement> {
        let mut requirement = Requirement::from_str(&format!("{}=={}", self.name, self.version))
            .with_context(|| format!("cannot pin {} to {}", self.name, self.version))?;
        requirement.extras = self.requirement.extras.clone();
        if let Some(marker) = &self.requirement.marker {
            requirement.marker = marker.clone();
        }
        Ok(requirement)
    }

    /// Whether the installed `.dist-info` came from this very source (same `direct_url.json`),
    /// so that nothing needs reinstalling. Local directories and editables always are
    /// reinstalled: their contents may have changed.
    pub fn is_installed_at(&self, dist_info: &std::path::Path) -> bool {
        if matches!(
            self.requirement.source,
            volley_build::DirectSource::LocalDirectory { .. }
        ) {
            return false;
        }
        let Ok(text) = fs_err::read_to_string(dist_info.join("direct_url.json")) else {
            return false;
        };
        let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).ok();
        parse(&text).is_some_and(|installed| Some(installed) == parse(&self.prepared.direct_url))
    }
}

/// The direct references of one run, by name.
#[derive(Default)]
pub struct DirectPackages {
    packages: BTreeMap<PackageName, Arc<DirectPackage>>,
    builds: Option<Arc<Builds>>,
}

impl DirectPackages {
    /// Prepares every reference's metadata (concurrently, on blocking threads).
    pub async fn prepare(requirements: &[DirectRequirement], builds: Arc<Builds>) -> Result<Self> {
        let tasks = requirements.iter().cloned().map(|requirement| {
            let builds = Arc::clone(&builds);
            tokio::task::spawn_blocking(move || -> Result<DirectPackage> {
                let out_dir = builds.out_dir()?;
                let prepared = prepare(&requirement.source, &builds.context, &out_dir)
                    .with_context(|| format!("cannot prepare {}", describe(&requirement)))?;
                let metadata = prepared.metadata.clone();
                if let Some(name) = &requirement.name
                    && *name != metadata.name
                {
                    bail!(
                        "{} is named {name}, but its metadata says {}",
                        requirement.source,
                        metadata.name
                    );
                }
                Ok(DirectPackage {
                    name: metadata.name.clone(),
                    version: metadata.version.clone(),
                    requirement,
                    metadata,
                    prepared,
                })
            })
        });
        let mut packages: BTreeMap<PackageName, Arc<DirectPackage>> = BTreeMap::new();
        for task in futures::future::join_all(tasks).await {
            let package = task.context("a preparation stopped")??;
            if let Some(other) = packages.get(&package.name) {
                if other.requirement.source != package.requirement.source {
                    bail!(
                        "{} is requested from two sources: {} and {}",
                        package.name,
                        other.requirement.source,
                        package.requirement.source
                    );
                }
                continue;
            }
            packages.insert(package.name.clone(), Arc::new(package));
        }
        Ok(Self {
            packages,
            builds: Some(builds),
        })
    }

    pub fn get(&self, name: &PackageName) -> Option<&Arc<DirectPackage>> {
        self.packages.get(name)
    }

    /// `name[extras]==version` for each reference, for the resolver.
    pub fn requirements(&self) -> Result<Vec<Requirement>> {
        self.packages
            .values()
            .map(|package| package.pinned_requirement())
            .collect()
    }

    /// The wheel to install for `package` (built if needed), unpacked into the cache, and its
    /// `direct_url.json`.
    pub async fn wheel(&self, package: &Arc<DirectPackage>) -> Result<(UnpackedWheel, String)> {
        let builds = self
            .builds
            .clone()
            .context("direct references were prepared without a build context")?;
        let (wheel, direct_url) = self.wheel_file(package).await?;
        tokio::task::spawn_blocking(move || {
            let unpacked = unpack_into_cache(&builds.cache, &wheel)?;
            Ok((unpacked, direct_url))
        })
        .await
        .context("unpacking a wheel stopped")?
    }

    /// The wheel file of `package` (given, cached or built) and its `direct_url.json`.
    pub async fn wheel_file(
        &self,
        package: &Arc<DirectPackage>,
    ) -> Result<(std::path::PathBuf, String)> {
        let builds = self
            .builds
            .clone()
            .context("direct references were prepared without a build context")?;
        let package = Arc::clone(package);
        tokio::task::spawn_blocking(move || {
            let prepared = match &package.prepared.wheel {
                Some(_) if !package.requirement.source.is_editable() => package.prepared.clone(),
                _ => {
                    let mut context = builds.context.clone();
                    context.need_wheel = true;
                    let out_dir = builds.out_dir()?;
                    prepare(&package.requirement.source, &context, &out_dir).with_context(|| {
                        format!("cannot build {}", describe(&package.requirement))
                    })?
                }
            };
            let wheel = prepared.wheel.with_context(|| {
                format!("building {} produced no wheel", package.requirement.source)
            })?;
            Ok((wheel, prepared.direct_url))
        })
        .await
        .context("a build stopped")?
    }
}

/// `name @ source`, or the source alone when its name is not known yet.
fn describe(requirement: &DirectRequirement) -> String {
    match &requirement.name {
        Some(name) => format!("{name} @ {}", requirement.source),
        None => requirement.source.to_string(),
    }
}

/// An index sdist as the build frontend sees it: a URL with the index's sha256.
fn index_sdist_source(file: &volley_client::IndexFile) -> volley_build::DirectSource {
    volley_build::DirectSource::Url {
        url: file.url.clone(),
        hash: file.sha256().map(volley_packaging::HashDigest::sha256),
    }
}

/// The core metadata of an index sdist (cached per sha256; blocking: call it from a blocking
/// thread, as the resolver's provider does).
pub fn index_sdist_metadata(
    builds: &Builds,
    file: &volley_client::IndexFile,
) -> Result<CoreMetadata> {
    let out_dir = builds.out_dir()?;
    let prepared = prepare(&index_sdist_source(file), &builds.context, &out_dir)
        .with_context(|| format!("cannot prepare the metadata of {}", file.filename))?;
    Ok(prepared.metadata)
}

/// Builds the wheel of an index sdist (the build cache first) and unpacks it into the cache.
pub async fn build_index_sdist(
    builds: &Arc<Builds>,
    file: &volley_client::IndexFile,
) -> Result<UnpackedWheel> {
    let wheel = build_index_sdist_file(builds, file).await?;
    let builds = Arc::clone(builds);
    tokio::task::spawn_blocking(move || unpack_into_cache(&builds.cache, &wheel))
        .await
        .context("unpacking a wheel stopped")?
}

/// The wheel file built from an index sdist (in the build cache).
pub async fn build_index_sdist_file(
    builds: &Arc<Builds>,
    file: &volley_client::IndexFile,
) -> Result<std::path::PathBuf> {
    let builds = Arc::clone(builds);
    let file = file.clone();
    tokio::task::spawn_blocking(move || {
        let mut context = builds.context.clone();
        context.need_wheel = true;
        let out_dir = builds.out_dir()?;
        let prepared = prepare(&index_sdist_source(&file), &context, &out_dir)
            .with_context(|| format!("cannot build {}", file.filename))?;
        prepared
            .wheel
            .with_context(|| format!("building {} produced no wheel", file.filename))
    })
    .await
    .context("a build stopped")?
}
