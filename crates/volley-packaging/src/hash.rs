//! File hashes as indexes publish them (`#sha256=...` fragments, PEP 691 `hashes`, `--hash=`).

use std::fmt;
use std::str::FromStr;

/// A hash algorithm volley knows. Only sha256 is checked today; others are parsed so that
/// requirements files and indexes that carry them are still readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashAlgorithm {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha224 => "sha224",
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }
}

impl FromStr for HashAlgorithm {
    type Err = HashError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "md5" => Ok(Self::Md5),
            "sha1" => Ok(Self::Sha1),
            "sha224" => Ok(Self::Sha224),
            "sha256" => Ok(Self::Sha256),
            "sha384" => Ok(Self::Sha384),
            "sha512" => Ok(Self::Sha512),
            _ => Err(HashError::UnknownAlgorithm(s.to_string())),
        }
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An algorithm and a lowercase hex digest, written `sha256:abc...` (pip's `--hash` form).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HashDigest {
    pub algorithm: HashAlgorithm,
    /// Lowercase hex.
    pub digest: String,
}

impl HashDigest {
    pub fn sha256(digest: impl Into<String>) -> Self {
        Self {
            algorithm: HashAlgorithm::Sha256,
            digest: digest.into().to_ascii_lowercase(),
        }
    }

    /// Parse a URL fragment such as `sha256=abcd` (PEP 503). Returns `None` for fragments
    /// that are not hashes (e.g. `egg=name`).
    pub fn from_fragment(fragment: &str) -> Option<Self> {
        let (algorithm, digest) = fragment.split_once('=')?;
        let algorithm = algorithm.parse().ok()?;
        Self::new(algorithm, digest).ok()
    }

    pub fn new(algorithm: HashAlgorithm, digest: &str) -> Result<Self, HashError> {
        if digest.is_empty() || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(HashError::InvalidDigest(digest.to_string()));
        }
        Ok(Self {
            algorithm,
            digest: digest.to_ascii_lowercase(),
        })
    }
}

impl FromStr for HashDigest {
    type Err = HashError;

    /// `sha256:abcd` (also accepts `sha256=abcd`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (algorithm, digest) = s
            .split_once(':')
            .or_else(|| s.split_once('='))
            .ok_or_else(|| HashError::MissingSeparator(s.to_string()))?;
        Self::new(algorithm.parse()?, digest)
    }
}

impl fmt::Display for HashDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.digest)
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HashError {
    #[error(
        "unknown hash algorithm \"{0}\" (expected one of md5, sha1, sha224, sha256, sha384, sha512)"
    )]
    UnknownAlgorithm(String),
    #[error("invalid hash digest \"{0}\": expected hexadecimal digits")]
    InvalidDigest(String),
    #[error("invalid hash \"{0}\": expected ALGORITHM:DIGEST, e.g. sha256:0123...")]
    MissingSeparator(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pip_and_fragment_forms() {
        let a: HashDigest = "sha256:ABCDEF01".parse().unwrap();
        assert_eq!(a.to_string(), "sha256:abcdef01");
        assert_eq!(HashDigest::from_fragment("sha256=abcdef01"), Some(a));
        assert_eq!(HashDigest::from_fragment("egg=foo"), None);
        assert!("sha256:xyz".parse::<HashDigest>().is_err());
        assert!("whirlpool:00".parse::<HashDigest>().is_err());
    }
}
