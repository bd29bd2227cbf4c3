//! Why a resolution did not produce a [`crate::Resolution`].

use crate::provider::ProviderError;
use crate::report::NoSolutionReport;

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// The requirements cannot all be met; the report explains why, with hints.
    #[error("no solution found when resolving dependencies:\n{0}")]
    NoSolution(NoSolutionReport),
    /// The provider failed (network, index or metadata trouble); its message is shown as is.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// A user requirement names a direct URL, which the resolver cannot use yet.
    #[error("requirement \"{0}\" points to a URL, which volley cannot resolve yet")]
    UrlRequirement(String),
}
