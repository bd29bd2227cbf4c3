//! Conflict explanations, as the user reads them.

use crate::index::{Index, no_solution, options, requirements};

#[test]
fn two_packages_need_different_versions_of_a_third() {
    let mut index = Index::new();
    index.add("a", "1.0", &["c>=2"]);
    index.add("b", "1.0", &["c<2"]);
    index.add("c", "1.0", &[]);
    index.add("c", "2.0", &[]);
    insta::assert_snapshot!(no_solution(&index, &["a==1.0", "b==1.0"], &options()), @r#"
        Because a==1.0 depends on c>=2 and b==1.0 depends on c<2, a==1.0 and b==1.0 cannot both be installed.
        And because you require a==1.0 and you require b==1.0, the requirements cannot be satisfied.
        "#);
}

#[test]
fn every_version_conflicts() {
    let mut index = Index::new();
    for at in ["1.0", "1.1", "1.2"] {
        index.add("plugin", at, &["host<2"]);
    }
    index.add("host", "1.0", &[]);
    index.add("host", "2.0", &[]);
    insta::assert_snapshot!(no_solution(&index, &["plugin", "host>=2"], &options()), @r#"
        Because plugin depends on host<2 and you require plugin, host<2 is required.
        And because you require host>=2, the requirements cannot be satisfied.
        "#);
}

#[test]
fn no_version_matches() {
    let mut index = Index::new();
    index.add("foo", "1.0", &[]);
    insta::assert_snapshot!(no_solution(&index, &["foo>=3,<4"], &options()), @"Because there is no version of foo>=3, <4 and you require foo>=3, <4, the requirements cannot be satisfied.");
}

#[test]
fn unknown_package() {
    let index = Index::new();
    insta::assert_snapshot!(no_solution(&index, &["nope"], &options()), @"Because no versions of nope were found and you require nope, the requirements cannot be satisfied.");
}

#[test]
fn requires_python_explains_itself() {
    let mut index = Index::new();
    index.add("foo", "2.0", &[]).index_requires_python(">=3.12");
    index.add("foo", "2.1", &[]).index_requires_python(">=3.12");
    index
        .add("bar", "1.0", &[])
        .metadata_requires_python(">=3.13");
    insta::assert_snapshot!(no_solution(&index, &["foo>=2"], &options()), @r#"
        Because foo requires Python>=3.12 and the target Python is 3.11.4, foo cannot be installed.
        And because you require foo>=2, the requirements cannot be satisfied.
        hint: foo 2.1 and 2.0 require Python >=3.12, but the target Python is 3.11.4
        "#);
    // Versions offered only to explain their Requires-Python are not downloaded.
    assert!(
        !index
            .events()
            .iter()
            .any(|event| event.starts_with("decision"))
    );
    insta::assert_snapshot!(no_solution(&index, &["bar"], &options()), @r#"
        Because bar requires Python>=3.13 and the target Python is 3.11.4, bar cannot be installed.
        And because you require bar, the requirements cannot be satisfied.
        hint: bar 1.0 requires Python >=3.13, but the target Python is 3.11.4
        "#);
}

#[test]
fn prerelease_hint() {
    let mut index = Index::new();
    index.add("app", "1.0", &["tool>=1.0"]);
    index.add("tool", "1.0", &["lib<1"]);
    index.add("tool", "1.1rc1", &["lib>=1"]);
    index.add("lib", "0.5", &[]);
    index.add("lib", "1.0", &[]);
    insta::assert_snapshot!(no_solution(&index, &["app", "lib>=1"], &options()), @r#"
        Because tool depends on lib<1 and app==1.0 depends on tool>=1.0, app==1.0 depends on lib<1.
        And because you require app and you require lib>=1, the requirements cannot be satisfied.
        hint: pre-releases were not considered (tool 1.1rc1); pass --pre or require one explicitly (e.g. `tool>=1.1rc1`) to allow them
        "#);
}

#[test]
fn only_binary_hint() {
    let mut index = Index::new();
    index.add("foo", "2.0", &[]).sdist_only();
    index.add("foo", "1.0", &[]).no_usable_file();
    let mut options = options();
    options.binary.only_binary = volley_resolver::NameSet::All;
    insta::assert_snapshot!(no_solution(&index, &["foo"], &options), @r#"
        Because there is no usable version of foo and you require foo, the requirements cannot be satisfied.
        hint: foo 2.0 and 1.0 have no wheel for the target, and only wheels are allowed for foo
        "#);
}

#[test]
fn conflict_through_an_extra() {
    let mut index = Index::new();
    index.add("lib", "1.0", &["shared>=2; extra == 'fast'"]);
    index.add("shared", "1.0", &[]);
    index.add("shared", "2.0", &[]);
    insta::assert_snapshot!(no_solution(&index, &["lib[fast]", "shared<2"], &options()), @r#"
        Because lib[fast] depends on shared>=2 and you require lib[fast], shared>=2 is required.
        And because you require shared<2, the requirements cannot be satisfied.
        "#);
}

#[test]
fn conflict_with_a_constraint() {
    let mut index = Index::new();
    index.add("app", "1.0", &["lib>=2"]);
    index.add("lib", "1.0", &[]);
    index.add("lib", "2.0", &[]);
    let mut options = options();
    options.constraints = requirements(&["lib<2"]);
    insta::assert_snapshot!(no_solution(&index, &["app"], &options), @r#"
        Because the constraints require lib<2 and app==1.0 depends on lib>=2, app==1.0 cannot be installed.
        And because you require app, the requirements cannot be satisfied.
        "#);
}

#[test]
fn deeper_conflict_with_shared_steps() {
    let mut index = Index::new();
    index.add("menu", "1.5", &["dropdown>=2.0"]);
    index.add("menu", "1.0", &["dropdown>=1.0,<2.0"]);
    index.add("dropdown", "2.0", &["icons>=2.0"]);
    index.add("dropdown", "1.8", &["intl<4.0"]);
    index.add("icons", "2.0", &[]);
    index.add("icons", "1.0", &[]);
    index.add("intl", "3.0", &[]);
    index.add("intl", "5.0", &[]);
    insta::assert_snapshot!(
        no_solution(&index, &["menu", "icons<2.0", "intl>=5.0"], &options()),
        @r#"
            Because dropdown<2.0 depends on intl<4.0 and menu==1.0 depends on dropdown>=1.0, <2.0, menu==1.0 depends on intl<4.0. (1)

            Because dropdown>=2.0 depends on icons>=2.0 and menu==1.5 depends on dropdown>=2.0, menu==1.5 depends on icons>=2.0.
            And because menu==1.0 depends on intl<4.0 (1), menu depends on icons>=2.0 or intl<4.0.
            And because you require menu, icons>=2.0 or intl<4.0 is required.
            And because you require icons<2.0 and you require intl>=5.0, the requirements cannot be satisfied.
            "#
    );
}

#[test]
fn url_dependency() {
    let mut index = Index::new();
    index.add("foo", "2.0", &["bar @ https://example.com/bar-1.0.tar.gz"]);
    insta::assert_snapshot!(no_solution(&index, &["foo"], &options()), @r#"
        Because foo==2.0 depends on `bar @ https://example.com/bar-1.0.tar.gz` (a direct URL, which volley cannot resolve yet) and there is no version of foo!=2.0, foo cannot be installed.
        And because you require foo, the requirements cannot be satisfied.
        "#);
}
