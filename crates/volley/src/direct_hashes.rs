//! Direct references to archives in hash-checking mode, by pip's rules.
//!
//! pip accepts `name @ URL --hash=...`, `./pkg-1.0.tar.gz --hash=...` and a URL whose fragment
//! carries the hash (`#sha256=...`, trusted because the user wrote it): the archive is fetched,
//! and it must match one of those hashes before anything reads it. Without any hash, pip
//! fetches the archive anyway to tell the user the line to add. Editables, version control and
//! directories have no single file to hash and are refused before anything is fetched
//! (`Request::check_hash_mode`).
//!
//! Once an archive matches, its reference is pinned to the archive's own sha256, so the
//! preparation (which checks that hash again before unpacking, and a download in the same run
//! is the same file) can only ever use these bytes.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use volley_build::{DirectRequirement, DirectSource};
use volley_packaging::{HashAlgorithm, HashDigest};

use crate::builds::Builds;
use crate::commands::request::DirectHashes;

/// pip's heading for archives that have no hash (`HashMissing`).
const MISSING_HEAD: &str = "Hashes are required in --require-hashes mode, but they are \
    missing from some requirements. Here is a list of those requirements along with the hashes \
    their downloaded archives actually had. Add lines like these to your requirements files to \
    prevent tampering. (If you did not enable --require-hashes manually, note that it turns on \
    automatically when any package has a hash.)";

/// pip's heading for archives that match none of their hashes (`HashMismatch`).
const MISMATCH_HEAD: &str = "THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS \
    FILE. If you have updated the package versions, please update the hashes. Otherwise, \
    examine the package contents carefully; someone may have tampered with them.";

/// Fetches every archive of `requirements` (with `hashes` at the same positions) and checks it
/// against its hashes; returns the references pinned to their archives' sha256. Every problem
/// is reported at once, as pip does, missing hashes before mismatches.
pub async fn check_hashes(
    requirements: &[DirectRequirement],
    hashes: &[DirectHashes],
    builds: &Arc<Builds>,
) -> Result<Vec<DirectRequirement>> {
    let tasks = requirements
        .iter()
        .zip(hashes)
        .map(|(requirement, hashes)| {
            let requirement = requirement.clone();
            let options = hashes.hashes.clone();
            let builds = Arc::clone(builds);
            tokio::task::spawn_blocking(move || check_one(requirement, &options, &builds))
        });
    let mut pinned = Vec::with_capacity(requirements.len());
    let mut missing = Vec::new();
    let mut mismatched = Vec::new();
    for task in futures::future::join_all(tasks).await {
        match task.context("a hash check stopped")?? {
            Checked::Pinned(requirement) => pinned.push(requirement),
            Checked::Missing(line) => missing.push(line),
            Checked::Mismatch(lines) => mismatched.push(lines),
        }
    }
    let mut report = Vec::new();
    if !missing.is_empty() {
        report.push(MISSING_HEAD.to_string());
        report.extend(missing);
    }
    if !mismatched.is_empty() {
        report.push(MISMATCH_HEAD.to_string());
        report.extend(mismatched);
    }
    if !report.is_empty() {
        bail!("{}", report.join("\n"));
    }
    Ok(pinned)
}

enum Checked {
    Pinned(DirectRequirement),
    /// The line pip prints for it: the reference and the hash to add.
    Missing(String),
    /// The lines pip prints for it: what was expected and what the archive has.
    Mismatch(String),
}

/// Blocking: fetches and hashes one archive. Sources that are not archives were refused
/// earlier and pass through unchanged.
fn check_one(
    mut requirement: DirectRequirement,
    options: &BTreeSet<HashDigest>,
    builds: &Builds,
) -> Result<Checked> {
    let (fragment, path) = match &requirement.source {
        DirectSource::LocalArchive { path, hash } => (hash.clone(), path.clone()),
        DirectSource::Url { url, hash } => {
            let downloaded = (builds.context.download)(url, None)
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("downloading {} failed", requirement.source))?;
            (hash.clone(), downloaded.path)
        }
        DirectSource::LocalDirectory { .. } | DirectSource::Git { .. } => {
            return Ok(Checked::Pinned(requirement));
        }
    };
    let mut allowed: BTreeSet<HashDigest> = options.clone();
    allowed.extend(fragment);
    let algorithms: BTreeSet<HashAlgorithm> = allowed
        .iter()
        .map(|hash| hash.algorithm)
        .chain([HashAlgorithm::Sha256])
        .collect();
    let actual = digests(&path, &algorithms)?;
    let sha256 = actual
        .iter()
        .find(|digest| digest.algorithm == HashAlgorithm::Sha256)
        .map(|digest| digest.digest.clone())
        .context("the sha256 of an archive was not computed")?;
    let shown = match &requirement.name {
        Some(name) => format!("{name} @ {}", requirement.source),
        None => requirement.source.to_string(),
    };
    if allowed.is_empty() {
        // As pip, the reference alone (a path or URL), so that the line can be pasted.
        let source = &requirement.source;
        return Ok(Checked::Missing(format!(
            "    {source} --hash=sha256:{sha256}"
        )));
    }
    if !actual.iter().any(|digest| allowed.contains(digest)) {
        // pip's comparison: per algorithm, the expected digests, then the archive's.
        let mut lines = format!("    {shown}:");
        for algorithm in &algorithms {
            let expected: Vec<&HashDigest> = allowed
                .iter()
                .filter(|hash| hash.algorithm == *algorithm)
                .collect();
            if expected.is_empty() {
                continue;
            }
            for (index, hash) in expected.iter().enumerate() {
                let name = if index == 0 {
                    algorithm.as_str()
                } else {
                    "    or"
                };
                lines.push_str(&format!("\n        Expected {name} {}", hash.digest));
            }
            let got = actual
                .iter()
                .find(|digest| digest.algorithm == *algorithm)
                .map_or("(volley cannot compute it)", |digest| {
                    digest.digest.as_str()
                });
            lines.push_str(&format!("\n             Got        {got}"));
        }
        return Ok(Checked::Mismatch(lines));
    }
    let pinned = Some(HashDigest::sha256(sha256));
    match &mut requirement.source {
        DirectSource::LocalArchive { hash, .. } | DirectSource::Url { hash, .. } => {
            *hash = pinned;
        }
        DirectSource::LocalDirectory { .. } | DirectSource::Git { .. } => {}
    }
    Ok(Checked::Pinned(requirement))
}

/// The digests of the file at `path` in each of `algorithms` that volley can compute (the
/// sha2 family; md5 and sha1 never match), in one pass.
fn digests(path: &Path, algorithms: &BTreeSet<HashAlgorithm>) -> Result<Vec<HashDigest>> {
    let mut sha224 = algorithms
        .contains(&HashAlgorithm::Sha224)
        .then(Sha224::new);
    let mut sha256 = algorithms
        .contains(&HashAlgorithm::Sha256)
        .then(Sha256::new);
    let mut sha384 = algorithms
        .contains(&HashAlgorithm::Sha384)
        .then(Sha384::new);
    let mut sha512 = algorithms
        .contains(&HashAlgorithm::Sha512)
        .then(Sha512::new);
    let mut file = fs_err::File::open(path)?;
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        let chunk = &buffer[..read];
        sha224.iter_mut().for_each(|hasher| hasher.update(chunk));
        sha256.iter_mut().for_each(|hasher| hasher.update(chunk));
        sha384.iter_mut().for_each(|hasher| hasher.update(chunk));
        sha512.iter_mut().for_each(|hasher| hasher.update(chunk));
    }
    let digest = |algorithm, bytes: &[u8]| HashDigest {
        algorithm,
        digest: hex::encode(bytes),
    };
    let mut out = Vec::new();
    out.extend(sha224.map(|hasher| digest(HashAlgorithm::Sha224, &hasher.finalize())));
    out.extend(sha256.map(|hasher| digest(HashAlgorithm::Sha256, &hasher.finalize())));
    out.extend(sha384.map(|hasher| digest(HashAlgorithm::Sha384, &hasher.finalize())));
    out.extend(sha512.map(|hasher| digest(HashAlgorithm::Sha512, &hasher.finalize())));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_in_one_pass() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.tar.gz");
        fs_err::write(&path, b"abc").unwrap();
        let all = [
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha512,
            HashAlgorithm::Md5,
        ]
        .into_iter()
        .collect();
        let found = digests(&path, &all).unwrap();
        let text: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            [
                "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            ]
        );
    }
}
