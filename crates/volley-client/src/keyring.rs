//! Credentials from the `keyring` command, run as a subprocess as pip's
//! `--keyring-provider subprocess` runs it.
//!
//! With a user name known (from the index URL, or sent before), pip's call:
//! `keyring get <service> <username>` prints the password. Without one, the call that mirrors
//! keyring's `get_credential` (what pip's in-process provider uses):
//! `keyring --mode creds get <service>` prints the user name and the password on two lines
//! (keyring 25.2 and later; older versions fail, which counts as no answer). A non-zero exit
//! is no answer. The command runs with `PYTHONIOENCODING=utf-8`, no standard input, and its
//! standard error discarded, as in pip.
//!
//! Each question (service, user name) is asked once per run, even by requests that need the
//! answer at the same time; the answer, or its absence, is kept. A command that cannot be
//! started at all disables the keyring for the rest of the run, as pip does after an error.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::OnceCell;

use crate::credentials::Credentials;

/// Whether the keyring is asked for credentials (`--keyring-provider`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum KeyringProvider {
    /// Never (the default, as in pip when `keyring` is not installed).
    #[default]
    Disabled,
    /// Run the `keyring` command ([`ClientOptions::keyring_command`](crate::ClientOptions))
    /// after a `401 Unauthorized`, and up front for an index URL with a user name but no
    /// password.
    Subprocess,
}

type Question = (String, Option<String>);

/// The keyring command and the answers it gave in this run.
#[derive(Debug)]
pub(crate) struct Keyring {
    command: PathBuf,
    answers: Mutex<HashMap<Question, Arc<OnceCell<Option<Credentials>>>>>,
    disabled: AtomicBool,
}

impl Keyring {
    pub(crate) fn new(command: PathBuf) -> Self {
        Self {
            command,
            answers: Mutex::new(HashMap::new()),
            disabled: AtomicBool::new(false),
        }
    }

    /// The credentials the keyring holds for `service` (and `username`, when known).
    pub(crate) async fn credentials(
        &self,
        service: &str,
        username: Option<&str>,
    ) -> Option<Credentials> {
        let answer = {
            let mut answers = self.answers.lock().unwrap_or_else(PoisonError::into_inner);
            let question = (service.to_string(), username.map(str::to_string));
            Arc::clone(answers.entry(question).or_default())
        };
        answer
            .get_or_init(|| self.ask(service, username))
            .await
            .clone()
    }

    async fn ask(&self, service: &str, username: Option<&str>) -> Option<Credentials> {
        if self.disabled.load(Ordering::Relaxed) {
            return None;
        }
        let mut command = tokio::process::Command::new(&self.command);
        match username {
            Some(username) => command.args(["get", service, username]),
            None => command.args(["--mode", "creds", "get", service]),
        };
        command
            .env("PYTHONIOENCODING", "utf-8")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        tracing::debug!(
            "asking the keyring ({}) for {service} (user {})",
            self.command.display(),
            username.unwrap_or("unknown")
        );
        let output = match command.output().await {
            Ok(output) => output,
            Err(error) => {
                tracing::warn!(
                    "keyring is skipped: failed to run \"{}\": {error}",
                    self.command.display()
                );
                self.disabled.store(true, Ordering::Relaxed);
                return None;
            }
        };
        if !output.status.success() {
            tracing::debug!("the keyring has no credentials for {service}");
            return None;
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let text = text.trim_matches(['\r', '\n']);
        match username {
            Some(username) => Some(Credentials::new(username, Some(text.to_string()))),
            None => {
                let mut lines = text.lines();
                let (Some(username), Some(password)) = (lines.next(), lines.next()) else {
                    tracing::debug!("the keyring gave no user name and password for {service}");
                    return None;
                };
                Some(Credentials::new(username, Some(password.to_string())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fake `keyring` that logs its arguments and knows one password and one credential.
    fn fake_keyring(dir: &std::path::Path) -> PathBuf {
        let script = dir.join("keyring");
        let log = dir.join("calls.log");
        volley_test_support::write_script(
            &script,
            &format!(
                r#"#!/bin/sh
echo "$@" >> "{}"
case "$*" in
  "get https://example.org/simple/ alice") echo "s3cret" ;;
  "--mode creds get example.org") printf 'bob\npw2\n' ;;
  *) exit 1 ;;
esac
"#,
                log.display()
            ),
        );
        script
    }

    fn show(credentials: Option<Credentials>) -> String {
        credentials.map_or("-".to_string(), |credentials| {
            format!(
                "{}:{}",
                credentials.username,
                credentials.password.unwrap_or_default()
            )
        })
    }

    #[tokio::test]
    async fn asks_once_per_question() {
        let dir = tempfile::tempdir().unwrap();
        let keyring = Keyring::new(fake_keyring(dir.path()));
        let answers = futures::future::join_all(
            (0..5).map(|_| keyring.credentials("https://example.org/simple/", Some("alice"))),
        )
        .await;
        assert!(
            answers
                .iter()
                .all(|answer| show(answer.clone()) == "alice:s3cret")
        );
        let lines = [
            show(keyring.credentials("example.org", None).await),
            show(keyring.credentials("example.org", Some("carol")).await),
            show(keyring.credentials("other.org", None).await),
            show(keyring.credentials("other.org", None).await),
        ];
        insta::assert_snapshot!(lines.join("\n"), @r"
            bob:pw2
            -
            -
            -
            ");
        let calls = fs_err::read_to_string(dir.path().join("calls.log")).unwrap();
        insta::assert_snapshot!(calls, @r"
            get https://example.org/simple/ alice
            --mode creds get example.org
            get example.org carol
            --mode creds get other.org
            ");
    }

    #[tokio::test]
    async fn a_missing_command_disables_the_keyring() {
        let dir = tempfile::tempdir().unwrap();
        let keyring = Keyring::new(dir.path().join("no-such-keyring"));
        assert_eq!(keyring.credentials("example.org", Some("u")).await, None);
        assert!(keyring.disabled.load(Ordering::Relaxed));
        // Not even a working command is run afterwards.
        let keyring = Keyring {
            command: fake_keyring(dir.path()),
            ..keyring
        };
        assert_eq!(
            keyring
                .credentials("https://example.org/simple/", Some("alice"))
                .await,
            None
        );
        assert!(!dir.path().join("calls.log").exists());
    }
}
