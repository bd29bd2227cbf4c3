//! The test context: venv, clean environments, pip, filters, tree snapshots, finding Pythons.

use std::path::Path;

use volley_test_support::{TestContext, WheelBuilder, find_python};

#[test]
fn venv_and_run_python() {
    let context = TestContext::new();
    assert!(context.cache_dir().is_dir());
    assert!(!context.venv().exists());
    let venv = context.create_venv().to_path_buf();
    assert_eq!(venv, context.root().join(".venv"));
    assert!(context.python().exists());
    // A second call reuses the environment.
    assert_eq!(context.create_venv(), venv);

    let output = context.run_python(
        "import os, sys\n\
         print(sys.prefix)\n\
         print(sorted(k for k in os.environ if k.startswith(('PIP_', 'PYTHON', 'VIRTUAL_ENV'))))",
    );
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        context.filter_paths(&stdout),
        "[TEMP]/.venv\n[]\n",
        "{stdout}"
    );

    let site_packages = context.site_packages();
    assert!(site_packages.starts_with(&venv), "{site_packages:?}");
    assert!(site_packages.ends_with("site-packages"));
}

#[test]
fn command_environment() {
    let context = TestContext::new();
    let output = context.command(Path::new("env")).output().unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let mut lines: Vec<String> = stdout
        .lines()
        .filter(|line| {
            [
                "PIP_",
                "PYTHON",
                "VOLLEY_",
                "UV_",
                "VIRTUAL_ENV",
                "HOME=",
                "XDG_CACHE_HOME",
                "NO_COLOR",
            ]
            .iter()
            .any(|prefix| line.starts_with(prefix))
        })
        .map(|line| context.filter_paths(line))
        .collect();
    lines.sort();
    insta::assert_snapshot!(lines.join("\n"), @r"
    HOME=[TEMP]/home
    NO_COLOR=1
    VOLLEY_CACHE_DIR=[CACHE]
    XDG_CACHE_HOME=[TEMP]/xdg-cache
    ");
    let pwd = context.command(Path::new("pwd")).output().unwrap().stdout;
    assert_eq!(
        context.filter_paths(&String::from_utf8(pwd).unwrap()),
        "[TEMP]\n"
    );
}

#[test]
fn pip_installs_into_the_venv_and_the_tree_changes() {
    let context = TestContext::new();
    context.create_venv();
    let site_packages = context.site_packages();
    let before = context.snapshot_tree(&site_packages);
    assert_eq!(context.snapshot_tree(&site_packages), before);

    let wheel = WheelBuilder::new("hello", "0.1")
        .file("hello.py", "GREETING = 'hi'\n")
        .build()
        .write_to(context.root());
    let output = context.pip(&[
        "install",
        "--no-deps",
        "--no-index",
        wheel.to_str().unwrap(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = context.run_python("import hello; print(hello.GREETING)");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "hi\n");

    let after = context.snapshot_tree(&site_packages);
    let added: Vec<String> = after
        .keys()
        .filter(|path| !before.contains_key(*path))
        .map(|path| path.display().to_string())
        .filter(|path| !path.contains("__pycache__"))
        .collect();
    insta::assert_snapshot!(added.join("\n"), @r"
    hello-0.1.dist-info/INSTALLER
    hello-0.1.dist-info/METADATA
    hello-0.1.dist-info/RECORD
    hello-0.1.dist-info/REQUESTED
    hello-0.1.dist-info/WHEEL
    hello-0.1.dist-info/direct_url.json
    hello.py
    ");
}

#[test]
fn filters() {
    let context = TestContext::new();
    let text = format!(
        "{}/cache/wheels-v1 {}/x http://127.0.0.1:8080/simple/",
        context.root().display(),
        context.root().display()
    );
    assert_eq!(
        context.filter_paths(&text),
        "[CACHE]/wheels-v1 [TEMP]/x http://[SERVER]/simple/"
    );
}

#[test]
fn finding_pythons() {
    let output = TestContext::new()
        .clean_command(Path::new("python3"))
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .unwrap();
    let version = String::from_utf8(output.stdout).unwrap().trim().to_string();
    let found = find_python(&version).expect("python3's own version is found");
    assert!(found.is_absolute(), "{found:?}");
    assert_eq!(find_python("2.1"), None);
    // "3.1" must not match 3.10 or 3.11.
    assert_eq!(find_python("3.1"), None);
}
