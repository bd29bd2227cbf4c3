//! Short, stable names for things that are not file names themselves (URLs, paths).

use sha2::{Digest, Sha256};

/// A short stable hex digest of `text`: the first 16 hex digits of its sha256.
///
/// Used to turn an index URL or an interpreter path into one directory or file name. The value
/// must never change between volley versions without a change of bucket version, because it
/// names files that are already on disk.
pub fn cache_key(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut key = hex::encode(digest);
    key.truncate(16);
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_short_stable_and_distinct() {
        // sha256("https://pypi.org/simple/") begins with these digits.
        insta::assert_snapshot!(cache_key("https://pypi.org/simple/"), @"c7f8d697991d53b5");
        assert_eq!(cache_key("a"), cache_key("a"));
        assert_ne!(cache_key("a"), cache_key("b"));
        assert_eq!(cache_key("").len(), 16);
    }
}
