//! Answers that do not depend on the order of the requirements, and choices pip would make:
//! no package walked back years because another one was decided first, no pre-release let in
//! by a requirement of a version that was rejected.

use crate::index::{Index, options, solve};

/// `lib` (releases 1..=50) and `binding`, whose releases 11..=30 each need a `lib` older than
/// the newest (`binding==30` needs `lib<50`, `binding==29` needs `lib<49`, ...), and whose
/// releases up to 10 have no bound at all: the shape of `cryptography` and `pyopenssl`.
fn bound_by_the_newer_one() -> Index {
    let mut index = Index::new();
    for at in 1..=50 {
        index.add("lib", &format!("{at}.0"), &[]);
    }
    for at in 1..=30 {
        let bound = format!("lib<{}.0", at + 20);
        let dependencies: Vec<&str> = if at > 10 {
            vec![bound.as_str()]
        } else {
            vec![]
        };
        index.add("binding", &format!("{at}.0"), &dependencies);
    }
    index
}

#[test]
fn a_package_that_keeps_being_rejected_is_decided_first_in_either_order() {
    for order in [["lib", "binding"], ["binding", "lib"]] {
        let index = bound_by_the_newer_one();
        insta::allow_duplicates! { insta::assert_snapshot!(solve(&index, &order, &options()), @r"
        binding==30.0 (requested)
        lib==49.0 (requested) via binding
        "); }
    }
}

#[test]
fn a_transitive_package_is_not_walked_back_either() {
    // The same shape one level down: `app` needs both, in this order.
    for order in [["lib", "binding"], ["binding", "lib"]] {
        let mut index = bound_by_the_newer_one();
        let dependencies = order.to_vec();
        index.add("app", "1.0", &dependencies);
        insta::allow_duplicates! { insta::assert_snapshot!(solve(&index, &["app"], &options()), @r"
        app==1.0 (requested)
        binding==30.0 via app
        lib==49.0 via app, binding
        "); }
    }
}

#[test]
fn a_rejected_versions_prerelease_specifier_lets_no_prerelease_in() {
    // `genai==1.5` names a pre-release in `http<1.0.0dev` but needs `io>=4.8`, which the user
    // excludes; once it is rejected, nothing in play allows `http`'s pre-releases.
    let mut index = Index::new();
    index.add("genai", "1.5", &["http<1.0.0dev,>=0.28.1", "io>=4.8"]);
    index.add("genai", "1.2", &["http>=0.28", "io>=4"]);
    index.add("io", "4.7", &[]);
    index.add("io", "4.8", &[]);
    index.add("http", "0.28.1", &[]);
    index.add("http", "0.29.0", &[]);
    index.add("http", "1.0.dev6", &[]);
    for order in [
        ["genai<=1.5", "io<4.8", "http"],
        ["http", "io<4.8", "genai<=1.5"],
    ] {
        insta::allow_duplicates! { insta::assert_snapshot!(solve(&index, &order, &options()), @r"
        genai==1.2 (requested)
        http==0.29.0 (requested) via genai
        io==4.7 (requested) via genai
        "); }
    }
}

#[test]
fn a_prerelease_specifier_in_play_still_allows_prereleases() {
    let mut index = Index::new();
    index.add("app", "1.0", &["http>=1.0.dev1"]);
    index.add("http", "0.29.0", &[]);
    index.add("http", "1.0.dev6", &[]);
    insta::allow_duplicates! { insta::assert_snapshot!(solve(&index, &["app", "http"], &options()), @r"
    app==1.0 (requested)
    http==1.0.dev6 (requested) via app
    "); }
}
