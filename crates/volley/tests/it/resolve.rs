//! `volley install` with dependency resolution: trees, conflicts, `--dry-run`, `--report`,
//! installed versions kept or upgraded.

use crate::common::*;

fn tree_server() -> IndexServer {
    IndexServer::builder()
        .wheel(
            module_wheel("web", "1.0")
                .requires_dist("router>=2")
                .requires_dist("templates[fast]>=1")
                .requires_dist("legacy; python_version < '3'")
                .build(),
        )
        .wheel(module_wheel("router", "1.5").build())
        .wheel(module_wheel("router", "2.0").requires_dist("util").build())
        .wheel(
            module_wheel("router", "3.0a1")
                .requires_dist("util")
                .build(),
        )
        .wheel(
            module_wheel("templates", "1.1")
                .provides_extra("fast")
                .requires_dist("speedups; extra == 'fast'")
                .requires_dist("util>=1.1")
                .build(),
        )
        .wheel(module_wheel("speedups", "0.9").build())
        .wheel(module_wheel("util", "1.0").build())
        .wheel(module_wheel("util", "1.2").build())
        .start()
}

#[test]
fn resolves_a_tree_with_extras_and_markers() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = tree_server();
    let output = install(&ctx, &server, &["web"]);
    assert_success(&output);
    insta::assert_snapshot!(summary(&ctx, &output), @r"
    Resolved 5 packages in [TIME]
    Prepared 5 packages in [TIME]
    Installed 5 packages in [TIME]
     + router==2.0
     + speedups==0.9
     + templates==1.1
     + util==1.2
     + web==1.0
    ");
    assert_pip_check(&ctx);
    // Each URL was fetched once, however many packages depend on it.
    let mut paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    let count = paths.len();
    paths.sort();
    paths.dedup();
    assert_eq!(count, paths.len(), "a URL was fetched twice: {paths:#?}");
}

#[test]
fn unsatisfiable_request_explains_and_changes_nothing() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(
            module_wheel("left", "1.0")
                .requires_dist("shared>=2")
                .build(),
        )
        .wheel(
            module_wheel("right", "1.0")
                .requires_dist("shared<2")
                .build(),
        )
        .wheel(module_wheel("shared", "1.0").build())
        .wheel(module_wheel("shared", "2.0").build())
        .start();
    let before = venv_files(&ctx);
    let output = install(&ctx, &server, &["left", "right"]);
    let error = assert_failure(&output);
    assert!(error.contains("shared"), "{error}");
    assert!(error.contains("left"), "{error}");
    assert!(error.contains("right"), "{error}");
    assert_eq!(before, venv_files(&ctx));
    // Dependencies came from the `.metadata` files: no wheel was opened for its metadata
    // (a wheel GET may still have started speculatively for a decided version).
    let range_reads = server
        .requests()
        .into_iter()
        .filter(|r| r.header("range").is_some())
        .count();
    assert_eq!(range_reads, 0, "metadata came from .metadata files only");
    insta::assert_snapshot!(error, @r"
    error: no solution found when resolving dependencies:
    Because left depends on shared>=2 and right==1.0 depends on shared<2, left and right==1.0 cannot both be installed.
    And because you require left and you require right, the requirements cannot be satisfied.
    ");
}

#[test]
fn dry_run_changes_nothing_and_report_lists_the_plan() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = tree_server();
    let before = venv_files(&ctx);
    let report = ctx.root().join("report.json");
    let output = install(
        &ctx,
        &server,
        &["web", "--dry-run", "--report", report.to_str().unwrap()],
    );
    assert_success(&output);
    assert!(
        stderr(&output).contains("Would install 5 packages"),
        "{}",
        stderr(&output)
    );
    assert_eq!(before, venv_files(&ctx));
    let report: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(report["version"], "1");
    let mut names: Vec<String> = report["install"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            format!(
                "{}=={} requested={}",
                item["metadata"]["name"].as_str().unwrap(),
                item["metadata"]["version"].as_str().unwrap(),
                item["requested"]
            )
        })
        .collect();
    names.sort();
    insta::assert_debug_snapshot!(names, @r#"
    [
        "router==2.0 requested=false",
        "speedups==0.9 requested=false",
        "templates==1.1 requested=false",
        "util==1.2 requested=false",
        "web==1.0 requested=true",
    ]
    "#);
    assert!(report["environment"]["python_version"].is_string());
    assert!(report["install"][0]["download_info"]["archive_info"]["hashes"]["sha256"].is_string());
}

#[test]
fn installed_versions_are_kept_unless_upgrading() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = tree_server();
    assert_success(&install(&ctx, &server, &["util==1.0"]));
    let output = install(&ctx, &server, &["templates"]);
    assert_success(&output);
    // util 1.0 does not satisfy templates' util>=1.1: it is replaced.
    assert!(
        stderr(&output).contains(" - util==1.0"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains(" + util==1.2"),
        "{}",
        stderr(&output)
    );

    let output = install(&ctx, &server, &["router==1.5"]);
    assert_success(&output);
    // Satisfied requirements are left alone...
    let output = install(&ctx, &server, &["router"]);
    assert_success(&output);
    assert!(
        !stderr(&output).contains(" + router"),
        "{}",
        stderr(&output)
    );
    // ...unless upgrading.
    let output = install(&ctx, &server, &["router", "--upgrade"]);
    assert_success(&output);
    assert!(
        stderr(&output).contains(" + router==2.0"),
        "{}",
        stderr(&output)
    );
    assert_pip_check(&ctx);
}

#[test]
fn prereleases_only_when_asked() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = tree_server();
    let output = install(&ctx, &server, &["router", "--dry-run"]);
    assert_success(&output);
    assert!(
        stderr(&output).contains("+ router==2.0"),
        "{}",
        stderr(&output)
    );
    let output = install(&ctx, &server, &["router", "--pre", "--dry-run"]);
    assert_success(&output);
    assert!(
        stderr(&output).contains("+ router==3.0a1"),
        "{}",
        stderr(&output)
    );
    let output = install(&ctx, &server, &["router>=3.0a1", "--dry-run"]);
    assert_success(&output);
    assert!(
        stderr(&output).contains("+ router==3.0a1"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn requirements_and_constraints_files() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = tree_server();
    let requirements = ctx.root().join("requirements.txt");
    let constraints = ctx.root().join("constraints.txt");
    fs_err::write(
        &requirements,
        "# the app\nrouter  # any version\n\n-c constraints.txt\n",
    )
    .unwrap();
    fs_err::write(&constraints, "util<1.2\nnot-installed==9\n").unwrap();
    let output = install(&ctx, &server, &["-r", requirements.to_str().unwrap()]);
    assert_success(&output);
    let freeze = pip_freeze(&ctx);
    assert!(freeze.contains("router==2.0"), "{freeze}");
    assert!(freeze.contains("util==1.0"), "{freeze}");
    assert!(!freeze.contains("not-installed"), "{freeze}");
}

#[test]
fn sdist_only_newest_version_fails_clearly() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let sdist = volley_test_support::SdistBuilder::new("fresh", "2.0").build();
    let server = IndexServer::builder()
        .wheel(module_wheel("fresh", "1.0").build())
        .file("fresh", &sdist.filename, sdist.bytes.clone())
        .start();
    let output = install(&ctx, &server, &["fresh"]);
    let error = assert_failure(&output);
    assert!(error.contains("fresh"), "{error}");
    assert!(error.contains("2.0"), "{error}");
    // The sdist is built now (issue 7); this one is not a project, which the error says.
    assert!(
        error.contains("fresh-2.0.tar.gz")
            && error.contains("does not appear to be a Python project"),
        "{error}"
    );
    // pip's --prefer-binary picks the older wheel instead.
    let output = install(&ctx, &server, &["fresh", "--prefer-binary"]);
    assert_success(&output);
    assert!(pip_freeze(&ctx).contains("fresh==1.0"));
}
