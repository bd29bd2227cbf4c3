//! What the resolver benches share: an in-memory index and a target interpreter.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use volley_packaging::{MarkerEnvironment, MarkerEnvironmentBuilder, PackageName, Version};
use volley_resolver::{Candidate, CandidateMetadata, Provider, ProviderError, ResolverOptions};

/// Versions and metadata, answered from maps.
#[derive(Default)]
pub struct MemoryIndex {
    pub versions: HashMap<PackageName, Arc<[Candidate]>>,
    pub metadata: HashMap<(PackageName, Version), Arc<CandidateMetadata>>,
}

impl Provider for MemoryIndex {
    fn versions(&self, name: &PackageName) -> Result<Arc<[Candidate]>, ProviderError> {
        Ok(self
            .versions
            .get(name)
            .cloned()
            .unwrap_or_else(|| Arc::from([])))
    }

    fn metadata(
        &self,
        name: &PackageName,
        version: &Version,
    ) -> Result<Arc<CandidateMetadata>, ProviderError> {
        self.metadata
            .get(&(name.clone(), version.clone()))
            .cloned()
            .ok_or_else(|| ProviderError::new(format!("no metadata for {name} {version}")))
    }
}

/// CPython 3.12.1 on x86_64 Linux.
pub fn options() -> ResolverOptions {
    let markers = MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: "3.12.1",
        os_name: "posix",
        platform_machine: "x86_64",
        platform_python_implementation: "CPython",
        platform_release: "6.1.0",
        platform_system: "Linux",
        platform_version: "#1 SMP",
        python_full_version: "3.12.1",
        python_version: "3.12",
        sys_platform: "linux",
    })
    .unwrap();
    ResolverOptions::new(markers, Version::from_str("3.12.1").unwrap())
}
