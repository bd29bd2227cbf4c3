//! The resolver's `Provider`, answered from the download collection — and the prefetcher
//! that keeps the collection ahead of the resolver.
//!
//! The resolver is sequential: it asks for one package's versions, then one version's
//! dependencies, and waits. To keep it from waiting on the network, every package name is
//! handed to [`IndexProvider::prefetch`] the moment it is known; that starts a chain of fetches
//! on the async runtime: the project's index page, then the metadata of its most likely
//! candidate (the newest final release with a compatible wheel that fits the interpreter),
//! then the same for every dependency that metadata names. By the time the resolver asks,
//! the answer is usually in the collection already. The collection fetches each URL once,
//! so the resolver and the prefetcher share every result.
//!
//! When the resolver decides a version, its wheel starts downloading at once
//! (`on_decision`); the install step cancels the downloads the final plan does not need.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use tokio::runtime::Handle;
use volley_client::{ClientError, IndexFile, ProjectPage, RegistryClient};
use volley_packaging::{
    CoreMetadata, DistFilename, MarkerEnvironment, Operator, PackageName, TagPriority, Tags,
    Version, VersionSpecifiers,
};
use volley_resolver::{Candidate, CandidateMetadata, NameSet, Provider, ProviderError};

use crate::builds::Builds;
use crate::direct::{DirectPackage, DirectPackages};
use crate::prepare::Preparer;
use crate::progress::ProgressReporter;

/// The files of one version that matter for choosing and installing it.
#[derive(Debug, Clone, Default)]
pub struct VersionFiles {
    /// The wheel with the best tag priority for the target interpreter.
    pub best_wheel: Option<(TagPriority, IndexFile)>,
    /// The first source distribution.
    pub sdist: Option<IndexFile>,
    /// Every file of the version the provider kept: all of them when it was made with
    /// [`Target::all_files`] (for `--generate-hashes`), else those the target can use.
    pub all: Vec<IndexFile>,
}

impl VersionFiles {
    /// The file volley would install: the best wheel.
    pub fn preferred(&self) -> Option<&IndexFile> {
        self.best_wheel
            .as_ref()
            .map(|(_, file)| file)
            .or(self.sdist.as_ref())
    }
}

/// Where a version's files sit in [`ProjectVersions::files`].
#[derive(Debug, Default)]
struct Slots {
    /// The wheel with the best tag priority for the target interpreter.
    best_wheel: Option<(TagPriority, u32)>,
    /// The first source distribution.
    sdist: Option<u32>,
    /// Every kept file of the version.
    all: Vec<u32>,
}

/// A project's page sorted into versions, keeping only what a run can use.
///
/// Pages of big projects list tens of thousands of files, most of them wheels for other
/// platforms (numpy has dozens per release). Unless the command needs every file (hashes of all
/// platforms' wheels for `compile --generate-hashes` and lock files), only the wheels the
/// target can install and the sdists are kept; the page itself is dropped from the download
/// collection once sorted, so a run holds a few files per release, not whole pages.
#[derive(Debug)]
pub struct ProjectVersions {
    /// The index the page came from; `None` for a project the indexes do not have.
    index: Option<url::Url>,
    files: Vec<IndexFile>,
    versions: BTreeMap<Version, Slots>,
    candidates: Arc<[Candidate]>,
    /// When no file of any version fits the target: the tags the index has wheels for.
    foreign_tags: Vec<String>,
}

impl ProjectVersions {
    /// A project without versions: one the indexes do not have.
    fn empty() -> Self {
        Self {
            index: None,
            files: Vec::new(),
            versions: BTreeMap::new(),
            candidates: Arc::from(Vec::new()),
            foreign_tags: Vec::new(),
        }
    }

    /// Sort `page` for the target's `tags`, keeping every file with `all_files`.
    fn new(page: &ProjectPage, tags: &Tags, all_files: bool) -> Self {
        let mut files = Vec::new();
        let mut versions: BTreeMap<Version, Slots> = BTreeMap::new();
        let mut foreign_tags = Vec::new();
        for file in &page.files {
            let index = u32::try_from(files.len()).expect("fewer than 2^32 files on a page");
            match &file.dist {
                DistFilename::Wheel(wheel) => {
                    let priority = wheel.compatibility(tags);
                    if priority.is_none() && !all_files {
                        foreign_tags.push(wheel.tag_string());
                        continue;
                    }
                    let entry = versions.entry(wheel.version.clone()).or_default();
                    entry.all.push(index);
                    if let Some(priority) = priority {
                        let better = entry
                            .best_wheel
                            .as_ref()
                            .is_none_or(|(best, _)| priority > *best);
                        if better {
                            entry.best_wheel = Some((priority, index));
                        }
                    } else {
                        foreign_tags.push(wheel.tag_string());
                    }
                }
                DistFilename::SourceDist(sdist) => {
                    let entry = versions.entry(sdist.version.clone()).or_default();
                    entry.all.push(index);
                    if entry.sdist.is_none() {
                        entry.sdist = Some(index);
                    }
                }
            }
            files.push(file.clone());
        }
        files.shrink_to_fit();
        let usable = versions
            .values()
            .any(|slots| slots.best_wheel.is_some() || slots.sdist.is_some());
        if usable {
            foreign_tags = Vec::new();
        } else {
            foreign_tags.extend(page.dropped_tags.iter().cloned());
            foreign_tags.sort();
            foreign_tags.dedup();
        }
        let mut project = Self {
            index: Some(page.index.clone()),
            files,
            versions,
            candidates: Arc::from(Vec::new()),
            foreign_tags,
        };
        project.candidates = project
            .versions
            .iter()
            .map(|(version, slots)| {
                let preferred = project.preferred(slots);
                Candidate {
                    version: version.clone(),
                    // A version counts as yanked when the file volley would use is yanked
                    // (PEP 592 yanks files; indexes yank all files of a release together).
                    yanked: preferred.is_some_and(|file| file.yanked.is_some()),
                    requires_python: preferred.and_then(|file| file.requires_python.clone()),
                    has_compatible_wheel: slots.best_wheel.is_some(),
                    best_wheel_priority: slots.best_wheel.as_ref().map(|(priority, _)| priority.0),
                    has_sdist: slots.sdist.is_some(),
                }
            })
            .collect();
        project
    }

    fn file(&self, index: u32) -> &IndexFile {
        &self.files[index as usize]
    }

    fn best_wheel(&self, slots: &Slots) -> Option<&IndexFile> {
        slots.best_wheel.map(|(_, index)| self.file(index))
    }

    fn sdist(&self, slots: &Slots) -> Option<&IndexFile> {
        slots.sdist.map(|index| self.file(index))
    }

    /// The file volley would install: the best wheel, else the sdist.
    fn preferred(&self, slots: &Slots) -> Option<&IndexFile> {
        self.best_wheel(slots).or_else(|| self.sdist(slots))
    }

    /// The kept files of one version.
    fn version_files(&self, version: &Version) -> Option<VersionFiles> {
        let slots = self.versions.get(version)?;
        Some(VersionFiles {
            best_wheel: slots
                .best_wheel
                .map(|(priority, index)| (priority, self.file(index).clone())),
            sdist: self.sdist(slots).cloned(),
            all: slots
                .all
                .iter()
                .map(|index| self.file(*index).clone())
                .collect(),
        })
    }

    /// The version the resolver will most likely pick, and the file its metadata comes from:
    /// the newest final, unyanked release whose Requires-Python fits, with its best wheel (when
    /// `wheels` are allowed), else its sdist.
    fn likely(
        &self,
        python: &Version,
        wanted: Option<&VersionSpecifiers>,
        wheels: bool,
    ) -> Option<(&Version, Likely<'_>)> {
        self.versions
            .iter()
            .rev()
            .filter(|(version, _)| wanted.is_none_or(|specifiers| specifiers.contains(version)))
            .filter(|(version, _)| !version.any_prerelease() || wanted.is_some())
            .filter_map(|(version, slots)| {
                let wheel = self.best_wheel(slots).filter(|_| wheels);
                let likely = match (wheel, self.sdist(slots)) {
                    (Some(wheel), _) => Likely::Wheel(wheel),
                    (None, Some(sdist)) => Likely::Sdist(sdist),
                    (None, None) => return None,
                };
                Some((version, likely))
            })
            .find(|(_, likely)| {
                let file = likely.file();
                file.yanked.is_none()
                    && file
                        .requires_python
                        .as_ref()
                        .is_none_or(|specifiers| specifiers.contains(python))
            })
    }
}

/// Where the metadata of a likely version comes from.
#[derive(Debug, Clone, Copy)]
enum Likely<'a> {
    Wheel(&'a IndexFile),
    /// A source distribution, whose metadata needs the build backend.
    Sdist(&'a IndexFile),
}

impl Likely<'_> {
    fn file(&self) -> &IndexFile {
        match self {
            Likely::Wheel(file) | Likely::Sdist(file) => file,
        }
    }
}

/// Core metadata prepared from an sdist, shared by everyone waiting for it.
type SdistMetadata = Shared<BoxFuture<'static, Result<Arc<CoreMetadata>, String>>>;

/// What the provider needs to know of the target environment.
pub struct Target {
    pub tags: Tags,
    pub markers: MarkerEnvironment,
    /// The interpreter's full version, for Requires-Python.
    pub python_version: Version,
    /// The dist-info directories of installed versions.
    pub installed: HashMap<(PackageName, Version), PathBuf>,
    /// What the user's requirements ask of each package they name: the prefetcher fetches
    /// the metadata of the newest version these allow (not simply the newest), and starts
    /// the download of a version pinned with `==` as soon as its page arrives.
    pub requested: HashMap<PackageName, VersionSpecifiers>,
    /// Keep every file of every version, not only those the target can use: the command
    /// writes hashes of all platforms' files.
    pub all_files: bool,
}

/// Answers the resolver from the registry client; prefetches ahead of it.
pub struct IndexProvider {
    inner: Arc<Inner>,
}

struct Inner {
    client: RegistryClient,
    runtime: Handle,
    tags: Tags,
    markers: MarkerEnvironment,
    python_version: Version,
    reporter: Arc<ProgressReporter>,
    /// Where decided versions start downloading and unpacking; `None` for runs that install
    /// nothing (`--dry-run`, `compile`).
    speculative: Option<Arc<Preparer>>,
    /// The dist-info directories of installed versions, whose metadata the resolver may ask
    /// for when it keeps them (the index need not list them any more).
    installed: HashMap<(PackageName, Version), PathBuf>,
    requested: HashMap<PackageName, VersionSpecifiers>,
    all_files: bool,
    projects: Mutex<HashMap<PackageName, Arc<ProjectVersions>>>,
    prefetched: Mutex<HashSet<PackageName>>,
    downloads: Mutex<HashMap<(PackageName, Version), IndexFile>>,
    /// Direct references (paths, URLs, git, editables): their names are never looked up on
    /// the index; each has one version, the prepared one (see `direct.rs`).
    direct: std::sync::OnceLock<Arc<DirectPackages>>,
    /// Where sdists are built for their metadata, and which packages must not use wheels.
    builds: std::sync::OnceLock<(Arc<Builds>, NameSet, NameSet)>,
    /// Metadata prepared from sdists, for the install report.
    sdist_metadata: Mutex<HashMap<(PackageName, Version), CoreMetadata>>,
    /// Sdist metadata being prepared (or prepared), by file URL: started ahead by the
    /// prefetcher for a project whose likely version has only an sdist, or by the resolver.
    sdist_preparing: Mutex<HashMap<url::Url, SdistMetadata>>,
    /// Projects the indexes do not have, with the client's words for it.
    missing: Mutex<BTreeMap<PackageName, String>>,
    /// How many versions of each project the resolver asked the metadata of.
    metadata_asked: Mutex<BTreeMap<PackageName, u32>>,
}

impl IndexProvider {
    pub fn new(
        client: RegistryClient,
        runtime: Handle,
        target: Target,
        reporter: Arc<ProgressReporter>,
        speculative: Option<Arc<Preparer>>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                client,
                runtime,
                tags: target.tags,
                markers: target.markers,
                python_version: target.python_version,
                installed: target.installed,
                requested: target.requested,
                all_files: target.all_files,
                reporter,
                speculative,
                projects: Mutex::default(),
                prefetched: Mutex::default(),
                downloads: Mutex::default(),
                direct: std::sync::OnceLock::new(),
                builds: std::sync::OnceLock::new(),
                sdist_metadata: Mutex::default(),
                sdist_preparing: Mutex::default(),
                missing: Mutex::default(),
                metadata_asked: Mutex::default(),
            }),
        }
    }

    /// Answer for these direct references instead of the index, and prepare the metadata of
    /// sdists with `builds` when a version has no usable wheel (`--only-binary` and
    /// `--no-binary` say which packages may use what). Set once, before resolving.
    pub fn set_builds(
        &self,
        direct: Arc<DirectPackages>,
        builds: Arc<Builds>,
        only_binary: NameSet,
        no_binary: NameSet,
    ) {
        let _ = self.inner.direct.set(direct);
        let _ = self.inner.builds.set((builds, only_binary, no_binary));
    }

    /// The metadata an sdist's build gave while resolving.
    pub fn sdist_metadata(&self, name: &PackageName, version: &Version) -> Option<CoreMetadata> {
        let prepared = self
            .inner
            .sdist_metadata
            .lock()
            .expect("sdist metadata lock");
        prepared.get(&(name.clone(), version.clone())).cloned()
    }

    /// Start fetching what the resolver will ask about `name`, without waiting.
    pub fn prefetch(&self, name: &PackageName) {
        Inner::prefetch(&self.inner, name);
    }

    /// The files of a version the resolver chose (after `resolve` returned).
    pub fn files(&self, name: &PackageName, version: &Version) -> Option<VersionFiles> {
        let projects = self.inner.projects.lock().expect("projects lock");
        projects.get(name)?.version_files(version)
    }

    /// The index a project's page came from.
    pub fn index_of(&self, name: &PackageName) -> Option<url::Url> {
        let projects = self.inner.projects.lock().expect("projects lock");
        projects.get(name)?.index.clone()
    }

    /// For projects of which no version has a file the interpreter can use: what the index
    /// offers instead, so that a failed resolution can say why; and which projects the indexes
    /// do not have at all.
    pub fn incompatibility_notes(&self) -> Vec<String> {
        let missing: Vec<String> = self
            .inner
            .missing
            .lock()
            .expect("missing lock")
            .values()
            .cloned()
            .collect();
        let projects = self.inner.projects.lock().expect("projects lock");
        let mut notes: Vec<String> = projects
            .iter()
            .filter(|(_, project)| !project.foreign_tags.is_empty())
            .map(|(name, project)| {
                format!(
                    "no wheel of {name} is compatible with the target interpreter; the index \
                     has wheels for: {}",
                    project.foreign_tags.join(", ")
                )
            })
            .collect();
        notes.sort();
        notes.extend(missing);
        notes
    }

    /// The projects whose metadata the resolver read for the most versions, with the counts,
    /// most first (at most `limit`), and the total.
    pub fn metadata_counts(&self, limit: usize) -> (Vec<(PackageName, u32)>, u32) {
        let asked = self
            .inner
            .metadata_asked
            .lock()
            .expect("metadata counts lock");
        let total = asked.values().sum();
        let mut counts: Vec<(PackageName, u32)> = asked
            .iter()
            .map(|(name, count)| (name.clone(), *count))
            .collect();
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        counts.truncate(limit);
        (counts, total)
    }

    /// Downloads started speculatively, with the package and version they were for.
    pub fn speculative_downloads(&self) -> Vec<((PackageName, Version), IndexFile)> {
        let downloads = self.inner.downloads.lock().expect("downloads lock");
        downloads
            .iter()
            .map(|(key, file)| (key.clone(), file.clone()))
            .collect()
    }
}

impl Inner {
    /// The sorted project `name`, once its page (or its absence) is known.
    ///
    /// Once sorted, the page is dropped from the download collection: everything the run needs
    /// of it is in the [`ProjectVersions`]. The lookup here and the drop in [`Self::sort`] both
    /// happen under the projects lock, so no caller can miss the sorted project and then find
    /// the page gone (which would fetch it again).
    async fn project_async(
        self: &Arc<Self>,
        name: &PackageName,
    ) -> Result<Arc<ProjectVersions>, ProviderError> {
        let page = {
            let projects = self.projects.lock().expect("projects lock");
            if let Some(project) = projects.get(name) {
                return Ok(Arc::clone(project));
            }
            self.client.project_page_now(name)
        };
        match page.await {
            Ok(page) => Ok(self.sort(page, name)),
            // A project the index does not have has no versions: the resolver backtracks over
            // whatever needs it (pip and uv do the same), and says so if nothing else fits.
            Err(error @ ClientError::ProjectNotFound { .. }) => {
                self.missing
                    .lock()
                    .expect("missing lock")
                    .insert(name.clone(), error.to_string());
                let mut projects = self.projects.lock().expect("projects lock");
                let empty = Arc::new(ProjectVersions::empty());
                Ok(Arc::clone(projects.entry(name.clone()).or_insert(empty)))
            }
            Err(error) => Err(ProviderError::new(error.to_string())),
        }
    }

    fn sort(&self, page: Arc<ProjectPage>, name: &PackageName) -> Arc<ProjectVersions> {
        // Sorted outside the lock: a big page takes a while.
        let project = Arc::new(ProjectVersions::new(&page, &self.tags, self.all_files));
        drop(page);
        let mut projects = self.projects.lock().expect("projects lock");
        let project = Arc::clone(projects.entry(name.clone()).or_insert(project));
        self.client.forget_project_page(name);
        project
    }

    /// pip's precedence for `--only-binary` / `--no-binary`: whether a wheel may be used.
    fn wheel_allowed(&self, name: &PackageName) -> bool {
        let Some((_, only_binary, no_binary)) = self.builds.get() else {
            return true;
        };
        let names = |set: &NameSet| matches!(set, NameSet::Names(names) if names.contains(name));
        if names(only_binary) {
            true
        } else if names(no_binary) {
            false
        } else {
            *only_binary == NameSet::All || *no_binary != NameSet::All
        }
    }

    /// The metadata of an sdist: prepared (statically, or by the backend) on this blocking
    /// thread, keyed in the build cache by the sdist's sha256.
    fn sdist_candidate_metadata(
        &self,
        name: &PackageName,
        version: &Version,
        sdist: &IndexFile,
    ) -> Result<Arc<CandidateMetadata>, ProviderError> {
        let Some(preparing) = self.prepare_sdist(sdist) else {
            return Err(ProviderError::new(format!(
                "{name}=={version} has only a source distribution, and this command does not build"
            )));
        };
        let metadata = self
            .runtime
            .block_on(preparing)
            .map_err(ProviderError::new)?;
        let answer = Arc::new(CandidateMetadata {
            requires_dist: metadata.requires_dist.clone(),
            requires_python: metadata.requires_python.clone(),
        });
        self.sdist_metadata
            .lock()
            .expect("sdist metadata lock")
            .insert(
                (name.clone(), version.clone()),
                CoreMetadata::clone(&metadata),
            );
        Ok(answer)
    }

    /// The metadata of an index sdist, prepared once (statically, or by the backend, on a
    /// blocking thread; `VOLLEY_BUILD_JOBS` bounds the builds), whoever asks first. `None`
    /// when this command does not build.
    fn prepare_sdist(&self, sdist: &IndexFile) -> Option<SdistMetadata> {
        let (builds, _, _) = self.builds.get()?;
        let mut preparing = self.sdist_preparing.lock().expect("sdist lock");
        let entry = preparing.entry(sdist.url.clone()).or_insert_with(|| {
            let builds = Arc::clone(builds);
            let file = sdist.clone();
            let task = self.runtime.spawn_blocking(move || {
                crate::direct::index_sdist_metadata(&builds, &file)
                    .map(Arc::new)
                    .map_err(|error| format!("{error:#}"))
            });
            async move {
                task.await
                    .unwrap_or_else(|error| Err(format!("preparing the metadata stopped: {error}")))
            }
            .boxed()
            .shared()
        });
        Some(entry.clone())
    }

    fn direct(&self, name: &PackageName) -> Option<&Arc<DirectPackage>> {
        self.direct.get().and_then(|direct| direct.get(name))
    }

    fn prefetch(this: &Arc<Self>, name: &PackageName) {
        if this.direct(name).is_some() {
            return;
        }
        if !this
            .prefetched
            .lock()
            .expect("prefetch lock")
            .insert(name.clone())
        {
            return;
        }
        this.reporter.on_package_discovered(1);
        let inner = Arc::clone(this);
        let name = name.clone();
        this.runtime.spawn(async move {
            let Ok(project) = inner.project_async(&name).await else {
                return;
            };
            let wanted = inner.requested.get(&name);
            let Some((version, likely)) = project
                .likely(&inner.python_version, wanted, inner.wheel_allowed(&name))
                .map(|(version, likely)| (version.clone(), likely))
            else {
                return;
            };
            // An sdist's metadata may take a build: start it now, beside the resolution.
            let file = match likely {
                Likely::Wheel(file) => file.clone(),
                Likely::Sdist(sdist) => {
                    let Some(preparing) = inner.prepare_sdist(sdist) else {
                        return;
                    };
                    let Ok(metadata) = preparing.await else {
                        return;
                    };
                    for requirement in &metadata.requires_dist {
                        if requirement.evaluate_markers(&inner.markers, &[]) {
                            Inner::prefetch(&inner, &requirement.name);
                        }
                    }
                    return;
                }
            };
            let pinned = wanted.is_some_and(|specifiers| {
                specifiers.len() == 1
                    && specifiers
                        .iter()
                        .all(|specifier| *specifier.operator() == Operator::Equal)
            });
            if pinned
                && !inner
                    .installed
                    .contains_key(&(name.clone(), version.clone()))
            {
                inner.start_download(&name, &version);
            }
            let Ok(metadata) = inner.client.metadata(&file).await else {
                return;
            };
            for requirement in &metadata.requires_dist {
                if requirement.evaluate_markers(&inner.markers, &[]) {
                    Inner::prefetch(&inner, &requirement.name);
                }
            }
        });
    }

    /// Start downloading (and unpacking) the wheel of a version the resolver will probably
    /// keep; the install step cancels it if the final plan does not need it.
    fn start_download(&self, name: &PackageName, version: &Version) {
        let Some(preparer) = &self.speculative else {
            return;
        };
        let wheel = {
            let projects = self.projects.lock().expect("projects lock");
            projects.get(name).and_then(|project| {
                let slots = project.versions.get(version)?;
                project.best_wheel(slots).cloned()
            })
        };
        let Some(wheel) = wheel else {
            return;
        };
        let mut downloads = self.downloads.lock().expect("downloads lock");
        if downloads
            .insert((name.clone(), version.clone()), wheel.clone())
            .is_none()
        {
            preparer.start(&wheel);
        }
    }

    fn versions(
        self: &Arc<Self>,
        name: &PackageName,
    ) -> Result<Arc<ProjectVersions>, ProviderError> {
        self.runtime.block_on(self.project_async(name))
    }
}

impl Provider for IndexProvider {
    fn versions(&self, name: &PackageName) -> Result<Arc<[Candidate]>, ProviderError> {
        if let Some(direct) = self.inner.direct(name) {
            return Ok(Arc::from(vec![direct.candidate()]));
        }
        Ok(Arc::clone(&self.inner.versions(name)?.candidates))
    }

    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<Arc<CandidateMetadata>, ProviderError> {
        if let Some(direct) = self.inner.direct(name)
            && direct.version == *version
        {
            return Ok(direct.candidate_metadata());
        }
        if let Some(dist_info) = self.inner.installed.get(&(name.clone(), version.clone())) {
            return installed_metadata(dist_info);
        }
        *self
            .inner
            .metadata_asked
            .lock()
            .expect("metadata counts lock")
            .entry(name.clone())
            .or_default() += 1;
        let project = self.inner.versions(name)?;
        let slots = project
            .versions
            .get(version)
            .ok_or_else(|| ProviderError::new(format!("{name} {version} is not on the index")))?;
        let wheel = match (project.best_wheel(slots), project.sdist(slots)) {
            (Some(wheel), _) if self.inner.wheel_allowed(name) => wheel,
            (_, Some(sdist)) => return self.inner.sdist_candidate_metadata(name, version, sdist),
            (Some(wheel), None) => wheel,
            (None, None) => {
                return Err(ProviderError::new(format!(
                    "{name}=={version} has no wheel compatible with the target interpreter, \
                     and no source distribution"
                )));
            }
        };
        let metadata = self
            .inner
            .runtime
            .block_on(self.inner.client.metadata(wheel))
            .map_err(|error| ProviderError::new(error.to_string()))?;
        Ok(Arc::new(CandidateMetadata {
            requires_dist: metadata.requires_dist.clone(),
            requires_python: metadata.requires_python.clone(),
        }))
    }

    fn on_decision(&self, name: &PackageName, version: &Version) {
        self.inner.start_download(name, version);
    }

    fn prefetch_metadata(&self, name: &PackageName, versions: &[Version]) {
        if self.inner.direct(name).is_some() || !self.inner.wheel_allowed(name) {
            return;
        }
        let Some(project) = self
            .inner
            .projects
            .lock()
            .expect("projects lock")
            .get(name)
            .cloned()
        else {
            return;
        };
        // Wheels only: an sdist's metadata may need a build, which waits until it is asked for.
        for version in versions {
            let Some(wheel) = project
                .versions
                .get(version)
                .and_then(|slots| project.best_wheel(slots))
            else {
                continue;
            };
            let client = self.inner.client.clone();
            let wheel = wheel.clone();
            self.inner.runtime.spawn(async move {
                let _ = client.metadata(&wheel).await;
            });
        }
    }

    fn on_discovered(&self, names: &[PackageName]) {
        for name in names {
            self.prefetch(name);
        }
    }
}

/// The dependencies of an installed distribution, from its `METADATA`.
fn installed_metadata(dist_info: &Path) -> Result<Arc<CandidateMetadata>, ProviderError> {
    let path = dist_info.join("METADATA");
    let content = fs_err::read(&path).map_err(|error| ProviderError::new(error.to_string()))?;
    let metadata = CoreMetadata::parse(&content)
        .map_err(|error| ProviderError::new(format!("{}: {error}", path.display())))?;
    Ok(Arc::new(CandidateMetadata {
        requires_dist: metadata.requires_dist,
        requires_python: metadata.requires_python,
    }))
}
