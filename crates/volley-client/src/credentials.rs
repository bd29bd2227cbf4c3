//! Credentials, and keeping them out of every output.
//!
//! Credentials arrive in URLs (`https://user:password@host/simple`, or a lone token as the user
//! name: `https://token@host/simple`), from a netrc file or from the keyring. They are taken out
//! of URLs before any request (`without_credentials`) and sent as an `Authorization: Basic`
//! header instead (see `authentication.rs`), so the URLs the client keeps, caches, reports and
//! puts into errors carry none.
//!
//! Whatever URL is shown anyway goes through [`redact`], which hides them the way pip's
//! `redact_auth_from_url` does: the password becomes `****` and the user name stays
//! (`https://user:****@host/simple`), or a lone user name, which may be a token, becomes
//! `****` (`https://****@host/simple`).

use std::fmt;

use url::Url;

/// A user name and, maybe, a password (percent-decoded).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    pub(crate) username: String,
    /// `None` for a lone user name (a token), sent with an empty password.
    pub(crate) password: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "****"))
            .finish()
    }
}

impl Credentials {
    pub(crate) fn new(username: impl Into<String>, password: Option<String>) -> Self {
        Self {
            username: username.into(),
            password,
        }
    }

    /// The credentials in `url`, percent-decoded; `None` when it has none.
    pub(crate) fn from_url(url: &Url) -> Option<Self> {
        if url.username().is_empty() && url.password().is_none() {
            return None;
        }
        let decode = |text: &str| {
            percent_encoding::percent_decode_str(text)
                .decode_utf8_lossy()
                .into_owned()
        };
        Some(Self {
            username: decode(url.username()),
            password: url.password().map(decode),
        })
    }

    pub(crate) fn has_password(&self) -> bool {
        self.password.is_some()
    }
}

/// `url` without its user name and password.
pub(crate) fn without_credentials(url: &Url) -> Url {
    let mut url = url.clone();
    // Both fail only for URLs that cannot carry credentials (no host), which have none.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url
}

/// `url` split into the URL without credentials and the credentials it carried.
pub(crate) fn split_credentials(url: &Url) -> (Url, Option<Credentials>) {
    match Credentials::from_url(url) {
        Some(credentials) => (without_credentials(url), Some(credentials)),
        None => (url.clone(), None),
    }
}

/// `url` as it may be shown: its password replaced by `****`, or, when it has a user name but
/// no password (a token), the user name replaced by `****`, as pip shows URLs.
///
/// ```
/// use url::Url;
/// use volley_client::redact;
///
/// let url = Url::parse("https://alice:s3cret@example.org/simple/").unwrap();
/// assert_eq!(redact(&url), "https://alice:****@example.org/simple/");
/// let url = Url::parse("https://0123abcd@example.org/simple/").unwrap();
/// assert_eq!(redact(&url), "https://****@example.org/simple/");
/// ```
pub fn redact(url: &Url) -> String {
    redacted_url(url).to_string()
}

/// [`redact`], as a URL (for errors and reporter events, which hold URLs).
pub(crate) fn redacted_url(url: &Url) -> Url {
    if url.username().is_empty() && url.password().is_none() {
        return url.clone();
    }
    let mut redacted = url.clone();
    // As above: only URLs with a host carry credentials, and those accept new ones.
    if url.password().is_some() {
        let _ = redacted.set_password(Some("****"));
    } else {
        let _ = redacted.set_username("****");
    }
    redacted
}

/// The `host[:port]` part of `url` as written (the port only when explicit), the second
/// service name pip asks the keyring about.
pub(crate) fn netloc(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_matches_pip() {
        let cases = [
            "https://user:pass@example.org/simple/",
            "https://user@example.org/simple/",
            "https://user:@example.org/simple/",
            "https://:pass@example.org/simple/",
            "https://us%40er:p%3Ass@example.org:8443/simple/?x=1",
            "https://example.org/simple/",
            "file:///tmp/wheels/",
        ];
        let redacted: Vec<String> = cases
            .iter()
            .map(|url| redact(&Url::parse(url).unwrap()))
            .collect();
        insta::assert_snapshot!(redacted.join("\n"), @r"
            https://user:****@example.org/simple/
            https://****@example.org/simple/
            https://****@example.org/simple/
            https://:****@example.org/simple/
            https://us%40er:****@example.org:8443/simple/?x=1
            https://example.org/simple/
            file:///tmp/wheels/
            ");
    }

    #[test]
    fn credentials_are_split_off_and_decoded() {
        let url = Url::parse("https://us%40er:p%3Ass@example.org/simple/").unwrap();
        let (clean, credentials) = split_credentials(&url);
        assert_eq!(clean.as_str(), "https://example.org/simple/");
        assert_eq!(
            credentials,
            Some(Credentials::new("us@er", Some("p:ss".to_string())))
        );
        let token = Url::parse("https://tok3n@example.org/").unwrap();
        assert_eq!(
            split_credentials(&token).1,
            Some(Credentials::new("tok3n", None))
        );
        assert_eq!(
            split_credentials(&Url::parse("https://example.org/").unwrap()).1,
            None
        );
        // The password never shows in debug output either.
        let debug = format!("{:?}", credentials.unwrap());
        assert!(!debug.contains("p:ss"), "{debug}");
    }

    #[test]
    fn netlocs() {
        assert_eq!(
            netloc(&Url::parse("https://u:p@example.org/simple").unwrap()),
            "example.org"
        );
        assert_eq!(
            netloc(&Url::parse("http://127.0.0.1:8080/simple").unwrap()),
            "127.0.0.1:8080"
        );
    }
}
