//! The protections pip gives its users, kept: PEP 668's externally managed interpreters, the
//! warning about dependencies an install left broken, the warning about yanked pins, `--user`
//! outside a virtual environment, and self-signed index certificates.

use std::path::{Path, PathBuf};

use volley_test_support::filter_server_addresses;

use crate::common::*;

/// The sysconfig path `name` of `python` (`stdlib`, `purelib`: Debian's interpreters install
/// into `local/lib/pythonX.Y/dist-packages`).
fn sysconfig_path(ctx: &TestContext, python: &Path, name: &str) -> PathBuf {
    let code = format!("import sysconfig; print(sysconfig.get_paths()['{name}'])");
    let output = ctx
        .clean_command(python)
        .args(["-c", &code])
        .output()
        .unwrap();
    assert_success(&output);
    PathBuf::from(stdout(&output).trim())
}

/// The standard library directory of `python`.
fn stdlib_of(ctx: &TestContext, python: &Path) -> PathBuf {
    sysconfig_path(ctx, python, "stdlib")
}

/// The names in `dir`, sorted (none when it does not exist).
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs_err::read_dir(dir)
        .map(|entries| {
            entries
                .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[cfg(unix)]
#[test]
fn externally_managed_interpreter_is_refused_unless_break_system_packages() {
    let ctx = TestContext::new();
    let python = ctx.system_like_python();
    let stdlib = stdlib_of(&ctx, &python);
    let prefix = ctx.root().join("system-python");
    assert!(stdlib.starts_with(&prefix), "{}", stdlib.display());
    fs_err::write(
        stdlib.join("EXTERNALLY-MANAGED"),
        "[externally-managed]\nError=To install Python packages system-wide, try apt install\n python3-xyz, where xyz is the package you are trying to\n install.\n",
    )
    .unwrap();
    let site_packages = sysconfig_path(&ctx, &python, "purelib");
    assert!(
        site_packages.starts_with(&prefix),
        "{}",
        site_packages.display()
    );
    let server = IndexServer::builder()
        .wheel(module_wheel("tool", "1.0").build())
        .start();
    let python_arg = python.to_string_lossy().into_owned();
    let index = server.index_url();
    let prefix_before = entries(&prefix);

    let output = volley(
        &ctx,
        &["install", "--python", &python_arg, "-i", &index, "tool"],
    );
    let error = assert_failure(&output);
    assert!(error.contains("is externally managed"), "{error}");
    assert!(
        error.contains("  python3-xyz, where xyz is the package you are trying to\n"),
        "{error}"
    );
    assert!(
        error.contains("hint:") && error.contains("--break-system-packages"),
        "{error}"
    );
    // Nothing written: no package, no lock file.
    assert_eq!(entries(&site_packages), Vec::<String>::new());
    assert_eq!(entries(&prefix), prefix_before);

    // `--user` is refused the same way, as in pip.
    let output = volley(
        &ctx,
        &[
            "install",
            "--python",
            &python_arg,
            "-i",
            &index,
            "--user",
            "tool",
        ],
    );
    assert!(assert_failure(&output).contains("is externally managed"));

    let output = volley(
        &ctx,
        &[
            "install",
            "--python",
            &python_arg,
            "-i",
            &index,
            "--break-system-packages",
            "tool",
        ],
    );
    assert_success(&output);
    assert!(entries(&site_packages).contains(&"tool".to_string()));

    // Uninstalling is refused too, and allowed by pip's variable.
    let output = volley(&ctx, &["uninstall", "-y", "--python", &python_arg, "tool"]);
    assert!(assert_failure(&output).contains("is externally managed"));
    let output = ctx
        .command(volley_bin())
        .args(["uninstall", "-y", "--python", &python_arg, "tool"])
        .env("PIP_BREAK_SYSTEM_PACKAGES", "1")
        .output()
        .unwrap();
    assert_success(&output);
    assert!(!entries(&site_packages).contains(&"tool".to_string()));
}

#[cfg(unix)]
#[test]
fn a_virtual_environment_of_an_externally_managed_interpreter_is_not_refused() {
    let ctx = TestContext::new();
    let python = ctx.system_like_python();
    fs_err::write(
        stdlib_of(&ctx, &python).join("EXTERNALLY-MANAGED"),
        "[externally-managed]\nError=managed\n",
    )
    .unwrap();
    let venv = ctx.root().join("venv-of-system");
    let output = ctx
        .clean_command(&python)
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .output()
        .unwrap();
    assert_success(&output);
    let server = IndexServer::builder()
        .wheel(module_wheel("tool", "1.0").build())
        .start();
    let output = volley(
        &ctx,
        &[
            "install",
            "--python",
            &venv.to_string_lossy(),
            "-i",
            &server.index_url(),
            "tool",
        ],
    );
    assert_success(&output);
}

/// pip's lines after an install that broke what was installed.
const CONFLICT_HEADER: &str = "does not currently take into account all the packages that are \
    installed. This behaviour is the source of the following dependency conflicts.";

#[test]
fn install_that_breaks_an_installed_package_prints_pip_conflict_message() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(
            module_wheel("requests", "2.31.0")
                .requires_dist("urllib3<3,>=1.21.1")
                .build(),
        )
        .wheel(module_wheel("urllib3", "2.0.7").build())
        .wheel(module_wheel("urllib3", "1.20").build())
        // Broken before the install, and not by it: not reported.
        .wheel(
            module_wheel("unrelated", "1.0")
                .requires_dist("ghost")
                .build(),
        )
        .start();
    assert_success(&install(&ctx, &server, &["requests"]));
    assert_success(&install(&ctx, &server, &["--no-deps", "unrelated"]));

    let output = install(&ctx, &server, &["urllib3==1.20"]);
    assert_success(&output);
    let error = stderr(&output);
    assert!(
        error.contains(&format!("error: volley's dependency resolver {CONFLICT_HEADER}\nrequests 2.31.0 requires urllib3<3,>=1.21.1, but you have urllib3 1.20 which is incompatible.\n")),
        "{error}"
    );
    assert!(!error.contains("unrelated"), "{error}");

    // Fixed, then broken again with the warning silenced.
    assert_success(&install(&ctx, &server, &["urllib3==2.0.7"]));
    let output = install(&ctx, &server, &["--no-warn-conflicts", "urllib3==1.20"]);
    assert_success(&output);
    assert!(
        !stderr(&output).contains(CONFLICT_HEADER),
        "{}",
        stderr(&output)
    );
    // `unrelated` misses `ghost`, but --no-deps skips the check, as in pip.
    let output = install(
        &ctx,
        &server,
        &["unrelated", "--force-reinstall", "--no-deps"],
    );
    assert!(
        !stderr(&output).contains(CONFLICT_HEADER),
        "--no-deps skips the check"
    );
}

#[test]
fn a_yanked_pin_installs_with_pip_warning_and_the_reason() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let yanked = module_wheel("requests", "2.32.1").build();
    let yanked_name = yanked.filename.clone();
    let server = IndexServer::builder()
        .wheel(module_wheel("requests", "2.32.0").build())
        .wheel(yanked)
        .wheel(module_wheel("other", "1.0").build())
        .yanked(&yanked_name, Some("Contains a bug when verify=False"))
        .yanked(&module_wheel("other", "1.0").build().filename, None)
        .start();
    let output = install(&ctx, &server, &["requests==2.32.1", "other==1.0"]);
    assert_success(&output);
    let error = ctx.filter_paths(&filter_server_addresses(&stderr(&output)));
    assert!(
        error.contains(&format!(
            "warning: The candidate selected for download or install is a yanked version: \
             'requests' candidate (version 2.32.1 at http://[SERVER]/files/{yanked_name})\n\
             Reason for being yanked: Contains a bug when verify=False\n"
        )),
        "{error}"
    );
    assert!(
        error.contains("'other' candidate (version 1.0 at ")
            && error.contains("Reason for being yanked: <none given>"),
        "{error}"
    );

    // `download` says it too.
    let dest = ctx.root().join("downloads");
    let output = volley(
        &ctx,
        &[
            "download",
            "-i",
            &server.index_url(),
            "-d",
            &dest.to_string_lossy(),
            "requests==2.32.1",
        ],
    );
    assert_success(&output);
    assert!(
        stderr(&output).contains("Reason for being yanked: Contains a bug"),
        "{}",
        stderr(&output)
    );

    // Without a pin the yanked version is not chosen, and nothing is said.
    let output = install(&ctx, &server, &["--upgrade", "requests"]);
    assert_success(&output);
    assert!(!stderr(&output).contains("yanked"), "{}", stderr(&output));
}

/// `--user` alone is the user site-packages of the `python3` on PATH, as pip's `--user` is that
/// of the interpreter running it; neither the user base nor the interpreter's prefix keeps a
/// lock file.
#[cfg(unix)]
#[test]
fn user_install_outside_a_virtual_environment_uses_the_python_on_path() {
    let ctx = TestContext::new();
    let python = ctx.system_like_python();
    // The only python3 on PATH is that interpreter.
    let path = python.parent().unwrap().to_path_buf();
    let output = ctx
        .clean_command(&python)
        .args([
            "-c",
            "import site; print(site.getuserbase()); print(site.getusersitepackages())",
        ])
        .output()
        .unwrap();
    assert_success(&output);
    let text = stdout(&output);
    let mut lines = text.lines();
    let user_base = PathBuf::from(lines.next().unwrap());
    let user_site = PathBuf::from(lines.next().unwrap());
    assert!(user_base.starts_with(ctx.root()), "{}", user_base.display());
    let server = IndexServer::builder()
        .wheel(module_wheel("tool", "1.0").build())
        .start();
    let prefix = ctx.root().join("system-python");
    let prefix_before = entries(&prefix);

    let output = ctx
        .command(volley_bin())
        .args(["install", "--user", "-i", &server.index_url(), "tool"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert_success(&output);
    assert!(user_site.join("tool").join("__init__.py").is_file());
    assert!(!user_base.join(".lock").exists());
    assert_eq!(entries(&prefix), prefix_before);

    // The same run without --user finds no environment, and says what to do.
    let output = ctx
        .command(volley_bin())
        .args(["install", "-i", &server.index_url(), "tool"])
        .env("PATH", &path)
        .output()
        .unwrap();
    let error = assert_failure(&output);
    assert!(
        error.contains("no virtual environment found") && error.contains("--user"),
        "{error}"
    );
}

#[test]
fn target_directory_keeps_no_lock_file() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("tool", "1.0").build())
        .start();
    let target = ctx.root().join("target-dir");
    let output = install(
        &ctx,
        &server,
        &["--target", &target.to_string_lossy(), "tool"],
    );
    assert_success(&output);
    assert_eq!(entries(&target), ["tool", "tool-1.0.dist-info"]);
}

/// A private index with the self-signed certificate `openssl req -x509` makes (marked as an
/// authority): trusted through `--cert` or `SSL_CERT_FILE`, refused once, with the way out,
/// without.
#[test]
fn self_signed_index_certificate_works_with_cert_and_ssl_cert_file() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let server = IndexServer::builder()
        .wheel(module_wheel("tool", "1.0").build())
        .tls_self_signed()
        .start();
    let cert = ctx.root().join("cert.pem");
    fs_err::write(&cert, &server.certificates().unwrap().ca_pem).unwrap();
    let cert_arg = cert.to_string_lossy().into_owned();
    let venv = ctx.venv().to_string_lossy().into_owned();
    let index = server.index_url();
    // No pip configuration file (the machine's may name a `cert`), variables only.
    let run = |args: &[&str], variables: &[(&str, &Path)]| {
        let mut command = ctx.command(volley_bin());
        command
            .args([
                "install",
                "--python",
                &venv,
                "-i",
                &index,
                "--force-reinstall",
            ])
            .args(args)
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env_remove("SSL_CERT_FILE");
        for (name, value) in variables {
            command.env(name, value);
        }
        command.output().unwrap()
    };

    let output = run(&["tool"], &[]);
    let error = assert_failure(&output);
    assert_eq!(
        error.matches("invalid peer certificate").count(),
        1,
        "the error is printed once: {error}"
    );
    let hint = error
        .lines()
        .find(|line| line.starts_with("hint:"))
        .unwrap_or_else(|| panic!("no hint: {error}"));
    assert!(
        hint.contains("volley trusted the system's certificates.")
            && hint.contains("--cert")
            && hint.contains("SSL_CERT_FILE")
            && hint.contains("--trusted-host"),
        "{hint}"
    );

    assert_success(&run(&["--cert", &cert_arg, "tool"], &[]));
    assert_success(&run(&["tool"], &[("SSL_CERT_FILE", &cert)]));

    // pip's configuration names another bundle: it wins over SSL_CERT_FILE, and the hint says so.
    let other = ctx.root().join("other.pem");
    let other_server = IndexServer::builder().tls_self_signed().start();
    fs_err::write(&other, &other_server.certificates().unwrap().ca_pem).unwrap();
    let output = run(&["tool"], &[("SSL_CERT_FILE", &cert), ("PIP_CERT", &other)]);
    let error = assert_failure(&output);
    assert!(
        error.contains(&format!(
            "volley trusted only the certificates in {} (`cert` in pip's configuration or \
             PIP_CERT); SSL_CERT_FILE is not used when it is given.",
            other.display()
        )),
        "{error}"
    );
}
