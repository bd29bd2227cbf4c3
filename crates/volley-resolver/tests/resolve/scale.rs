//! What big real graphs need: extras that never walk away from their base, missing projects
//! that are backtracked over, and lockstep families resolved without reading every release's
//! metadata. The in-memory index counts what the resolver asks for.

use crate::index::{Index, name, options, solve};

/// How many times the resolver asked for the metadata of `package` (any version), and which
/// versions.
fn metadata_requests(index: &Index, package: &str) -> Vec<String> {
    let prefix = format!("metadata {package} ");
    index
        .events()
        .into_iter()
        .filter_map(|event| event.strip_prefix(&prefix).map(str::to_string))
        .collect()
}

#[test]
fn an_extra_whose_newest_version_conflicts_reads_no_metadata_of_other_versions() {
    // `queue` is decided at 30 before `queue[redis]` is looked at (it is needed plainly too);
    // `queue[redis]==30` needs `redis>=2`, which the user excludes. Only the base's versions may
    // be read: 30 (decided first), then 29, where the solver must go back to.
    let mut index = Index::new();
    for at in 1..=30 {
        let redis = if at == 30 { "redis>=2" } else { "redis>=1" };
        let extra = format!("{redis}; extra == 'redis'");
        index.add("queue", &format!("{at}.0"), &[extra.as_str()]);
    }
    index.add("worker", "1.0", &["queue", "queue[redis]"]);
    index.add("redis", "1.0", &[]);
    index.add("redis", "2.0", &[]);
    insta::allow_duplicates! { insta::assert_snapshot!(solve(&index, &["worker", "redis<2"], &options()), @r"
    queue[redis]==29.0 via worker
    redis==1.0 (requested) via queue
    worker==1.0 (requested)
    "); }
    assert_eq!(metadata_requests(&index, "queue"), ["30.0", "29.0"]);
}

#[test]
fn an_extra_requested_first_still_takes_its_bases_version() {
    let mut index = Index::new();
    for at in 1..=20 {
        let redis = if at >= 18 { "redis>=2" } else { "redis>=1" };
        let extra = format!("{redis}; extra == 'redis'");
        index.add("queue", &format!("{at}.0"), &[extra.as_str()]);
    }
    index.add("redis", "1.0", &[]);
    index.add("redis", "2.0", &[]);
    insta::allow_duplicates! { insta::assert_snapshot!(solve(&index, &["queue[redis]", "queue", "redis<2"], &options()), @r"
    queue[redis]==17.0 (requested)
    redis==1.0 (requested) via queue
    "); }
    let read = metadata_requests(&index, "queue");
    assert!(read.len() <= 4, "read {read:?}");
}

#[test]
fn a_dependency_on_a_missing_project_is_backtracked_over() {
    // `tool==2.0` needs `gone`, which no index has: `tool==1.0` is used instead.
    let mut index = Index::new();
    index.add("tool", "2.0", &["gone>=1"]);
    index.add("tool", "1.0", &[]);
    insta::allow_duplicates! { insta::assert_snapshot!(solve(&index, &["tool"], &options()), @"tool==1.0 (requested)"); }
    assert!(index.events().contains(&"versions gone".to_string()));
}

/// `core` and four plugins released in lockstep (`plugin==v` needs `core==v`), 40 releases each;
/// the last plugin has no release for the newest `core`.
fn lockstep_family() -> Index {
    let mut index = Index::new();
    for at in 1..=40 {
        let version = format!("{at}.0");
        index.add("core", &version, &[]);
        for plugin in ["web", "postgres", "aws", "k8s"] {
            if plugin == "k8s" && at == 40 {
                continue;
            }
            let pin = format!("core=={version}");
            index.add(plugin, &version, &[pin.as_str()]);
        }
    }
    index
}

#[test]
fn a_lockstep_family_reads_few_releases_whatever_the_order() {
    let orders: [&[&str]; 3] = [
        &["core", "web", "postgres", "aws", "k8s"],
        &["k8s", "aws", "postgres", "web", "core"],
        &["web", "k8s", "core", "aws", "postgres"],
    ];
    for order in orders {
        let index = lockstep_family();
        insta::allow_duplicates! { insta::assert_snapshot!(solve(&index, order, &options()), @r"
        aws==39.0 (requested)
        core==39.0 (requested) via aws, k8s, postgres, web
        k8s==39.0 (requested)
        postgres==39.0 (requested)
        web==39.0 (requested)
        "); }
        // Five versions decided; each package's metadata read for at most a handful of releases.
        let total: usize = ["core", "web", "postgres", "aws", "k8s"]
            .iter()
            .map(|package| metadata_requests(&index, package).len())
            .sum();
        assert!(
            total <= 20,
            "{order:?} read {total} metadata files: {:#?}",
            index.events()
        );
    }
    let _ = name("core");
}
