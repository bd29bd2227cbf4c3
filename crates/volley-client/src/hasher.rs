//! Every hash the index gives for a file, computed in one pass while the file streams in.
//!
//! Indexes give hashes in `#<algorithm>=<digest>` fragments (PEP 503), in a PEP 691 `hashes`
//! table, and in `data-core-metadata` for `.metadata` files. pip checks any of hashlib's
//! guaranteed algorithms (md5, sha1, sha224, sha256, sha384, sha512); so does volley, and a
//! hash with an algorithm outside that set is ignored (it is dropped when the page is parsed).
//!
//! Trap: pip checks only the strongest hash a link carries, and in hash-checking mode accepts a
//! file when any allowed hash matches; volley checks every hash the index gives and refuses the
//! file when any of them differs. A file with the right sha256 and a wrong sha512 is refused by
//! both; with a wrong sha256 and the right sha512 pip installs it and volley does not.
//!
//! The sha256 is always computed: the cache stores files under it.

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};
use url::Url;
use volley_packaging::{HashAlgorithm, HashDigest};

use crate::ClientError;

/// One running digest other than sha256.
enum Running {
    Md5(Md5),
    Sha1(Sha1),
    Sha224(Sha224),
    Sha384(Sha384),
    Sha512(Sha512),
}

impl Running {
    /// `None` for sha256, which [`FileHasher`] always runs.
    fn new(algorithm: HashAlgorithm) -> Option<Self> {
        Some(match algorithm {
            HashAlgorithm::Md5 => Self::Md5(Md5::new()),
            HashAlgorithm::Sha1 => Self::Sha1(Sha1::new()),
            HashAlgorithm::Sha224 => Self::Sha224(Sha224::new()),
            HashAlgorithm::Sha256 => return None,
            HashAlgorithm::Sha384 => Self::Sha384(Sha384::new()),
            HashAlgorithm::Sha512 => Self::Sha512(Sha512::new()),
        })
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Md5(hasher) => hasher.update(bytes),
            Self::Sha1(hasher) => hasher.update(bytes),
            Self::Sha224(hasher) => hasher.update(bytes),
            Self::Sha384(hasher) => hasher.update(bytes),
            Self::Sha512(hasher) => hasher.update(bytes),
        }
    }

    fn finalize(self) -> String {
        match self {
            Self::Md5(hasher) => hex::encode(hasher.finalize()),
            Self::Sha1(hasher) => hex::encode(hasher.finalize()),
            Self::Sha224(hasher) => hex::encode(hasher.finalize()),
            Self::Sha384(hasher) => hex::encode(hasher.finalize()),
            Self::Sha512(hasher) => hex::encode(hasher.finalize()),
        }
    }
}

/// Computes the sha256 of a file and every other digest `expected` names, in one pass.
pub(crate) struct FileHasher {
    sha256: Sha256,
    others: Vec<(HashAlgorithm, Running)>,
    expected: Vec<HashDigest>,
}

impl FileHasher {
    /// A hasher that checks the file against every digest of `expected`.
    pub(crate) fn new(expected: &[HashDigest]) -> Self {
        let mut others: Vec<(HashAlgorithm, Running)> = Vec::new();
        for digest in expected {
            if others
                .iter()
                .any(|(algorithm, _)| *algorithm == digest.algorithm)
            {
                continue;
            }
            if let Some(running) = Running::new(digest.algorithm) {
                others.push((digest.algorithm, running));
            }
        }
        Self {
            sha256: Sha256::new(),
            others,
            expected: expected.to_vec(),
        }
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.sha256.update(bytes);
        for (_, running) in &mut self.others {
            running.update(bytes);
        }
    }

    /// The file's sha256 (lowercase hex) when every expected digest matched, else the first
    /// mismatch as [`ClientError::HashMismatch`] for `url`.
    pub(crate) fn finish(self, url: &Url) -> Result<String, ClientError> {
        let sha256 = hex::encode(self.sha256.finalize());
        let mut actual: Vec<(HashAlgorithm, String)> = self
            .others
            .into_iter()
            .map(|(algorithm, running)| (algorithm, running.finalize()))
            .collect();
        actual.push((HashAlgorithm::Sha256, sha256.clone()));
        for expected in &self.expected {
            let Some((_, got)) = actual
                .iter()
                .find(|(algorithm, _)| *algorithm == expected.algorithm)
            else {
                continue;
            };
            if !expected.digest.eq_ignore_ascii_case(got) {
                let algorithm = expected.algorithm;
                return Err(ClientError::HashMismatch {
                    url: url.clone(),
                    expected: format!("{algorithm}:{}", expected.digest.to_ascii_lowercase())
                        .into(),
                    actual: format!("{algorithm}:{got}").into(),
                });
            }
        }
        Ok(sha256)
    }

    /// Whether `expected` names an algorithm other than sha256 (which the cache cannot vouch
    /// for without reading the file).
    pub(crate) fn needs_more_than_sha256(expected: &[HashDigest]) -> bool {
        expected
            .iter()
            .any(|digest| digest.algorithm != HashAlgorithm::Sha256)
    }
}

/// The sha256 of `bytes` after checking them against `expected`.
pub(crate) fn check_bytes(
    url: &Url,
    expected: &[HashDigest],
    bytes: &[u8],
) -> Result<String, ClientError> {
    let mut hasher = FileHasher::new(expected);
    hasher.update(bytes);
    hasher.finish(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(text: &str) -> HashDigest {
        text.parse().unwrap()
    }

    #[test]
    fn every_algorithm_is_checked() {
        let url = Url::parse("https://example.org/files/a.whl").unwrap();
        // Digests of "abc".
        let right = [
            "md5:900150983cd24fb0d6963f7d28e17f72",
            "sha1:a9993e364706816aba3e25717850c26c9cd0d89d",
            "sha224:23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7",
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "sha384:cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
            "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ];
        let all: Vec<_> = right.iter().map(|text| digest(text)).collect();
        assert_eq!(
            check_bytes(&url, &all, b"abc").unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        for wrong in &right {
            let (algorithm, _) = wrong.split_once(':').unwrap();
            let mut hashes = all.clone();
            hashes.push(digest(&format!("{algorithm}:00")));
            let error = check_bytes(&url, &hashes, b"abc").unwrap_err();
            assert!(
                error
                    .to_string()
                    .contains(&format!("expected {algorithm}:00")),
                "{error}"
            );
        }
        assert!(check_bytes(&url, &[], b"abc").is_ok());
    }
}
