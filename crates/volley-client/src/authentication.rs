//! Which credentials go with a request, and what to do after a `401 Unauthorized`: pip's
//! `MultiDomainBasicAuth`, minus the prompts.
//!
//! Credentials belong to an origin (scheme, host and port): those of an index URL are sent
//! with every request to its origin, index pages and files alike (files often live on another
//! path of the same host), and never to another origin. For a request, the first of:
//! 1. credentials in the request's own URL, with a password (a link that carries them);
//! 2. credentials learned earlier in the run for the origin: from such a URL, or from the
//!    keyring after a 401;
//! 3. the credentials of the index URL on this origin (the one sharing the longest path with
//!    the request, when several are), with a password;
//! 4. the netrc entry for the host (or its `default` entry);
//! 5. a user name alone (from the URL or the index URL): with the keyring enabled, it is asked
//!    for the password up front (saving a 401); otherwise, or when it has none, the user name
//!    is sent with an empty password, as pip sends a token.
//!
//! After a 401, the keyring (when enabled) is asked about the index URL on this origin, then
//! about the bare `host[:port]`, as pip does; an answer other than what was sent is kept for
//! the origin and the request is sent once more with it. A second 401 is the request's error.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use url::{Origin, Url};

use crate::credentials::{Credentials, netloc, split_credentials};
use crate::keyring::Keyring;
use crate::netrc::Netrc;

/// The credentials known to a client, and those it learns during the run.
#[derive(Debug)]
pub(crate) struct Authenticator {
    /// Every index URL, without credentials and ending in `/` (keyring service names), with
    /// the credentials it carried.
    indexes: Vec<(Url, Option<Credentials>)>,
    netrc: Option<Netrc>,
    keyring: Option<Keyring>,
    /// Credentials learned in this run, by origin.
    learned: Mutex<HashMap<Origin, Credentials>>,
}

impl Authenticator {
    pub(crate) fn new(index_urls: &[Url], netrc: Option<Netrc>, keyring: Option<Keyring>) -> Self {
        let indexes = index_urls
            .iter()
            .map(|url| {
                let (mut clean, credentials) = split_credentials(url);
                if !clean.path().ends_with('/') {
                    let path = format!("{}/", clean.path());
                    clean.set_path(&path);
                }
                (clean, credentials)
            })
            .collect();
        Self {
            indexes,
            netrc,
            keyring,
            learned: Mutex::new(HashMap::new()),
        }
    }

    /// The credentials to send to `url` (without credentials), whose own were `embedded`.
    pub(crate) async fn credentials(
        &self,
        url: &Url,
        embedded: Option<Credentials>,
    ) -> Option<Credentials> {
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        if let Some(embedded) = embedded.as_ref().filter(|found| found.has_password()) {
            self.learn(url, embedded.clone());
            return Some(embedded.clone());
        }
        if let Some(learned) = self.learned(url) {
            return Some(learned);
        }
        let index = self.index_for(url);
        if let Some(credentials) = index
            .and_then(|(_, credentials)| credentials.as_ref())
            .filter(|credentials| credentials.has_password())
        {
            return Some(credentials.clone());
        }
        if let Some(found) = self
            .netrc
            .as_ref()
            .and_then(|netrc| netrc.credentials(url.host_str()?))
        {
            tracing::debug!("using credentials from the netrc file for {}", netloc(url));
            return Some(found);
        }
        let username = embedded
            .or_else(|| index.and_then(|(_, credentials)| credentials.clone()))?
            .username;
        if let Some(found) = self.ask_keyring(url, Some(&username)).await {
            self.learn(url, found.clone());
            return Some(found);
        }
        Some(Credentials::new(username, None))
    }

    /// After `url` answered 401 to a request sent with `sent`: credentials to try once more,
    /// from the keyring, when it has some other than `sent`.
    pub(crate) async fn after_unauthorized(
        &self,
        url: &Url,
        sent: Option<&Credentials>,
    ) -> Option<Credentials> {
        self.keyring.as_ref()?;
        let username = sent.map(|sent| sent.username.clone()).or_else(|| {
            self.index_for(url)
                .and_then(|(_, credentials)| credentials.as_ref())
                .map(|credentials| credentials.username.clone())
        });
        let found = self
            .ask_keyring(url, username.as_deref().filter(|name| !name.is_empty()))
            .await?;
        if sent == Some(&found) {
            return None;
        }
        self.learn(url, found.clone());
        Some(found)
    }

    /// The keyring's credentials for `url`: asked about its index URL first (more specific),
    /// then about its `host[:port]`.
    async fn ask_keyring(&self, url: &Url, username: Option<&str>) -> Option<Credentials> {
        let keyring = self.keyring.as_ref()?;
        if let Some((index, _)) = self.index_for(url)
            && let Some(found) = keyring.credentials(index.as_str(), username).await
        {
            return Some(found);
        }
        keyring.credentials(&netloc(url), username).await
    }

    /// The index on the origin of `url` that shares the longest path with it (the first of
    /// those that share as much).
    fn index_for(&self, url: &Url) -> Option<&(Url, Option<Credentials>)> {
        let origin = url.origin();
        self.indexes
            .iter()
            .filter(|(index, _)| index.origin() == origin)
            .rev()
            .max_by_key(|(index, _)| common_path_length(index.path(), url.path()))
    }

    fn learned(&self, url: &Url) -> Option<Credentials> {
        self.learned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&url.origin())
            .cloned()
    }

    fn learn(&self, url: &Url, credentials: Credentials) {
        self.learned
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(url.origin(), credentials);
    }
}

/// The length of the longest common prefix of two paths that ends at a `/`, as pip ranks
/// the index URLs of one host.
fn common_path_length(a: &str, b: &str) -> usize {
    let common = a.bytes().zip(b.bytes()).take_while(|(a, b)| a == b).count();
    a[..common].rfind('/').map_or(0, |slash| slash + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    fn show(credentials: Option<Credentials>) -> String {
        match credentials {
            Some(credentials) => format!(
                "{}:{}",
                credentials.username,
                credentials.password.as_deref().unwrap_or("<none>")
            ),
            None => "-".to_string(),
        }
    }

    async fn for_url(authenticator: &Authenticator, text: &str) -> String {
        let (clean, embedded) = split_credentials(&url(text));
        show(authenticator.credentials(&clean, embedded).await)
    }

    #[tokio::test]
    async fn index_credentials_go_to_their_origin_only() {
        let authenticator = Authenticator::new(
            &[
                url("https://alice:pw1@a.example.org/simple"),
                url("https://bob:pw2@a.example.org/team/simple/"),
                url("https://token@b.example.org/simple"),
                url("https://c.example.org/simple"),
            ],
            Netrc::parse("machine c.example.org login carol password pw3").ok(),
            None,
        );
        let mut lines = Vec::new();
        for request in [
            "https://a.example.org/simple/flask/",
            "https://a.example.org/packages/flask-1.0.tar.gz",
            "https://a.example.org/team/simple/flask/",
            "http://a.example.org/simple/flask/",
            "https://a.example.org:8443/simple/flask/",
            "https://b.example.org/simple/flask/",
            "https://c.example.org/simple/flask/",
            "https://d.example.org/simple/flask/",
            "https://dave:pw4@d.example.org/f.whl",
        ] {
            lines.push(format!(
                "{request} {}",
                for_url(&authenticator, request).await
            ));
        }
        // The URL's own credentials are kept for their origin.
        lines.push(format!(
            "after: {}",
            for_url(&authenticator, "https://d.example.org/other.whl").await
        ));
        insta::assert_snapshot!(lines.join("\n"), @r"
            https://a.example.org/simple/flask/ alice:pw1
            https://a.example.org/packages/flask-1.0.tar.gz alice:pw1
            https://a.example.org/team/simple/flask/ bob:pw2
            http://a.example.org/simple/flask/ -
            https://a.example.org:8443/simple/flask/ -
            https://b.example.org/simple/flask/ token:<none>
            https://c.example.org/simple/flask/ carol:pw3
            https://d.example.org/simple/flask/ -
            https://dave:pw4@d.example.org/f.whl dave:pw4
            after: dave:pw4
            ");
    }

    #[test]
    fn common_paths_end_at_a_slash() {
        assert_eq!(common_path_length("/simple/", "/simple/flask/"), 8);
        assert_eq!(common_path_length("/team/simple/", "/simple/flask/"), 1);
        assert_eq!(common_path_length("/simple2/", "/simple/flask/"), 1);
        assert_eq!(common_path_length("", "/x"), 0);
    }
}
