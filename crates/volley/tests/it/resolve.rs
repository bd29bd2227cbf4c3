//! `volley install` with dependency resolution: trees, conflicts, `--dry-run`, `--report`,
//! installed versions kept or upgraded.

use std::process::Output;

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

/// `volley compile` of `lines` against `server`, pins on stdout.
fn compile_lines(ctx: &TestContext, server: &IndexServer, lines: &[&str]) -> Output {
    fs_err::write(ctx.root().join("requirements.in"), lines.join("\n")).unwrap();
    let venv = ctx.venv().to_string_lossy().to_string();
    let index = server.index_url();
    volley(
        ctx,
        &[
            "compile",
            "requirements.in",
            "--python",
            &venv,
            "-i",
            &index,
            "--no-header",
            "--no-annotate",
        ],
    )
}

/// The versions of `project` whose `.metadata` file was requested, oldest first.
fn metadata_requested(server: &IndexServer, project: &str) -> Vec<String> {
    let prefix = format!("{project}-");
    let mut versions: Vec<String> = server
        .requests()
        .into_iter()
        .filter_map(|request| {
            let file = request.path.rsplit('/').next()?.to_string();
            let rest = file.strip_prefix(&prefix)?.strip_suffix(".metadata")?;
            Some(rest.split('-').next()?.to_string())
        })
        .collect();
    versions.sort_by_key(|version| {
        version
            .split('.')
            .map(|part| part.parse::<u32>().unwrap_or(0))
            .collect::<Vec<_>>()
    });
    versions.dedup();
    versions
}

#[test]
fn a_dependency_missing_from_the_index_is_backtracked_over() {
    // `tool==2.0` needs `gone`, whose page is a 404: pip and uv then use `tool==1.0`.
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("tool", "2.0").requires_dist("gone>=1").build())
        .wheel(module_wheel("tool", "1.0").build())
        .start();
    let output = compile_lines(&ctx, &server, &["tool"]);
    assert_success(&output);
    insta::assert_snapshot!(stdout(&output), @"tool==1.0");
    assert!(
        server
            .requests()
            .iter()
            .any(|request| request.path.contains("/gone/")),
        "the missing project's page was asked for"
    );
}

#[test]
fn a_requirement_on_a_missing_project_says_which_index_lacks_it() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("tool", "2.0").requires_dist("gone>=1").build())
        .start();
    let output = compile_lines(&ctx, &server, &["tool"]);
    let error = assert_failure(&output);
    assert!(error.contains("no versions of gone"), "{error}");
    assert!(
        error.contains(&format!(
            "package \"gone\" was not found in the index {}",
            server.index_url().trim_end_matches('/')
        )),
        "{error}"
    );
}

#[test]
fn an_extra_that_conflicts_reads_no_metadata_of_its_old_releases() {
    // `queue[redis]==30` needs `redis>=2`, which the user excludes; `queue` itself is needed
    // plainly first. The solver must go back to `queue==29`, without reading the metadata of
    // the other 28 releases (nor building anything).
    let ctx = TestContext::new();
    ctx.create_venv();
    let mut builder = IndexServer::builder()
        .metadata_files(true)
        .wheel(
            module_wheel("worker", "1.0")
                .requires_dist("queue")
                .requires_dist("queue[redis]")
                .build(),
        )
        .wheel(module_wheel("redis", "1.0").build())
        .wheel(module_wheel("redis", "2.0").build());
    for at in 1..=30 {
        let bound = if at == 30 { "redis>=2" } else { "redis>=1" };
        builder = builder.wheel(
            module_wheel("queue", &format!("{at}.0"))
                .provides_extra("redis")
                .requires_dist(&format!("{bound}; extra == 'redis'"))
                .build(),
        );
    }
    let server = builder.start();
    let output = compile_lines(&ctx, &server, &["worker", "redis<2"]);
    assert_success(&output);
    insta::assert_snapshot!(stdout(&output), @r"
    queue==29.0
    redis==1.0
    worker==1.0
    ");
    assert_eq!(metadata_requested(&server, "queue"), ["29.0", "30.0"]);
}

#[test]
fn a_package_rejected_again_and_again_is_decided_first_in_either_order() {
    // `binding` releases 7..=12 each need a `lib` older than themselves; older ones have no
    // bound. pip and uv keep `binding` new and move `lib` back one release, in either order.
    let ctx = TestContext::new();
    ctx.create_venv();
    let mut builder = IndexServer::builder().metadata_files(true);
    for at in 1..=12 {
        builder = builder.wheel(module_wheel("lib", &format!("{at}.0")).build());
        let mut binding = module_wheel("binding", &format!("{at}.0"));
        if at >= 7 {
            binding = binding.requires_dist(&format!("lib<{at}.0"));
        }
        builder = builder.wheel(binding.build());
    }
    let server = builder.start();
    for order in [["lib", "binding"], ["binding", "lib"]] {
        let output = compile_lines(&ctx, &server, &order);
        assert_success(&output);
        assert_eq!(
            stdout(&output).trim(),
            "binding==12.0\nlib==11.0",
            "{order:?}"
        );
    }
}

#[test]
fn a_prerelease_named_by_a_rejected_version_is_not_installed() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(
            module_wheel("genai", "1.5")
                .requires_dist("http<1.0.0dev,>=0.28.1")
                .requires_dist("io>=4.8")
                .build(),
        )
        .wheel(
            module_wheel("genai", "1.2")
                .requires_dist("http>=0.28")
                .requires_dist("io>=4")
                .build(),
        )
        .wheel(module_wheel("io", "4.7").build())
        .wheel(module_wheel("io", "4.8").build())
        .wheel(module_wheel("http", "0.28.1").build())
        .wheel(module_wheel("http", "0.29.0").build())
        .wheel(module_wheel("http", "1.0.dev6").build())
        .start();
    let output = compile_lines(&ctx, &server, &["genai<=1.5", "io<4.8", "http"]);
    assert_success(&output);
    insta::assert_snapshot!(stdout(&output), @r"
    genai==1.2
    http==0.29.0
    io==4.7
    ");
}
