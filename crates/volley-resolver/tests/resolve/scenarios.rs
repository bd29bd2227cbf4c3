//! What gets chosen: graph shapes, extras, markers, pip's candidate rules, options.

use std::collections::BTreeSet;

use volley_resolver::{NameSet, PrereleaseMode, ResolveError, Upgrade, resolve};

use crate::index::{Index, fail, name, options, requirements, solve, version};

#[test]
fn diamond_picks_a_shared_version_that_fits_both_sides() {
    let mut index = Index::new();
    index.add("app", "1.0", &["left", "right"]);
    index.add("left", "1.0", &["shared>=1.0"]);
    index.add("right", "1.0", &["shared<2.0"]);
    for at in ["0.9", "1.0", "1.5", "2.0"] {
        index.add("shared", at, &[]);
    }
    insta::assert_snapshot!(solve(&index, &["app"], &options()), @r#"
        app==1.0 (requested)
        left==1.0 via app
        right==1.0 via app
        shared==1.5 via left, right
        "#);
}

#[test]
fn deep_chain() {
    let mut index = Index::new();
    for level in 0..30 {
        let next = format!("level{}>=1", level + 1);
        let dependencies: Vec<&str> = if level < 29 {
            vec![next.as_str()]
        } else {
            vec![]
        };
        index.add(&format!("level{level}"), "1.0", &dependencies);
        index.add(&format!("level{level}"), "0.5", &[]);
    }
    let resolution = resolve(&requirements(&["level0"]), &options(), &index).unwrap();
    assert_eq!(resolution.packages.len(), 30);
    assert!(
        resolution
            .packages
            .iter()
            .all(|package| package.version == version("1.0"))
    );
}

#[test]
fn backtracks_to_an_older_version_when_the_newest_conflicts() {
    let mut index = Index::new();
    index.add("web", "2.0", &["template==2.0"]);
    index.add("web", "1.0", &["template==1.0"]);
    index.add("mail", "1.0", &["template<2"]);
    index.add("template", "1.0", &[]);
    index.add("template", "2.0", &[]);
    insta::assert_snapshot!(solve(&index, &["web", "mail"], &options()), @r#"
        mail==1.0 (requested)
        template==1.0 via mail, web
        web==1.0 (requested)
        "#);
}

#[test]
fn requested_extras_and_required_by_are_reported() {
    let mut index = Index::new();
    index.add(
        "client",
        "1.0",
        &["transport", "socks>=1; extra == 'proxy'"],
    );
    index.add("transport", "1.0", &[]);
    index.add("socks", "1.0", &["transport"]);
    insta::assert_snapshot!(solve(&index, &["client[proxy]"], &options()), @r#"
        client[proxy]==1.0 (requested)
        socks==1.0 via client
        transport==1.0 via client, socks
        "#);
}

#[test]
fn extras_only_apply_when_requested() {
    let mut index = Index::new();
    index.add(
        "client",
        "1.0",
        &["transport", "socks>=1; extra == 'proxy'"],
    );
    index.add("transport", "1.0", &[]);
    index.add("socks", "1.0", &[]);
    insta::assert_snapshot!(solve(&index, &["client"], &options()), @r#"
        client==1.0 (requested)
        transport==1.0 via client
        "#);
}

#[test]
fn an_extra_that_needs_a_different_shared_version_moves_its_package_back() {
    let mut index = Index::new();
    index.add("lib", "2.0", &["shared>=1", "shared>=2; extra == 'fast'"]);
    index.add("lib", "1.0", &["shared>=1", "accel; extra == 'fast'"]);
    index.add("accel", "1.0", &[]);
    index.add("pinned", "1.0", &["shared<2"]);
    index.add("shared", "1.0", &[]);
    index.add("shared", "2.0", &[]);
    // Without the extra the newest lib fits; with it, lib and lib[fast] move back together.
    insta::assert_snapshot!(solve(&index, &["lib", "pinned"], &options()), @r#"
        lib==2.0 (requested)
        pinned==1.0 (requested)
        shared==1.0 via lib, pinned
        "#);
    insta::assert_snapshot!(solve(&index, &["lib[fast]", "pinned"], &options()), @r#"
        accel==1.0 via lib
        lib[fast]==1.0 (requested)
        pinned==1.0 (requested)
        shared==1.0 via lib, pinned
        "#);
}

#[test]
fn extras_of_extras_share_the_version() {
    let mut index = Index::new();
    index.add(
        "kit",
        "1.0",
        &[
            "kit[a,b]; extra == 'all'",
            "alpha; extra == 'a'",
            "beta; extra == 'b'",
        ],
    );
    index.add("alpha", "1.0", &[]);
    index.add("beta", "1.0", &[]);
    insta::assert_snapshot!(solve(&index, &["kit[all]"], &options()), @r#"
        alpha==1.0 via kit
        beta==1.0 via kit
        kit[a,all,b]==1.0 (requested)
        "#);
}

#[test]
fn markers_are_evaluated_against_the_target() {
    let mut index = Index::new();
    index.add(
        "app",
        "1.0",
        &[
            "tomli; python_version < '3.11'",
            "uvloop; sys_platform == 'linux'",
            "colorama; sys_platform == 'win32'",
            "exceptiongroup; python_full_version < '3.11.2'",
        ],
    );
    for package in ["tomli", "uvloop", "colorama", "exceptiongroup", "pywin32"] {
        index.add(package, "1.0", &[]);
    }
    insta::assert_snapshot!(
        solve(&index, &["app", "pywin32; sys_platform == 'win32'"], &options()),
        @r#"
            app==1.0 (requested)
            uvloop==1.0 via app
            "#
    );
}

#[test]
fn prereleases_are_skipped_by_default() {
    let mut index = Index::new();
    index.add("foo", "1.0", &[]);
    index.add("foo", "2.0b1", &[]);
    index.add("foo", "2.0.dev1", &[]);
    insta::assert_snapshot!(solve(&index, &["foo"], &options()), @"foo==1.0 (requested)");
}

#[test]
fn prereleases_are_chosen_with_pre() {
    let mut index = Index::new();
    index.add("foo", "1.0", &[]);
    index.add("foo", "2.0b1", &[]);
    let mut options = options();
    options.prerelease = PrereleaseMode::Allow;
    insta::assert_snapshot!(solve(&index, &["foo"], &options), @"foo==2.0b1 (requested)");
}

#[test]
fn prereleases_are_chosen_when_a_specifier_names_one() {
    let mut index = Index::new();
    index.add("foo", "1.0", &[]);
    index.add("foo", "2.0b1", &[]);
    index.add("foo", "2.0b2", &[]);
    index.add("app", "1.0", &["bar>=3.0rc1"]);
    index.add("bar", "2.0", &[]);
    index.add("bar", "3.0rc2", &[]);
    insta::assert_snapshot!(solve(&index, &["foo>=2.0b1", "app"], &options()), @r#"
        app==1.0 (requested)
        bar==3.0rc2 via app
        foo==2.0b2 (requested)
        "#);
}

#[test]
fn a_constraint_naming_a_prerelease_allows_prereleases() {
    let mut index = Index::new();
    index.add("foo", "1.0", &[]);
    index.add("foo", "2.0b1", &[]);
    let mut options = options();
    options.constraints = requirements(&["foo>=2.0b1"]);
    insta::assert_snapshot!(solve(&index, &["foo"], &options), @"foo==2.0b1 (requested)");
}

#[test]
fn a_package_listing_itself_is_harmless() {
    let mut index = Index::new();
    index.add(
        "kit",
        "1.0",
        &["kit", "kit[all]; extra == 'all'", "alpha; extra == 'all'"],
    );
    index.add("alpha", "1.0", &[]);
    insta::assert_snapshot!(solve(&index, &["kit[all]"], &options()), @r#"
        alpha==1.0 via kit
        kit[all]==1.0 (requested)
        "#);
}

#[test]
fn duplicate_index_entries_for_one_version_are_merged() {
    let mut index = Index::new();
    index.add("foo", "1.0", &[]).no_usable_file();
    index.add("foo", "1.0.0", &[]).sdist_only();
    insta::assert_snapshot!(solve(&index, &["foo"], &options()), @"foo==1.0 (sdist) (requested)");
}

#[test]
fn prereleases_are_chosen_when_no_final_release_fits() {
    let mut index = Index::new();
    index.add("foo", "1.0", &[]);
    index.add("foo", "2.0b1", &[]);
    index.add("only-pre", "0.1a1", &[]);
    index.add("only-pre", "0.1a2", &[]);
    insta::assert_snapshot!(solve(&index, &["foo>1.0", "only-pre"], &options()), @r#"
        foo==2.0b1 (requested)
        only-pre==0.1a2 (requested)
        "#);
}

#[test]
fn backtracking_does_not_slide_into_prereleases() {
    // pip offers only foo 1.0 (a final release fits `foo`), and fails; so does volley, with a
    // hint, instead of quietly installing 2.0b1.
    let mut index = Index::new();
    index.add("foo", "1.0", &["bar<1"]);
    index.add("foo", "2.0b1", &["bar>=1"]);
    index.add("bar", "0.5", &[]);
    index.add("bar", "1.0", &[]);
    insta::assert_snapshot!(fail(&index, &["foo", "bar>=1"], &options()), @r#"
        no solution found when resolving dependencies:
        Because foo depends on bar<1 and you require foo, bar<1 is required.
        And because you require bar>=1, the requirements cannot be satisfied.
        hint: pre-releases were not considered (foo 2.0b1); pass --pre or require one explicitly (e.g. `foo>=2.0b1`) to allow them
        "#);
}

#[test]
fn a_dependency_that_needs_a_prerelease_gets_it_after_a_final_was_tried() {
    // foo 1.0 is tried first; bar then needs foo>1, which only 2.0rc1 satisfies: pip's combined
    // specifier `>1` has no final release, so the pre-release is allowed.
    let mut index = Index::new();
    index.add("foo", "1.0", &[]);
    index.add("foo", "2.0rc1", &[]);
    index.add("bar", "1.0", &["foo>1"]);
    insta::assert_snapshot!(solve(&index, &["foo", "bar"], &options()), @r#"
        bar==1.0 (requested)
        foo==2.0rc1 (requested) via bar
        "#);
}

#[test]
fn yanked_versions_are_skipped_unless_pinned() {
    let mut index = Index::new();
    index.add("foo", "1.0", &[]);
    index.add("foo", "2.0", &[]).yanked();
    insta::assert_snapshot!(solve(&index, &["foo"], &options()), @"foo==1.0 (requested)");
    insta::assert_snapshot!(solve(&index, &["foo==2.0"], &options()), @"foo==2.0 (requested)");
    insta::assert_snapshot!(fail(&index, &["foo>=2.0"], &options()), @r#"
        no solution found when resolving dependencies:
        Because there is no usable version of foo>=2.0 and you require foo>=2.0, the requirements cannot be satisfied.
        hint: foo 2.0 is yanked and only chosen when pinned with `==`
        "#);
}

#[test]
fn requires_python_from_the_index_excludes_a_version() {
    let mut index = Index::new();
    index.add("foo", "1.0", &[]);
    index.add("foo", "2.0", &[]).index_requires_python(">=3.12");
    insta::assert_snapshot!(solve(&index, &["foo"], &options()), @"foo==1.0 (requested)");
    // No metadata of 2.0 was needed to rule it out.
    assert!(!index.events().contains(&"metadata foo 2.0".to_string()));
}

#[test]
fn requires_python_from_metadata_excludes_a_version() {
    let mut index = Index::new();
    index.add("foo", "1.0", &[]);
    index
        .add("foo", "2.0", &["never-needed"])
        .metadata_requires_python(">=3.12");
    insta::assert_snapshot!(solve(&index, &["foo"], &options()), @"foo==1.0 (requested)");
}

#[test]
fn a_final_release_excluded_by_requires_python_lets_prereleases_in() {
    // pip drops 2.0 while reading the index, so only pre-releases fit.
    let mut index = Index::new();
    index.add("foo", "2.0", &[]).index_requires_python(">=3.12");
    index.add("foo", "2.1b1", &[]);
    insta::assert_snapshot!(solve(&index, &["foo"], &options()), @"foo==2.1b1 (requested)");
}

#[test]
fn constraints_limit_versions_without_adding_packages() {
    let mut index = Index::new();
    index.add("app", "1.0", &["lib"]);
    index.add("lib", "1.0", &[]);
    index.add("lib", "2.0", &[]);
    index.add("unused", "1.0", &[]);
    let mut options = options();
    options.constraints = requirements(&["lib<2", "unused==1.0", "app<0; sys_platform == 'win32'"]);
    insta::assert_snapshot!(solve(&index, &["app"], &options), @r#"
        app==1.0 (requested)
        lib==1.0 via app
        "#);
}

#[test]
fn installed_versions_are_kept_unless_upgraded() {
    let mut index = Index::new();
    index.add("foo", "1.0", &["bar"]);
    index.add("foo", "2.0", &["bar"]);
    index.add("bar", "1.0", &[]);
    index.add("bar", "2.0", &[]);
    let mut options = options();
    options.installed = vec![(name("foo"), version("1.0")), (name("bar"), version("1.0"))];
    insta::assert_snapshot!(solve(&index, &["foo"], &options), @r#"
        bar==1.0 (installed) via foo
        foo==1.0 (installed) (requested)
        "#);

    options.upgrade = Upgrade::Packages(BTreeSet::from([name("foo")]));
    insta::assert_snapshot!(solve(&index, &["foo"], &options), @r#"
        bar==1.0 (installed) via foo
        foo==2.0 (requested)
        "#);

    options.upgrade = Upgrade::All;
    insta::assert_snapshot!(solve(&index, &["foo"], &options), @r#"
        bar==2.0 via foo
        foo==2.0 (requested)
        "#);

    options.upgrade = Upgrade::None;
    options.reinstall = true;
    insta::assert_snapshot!(solve(&index, &["foo"], &options), @r#"
        bar==2.0 via foo
        foo==2.0 (requested)
        "#);
}

#[test]
fn an_installed_version_that_violates_a_requirement_is_replaced() {
    let mut index = Index::new();
    index.add("foo", "1.0", &[]);
    index.add("foo", "2.0", &[]);
    index.add("foo", "3.0", &[]);
    let mut options = options();
    options.installed = vec![(name("foo"), version("1.0"))];
    options.constraints = requirements(&["foo<3"]);
    insta::assert_snapshot!(solve(&index, &["foo>=1.5"], &options), @"foo==2.0 (requested)");
}

#[test]
fn an_installed_version_missing_from_the_index_is_kept() {
    let mut index = Index::new();
    index.add("foo", "1.0", &[]);
    index.add("foo", "1.1+local", &[]).unlisted();
    let mut options = options();
    options.installed = vec![(name("foo"), version("1.1+local"))];
    insta::assert_snapshot!(solve(&index, &["foo"], &options), @"foo==1.1+local (installed) (requested)");
    // With an upgrade it still wins: it is newer than anything the index has.
    options.upgrade = Upgrade::All;
    insta::assert_snapshot!(solve(&index, &["foo"], &options), @"foo==1.1+local (installed) (requested)");
}

#[test]
fn no_deps_resolves_only_the_requirements() {
    let mut index = Index::new();
    index.add("foo", "1.0", &["bar", "baz; extra == 'x'"]);
    index
        .add("foo", "2.0", &["bar"])
        .metadata_requires_python(">=3.12");
    index.add("bar", "1.0", &[]);
    index.add("baz", "1.0", &[]);
    let mut options = options();
    options.no_deps = true;
    insta::assert_snapshot!(solve(&index, &["foo[x]"], &options), @"foo[x]==1.0 (requested)");
}

#[test]
fn the_newest_version_is_chosen_even_when_it_only_has_an_sdist() {
    let mut index = Index::new();
    index.add("foo", "1.0", &[]);
    index.add("foo", "2.0", &[]).sdist_only();
    insta::assert_snapshot!(solve(&index, &["foo"], &options()), @"foo==2.0 (sdist) (requested)");
}

#[test]
fn only_binary_skips_sdist_only_versions() {
    let mut index = Index::new();
    index.add("foo", "1.0", &[]);
    index.add("foo", "2.0", &[]).sdist_only();
    let mut options = options();
    options.binary.only_binary = NameSet::All;
    insta::assert_snapshot!(solve(&index, &["foo"], &options), @"foo==1.0 (requested)");
}

#[test]
fn prefer_binary_picks_the_newest_wheel_over_a_newer_sdist() {
    let mut index = Index::new();
    index.add("foo", "1.0", &[]);
    index.add("foo", "1.5", &[]);
    index.add("foo", "2.0", &[]).sdist_only();
    let mut options = options();
    options.binary.prefer_binary = true;
    insta::assert_snapshot!(solve(&index, &["foo"], &options), @"foo==1.5 (requested)");
}

#[test]
fn no_binary_builds_from_source_or_skips_versions_without_one() {
    let mut index = Index::new();
    index.add("foo", "1.0", &[]).with_sdist();
    index.add("foo", "2.0", &[]);
    let mut options = options();
    options.binary.no_binary = NameSet::Names(BTreeSet::from([name("foo")]));
    insta::assert_snapshot!(solve(&index, &["foo"], &options), @"foo==1.0 (sdist) (requested)");
}

#[test]
fn versions_without_a_usable_file_are_skipped() {
    let mut index = Index::new();
    index.add("foo", "1.0", &[]);
    index.add("foo", "2.0", &[]).no_usable_file();
    insta::assert_snapshot!(solve(&index, &["foo"], &options()), @"foo==1.0 (requested)");
}

#[test]
fn local_versions_satisfy_public_pins() {
    let mut index = Index::new();
    index.add("torch", "2.0.0+cpu", &[]);
    index.add("torch", "2.1.0+cpu", &[]);
    insta::assert_snapshot!(solve(&index, &["torch==2.0.0"], &options()), @"torch==2.0.0+cpu (requested)");
}

#[test]
fn provider_errors_end_the_resolution_with_their_message() {
    let mut index = Index::new();
    index.add("foo", "1.0", &["flaky"]);
    index.failing.push(name("flaky"));
    insta::assert_snapshot!(fail(&index, &["foo"], &options()), @"index page of flaky could not be fetched: connection reset");
}

#[test]
fn url_requirements_are_refused() {
    let index = Index::new();
    let error = resolve(
        &requirements(&["foo @ https://example.com/foo-1.0-py3-none-any.whl"]),
        &options(),
        &index,
    )
    .unwrap_err();
    assert!(matches!(error, ResolveError::UrlRequirement(_)));
    insta::assert_snapshot!(error, @r#"requirement "foo @ https://example.com/foo-1.0-py3-none-any.whl" points to a URL, which volley cannot resolve yet"#);
}

#[test]
fn a_version_with_a_url_dependency_is_passed_over() {
    let mut index = Index::new();
    index.add("foo", "1.0", &[]);
    index.add("foo", "2.0", &["bar @ https://example.com/bar.tar.gz"]);
    insta::assert_snapshot!(solve(&index, &["foo"], &options()), @"foo==1.0 (requested)");
}

#[test]
fn the_provider_hears_about_names_before_questions_and_about_decisions() {
    let mut index = Index::new();
    index.add("app", "1.0", &["left", "right"]);
    index.add("left", "1.0", &["shared"]);
    index.add("right", "1.0", &["shared"]);
    index.add("shared", "1.0", &[]);
    index.add("kept", "1.0", &[]);
    let mut options = options();
    options.installed = vec![(name("kept"), version("1.0"))];
    solve(&index, &["app", "kept"], &options);
    insta::assert_snapshot!(index.events().join("\n"), @r#"
        discovered app, kept
        versions app
        decision app 1.0
        metadata app 1.0
        discovered left, right
        metadata kept 1.0
        versions left
        decision left 1.0
        metadata left 1.0
        discovered shared
        versions right
        decision right 1.0
        metadata right 1.0
        versions shared
        decision shared 1.0
        metadata shared 1.0
        "#);
}
