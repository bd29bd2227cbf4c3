//! One file per command. Each parses nothing itself: it takes the clap structs, builds its
//! settings through `settings.rs`, calls the libraries and renders the result.

mod cache;
mod check;
mod compile;
mod conflicts;
mod download;
mod environment;
mod freeze;
mod groups;
mod hash;
mod index;
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
pub use hash::hash;
pub use index::index;
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
        // Network errors reach here through the resolver and the download collection as text.
        let text = cause.to_string();
        if text.contains("invalid peer certificate") {
            return Some(certificate_hint(&text));
        }
        if let Some(volley_resolver::ResolveError::NoSolution(_)) =
            cause.downcast_ref::<volley_resolver::ResolveError>()
        {
            return None;
        }
    }
    None
}

/// What to do about a server certificate that is not trusted, and which certificates were.
fn certificate_hint(reason: &str) -> String {
    let store = crate::settings::trust_store().unwrap_or("the system's certificates");
    let authority = if reason.contains("CaUsedAsEndEntity") {
        " The server's certificate is marked as a certificate authority (CA:TRUE, as `openssl \
         req -x509` makes them by default); volley accepts it when it is in the file given."
    } else {
        ""
    };
    format!(
        "volley trusted {store}. Pass --cert PATH with the index's certificate or its \
         authority's (PATH's certificates only are then trusted), set SSL_CERT_FILE=PATH to \
         trust them as well as the system's, or pass --trusted-host HOST to skip the check for \
         that host.{authority}"
    )
}
