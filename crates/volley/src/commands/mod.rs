//! One file per command. Each parses nothing itself: it takes the clap structs, builds its
//! settings through `settings.rs`, calls the libraries and renders the result.

mod cache;
mod check;
mod compile;
mod conflicts;
mod download;
mod environment;
mod freeze;
mod install;
mod list;
mod pylock;
pub(crate) mod request;
mod resolve;
mod show;
mod uninstall;
mod wheel;

pub use cache::cache;
pub use check::check;
pub use compile::compile;
pub use download::download;
pub use freeze::freeze;
pub use install::install;
pub use list::list;
pub use show::show;
pub use uninstall::uninstall;
pub use wheel::{WheelArgs, wheel};

/// A hint for errors volley knows how to help with.
pub fn hint_for(error: &anyhow::Error) -> Option<String> {
    for cause in error.chain() {
        if let Some(refusal) = cause.downcast_ref::<uninstall::UninstallRefusal>() {
            return Some(refusal.hint());
        }
        if cause
            .downcast_ref::<crate::destination::ExternallyManagedError>()
            .is_some()
        {
            return Some(crate::destination::ExternallyManagedError::hint().to_string());
        }
        if let Some(volley_python::PythonError::NotFound { .. }) =
            cause.downcast_ref::<volley_python::PythonError>()
        {
            return Some(
                "create a virtual environment with `python3 -m venv .venv`, pass \
                 `--python PATH`, or use `--system` to install into the python3 on PATH \
                 (`--user` alone installs into its user site-packages)"
                    .to_string(),
            );
        }
        if let Some(volley_resolver::ResolveError::NoSolution(_)) =
            cause.downcast_ref::<volley_resolver::ResolveError>()
        {
            return None;
        }
    }
    None
}
