//! The [`BuildRequirementsInstaller`] of isolated builds: `build-system.requires` (and what
//! `get_requires_for_build_*` adds) resolved with volley's own resolver against the same
//! indexes, downloaded through the same client (so the same cache), and installed with the
//! `Installer` into the build venv.
//!
//! The builder calls [`IndexBuildInstaller::install`] from the blocking thread that runs the
//! build, so the nested resolution blocks that thread on the runtime (`Handle::block_on`), as
//! the main resolution does.
//!
//! Traps:
//! - the installer is called twice for most builds: with `build-system.requires`, then with
//!   those together with what `get_requires_for_build_*` returned. The second call resolves the
//!   whole set again and installs only the difference: what the environment lacks, and a
//!   distribution whose resolved version changed replaces the one there (as pip's second
//!   `install` into the build environment does), so that each distribution is there once;
//! - a build requirement with no compatible wheel would need a build of its own, and a build
//!   that (indirectly) requires itself would wait for its own build-cache lock forever; build
//!   requirements are therefore installed from wheels only, and the error says which one had
//!   none;
//! - the build venv has its own interpreter, but it is made from the target interpreter, so
//!   the target's tags and markers hold for it.

use std::sync::Arc;

use tokio::runtime::Handle;
use volley_build::{BuildEnvironmentInfo, BuildRequirementsInstaller};
use volley_client::RegistryClient;
use volley_installer::{InstallPlan, Installer, InstallerOptions, Layout, PlannedInstall};
use volley_packaging::Requirement;
use volley_resolver::{BinaryPolicy, NameSet, PrereleaseMode, ResolverOptions, Upgrade};

use crate::prepare::Preparer;
use crate::progress::ProgressReporter;
use crate::provider::{IndexProvider, Target};
use crate::target::TargetPlatform;

/// Installs build requirements from the indexes the command uses.
pub struct IndexBuildInstaller {
    pub client: RegistryClient,
    pub runtime: Handle,
    pub platform: TargetPlatform,
    /// `(major, minor)` of the target interpreter, for the venv's layout.
    pub python_version: (u8, u8),
    pub preparer: Arc<Preparer>,
    pub reporter: Arc<ProgressReporter>,
}

impl BuildRequirementsInstaller for IndexBuildInstaller {
    fn install(
        &self,
        requirements: &[Requirement],
        environment: &BuildEnvironmentInfo,
    ) -> Result<(), String> {
        if requirements.is_empty() {
            return Ok(());
        }
        let target = Target {
            tags: self.platform.tags.clone(),
            markers: self.platform.markers.clone(),
            python_version: self.platform.python_version.clone(),
            installed: Default::default(),
            requested: Default::default(),
            all_files: false,
        };
        let provider = IndexProvider::new(
            self.client.clone(),
            self.runtime.clone(),
            target,
            self.reporter.clone(),
            None,
        );
        for requirement in requirements {
            provider.prefetch(&requirement.name);
        }
        let options = ResolverOptions {
            markers: self.platform.markers.clone(),
            python_version: self.platform.python_version.clone(),
            prerelease: PrereleaseMode::Disallow,
            constraints: environment.constraints.clone(),
            installed: Default::default(),
            upgrade: Upgrade::All,
            reinstall: false,
            no_deps: false,
            binary: BinaryPolicy {
                only_binary: NameSet::All,
                no_binary: NameSet::default(),
                prefer_binary: false,
            },
        };
        let resolution =
            volley_resolver::resolve(requirements, &options, &provider).map_err(|error| {
                format!(
                    "no build environment satisfies them (volley installs build requirements \
                     from wheels only, so that no build can need itself): {error}"
                )
            })?;
        // What an earlier call put into this environment stays when its version still holds.
        let present = volley_python::InstalledDist::scan(&environment.site_packages)
            .map_err(|error| error.to_string())?;
        let mut install = Vec::new();
        let mut remove = Vec::new();
        for package in &resolution.packages {
            if let Some(dist) = present.iter().find(|dist| dist.name == package.name) {
                if dist.version == package.version {
                    continue;
                }
                remove.push(dist.dist_info.clone());
            }
            let file = provider
                .files(&package.name, &package.version)
                .and_then(|files| files.best_wheel.map(|(_, file)| file))
                .ok_or_else(|| {
                    format!(
                        "{}=={} has no wheel compatible with the build environment, and volley \
                         builds build requirements from wheels only",
                        package.name, package.version
                    )
                })?;
            let wheel = self
                .runtime
                .block_on(self.preparer.get(&file))
                .map_err(|error| format!("{error:#}"))?;
            install.push(PlannedInstall {
                wheel,
                requested: true,
                direct_url: None,
            });
        }
        let layout = Layout {
            purelib: environment.site_packages.clone(),
            platlib: environment.site_packages.clone(),
            scripts: environment.scripts.clone(),
            data: environment.root.clone(),
            headers: environment.root.join("include"),
            python_executable: environment.python.clone(),
            python_version: self.python_version,
        };
        let installer = Installer::new(
            layout,
            InstallerOptions {
                link_mode: volley_installer::LinkMode::default(),
                threads: 4,
                installer_name: "volley".to_string(),
                compile: None,
                lock_path: environment.root.join(".lock"),
            },
        );
        if install.is_empty() && remove.is_empty() {
            return Ok(());
        }
        let count = install.len();
        let plan = InstallPlan { install, remove };
        installer
            .execute(&plan, &(), || {})
            .map_err(|error| error.to_string())?;
        tracing::debug!(
            "installed {count} build requirements into {}",
            environment.root.display()
        );
        Ok(())
    }
}
