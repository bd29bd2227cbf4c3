//! `volley download`: the files pip would download, saved as pip saves them, for the
//! interpreter or for another platform.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::*;

/// The file names in `dir`.
fn files_in(dir: &Path) -> BTreeSet<String> {
    fs_err::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// `volley download ARGS -i <index>` in the context.
fn download(ctx: &TestContext, server: &IndexServer, args: &[&str]) -> std::process::Output {
    let venv = ctx.venv().to_string_lossy().to_string();
    let index = server.index_url();
    let mut full = vec!["download", "--python", &venv, "-i", &index];
    full.extend_from_slice(args);
    volley(ctx, &full)
}

/// One version of a project with wheels for several tags; the bytes differ per tag.
fn tagged(name: &str, version: &str, tags: &[&str]) -> Vec<BuiltWheel> {
    tags.iter()
        .map(|tag| module_wheel(name, version).tag(tag).build())
        .collect()
}

#[test]
fn another_platform_gets_the_files_pip_picks() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let mut wheels = Vec::new();
    // The interpreter's own ABI on the platform beats the rest.
    wheels.extend(tagged(
        "alpha",
        "1.0",
        &[
            "cp312-cp312-manylinux2014_x86_64",
            "cp311-cp311-manylinux2014_x86_64",
            "cp312-cp312-win_amd64",
            "cp312-cp312-macosx_11_0_arm64",
            "py3-none-any",
        ],
    ));
    // An older stable ABI on a platform manylinux2014 implies beats pure Python.
    wheels.extend(tagged(
        "beta",
        "1.0",
        &["cp38-abi3-manylinux1_x86_64", "py3-none-any"],
    ));
    // pip does not take a PEP 600 name for manylinux2014.
    wheels.extend(tagged(
        "gamma",
        "1.0",
        &["cp312-cp312-manylinux_2_17_x86_64", "py3-none-any"],
    ));
    // The newest version has no file for the platform: the one before it is taken.
    wheels.extend(tagged("delta", "2.0", &["cp312-cp312-win_amd64"]));
    wheels.extend(tagged("delta", "1.0", &["py3-none-any"]));
    // Requires-Python is the target's: 2.0 needs 3.13.
    let epsilon_new = module_wheel("epsilon", "2.0")
        .requires_python(">=3.13")
        .build();
    let epsilon_new_name = epsilon_new.filename.clone();
    wheels.push(epsilon_new);
    wheels.push(module_wheel("epsilon", "1.0").build());
    let mut builder = IndexServer::builder();
    for wheel in wheels {
        builder = builder.wheel(wheel);
    }
    let server = builder.requires_python(&epsilon_new_name, ">=3.13").start();

    let target = [
        "--platform",
        "manylinux2014_x86_64",
        "--python-version",
        "3.12",
        "--only-binary",
        ":all:",
    ];
    let names = ["alpha", "beta", "gamma", "delta", "epsilon"];
    let mut args = names.to_vec();
    args.extend(target);
    args.extend(["-d", "volley-files"]);
    let output = download(&ctx, &server, &args);
    assert_success(&output);

    let index = server.index_url();
    let mut pip_args = vec!["download", "-i", index.as_str(), "-d"];
    let pip_dir = ctx.root().join("pip-files");
    let pip_dir_text = pip_dir.to_string_lossy().to_string();
    pip_args.push(&pip_dir_text);
    pip_args.extend(names);
    pip_args.extend(target);
    let pip = ctx.pip(&pip_args);
    assert_success(&pip);

    let picked = files_in(&ctx.root().join("volley-files"));
    assert_eq!(picked, files_in(&pip_dir));
    insta::assert_snapshot!(picked.into_iter().collect::<Vec<_>>().join("\n"), @r"
    alpha-1.0-cp312-cp312-manylinux2014_x86_64.whl
    beta-1.0-cp38-abi3-manylinux1_x86_64.whl
    delta-1.0-py3-none-any.whl
    epsilon-1.0-py3-none-any.whl
    gamma-1.0-py3-none-any.whl
    ");
}

#[test]
fn saves_files_and_says_so_as_pip_does() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("app", "1.0").requires_dist("lib>=2").build())
        .wheel(module_wheel("lib", "2.1").build())
        .start();
    let output = download(&ctx, &server, &["app", "-d", "wheels"]);
    assert_success(&output);
    insta::assert_snapshot!(summary(&ctx, &output), @r"
    Resolved 2 packages in [TIME]
    Saved ./wheels/app-1.0-py3-none-any.whl
    Saved ./wheels/lib-2.1-py3-none-any.whl
    Successfully downloaded app lib
    ");
    // The files are the index's, byte for byte; nothing was installed.
    let saved = fs_err::read(ctx.root().join("wheels/lib-2.1-py3-none-any.whl")).unwrap();
    assert_eq!(saved, module_wheel("lib", "2.1").build().bytes);
    assert_eq!(pip_freeze(&ctx), "");

    // Again: the files are there already (and come from the cache, not the server).
    server.clear_requests();
    let output = download(&ctx, &server, &["app", "-d", "wheels"]);
    assert_success(&output);
    insta::assert_snapshot!(summary(&ctx, &output), @r"
    Resolved 2 packages in [TIME]
    File was already downloaded ./wheels/app-1.0-py3-none-any.whl
    File was already downloaded ./wheels/lib-2.1-py3-none-any.whl
    Successfully downloaded app lib
    ");
    assert!(
        server
            .requests()
            .iter()
            .all(|request| !request.path.ends_with(".whl")),
        "{:?}",
        server.requests()
    );
}

#[test]
fn markers_and_requires_python_follow_the_target_version() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(
            module_wheel("app", "1.0")
                .requires_dist("backport; python_version < '3.10'")
                .build(),
        )
        .wheel(module_wheel("backport", "1.0").build())
        .start();
    let output = download(
        &ctx,
        &server,
        &[
            "app",
            "--python-version",
            "3.9",
            "--only-binary",
            ":all:",
            "-d",
            "old",
        ],
    );
    assert_success(&output);
    assert_eq!(
        files_in(&ctx.root().join("old")),
        BTreeSet::from([
            "app-1.0-py3-none-any.whl".to_string(),
            "backport-1.0-py3-none-any.whl".to_string()
        ])
    );
    let output = download(
        &ctx,
        &server,
        &[
            "app",
            "--python-version",
            "3.12",
            "--only-binary",
            ":all:",
            "-d",
            "new",
        ],
    );
    assert_success(&output);
    assert_eq!(
        files_in(&ctx.root().join("new")),
        BTreeSet::from(["app-1.0-py3-none-any.whl".to_string()])
    );
}

#[test]
fn platform_flags_need_binary_only_or_no_deps() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("app", "1.0").build())
        .start();
    let error = assert_failure(&download(
        &ctx,
        &server,
        &["app", "--platform", "win_amd64"],
    ));
    insta::assert_snapshot!(error.trim(), @"error: when restricting platform and interpreter constraints using --python-version, --platform, --abi, or --implementation, either --no-deps must be set, or --only-binary=:all: must be set and --no-binary must not be set (or must be set to :none:)");
    // pip refuses the same command.
    let index = server.index_url();
    let pip = ctx.pip(&["download", "-i", &index, "app", "--platform", "win_amd64"]);
    assert!(!pip.status.success());
    assert!(server.requests().is_empty());

    let output = download(
        &ctx,
        &server,
        &["app", "--platform", "win_amd64", "--no-deps", "-d", "out"],
    );
    assert_success(&output);
    assert_eq!(
        files_in(&ctx.root().join("out")),
        BTreeSet::from(["app-1.0-py3-none-any.whl".to_string()])
    );
}
