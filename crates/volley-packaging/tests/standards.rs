//! PEP 440 versions and specifiers, PEP 503 names and PEP 508 markers through the
//! re-exports of `volley_packaging`, pinned to what `packaging` 26.3 answers for the same
//! questions (`Specifier(...).contains(..., prereleases=True)`).

use std::str::FromStr;

use volley_packaging::{
    ExtraName, MarkerEnvironment, MarkerEnvironmentBuilder, Operator, PackageName, Version,
    VersionSpecifier, VersionSpecifiers, parse_requirement,
};

fn version(version: &str) -> Version {
    Version::from_str(version).unwrap()
}

fn matches(specifiers: &str, candidate: &str) -> bool {
    VersionSpecifiers::from_str(specifiers)
        .unwrap()
        .contains(&version(candidate))
}

#[test]
fn versions_normalize() {
    assert_eq!(version("1.0-POST1").to_string(), "1.0.post1");
    assert_eq!(version("v1.0").to_string(), "1.0");
    assert_eq!(version("1.0.0-RC1").to_string(), "1.0.0rc1");
    assert_eq!(version("1.0a").to_string(), "1.0a0");
    assert_eq!(version("1.0"), version("1.0.0"));
    assert!(Version::from_str("1.0.x").is_err());
}

#[test]
fn epochs_outrank_everything() {
    assert!(version("1!1.0") > version("2.0"));
    assert!(version("1!1.0") > version("9999.0.post9"));
    assert!(matches(">=2.0", "1!1.0"));
    assert!(!matches("<2.0", "1!1.0"));
}

#[test]
fn pre_post_dev_ordering() {
    let ordered = [
        "1.0.dev0",
        "1.0a1.dev1",
        "1.0a1",
        "1.0a2",
        "1.0b1",
        "1.0rc1",
        "1.0",
        "1.0+local",
        "1.0.post1.dev1",
        "1.0.post1",
        "1.1.dev0",
    ];
    for pair in ordered.windows(2) {
        assert!(
            version(pair[0]) < version(pair[1]),
            "{} < {}",
            pair[0],
            pair[1]
        );
    }
    assert!(version("1.0rc1").any_prerelease());
    assert!(version("1.0.dev0").any_prerelease());
    assert!(!version("1.0.post1").any_prerelease());
}

#[test]
fn local_versions() {
    // A specifier without a local label ignores the candidate's local label.
    assert!(matches("==1.0", "1.0+local"));
    assert!(matches("<=1.0", "1.0+local"));
    assert!(!matches(">1.0", "1.0+local"));
    // One with a local label needs it.
    assert!(!matches("==1.0+abc", "1.0"));
    assert!(matches("==1.0+abc", "1.0+abc"));
}

#[test]
fn wildcards() {
    assert!(matches("==1.*", "1.5"));
    assert!(matches("==1.*", "1.0a1"));
    assert!(!matches("==1.*", "2.0"));
    assert!(!matches("!=1.2.*", "1.2.5"));
    assert!(!matches("!=1.2.*", "1.2"));
    assert!(matches("!=1.2.*", "1.3"));
    assert!(matches(">=1.0, !=1.2.*, <2", "1.10"));
    assert!(VersionSpecifier::from_str(">=1.*").is_err());
}

#[test]
fn compatible_release() {
    assert!(matches("~=2.2", "2.9"));
    assert!(!matches("~=2.2", "3.0"));
    assert!(!matches("~=2.2", "2.1"));
    assert!(matches("~=1.4.5", "1.4.9"));
    assert!(!matches("~=1.4.5", "1.5"));
    assert!(VersionSpecifier::from_str("~=1").is_err());
}

#[test]
fn exclusive_comparisons_skip_pre_and_post_releases_of_the_bound() {
    assert!(!matches("<2.0", "2.0a1"));
    assert!(matches("<2.0", "1.9"));
    assert!(!matches(">1.7", "1.7.post2"));
    assert!(matches(">1.7", "1.7.1"));
    assert!(matches(">1.7.post1", "1.7.post2"));
}

#[test]
fn arbitrary_equality_is_textual() {
    let specifier = VersionSpecifier::from_str("===1.0").unwrap();
    assert_eq!(*specifier.operator(), Operator::ExactEqual);
    assert!(specifier.contains(&version("1.0")));
    assert!(!specifier.contains(&version("1.0.0")));
}

#[test]
fn names_normalize_per_pep_503() {
    for (raw, normalized) in [
        ("Foo.Bar_baz", "foo-bar-baz"),
        ("Charset_Normalizer", "charset-normalizer"),
        ("foo__bar", "foo-bar"),
        ("FOO-._bar", "foo-bar"),
        ("zope.interface", "zope-interface"),
    ] {
        assert_eq!(PackageName::from_str(raw).unwrap().as_ref(), normalized);
    }
    assert_eq!(
        PackageName::from_str("Foo.Bar_baz").unwrap(),
        PackageName::from_str("foo-bar-baz").unwrap()
    );
    assert!(PackageName::from_str("-foo").is_err());
    assert!(PackageName::from_str("foo bar").is_err());
    assert_eq!(
        ExtraName::from_str("Use_Chardet").unwrap().as_ref(),
        "use-chardet"
    );
}

fn environment(python_full_version: &str, sys_platform: &str) -> MarkerEnvironment {
    let python_version = python_full_version
        .rsplit_once('.')
        .map_or(python_full_version, |(major_minor, _)| major_minor);
    MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
        implementation_name: "cpython",
        implementation_version: python_full_version,
        os_name: if sys_platform == "win32" {
            "nt"
        } else {
            "posix"
        },
        platform_machine: "x86_64",
        platform_python_implementation: "CPython",
        platform_release: "6.1.0",
        platform_system: if sys_platform == "win32" {
            "Windows"
        } else {
            "Linux"
        },
        platform_version: "#1 SMP",
        python_full_version,
        python_version,
        sys_platform,
    })
    .unwrap()
}

#[test]
fn markers_evaluate_against_an_environment() {
    let linux_311 = environment("3.11.7", "linux");
    let windows_38 = environment("3.8.10", "win32");
    let applies = |requirement: &str, env: &MarkerEnvironment, extras: &[&str]| {
        let extras: Vec<ExtraName> = extras
            .iter()
            .map(|extra| ExtraName::from_str(extra).unwrap())
            .collect();
        parse_requirement(requirement)
            .unwrap()
            .evaluate_markers(env, &extras)
    };
    let tomli = "tomli>=1.1; python_version < \"3.11\"";
    assert!(!applies(tomli, &linux_311, &[]));
    assert!(applies(tomli, &windows_38, &[]));

    let colorama = "colorama; sys_platform == 'win32' and platform_machine == 'x86_64'";
    assert!(applies(colorama, &windows_38, &[]));
    assert!(!applies(colorama, &linux_311, &[]));

    let full = "foo; python_full_version >= '3.11.5' and os_name == 'posix'";
    assert!(applies(full, &linux_311, &[]));
    assert!(!applies(full, &windows_38, &[]));

    let no_marker = "bar>=1";
    assert!(applies(no_marker, &linux_311, &[]));
}

#[test]
fn extra_markers() {
    let env = environment("3.11.7", "linux");
    let socks = parse_requirement("PySocks!=1.5.7,>=1.5.6; extra == \"socks\"").unwrap();
    assert!(!socks.evaluate_markers(&env, &[]));
    assert!(socks.evaluate_markers(&env, &[ExtraName::from_str("socks").unwrap()]));
    assert!(!socks.evaluate_markers(&env, &[ExtraName::from_str("other").unwrap()]));

    // Extras compare normalized, and combine with the other markers.
    let test =
        parse_requirement("pytest; python_version >= '3.8' and extra == 'Test_All'").unwrap();
    assert!(test.evaluate_markers(&env, &[ExtraName::from_str("test-all").unwrap()]));
    let old = environment("3.7.9", "linux");
    assert!(!test.evaluate_markers(&old, &[ExtraName::from_str("test-all").unwrap()]));
}
