//! Editable checkouts of git repositories, as pip makes and reports them.
//!
//! Installing (`-e git+URL@rev#egg=name`): the repository is cloned into `<src>/<name>`, the
//! name normalized (PEP 503), where `<src>` is `--src`, else `<prefix>/src` in a virtual
//! environment, else `./src`; the revision is checked out and submodules updated; the checkout
//! (or its `#subdirectory=`) is then installed as any editable directory, so its
//! `direct_url.json` is `{"url": "file:///.../src/name", "dir_info": {"editable": true}}`. A
//! checkout already there of the same remote is fetched and moved to the revision; one of
//! another remote, or a directory that is not a checkout, is an error (pip asks what to do).
//!
//! Freezing: an editable install whose directory is inside a git checkout is written as pip
//! writes it, `-e git+<remote>@<commit>#egg=<name>` (`&subdirectory=` when the project is not
//! at the top of the checkout), the remote being `origin` (else the first one), scp-like
//! remotes as `ssh://` URLs and local ones as `file://` URLs. With no remote, or one that is
//! neither, pip's comment lines precede `-e <directory>`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use url::Url;
use volley_build::{DirectRequirement, DirectSource};

/// The directory pip clones editable checkouts into when `--src` is not given.
pub fn default_src_dir(sys_prefix: &Path, is_virtualenv: bool, cwd: &Path) -> PathBuf {
    if is_virtualenv {
        sys_prefix.join("src")
    } else {
        cwd.join("src")
    }
}

/// Clones (or updates) the checkout of `requirement` (a git source with a name) under `src`,
/// blocking, and returns the editable directory to install in its place.
pub fn checkout(requirement: &DirectRequirement, src: &Path) -> Result<DirectRequirement> {
    let DirectSource::Git {
        repository,
        rev,
        subdirectory,
    } = &requirement.source
    else {
        bail!("{} is not a git repository", requirement.source);
    };
    let name = requirement
        .name
        .as_ref()
        .context("an editable checkout needs a name (#egg=)")?;
    let dest = src.join(name.as_ref());
    fs_err::create_dir_all(src)?;
    if dest.join(".git").exists() {
        let remote = git_output(&dest, &["config", "--get", "remote.origin.url"])?;
        if remote.trim() != repository.as_str() {
            bail!(
                "{} already holds a checkout of {}, not of {}: remove it, or pass another --src",
                dest.display(),
                remote.trim(),
                volley_build::redact_url(repository)
            );
        }
        git(&dest, &["fetch", "-q", "--tags", "origin"])?;
        let target = match rev {
            Some(rev) => resolve_revision(&dest, rev)?,
            None => "origin/HEAD".to_string(),
        };
        git(&dest, &["reset", "--hard", "-q", &target])?;
    } else {
        if dest.exists() {
            bail!(
                "{} exists and is not a git checkout: remove it, or pass another --src",
                dest.display()
            );
        }
        let status = git_command(src)
            .args(["clone", "-q", repository.as_str()])
            .arg(&dest)
            .status()
            .context("cannot run git")?;
        if !status.success() {
            bail!(
                "git clone of {} failed ({status})",
                volley_build::redact_url(repository)
            );
        }
        if let Some(rev) = rev {
            git(&dest, &["checkout", "-q", rev])?;
        }
    }
    git(
        &dest,
        &["submodule", "update", "--init", "--recursive", "-q"],
    )?;
    let path = match subdirectory {
        Some(subdirectory) => dest.join(subdirectory),
        None => dest,
    };
    Ok(DirectRequirement {
        name: requirement.name.clone(),
        extras: requirement.extras.clone(),
        source: DirectSource::LocalDirectory {
            path,
            editable: true,
        },
        marker: requirement.marker.clone(),
    })
}

/// `origin/<rev>` when `rev` is a branch of the remote, else `rev` itself (a tag or commit).
fn resolve_revision(dest: &Path, rev: &str) -> Result<String> {
    let remote_branch = format!("origin/{rev}");
    let verified = git_command(dest)
        .args(["rev-parse", "-q", "--verify"])
        .arg(format!("{remote_branch}^{{commit}}"))
        .output()
        .context("cannot run git")?;
    Ok(if verified.status.success() {
        remote_branch
    } else {
        rev.to_string()
    })
}

/// How `pip freeze` writes an editable install at `location` (see the module documentation):
/// the requirement line and the comment lines before it.
pub fn freeze_entry(location: &Path, raw_name: &str, name_version: &str) -> (String, Vec<String>) {
    let plain = location.display().to_string();
    let Some(root) = repository_root(location) else {
        return (
            plain,
            vec![format!(
                "# Editable install with no version control ({name_version})"
            )],
        );
    };
    let Some(remote) = remote_url(location) else {
        return (
            plain,
            vec![format!(
                "# Editable Git install with no remote ({name_version})"
            )],
        );
    };
    let Some(url) = pip_url(&remote) else {
        return (
            plain,
            vec![
                format!(
                    "# Editable Git install ({name_version}) with either a deleted local remote or invalid URI:"
                ),
                format!("# '{remote}'"),
            ],
        );
    };
    let Ok(commit) = git_output(location, &["rev-parse", "HEAD"]) else {
        return (
            plain,
            vec!["## !! Could not determine repository location".to_string()],
        );
    };
    let egg = raw_name.replace('-', "_");
    let mut line = format!("git+{url}@{}#egg={egg}", commit.trim());
    if let Some(subdirectory) = subdirectory(location, &root) {
        line.push_str(&format!("&subdirectory={subdirectory}"));
    }
    (line, Vec::new())
}

/// The top of the git checkout holding `location`, if any (and git is there to say).
fn repository_root(location: &Path) -> Option<PathBuf> {
    let output = git_command(location)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&output.stdout).trim_end()))
}

/// `remote.origin.url`, else the first remote's URL.
fn remote_url(location: &Path) -> Option<String> {
    let output = git_output(location, &["config", "--get-regexp", r"remote\..*\.url"]).ok()?;
    let remotes: Vec<&str> = output.lines().collect();
    let chosen = remotes
        .iter()
        .find(|line| line.starts_with("remote.origin.url "))
        .or(remotes.first())?;
    Some(chosen.split_once(' ')?.1.trim().to_string())
}

/// pip's reading of a git remote: a URL as is, a local path as a `file://` URL, scp-like
/// `user@host:path` as `ssh://user@host/path`; anything else is not valid.
fn pip_url(remote: &str) -> Option<String> {
    let scheme_end = remote.find("://");
    if scheme_end.is_some_and(|end| {
        end > 0
            && remote[..end]
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_')
    }) {
        return Some(remote.to_string());
    }
    let path = Path::new(remote);
    if path.exists() {
        let absolute = std::path::absolute(path).ok()?;
        return Url::from_file_path(absolute).ok().map(String::from);
    }
    let (user_host, rest) = remote.split_once(':')?;
    let host = user_host.rsplit('@').next()?;
    let valid = !host.is_empty()
        && !user_host.contains('/')
        && rest.starts_with(|c: char| c.is_alphanumeric() || c == '_')
        && !rest.contains(':');
    valid.then(|| format!("ssh://{user_host}/{rest}"))
}

/// The project's directory relative to the checkout's top, when it is not the top.
fn subdirectory(location: &Path, root: &Path) -> Option<String> {
    let location = fs_err::canonicalize(location).ok()?;
    let root = fs_err::canonicalize(root).ok()?;
    let relative = location.strip_prefix(&root).ok()?;
    (!relative.as_os_str().is_empty()).then(|| relative.to_string_lossy().replace('\\', "/"))
}

fn git_command(cwd: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .current_dir(cwd)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(std::process::Stdio::null());
    command
}

fn git(cwd: &Path, args: &[&str]) -> Result<()> {
    let output = git_command(cwd)
        .args(args)
        .output()
        .context("cannot run git")?;
    if !output.status.success() {
        bail!(
            "git {} in {} failed: {}",
            args.join(" "),
            cwd.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(())
}

fn git_output(cwd: &Path, args: &[&str]) -> Result<String> {
    let output = git_command(cwd)
        .args(args)
        .output()
        .context("cannot run git")?;
    if !output.status.success() {
        bail!("git {} in {} failed", args.join(" "), cwd.display());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remotes_as_pip_reads_them() {
        assert_eq!(
            pip_url("https://host/org/repo.git").as_deref(),
            Some("https://host/org/repo.git")
        );
        assert_eq!(
            pip_url("git@host:org/repo.git").as_deref(),
            Some("ssh://git@host/org/repo.git")
        );
        assert_eq!(pip_url("host:repo").as_deref(), Some("ssh://host/repo"));
        let dir = tempfile::tempdir().unwrap();
        let local = pip_url(&dir.path().display().to_string()).unwrap();
        assert!(local.starts_with("file:///"), "{local}");
        assert_eq!(pip_url("not a remote"), None);
        assert_eq!(pip_url("/no/such/dir"), None);
    }
}
