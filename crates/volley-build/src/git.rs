//! Git sources (`git+https://host/repo.git@rev`), fetched with the `git` command into the cache
//! and checked out once per commit.
//!
//! Start with [`Git::checkout`]. The steps, under a lock per repository:
//! 1. the revision is resolved to a full commit: a 40-digit hash is taken as is; otherwise
//!    `git ls-remote` is asked for the branch, then the tag (pip's order: a branch wins over a
//!    tag of the same name), then a full ref (`refs/pull/1/head`), or `HEAD` when no revision
//!    was given; a short hash is looked up in the cached repository, and when it is not there
//!    after fetching every branch and tag;
//! 2. the commit is fetched into a bare repository, `git-v1/db/<key>/`, unless it is already
//!    there (so a commit hash needs no network once cached);
//! 3. the commit is checked out into `git-v1/checkouts/<key>/<commit>/` (a local clone of the
//!    bare repository, submodules updated), unless that checkout is complete already.
//!
//! Traps:
//! - URLs may carry credentials (`https://user:token@host/...`): they are passed to git as
//!   given, but every message shows the URL redacted, and git's own output has the secret
//!   masked before it is quoted;
//! - annotated tags point to tag objects: `ls-remote` is asked for the peeled `^{}` entry, so
//!   the commit is what gets recorded;
//! - variables such as `GIT_DIR` (set when volley runs from a git hook) would redirect every
//!   command: they are removed from the commands' environment;
//! - `git` may be missing: `git --version` runs once, on the first git source, and its failure
//!   says so plainly;
//! - the bare repository has `gc.auto = 0`: fetched commits are kept by no ref, and an
//!   automatic gc would prune them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, OnceLock};

use url::Url;
use volley_cache::{Cache, CacheBucket, LockedFile, cache_key, temp_dir_in};

use crate::BuildError;
use crate::source::{redact_url, url_secrets};

/// Environment variables that would make git act on another repository than the one named.
const REDIRECTING_VARIABLES: [&str; 8] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
];

/// The marker of a complete checkout, inside its `.git` directory.
const CHECKOUT_DONE: &str = "volley-ok";

/// How many lines of git's output an error quotes.
const OUTPUT_LINES: usize = 20;

/// The `git` command and the cache's git bucket. Cheap to clone; safe to share between threads
/// (work on one repository is serialized by a lock, also between processes).
#[derive(Debug, Clone)]
pub struct Git {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    program: PathBuf,
    cache: Cache,
    /// `git --version`, asked once.
    version: OnceLock<Result<String, String>>,
}

/// A commit checked out in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitCheckout {
    /// The full commit hash the revision resolved to.
    pub commit: String,
    /// The working tree of the whole repository.
    pub root: PathBuf,
    /// The project: `root`, or its requested subdirectory.
    pub path: PathBuf,
}

impl Git {
    /// Git sources run `program` (`git`, found on `PATH`, or a path) and live in `cache`.
    /// Nothing runs until the first checkout.
    pub fn new(program: impl Into<PathBuf>, cache: Cache) -> Self {
        Self {
            inner: Arc::new(Inner {
                program: program.into(),
                cache,
                version: OnceLock::new(),
            }),
        }
    }

    /// Resolves `rev` (a branch, a tag, a full or short commit hash, a full ref; `HEAD` when
    /// `None`) of `repository` to a commit, and returns its checkout in the cache, with
    /// `subdirectory` applied. See the module documentation for the steps.
    pub fn checkout(
        &self,
        repository: &Url,
        rev: Option<&str>,
        subdirectory: Option<&str>,
    ) -> Result<GitCheckout, BuildError> {
        let remote = Remote { url: repository };
        self.check_available(&remote)?;
        let key = repository_key(repository);
        let bucket = self.inner.cache.bucket(CacheBucket::Git);
        let lock_path = bucket.join("db").join(format!("{key}.lock"));
        let _lock = LockedFile::acquire(&lock_path, || {
            tracing::debug!("waiting for another volley using {}", remote.redacted());
        })?;

        let db = self.database(&bucket, &key, &remote)?;
        let commit = self.resolve(&db, &remote, rev)?;
        tracing::debug!(
            "{}@{} is commit {commit}",
            remote.redacted(),
            rev.unwrap_or("HEAD")
        );
        let root = bucket.join("checkouts").join(&key).join(&commit);
        if root.join(".git").join(CHECKOUT_DONE).is_file() {
            tracing::debug!("reusing checkout {}", root.display());
        } else {
            self.check_out(&db, &remote, &commit, &root)?;
        }
        let path = match subdirectory {
            Some(subdirectory) => {
                let path = root.join(subdirectory);
                if !path.is_dir() {
                    return Err(BuildError::MissingSubdirectory {
                        subdirectory: subdirectory.to_string(),
                        location: format!("{}@{commit}", remote.redacted()),
                    });
                }
                path
            }
            None => root.clone(),
        };
        Ok(GitCheckout { commit, root, path })
    }

    fn check_available(&self, remote: &Remote<'_>) -> Result<(), BuildError> {
        let version = self.inner.version.get_or_init(|| {
            let output = self
                .command(None)
                .arg("--version")
                .output()
                .map_err(|error| error.to_string())?;
            if output.status.success() {
                let version = String::from_utf8_lossy(&output.stdout).trim().to_string();
                tracing::debug!("using {version}");
                Ok(version)
            } else {
                Err(format!(
                    "{} ({})",
                    String::from_utf8_lossy(&output.stderr).trim(),
                    output.status
                ))
            }
        });
        match version {
            Ok(_) => Ok(()),
            Err(message) => Err(BuildError::GitUnavailable {
                program: self.inner.program.clone(),
                repository: remote.redacted(),
                message: format!("{message}; install git, or make sure it is on PATH"),
            }),
        }
    }

    /// The bare repository for `key`, created when missing.
    fn database(
        &self,
        bucket: &Path,
        key: &str,
        remote: &Remote<'_>,
    ) -> Result<PathBuf, BuildError> {
        let db = bucket.join("db").join(key);
        if db.join("HEAD").is_file() {
            return Ok(db);
        }
        if db.exists() {
            // Left half-made by a process that was killed.
            fs_err::remove_dir_all(&db)?;
        }
        let temp = temp_dir_in(&bucket.join("db"))?;
        let mut command = self.command(None);
        command.args(["init", "--bare", "--quiet"]).arg(temp.path());
        self.run(command, "init", remote)?;
        let mut command = self.command(Some(temp.path()));
        command.args(["config", "gc.auto", "0"]);
        self.run(command, "config", remote)?;
        fs_err::rename(temp.keep(), &db)?;
        Ok(db)
    }

    /// Step 1 and 2 of the module documentation: the full commit `rev` names, fetched into
    /// `db`.
    fn resolve(
        &self,
        db: &Path,
        remote: &Remote<'_>,
        rev: Option<&str>,
    ) -> Result<String, BuildError> {
        let not_found = || BuildError::GitRevision {
            repository: remote.redacted(),
            rev: rev.unwrap_or("HEAD").to_string(),
        };
        if let Some(rev) = rev
            && is_hash(rev, 40)
        {
            let commit = rev.to_ascii_lowercase();
            if !self.has_commit(db, &commit) {
                // Servers speaking protocol v2 hand out any commit they have; older ones only
                // advertised refs, so fall back to fetching every branch and tag.
                let mut command = self.command(Some(db));
                command
                    .args(["fetch", "--quiet", "--no-tags", "--force"])
                    .arg(remote.url.as_str())
                    .arg(&commit);
                if self.run(command, "fetch", remote).is_err() || !self.has_commit(db, &commit) {
                    self.fetch_all(db, remote)?;
                }
                if !self.has_commit(db, &commit) {
                    return Err(not_found());
                }
            }
            return Ok(commit);
        }

        let wanted = rev.unwrap_or("HEAD");
        let candidates = ref_candidates(wanted);
        let mut command = self.command(None);
        command
            .arg("ls-remote")
            .arg(remote.url.as_str())
            .args(&candidates);
        let listing = self.run(command, "ls-remote", remote)?;
        let refs: Vec<(&str, &str)> = listing
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .collect();
        let found = candidates.iter().find_map(|candidate| {
            refs.iter()
                .find(|(_, name)| name == candidate)
                .map(|(hash, _)| (hash.to_string(), candidate.trim_end_matches("^{}")))
        });
        if let Some((hash, refname)) = found {
            if !self.has_commit(db, &hash) {
                let mut command = self.command(Some(db));
                command
                    .args(["fetch", "--quiet", "--no-tags", "--force"])
                    .arg(remote.url.as_str())
                    .arg(refname);
                self.run(command, "fetch", remote)?;
            }
            return self.commit_of(db, &hash).ok_or_else(not_found);
        }
        if is_hash(wanted, 4) {
            if let Some(commit) = self.commit_of(db, wanted) {
                return Ok(commit);
            }
            self.fetch_all(db, remote)?;
            return self.commit_of(db, wanted).ok_or_else(not_found);
        }
        Err(not_found())
    }

    /// Fetches every branch and tag of the remote into `db`.
    fn fetch_all(&self, db: &Path, remote: &Remote<'_>) -> Result<(), BuildError> {
        let mut command = self.command(Some(db));
        command
            .args(["fetch", "--quiet", "--force"])
            .arg(remote.url.as_str())
            .args([
                "+refs/heads/*:refs/remotes/origin/*",
                "+refs/tags/*:refs/tags/*",
            ]);
        self.run(command, "fetch", remote)?;
        Ok(())
    }

    /// Whether `db` has the commit (or the tag pointing to one) `hash`.
    fn has_commit(&self, db: &Path, hash: &str) -> bool {
        self.command(Some(db))
            .args(["cat-file", "-e", &format!("{hash}^{{commit}}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    /// The full commit hash `name` (a hash, short or full, or a tag object) stands for in `db`.
    fn commit_of(&self, db: &Path, name: &str) -> Option<String> {
        let output = self
            .command(Some(db))
            .args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
            .arg(format!("{name}^{{commit}}"))
            .stderr(Stdio::null())
            .output()
            .ok()?;
        let commit = String::from_utf8_lossy(&output.stdout).trim().to_string();
        (output.status.success() && is_hash(&commit, 40)).then_some(commit)
    }

    /// Step 3: a working tree of `commit` at `root`, made in a temporary directory next to it
    /// and renamed into place when complete.
    fn check_out(
        &self,
        db: &Path,
        remote: &Remote<'_>,
        commit: &str,
        root: &Path,
    ) -> Result<(), BuildError> {
        let parent = root.parent().expect("a checkout has a parent directory");
        if root.exists() {
            fs_err::remove_dir_all(root)?;
        }
        let temp = temp_dir_in(parent)?;
        let mut command = self.command(None);
        command
            .args(["clone", "--quiet", "--no-checkout"])
            .arg(db)
            .arg(temp.path());
        self.run(command, "clone", remote)?;
        let mut command = self.command(Some(temp.path()));
        command.args(["checkout", "--quiet", commit]);
        self.run(command, "checkout", remote)?;
        if temp.path().join(".gitmodules").is_file() {
            // Relative submodule URLs are relative to the real remote, not to the cache.
            let mut command = self.command(Some(temp.path()));
            command
                .args(["remote", "set-url", "origin"])
                .arg(remote.url.as_str());
            self.run(command, "remote", remote)?;
            let mut command = self.command(Some(temp.path()));
            command.args(["submodule", "update", "--init", "--recursive", "--quiet"]);
            self.run(command, "submodule", remote)?;
        }
        fs_err::write(temp.path().join(".git").join(CHECKOUT_DONE), commit)?;
        fs_err::rename(temp.keep(), root)?;
        tracing::debug!("checked out {} into {}", remote.redacted(), root.display());
        Ok(())
    }

    /// `git [-C directory]` with the redirecting variables removed and no stdin.
    fn command(&self, directory: Option<&Path>) -> Command {
        let mut command = Command::new(&self.inner.program);
        if let Some(directory) = directory {
            command.arg("-C").arg(directory);
        }
        for name in REDIRECTING_VARIABLES {
            command.env_remove(name);
        }
        command.stdin(Stdio::null());
        command
    }

    /// Runs `command` and returns its stdout; its output, secrets masked, is the error.
    fn run(
        &self,
        mut command: Command,
        name: &'static str,
        remote: &Remote<'_>,
    ) -> Result<String, BuildError> {
        let output = command.output().map_err(|error| BuildError::Git {
            command: name,
            repository: remote.redacted(),
            message: error.to_string(),
        })?;
        if output.status.success() {
            return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
        }
        let mut message = String::from_utf8_lossy(&output.stderr).trim().to_string();
        if message.is_empty() {
            message = String::from_utf8_lossy(&output.stdout).trim().to_string();
        }
        let lines: Vec<&str> = message.lines().collect();
        let mut message = lines[lines.len().saturating_sub(OUTPUT_LINES)..].join("\n");
        for secret in url_secrets(remote.url) {
            message = message.replace(&secret, "****");
        }
        Err(BuildError::Git {
            command: name,
            repository: remote.redacted(),
            message: format!("{message} ({})", output.status),
        })
    }
}

/// The repository URL a command works on, for messages.
struct Remote<'a> {
    url: &'a Url,
}

impl Remote<'_> {
    fn redacted(&self) -> String {
        redact_url(self.url)
    }
}

/// The cache key of a repository: its URL without credentials or trailing `/`, so that
/// different tokens for one repository share it.
pub(crate) fn repository_key(repository: &Url) -> String {
    let mut bare = repository.clone();
    let _ = bare.set_username("");
    let _ = bare.set_password(None);
    bare.set_fragment(None);
    cache_key(bare.as_str().trim_end_matches('/'))
}

/// The refs `ls-remote` is asked for, in order of preference.
fn ref_candidates(rev: &str) -> Vec<String> {
    if rev == "HEAD" {
        return vec!["HEAD".to_string()];
    }
    let mut candidates = vec![
        format!("refs/heads/{rev}"),
        format!("refs/tags/{rev}^{{}}"),
        format!("refs/tags/{rev}"),
    ];
    if rev.starts_with("refs/") {
        candidates.push(format!("{rev}^{{}}"));
        candidates.push(rev.to_string());
    }
    candidates
}

/// Whether `text` is between `min` and 40 hex digits.
fn is_hash(text: &str, min: usize) -> bool {
    (min..=40).contains(&text.len()) && text.bytes().all(|byte| byte.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;

    /// A repository made for the test with the machine's git, without reading any git
    /// configuration.
    struct Repository {
        _dir: tempfile::TempDir,
        path: PathBuf,
    }

    impl Repository {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("repo");
            fs_err::create_dir_all(&path).unwrap();
            let repository = Self { _dir: dir, path };
            repository.git(&["init", "--quiet", "--initial-branch=main"]);
            repository
        }

        fn git(&self, args: &[&str]) -> String {
            let mut command = Command::new("git");
            for name in REDIRECTING_VARIABLES {
                command.env_remove(name);
            }
            let output = command
                .current_dir(&self.path)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_AUTHOR_NAME", "Test")
                .env("GIT_AUTHOR_EMAIL", "test@example.com")
                .env("GIT_COMMITTER_NAME", "Test")
                .env("GIT_COMMITTER_EMAIL", "test@example.com")
                .args([
                    "-c",
                    "user.name=Test",
                    "-c",
                    "user.email=test@example.com",
                    "-c",
                    "commit.gpgsign=false",
                    "-c",
                    "tag.gpgsign=false",
                ])
                .args(args)
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "git {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            String::from_utf8(output.stdout).unwrap().trim().to_string()
        }

        fn commit(&self, file: &str, content: &str) -> String {
            let path = self.path.join(file);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, content).unwrap();
            self.git(&["add", "--all"]);
            self.git(&["commit", "--quiet", "-m", content]);
            self.git(&["rev-parse", "HEAD"])
        }

        fn url(&self) -> Url {
            Url::from_directory_path(&self.path).unwrap()
        }
    }

    fn read(checkout: &GitCheckout, file: &str) -> String {
        fs_err::read_to_string(checkout.root.join(file)).unwrap()
    }

    #[test]
    fn resolves_branches_tags_and_hashes() {
        let repository = Repository::new();
        let first = repository.commit("version.txt", "one");
        repository.git(&["tag", "--annotate", "v1.0", "--message", "release"]);
        repository.git(&["tag", "light"]);
        let second = repository.commit("sub/pkg/version.txt", "two");
        repository.git(&["branch", "feature/x"]);
        let third = repository.commit("version.txt", "three");
        let cache = Cache::temp().unwrap();
        let git = Git::new("git", cache.clone());
        let url = repository.url();

        let head = git.checkout(&url, None, None).unwrap();
        assert_eq!(head.commit, third);
        assert_eq!(read(&head, "version.txt"), "three");
        assert_eq!(
            git.checkout(&url, Some("main"), None).unwrap().commit,
            third
        );

        // An annotated tag resolves to its commit, not to the tag object.
        let tag = git.checkout(&url, Some("v1.0"), None).unwrap();
        assert_eq!(tag.commit, first);
        assert_eq!(read(&tag, "version.txt"), "one");
        assert!(!tag.root.join("sub").exists());
        assert_eq!(
            git.checkout(&url, Some("light"), None).unwrap().commit,
            first
        );

        let branch = git
            .checkout(&url, Some("feature/x"), Some("sub/pkg"))
            .unwrap();
        assert_eq!(branch.commit, second);
        assert_eq!(branch.path, branch.root.join("sub/pkg"));
        assert_eq!(
            fs_err::read_to_string(branch.path.join("version.txt")).unwrap(),
            "two"
        );
        assert_eq!(
            git.checkout(&url, Some("refs/heads/feature/x"), None)
                .unwrap()
                .commit,
            second
        );

        // A short hash of a commit no ref points to any more is found by fetching everything.
        let short = git.checkout(&url, Some(&second[..8]), None).unwrap();
        assert_eq!(short.commit, second);
        let full = git
            .checkout(&url, Some(&first.to_uppercase()), None)
            .unwrap();
        assert_eq!(full.commit, first);

        let key = repository_key(&url);
        assert_eq!(
            head.root,
            cache
                .root()
                .join("git-v1/checkouts")
                .join(&key)
                .join(&third)
        );
        assert!(
            cache
                .root()
                .join("git-v1/db")
                .join(&key)
                .join("HEAD")
                .is_file()
        );
    }

    #[test]
    fn a_checkout_is_reused_and_a_known_commit_needs_no_remote() {
        let repository = Repository::new();
        let commit = repository.commit("version.txt", "one");
        let cache = Cache::temp().unwrap();
        let git = Git::new("git", cache);
        let url = repository.url();
        let first = git.checkout(&url, Some("main"), None).unwrap();
        let marker = first.root.join(".git").join(CHECKOUT_DONE);
        let made: SystemTime = fs_err::metadata(&marker).unwrap().modified().unwrap();
        fs_err::write(first.root.join("left-by-test"), "").unwrap();

        let second = git.checkout(&url, Some("main"), None).unwrap();
        assert_eq!(second, first);
        assert!(second.root.join("left-by-test").is_file());
        assert_eq!(fs_err::metadata(&marker).unwrap().modified().unwrap(), made);

        // Once the commit is cached, naming it by hash does not touch the remote at all.
        fs_err::remove_dir_all(&repository.path).unwrap();
        let offline = git.checkout(&url, Some(&commit), None).unwrap();
        assert_eq!(offline, first);
        let error = git.checkout(&url, Some("main"), None).unwrap_err();
        assert!(
            matches!(
                error,
                BuildError::Git {
                    command: "ls-remote",
                    ..
                }
            ),
            "{error}"
        );
    }

    #[test]
    fn a_half_made_checkout_is_redone() {
        let repository = Repository::new();
        repository.commit("version.txt", "one");
        let git = Git::new("git", Cache::temp().unwrap());
        let checkout = git.checkout(&repository.url(), None, None).unwrap();
        fs_err::remove_file(checkout.root.join(".git").join(CHECKOUT_DONE)).unwrap();
        fs_err::remove_file(checkout.root.join("version.txt")).unwrap();
        let again = git.checkout(&repository.url(), None, None).unwrap();
        assert_eq!(read(&again, "version.txt"), "one");
    }

    #[test]
    fn errors_name_the_repository_without_secrets() {
        let repository = Repository::new();
        repository.commit("version.txt", "one");
        let git = Git::new("git", Cache::temp().unwrap());
        let url = repository.url();
        let path = repository.path.display().to_string();
        let message = |error: BuildError| error.to_string().replace(&path, "[REPO]");

        let error = git.checkout(&url, Some("nope"), None).unwrap_err();
        insta::assert_snapshot!(message(error), @r#"
        file://[REPO]/ has no branch, tag or commit "nope"
        "#);
        let error = git.checkout(&url, Some("abcdef12"), None).unwrap_err();
        insta::assert_snapshot!(message(error), @r#"file://[REPO]/ has no branch, tag or commit "abcdef12""#);
        let error = git.checkout(&url, None, Some("missing")).unwrap_err();
        let text = message(error);
        assert!(
            text.starts_with("subdirectory \"missing\" does not exist in file://[REPO]/@"),
            "{text}"
        );

        let secret = Url::parse("https://user:hunter2@127.0.0.1:9/repo.git").unwrap();
        let error = git.checkout(&secret, None, None).unwrap_err().to_string();
        assert!(!error.contains("hunter2"), "{error}");
        assert!(
            error
                .starts_with("`git ls-remote` failed for https://user:****@127.0.0.1:9/repo.git: "),
            "{error}"
        );
    }

    #[test]
    fn a_missing_git_is_reported_once_plainly() {
        let git = Git::new("/nonexistent/git", Cache::temp().unwrap());
        let url = Url::parse("https://host/repo.git").unwrap();
        let error = git.checkout(&url, None, None).unwrap_err();
        insta::assert_snapshot!(error.to_string(), @r#"
        git is needed for https://host/repo.git, but `/nonexistent/git --version` failed: No such file or directory (os error 2); install git, or make sure it is on PATH
        "#);
    }

    #[test]
    fn keys_ignore_credentials_and_trailing_slashes() {
        let key = |text: &str| repository_key(&Url::parse(text).unwrap());
        assert_eq!(
            key("https://host/repo.git"),
            key("https://a:b@host/repo.git")
        );
        assert_eq!(key("https://host/repo/"), key("https://host/repo"));
        assert_ne!(key("https://host/repo.git"), key("https://host/other.git"));
        assert!(is_hash("0123abcd", 4));
        assert!(!is_hash("v1.0", 4));
        assert!(!is_hash(&"a".repeat(41), 4));
    }
}
