//! Where `install` puts packages: `--target DIR`, `--prefix DIR` and `--user`, compared with
//! what pip does with the same flags.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::common::*;

/// A package with a module, a console script and a dependency.
fn server() -> IndexServer {
    IndexServer::builder()
        .wheel(
            module_wheel("tool", "1.0")
                .requires_dist("helper")
                .entry_point("console_scripts", "tool", "tool:main")
                .file("tool/cli.py", "def main():\n    print('tool ran')\n")
                .build(),
        )
        .wheel(module_wheel("helper", "1.0").build())
        .start()
}

/// The relative paths of the files under `dir`, without volley's lock file and without the
/// files whose content records where they were installed (`RECORD`) or by whom (`INSTALLER`):
/// the shape of the tree, to compare with pip's.
fn shape(dir: &Path) -> BTreeSet<PathBuf> {
    without_lock(volley_test_support::snapshot_tree(dir))
        .into_keys()
        .collect()
}

/// Runs the venv's Python with `PYTHONPATH` (and nothing else from the outer shell).
fn python_with_path(ctx: &TestContext, path: &Path, code: &str) -> std::process::Output {
    ctx.clean_command(&ctx.python())
        .env("PYTHONPATH", path)
        .args(["-c", code])
        .output()
        .unwrap()
}

#[test]
fn target_is_a_flat_directory_like_pips() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = server();
    let output = install(&ctx, &server, &["tool", "--target", "lib"]);
    assert_success(&output);
    let dir = ctx.root().join("lib");
    let index = server.index_url();
    let pip_dir = ctx.root().join("pip-lib");
    let pip_dir_text = pip_dir.to_string_lossy().to_string();
    let pip = ctx.pip(&[
        "install",
        "-i",
        &index,
        "--no-compile",
        "--target",
        &pip_dir_text,
        "tool",
    ]);
    assert_success(&pip);
    assert_eq!(shape(&dir), shape(&pip_dir));

    // Importable from PYTHONPATH, script in lib/bin; the environment itself is untouched.
    let imported = python_with_path(&ctx, &dir, "import tool, helper; print(tool.__version__)");
    assert_success(&imported);
    assert_eq!(stdout(&imported).trim(), "1.0");
    assert!(dir.join("bin/tool").is_file());
    assert_eq!(pip_freeze(&ctx), "");
}

#[test]
fn target_replaces_what_it_holds_only_with_upgrade() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = server();
    assert_success(&install(&ctx, &server, &["helper", "--target", "lib"]));
    server.add_wheel(module_wheel("helper", "2.0").build());
    let dir = ctx.root().join("lib");
    let version = || {
        let output = python_with_path(&ctx, &dir, "import helper; print(helper.__version__)");
        assert_success(&output);
        stdout(&output).trim().to_string()
    };

    // A requirement that the version there does not meet: pip warns and leaves it.
    let output = install(&ctx, &server, &["helper>=2", "--target", "lib"]);
    assert_success(&output);
    assert!(
        stderr(&output).contains("already exists: specify --upgrade to force replacement"),
        "{}",
        stderr(&output)
    );
    assert_eq!(version(), "1.0");

    let output = install(
        &ctx,
        &server,
        &["helper>=2", "--target", "lib", "--upgrade"],
    );
    assert_success(&output);
    assert_eq!(version(), "2.0");
    // The old version is gone, files and metadata.
    let entries: BTreeSet<String> = fs_err::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".dist-info"))
        .collect();
    assert_eq!(
        entries,
        BTreeSet::from(["helper-2.0.dist-info".to_string()])
    );
}

#[test]
fn prefix_installs_under_the_prefix_like_pip() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = server();
    let output = install(&ctx, &server, &["tool", "--prefix", "usr"]);
    assert_success(&output);
    let prefix = ctx.root().join("usr");
    let site = ctx
        .site_packages()
        .strip_prefix(ctx.venv())
        .unwrap()
        .to_path_buf();
    assert!(prefix.join(&site).join("tool/__init__.py").is_file());
    assert!(prefix.join("bin/tool").is_file());
    assert_eq!(pip_freeze(&ctx), "");

    let index = server.index_url();
    let pip_prefix = ctx.root().join("pip-usr");
    let pip_prefix_text = pip_prefix.to_string_lossy().to_string();
    let pip = ctx.pip(&[
        "install",
        "-i",
        &index,
        "--no-compile",
        "--prefix",
        &pip_prefix_text,
        "tool",
    ]);
    assert_success(&pip);
    assert_eq!(shape(&prefix), shape(&pip_prefix));

    // What is under the prefix counts as installed.
    let output = install(&ctx, &server, &["tool", "--prefix", "usr"]);
    assert_success(&output);
    assert!(
        stderr(&output).contains("nothing to install"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn user_goes_to_the_user_site_where_the_environment_sees_it() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = server();
    // A venv without the global site-packages does not see the user site: refused, as by pip.
    let error = assert_failure(&install(&ctx, &server, &["tool", "--user"]));
    assert!(
        error.contains("cannot perform a --user install: user site-packages are not visible"),
        "{error}"
    );
    let index = server.index_url();
    let pip = ctx.pip(&["install", "-i", &index, "--user", "tool"]);
    assert!(!pip.status.success());
    assert!(
        stderr(&pip).contains("User site-packages are not visible in this virtualenv"),
        "{}",
        stderr(&pip)
    );

    // A venv with the global site-packages: into ~/.local (the context's own home).
    let global = ctx.root().join("global");
    let created = ctx
        .clean_command(ctx.base_python())
        .args(["-m", "venv", "--without-pip", "--system-site-packages"])
        .arg(&global)
        .output()
        .unwrap();
    assert_success(&created);
    let python = global.join("bin/python");
    let python_text = python.to_string_lossy().to_string();
    let output = volley(
        &ctx,
        &[
            "install",
            "--python",
            &python_text,
            "-i",
            &index,
            "--user",
            "tool",
        ],
    );
    assert_success(&output);
    let user_base = ctx.root().join("home/.local");
    assert!(user_base.join("bin/tool").is_file());
    let imported = ctx
        .clean_command(&python)
        .args(["-c", "import tool, site; print(tool.__file__)"])
        .output()
        .unwrap();
    assert_success(&imported);
    assert!(
        Path::new(stdout(&imported).trim()).starts_with(&user_base),
        "{}",
        stdout(&imported)
    );
}

#[test]
fn destination_flags_do_not_combine() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = server();
    let error = assert_failure(&install(
        &ctx,
        &server,
        &["tool", "--user", "--target", "x"],
    ));
    assert!(
        error.contains("cannot combine --user and --target"),
        "{error}"
    );
    let error = assert_failure(&install(
        &ctx,
        &server,
        &["tool", "--user", "--prefix", "x"],
    ));
    assert!(
        error.contains("cannot combine --user and --prefix"),
        "{error}"
    );
    assert!(server.requests().is_empty());
}
