//! PEP 440 specifiers as pubgrub version ranges, and back to text for reports.
//!
//! `pep440_rs` can convert specifiers into `Ranges<Version>` itself, but it treats `==1.0`,
//! `!=1.0` and `<=1.0` as comparisons of whole versions. PEP 440 says local labels are ignored
//! when the specifier has none, so `1.0+cpu` satisfies `==1.0` and `<=1.0` and does not satisfy
//! `!=1.0` or `>1.0`. [`specifier_range`] handles that by bounding a version's family of local
//! variants from above with [`after_locals`], the smallest real version greater than every
//! `V+label`. Everything else follows PEP 440 and packaging: `<V` excludes pre-releases of `V`
//! unless `V` is one, `>V` excludes post-releases of `V` unless `V` is one, `==V.*` is a prefix
//! match. One corner is looser than packaging: `>V` for a pre-release or development `V`
//! (`>1.0b1`) admits post-releases and local variants of `V`'s final release (`1.0.post1`,
//! `1.0+local`), which packaging excludes. Pre-release *policy* (whether a pre-release may be chosen at all) is not a property of
//! a range: it lives in the resolver's candidate selection.
//!
//! The sentinel versions this produces (`1.0.min0` and `1.0.max0` from pep440_rs, `1.0.post0.dev0`
//! from [`after_locals`]) are turned back into PEP 440 text by [`RangeDisplay`].

use std::fmt;
use std::ops::Bound;

use pubgrub::Ranges;
use volley_packaging::{Operator, Version, VersionSpecifier, VersionSpecifiers};

/// The smallest real version greater than `version` and all of its local variants
/// (`version+anything`). `version` must not carry a local label itself.
pub(crate) fn after_locals(version: &Version) -> Version {
    if let Some(dev) = version.dev() {
        version.clone().with_dev(Some(dev + 1))
    } else if let Some(post) = version.post() {
        version.clone().with_post(Some(post + 1)).with_dev(Some(0))
    } else {
        version.clone().with_post(Some(0)).with_dev(Some(0))
    }
}

/// The versions that satisfy every specifier (an empty list allows every version).
pub(crate) fn specifiers_range(specifiers: &VersionSpecifiers) -> Ranges<Version> {
    specifiers.iter().fold(Ranges::full(), |range, specifier| {
        range.intersection(&specifier_range(specifier))
    })
}

/// The versions that satisfy one specifier, following PEP 440 (see the module doc).
pub(crate) fn specifier_range(specifier: &VersionSpecifier) -> Ranges<Version> {
    let version = specifier.version();
    let local = version.is_local();
    match specifier.operator() {
        Operator::Equal if local => Ranges::singleton(version.clone()),
        Operator::Equal => Ranges::from_range_bounds(version.clone()..after_locals(version)),
        Operator::ExactEqual => Ranges::singleton(version.clone()),
        Operator::NotEqual if local => Ranges::singleton(version.clone()).complement(),
        Operator::NotEqual => {
            Ranges::from_range_bounds(version.clone()..after_locals(version)).complement()
        }
        Operator::LessThanEqual if local => Ranges::lower_than(version.clone()),
        Operator::LessThanEqual => Ranges::strictly_lower_than(after_locals(version)),
        Operator::GreaterThanEqual => Ranges::higher_than(version.clone()),
        Operator::LessThan => {
            if version.any_prerelease() {
                Ranges::strictly_lower_than(version.clone())
            } else {
                // `<2.0` must not admit `2.0a1` or `2.0.dev0`: `min0` sorts below all of them.
                Ranges::strictly_lower_than(version.clone().without_local().with_min(Some(0)))
            }
        }
        Operator::GreaterThan => {
            let version = version.clone().without_local();
            if version.is_post() || version.is_dev() {
                Ranges::higher_than(after_locals(&version))
            } else {
                // `>2.0` must not admit `2.0.post1` or `2.0+local`: `max0` sorts above all of them.
                Ranges::strictly_higher_than(version.with_max(Some(0)))
            }
        }
        Operator::TildeEqual => {
            let release = version.release();
            let mut upper = release[..release.len().saturating_sub(1)].to_vec();
            if let Some(last) = upper.last_mut() {
                *last += 1;
            }
            let upper = Version::new(upper)
                .with_epoch(version.epoch())
                .with_dev(Some(0));
            Ranges::from_range_bounds(version.clone().without_local()..upper)
        }
        Operator::EqualStar => prefix_range(version),
        Operator::NotEqualStar => prefix_range(version).complement(),
    }
}

/// `==V.*`: every version whose release starts with `V`'s release (with its epoch).
fn prefix_range(version: &Version) -> Ranges<Version> {
    let low = Version::new(version.release().iter().copied())
        .with_epoch(version.epoch())
        .with_dev(Some(0));
    let mut release = version.release().to_vec();
    if let Some(last) = release.last_mut() {
        *last += 1;
    }
    let high = Version::new(release)
        .with_epoch(version.epoch())
        .with_dev(Some(0));
    Ranges::from_range_bounds(low..high)
}

/// Whether a specifier opts its package into pre-releases, as packaging decides
/// (`Specifier.prereleases`): its version is a pre-release or development release, and the
/// operator is neither `!=` nor a wildcard `==V.*`.
pub(crate) fn names_prerelease(specifier: &VersionSpecifier) -> bool {
    !matches!(
        specifier.operator(),
        Operator::NotEqual | Operator::NotEqualStar | Operator::EqualStar
    ) && specifier.version().any_prerelease()
}

/// Whether a specifier pins one version (`==V` without a wildcard, or `===V`): the only way a
/// yanked version can be chosen (PEP 592).
pub(crate) fn is_pin(specifier: &VersionSpecifier) -> bool {
    matches!(specifier.operator(), Operator::Equal | Operator::ExactEqual)
}

/// A range written as PEP 440 specifiers: `>=1.0, <2.0`, `==1.2.3`, `!=1.5`, `*` for every
/// version, and alternatives joined with ` | ` when the range has gaps.
pub(crate) struct RangeDisplay<'a>(pub(crate) &'a Ranges<Version>);

impl fmt::Display for RangeDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let segments: Vec<(&Bound<Version>, &Bound<Version>)> = self.0.iter().collect();
        if segments.is_empty() {
            return f.write_str("(no version)");
        }
        // `!=V` is two segments around `V`'s family: `<V` and `>=after_locals(V)` or `>V`.
        if let [(Bound::Unbounded, upper), (lower, Bound::Unbounded)] = segments.as_slice()
            && let Some(excluded) = excluded_family(upper, lower)
        {
            return write!(f, "!={excluded}");
        }
        for (index, (lower, upper)) in segments.iter().enumerate() {
            if index > 0 {
                f.write_str(" | ")?;
            }
            write_segment(f, lower, upper)?;
        }
        Ok(())
    }
}

/// If `<upper` and `lower..` leave out exactly one version and its local variants, that version.
fn excluded_family(upper: &Bound<Version>, lower: &Bound<Version>) -> Option<Version> {
    match (upper, lower) {
        (Bound::Excluded(below), Bound::Included(above)) if *above == after_locals(below) => {
            Some(below.clone())
        }
        (Bound::Excluded(below), Bound::Excluded(above)) if below == above => Some(below.clone()),
        _ => None,
    }
}

fn write_segment(
    f: &mut fmt::Formatter<'_>,
    lower: &Bound<Version>,
    upper: &Bound<Version>,
) -> fmt::Result {
    // A `[V, after_locals(V))` segment is `==V`; a single point is `==V` too.
    match (lower, upper) {
        (Bound::Unbounded, Bound::Unbounded) => return f.write_str("*"),
        (Bound::Included(low), Bound::Excluded(high)) if *high == after_locals(low) => {
            return write!(f, "=={low}");
        }
        (Bound::Included(low), Bound::Included(high)) if low == high => {
            return write!(f, "=={low}");
        }
        (Bound::Included(low), Bound::Excluded(high)) => {
            if let Some(prefix) = wildcard_prefix(low, high) {
                return write!(f, "=={prefix}.*");
            }
        }
        _ => {}
    }
    let lower_text = match lower {
        Bound::Unbounded => None,
        Bound::Included(low) => Some(format!(">={low}")),
        Bound::Excluded(low) => Some(format!(">{low}")),
    };
    let upper_text = match upper {
        Bound::Unbounded => None,
        Bound::Included(high) => Some(format!("<={high}")),
        Bound::Excluded(high) => Some(if let Some(inclusive) = before_family(high) {
            format!("<={inclusive}")
        } else if let Some(release) = first_of_release(high) {
            // `<2.dev0` and `<2` exclude the same real versions; the second is what people write.
            format!("<{release}")
        } else {
            format!("<{high}")
        }),
    };
    match (lower_text, upper_text) {
        (Some(lower), Some(upper)) => write!(f, "{lower}, {upper}"),
        (Some(only), None) | (None, Some(only)) => f.write_str(&only),
        (None, None) => f.write_str("*"),
    }
}

/// `V` when `bound` is `V.dev0` for a plain release `V`: the lowest version of the release.
fn first_of_release(bound: &Version) -> Option<Version> {
    (bound.dev() == Some(0) && !bound.is_pre() && !bound.is_post() && !bound.is_local())
        .then(|| bound.clone().with_dev(None))
}

/// `V` when `[low, high)` is the segment of `==V.*`.
fn wildcard_prefix(low: &Version, high: &Version) -> Option<Version> {
    let low_release = first_of_release(low)?;
    let high_release = first_of_release(high)?;
    let mut next = low_release.release().to_vec();
    *next.last_mut()? += 1;
    (low.epoch() == high.epoch() && Version::new(next).with_epoch(low.epoch()) == high_release)
        .then_some(low_release)
}

/// `V` when `bound` is `V.post0.dev0`, the exclusive upper bound that `<=V` produces.
fn before_family(bound: &Version) -> Option<Version> {
    if bound.post() == Some(0) && bound.dev() == Some(0) && bound.local().is_empty() {
        Some(bound.clone().with_post(None).with_dev(None))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn range(specifiers: &str) -> Ranges<Version> {
        specifiers_range(&VersionSpecifiers::from_str(specifiers).unwrap())
    }

    fn version(text: &str) -> Version {
        Version::from_str(text).unwrap()
    }

    /// Versions around 1.0 and 2.0 that exercise pre, post, dev and local ordering.
    const PROBES: &[&str] = &[
        "0.9",
        "1.0.dev0",
        "1.0a1",
        "1.0a1+x",
        "1.0",
        "1.0+local",
        "1.0+1.2",
        "1.0.post1",
        "1.0.post1+x",
        "1.0.post2.dev0",
        "1.1",
        "1.9.post3",
        "2.0.dev1",
        "2.0b2",
        "2.0rc1",
        "2.0",
        "2.0+cu118",
        "2.0.post1",
        "2.1",
        "1!0.5",
    ];

    #[test]
    fn agrees_with_pep440_contains_on_probes() {
        let specifiers = [
            "==1.0",
            "!=1.0",
            "<=1.0",
            ">=1.0",
            "<1.0",
            ">1.0",
            "~=1.0",
            "==1.*",
            "!=1.*",
            "==2.0",
            "<2.0",
            ">2.0",
            "<=2.0",
            ">1.0.post1",
            "<2.0rc1",
            "==1.0+local",
            "!=1.0+local",
            ">=1.0, <2.0",
            "~=1.0.0",
            ">0.9, !=1.0.*",
            "==1!0.5",
        ];
        for specifiers in specifiers {
            let parsed = VersionSpecifiers::from_str(specifiers).unwrap();
            let range = specifiers_range(&parsed);
            for probe in PROBES {
                // pep440_rs's `contains` keeps every pre-release of 2.0 out of `<2.0rc1`;
                // packaging (and PEP 440) admit the earlier ones, as the range does.
                if specifiers == "<2.0rc1" && ["2.0.dev1", "2.0b2"].contains(probe) {
                    assert!(range.contains(&version(probe)));
                    continue;
                }
                let probe = version(probe);
                assert_eq!(
                    range.contains(&probe),
                    parsed.contains(&probe),
                    "{specifiers} on {probe}: range {}",
                    RangeDisplay(&range)
                );
            }
        }
    }

    #[test]
    fn local_versions_match_public_pins() {
        assert!(range("==1.0").contains(&version("1.0+cpu")));
        assert!(range("<=1.0").contains(&version("1.0+cpu")));
        assert!(!range("!=1.0").contains(&version("1.0+cpu")));
        assert!(!range(">1.0").contains(&version("1.0+cpu")));
        assert!(!range("==1.0").contains(&version("1.0.post1")));
        assert!(range("==1.0+cpu").contains(&version("1.0+cpu")));
        assert!(!range("==1.0+cpu").contains(&version("1.0+gpu")));
    }

    #[test]
    fn displays_as_specifiers() {
        let shown = |specifiers: &str| RangeDisplay(&range(specifiers)).to_string();
        assert_eq!(shown(""), "*");
        assert_eq!(shown("==1.2.3"), "==1.2.3");
        assert_eq!(shown("!=1.5"), "!=1.5");
        assert_eq!(shown(">=1.0, <2.0"), ">=1.0, <2.0");
        assert_eq!(shown("<=1.0"), "<=1.0");
        assert_eq!(shown(">1.0"), ">1.0");
        assert_eq!(shown("~=1.4"), ">=1.4, <2");
        assert_eq!(shown("==1.4.*"), "==1.4.*");
        assert_eq!(shown("!=1.4.*"), "<1.4 | >=1.5.dev0");
        assert_eq!(shown("==1.0+cpu"), "==1.0+cpu");
        assert_eq!(shown("<1.0, >=2.0"), "(no version)");
        let gaps = range("<1.0").union(&range(">=2.0"));
        assert_eq!(RangeDisplay(&gaps).to_string(), "<1.0 | >=2.0");
    }

    #[test]
    fn prerelease_and_pin_detection() {
        let specifier = |text: &str| VersionSpecifier::from_str(text).unwrap();
        assert!(names_prerelease(&specifier(">=2.0b1")));
        assert!(names_prerelease(&specifier("==2.0.dev3")));
        assert!(!names_prerelease(&specifier("!=2.0b1")));
        assert!(!names_prerelease(&specifier(">=2.0")));
        assert!(!names_prerelease(&specifier(">=2.0.post1")));
        assert!(is_pin(&specifier("==2.0")));
        assert!(is_pin(&specifier("===2.0")));
        assert!(!is_pin(&specifier("==2.*")));
        assert!(!is_pin(&specifier(">=2.0")));
    }
}
