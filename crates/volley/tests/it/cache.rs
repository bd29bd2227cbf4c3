//! The cache seen through the binary: warm installs that make no request (or only the
//! revalidations the index's headers ask for), files linked from the unpacked-wheel cache,
//! damaged cache entries detected and replaced, concurrent processes, killed installs,
//! bytecode, offline mode and `volley cache`.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// Another virtual environment in the context's root (`python -m venv --without-pip`).
fn new_venv(ctx: &TestContext, name: &str) -> PathBuf {
    let venv = ctx.root().join(name);
    let output = ctx
        .clean_command(ctx.base_python())
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .output()
        .expect("run python -m venv");
    assert_success(&output);
    venv
}

/// `volley install --python <venv> -i <index> ARGS...`, not yet run.
fn install_command(ctx: &TestContext, index: &str, venv: &Path, args: &[&str]) -> Command {
    let mut command = ctx.command(volley_bin());
    command
        .args(["install", "--python"])
        .arg(venv)
        .args(["-i", index])
        .args(args);
    command
}

fn install_into(ctx: &TestContext, index: &str, venv: &Path, args: &[&str]) -> Output {
    install_command(ctx, index, venv, args)
        .output()
        .expect("volley runs")
}

fn spawn(mut command: Command) -> Child {
    command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("volley starts")
}

/// `<venv>/lib/pythonX.Y/site-packages`.
fn site_packages_of(venv: &Path) -> PathBuf {
    let lib = venv.join("lib");
    let version = fs_err::read_dir(&lib)
        .unwrap()
        .filter_map(Result::ok)
        .find(|entry| entry.file_name().to_string_lossy().starts_with("python"))
        .expect("the venv has lib/pythonX.Y");
    version.path().join("site-packages")
}

/// The machine's pip finds the environment at `venv` consistent.
#[track_caller]
fn assert_pip_check_in(ctx: &TestContext, venv: &Path) {
    let output = ctx
        .clean_command(ctx.base_python())
        .args(["-m", "pip", "--python"])
        .arg(venv.join("bin").join("python"))
        .arg("check")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("PIP_CONFIG_FILE", "/dev/null")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "pip check failed:\n{}{}",
        stdout(&output),
        stderr(&output)
    );
}

/// Every `.dist-info` has `METADATA` and `RECORD`, every `RECORD` row matches its file (hash and
/// size), every file in site-packages belongs to a `RECORD` (bytecode aside), and every
/// unconditional requirement is installed. Run with the environment's interpreter.
const CONSISTENCY_CHECK: &str = r#"
import base64, hashlib, importlib.metadata as md, os, re, sys, sysconfig
site = os.path.realpath(sysconfig.get_paths()["purelib"])
normalize = lambda name: re.sub(r"[-_.]+", "-", name).lower()
problems, owned, names = [], set(), set()
for entry in sorted(os.listdir(site)):
    if entry.endswith(".dist-info"):
        for required in ("METADATA", "RECORD"):
            if not os.path.isfile(os.path.join(site, entry, required)):
                problems.append(f"{entry} has no {required}")
dists = [dist for dist in md.distributions(path=[site]) if dist.metadata["Name"]]
for dist in dists:
    name = dist.metadata["Name"]
    names.add(normalize(name))
    for file in dist.files or []:
        path = os.path.realpath(file.locate())
        owned.add(path)
        if not os.path.isfile(path):
            problems.append(f"{name}: {file} is missing")
            continue
        with open(path, "rb") as handle:
            data = handle.read()
        if file.hash is not None:
            digest = hashlib.new(file.hash.mode, data).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != file.hash.value:
                problems.append(f"{name}: {file} does not match its RECORD hash")
        if file.size is not None and file.size != len(data):
            problems.append(f"{name}: {file} does not match its RECORD size")
for dist in dists:
    for requirement in dist.requires or []:
        if ";" not in requirement:
            required = normalize(re.match(r"[A-Za-z0-9._-]+", requirement).group(0))
            if required not in names:
                problems.append(f"{dist.metadata['Name']} requires {required}: not installed")
for directory, _, files in os.walk(site):
    for file in files:
        path = os.path.realpath(os.path.join(directory, file))
        if path not in owned and "__pycache__" not in path:
            problems.append(f"{os.path.relpath(path, site)} belongs to no RECORD")
print("\n".join(problems))
sys.exit(1 if problems else 0)
"#;

#[track_caller]
fn assert_consistent(ctx: &TestContext, venv: &Path) {
    let output = ctx
        .clean_command(&venv.join("bin").join("python"))
        .args(["-c", CONSISTENCY_CHECK])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the environment {} is inconsistent:\n{}{}",
        venv.display(),
        stdout(&output),
        stderr(&output)
    );
}

/// `(method, path, status, If-None-Match)` of every request, in arrival order.
fn requests(server: &IndexServer) -> Vec<(String, String, Option<u16>, Option<String>)> {
    let mut requests = server.requests();
    requests.sort_by_key(|request| request.started);
    requests
        .into_iter()
        .map(|request| {
            let validator = request.header("if-none-match").map(str::to_string);
            (request.method, request.path, request.status, validator)
        })
        .collect()
}

/// Waits (polling every millisecond) until `condition` holds; `false` after `timeout`.
fn wait_for(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    condition()
}

/// An application with a dependency, a data file, a script and an entry point.
fn app_and_lib() -> (BuiltWheel, BuiltWheel) {
    let app = module_wheel("app", "1.0")
        .requires_dist("lib>=1")
        .file("app/data.txt", "some data\n")
        .file("app/cli.py", "def main():\n    print('app')\n")
        .entry_point("console_scripts", "app", "app.cli:main")
        .build();
    let lib = module_wheel("lib", "1.0")
        .file("lib/helpers.py", "def helper():\n    return 42\n")
        .build();
    (app, lib)
}

#[test]
fn warm_install_makes_no_request_and_links_from_the_cache() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let (app, lib) = app_and_lib();
    let lib_sha256 = lib.sha256.clone();
    let server = IndexServer::builder()
        .wheel(app)
        .wheel(lib)
        .page_cache_control("max-age=600")
        .start();
    assert_success(&install(&ctx, &server, &["app"]));
    assert!(!server.requests().is_empty());

    server.clear_requests();
    let venv = new_venv(&ctx, "second");
    let output = install_into(&ctx, &server.index_url(), &venv, &["app"]);
    assert_success(&output);
    assert!(
        stderr(&output).contains(" + lib==1.0"),
        "{}",
        stderr(&output)
    );
    assert_eq!(requests(&server), [], "fresh pages need no request");
    assert_consistent(&ctx, &venv);

    // The package's files are the cache's (hard links on this filesystem); what the install
    // writes itself is not.
    let site = site_packages_of(&venv);
    let unpacked = ctx.cache_dir().join("unpacked-v1").join(&lib_sha256);
    let installed = fs_err::metadata(site.join("lib/helpers.py")).unwrap();
    let cached = fs_err::metadata(unpacked.join("lib/helpers.py")).unwrap();
    assert_eq!(
        (installed.dev(), installed.ino()),
        (cached.dev(), cached.ino())
    );
    assert!(installed.nlink() >= 3, "cache, first and second venv");
    for written in ["RECORD", "INSTALLER"] {
        let metadata = fs_err::metadata(site.join("lib-1.0.dist-info").join(written)).unwrap();
        assert_eq!(metadata.nlink(), 1, "{written} is written fresh");
    }
    // The script is written fresh too (its shebang names this environment's interpreter).
    assert_eq!(fs_err::metadata(venv.join("bin/app")).unwrap().nlink(), 1);
}

#[test]
fn stale_pages_are_revalidated_with_a_304() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let (app, lib) = app_and_lib();
    let server = IndexServer::builder().wheel(app).wheel(lib).start();
    assert_success(&install(&ctx, &server, &["app"]));

    server.clear_requests();
    let venv = new_venv(&ctx, "second");
    assert_success(&install_into(&ctx, &server.index_url(), &venv, &["app"]));
    let mut seen = requests(&server);
    seen.sort();
    assert_eq!(seen.len(), 2, "{seen:#?}");
    for ((method, path, status, validator), page) in seen.iter().zip(["app", "lib"]) {
        assert_eq!(
            (method.as_str(), path.as_str(), *status),
            ("GET", format!("/simple/{page}/").as_str(), Some(304))
        );
        assert!(validator.is_some(), "revalidated with If-None-Match");
    }
    assert_consistent(&ctx, &venv);
}

#[test]
fn no_store_pages_are_fetched_every_time() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let (app, lib) = app_and_lib();
    let server = IndexServer::builder()
        .wheel(app)
        .wheel(lib)
        .page_cache_control("no-store")
        .start();
    assert_success(&install(&ctx, &server, &["app"]));
    let simple = ctx.cache_dir().join("simple-v1");
    let stored = volley_test_support::snapshot_tree(&simple);
    assert!(stored.is_empty(), "no page stored: {:?}", stored.keys());

    server.clear_requests();
    let venv = new_venv(&ctx, "second");
    assert_success(&install_into(&ctx, &server.index_url(), &venv, &["app"]));
    let mut seen = requests(&server);
    seen.sort();
    assert_eq!(
        seen,
        [
            ("GET".into(), "/simple/app/".into(), Some(200), None),
            ("GET".into(), "/simple/lib/".into(), Some(200), None),
        ],
        "pages fetched whole, files from the cache"
    );
}

#[test]
fn refresh_revalidates_fresh_pages() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let (app, lib) = app_and_lib();
    let server = IndexServer::builder()
        .wheel(app)
        .wheel(lib)
        .page_cache_control("max-age=600")
        .start();
    assert_success(&install(&ctx, &server, &["app"]));
    // Dry runs into an empty environment: the resolution needs both pages.
    let empty = new_venv(&ctx, "empty");
    let index = server.index_url();

    server.clear_requests();
    assert_success(&install_into(&ctx, &index, &empty, &["app", "--dry-run"]));
    assert_eq!(requests(&server), []);

    let revalidated = |args: &[&str]| {
        server.clear_requests();
        let mut full = vec!["app", "--dry-run"];
        full.extend_from_slice(args);
        assert_success(&install_into(&ctx, &index, &empty, &full));
        let mut seen = requests(&server);
        seen.sort();
        seen.into_iter()
            .map(|(method, path, status, validator)| {
                assert!(validator.is_some(), "{path} revalidated with If-None-Match");
                assert_eq!((method.as_str(), status), ("GET", Some(304)));
                path
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        revalidated(&["--refresh"]),
        ["/simple/app/", "/simple/lib/"]
    );
    assert_eq!(revalidated(&["--refresh-package", "LIB"]), ["/simple/lib/"]);
    // A revalidation does not end the page's freshness.
    assert_eq!(revalidated(&[]), Vec::<String>::new());
}

#[test]
fn damaged_cached_wheels_are_fetched_again() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let (app, lib) = app_and_lib();
    let lib_file = lib.filename.clone();
    let lib_bytes = lib.bytes.clone();
    let cached = ctx
        .cache_dir()
        .join("wheels-v1")
        .join(&lib.sha256)
        .join(&lib_file);
    let unpacked = ctx.cache_dir().join("unpacked-v1").join(&lib.sha256);
    let server = IndexServer::builder()
        .wheel(app)
        .wheel(lib)
        .page_cache_control("max-age=600")
        .start();
    let index = server.index_url();
    assert_success(&install(&ctx, &server, &["app"]));
    assert_eq!(fs_err::read(&cached).unwrap(), lib_bytes);

    // A truncated wheel, and a changed one of the same size: each is fetched again.
    for damage in ["truncated", "changed"] {
        let mut bytes = lib_bytes.clone();
        let middle = bytes.len() / 2;
        match damage {
            "truncated" => bytes.truncate(middle),
            _ => bytes[middle] ^= 0xff,
        }
        fs_err::write(&cached, &bytes).unwrap();
        fs_err::remove_dir_all(&unpacked).unwrap();

        server.clear_requests();
        let venv = new_venv(&ctx, damage);
        let output = install_into(&ctx, &index, &venv, &["app"]);
        assert_success(&output);
        let seen = requests(&server);
        assert_eq!(
            seen,
            [(
                "GET".to_string(),
                format!("/files/{lib_file}"),
                Some(200),
                None
            )],
            "the {damage} wheel is fetched again, nothing else"
        );
        assert_eq!(fs_err::read(&cached).unwrap(), lib_bytes, "{damage}");
        assert_consistent(&ctx, &venv);
        let imported = ctx
            .clean_command(&venv.join("bin/python"))
            .args(["-c", "import lib.helpers; print(lib.helpers.helper())"])
            .output()
            .unwrap();
        assert_success(&imported);
        assert_eq!(stdout(&imported).trim(), "42");
    }
}

#[test]
fn damaged_unpacked_trees_are_unpacked_again() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let (app, lib) = app_and_lib();
    let app_sha256 = app.sha256.clone();
    let server = IndexServer::builder()
        .wheel(app)
        .wheel(lib)
        .page_cache_control("max-age=600")
        .start();
    let index = server.index_url();
    assert_success(&install(&ctx, &server, &["app"]));
    let unpacked = ctx.cache_dir().join("unpacked-v1").join(&app_sha256);

    // A cached file that grew, and one that is missing. Editing the cache's file in place
    // edits the first environment's too (the hard-link caveat); a new environment must get
    // the wheel's content.
    for damage in ["grown", "missing"] {
        if damage == "grown" {
            let mut file = fs_err::OpenOptions::new()
                .append(true)
                .open(unpacked.join("app/data.txt"))
                .unwrap();
            std::io::Write::write_all(&mut file, b"corrupted\n").unwrap();
        } else {
            fs_err::remove_file(unpacked.join("app/cli.py")).unwrap();
        }
        server.clear_requests();
        let venv = new_venv(&ctx, damage);
        let output = install_into(&ctx, &index, &venv, &["app"]);
        assert_success(&output);
        assert_eq!(
            requests(&server),
            [],
            "{damage}: unpacked again from the cached wheel"
        );
        let site = site_packages_of(&venv);
        assert_eq!(
            fs_err::read_to_string(site.join("app/data.txt")).unwrap(),
            "some data\n",
            "{damage}"
        );
        assert_eq!(
            fs_err::read_to_string(unpacked.join("app/data.txt")).unwrap(),
            "some data\n",
            "{damage}: the cache is repaired"
        );
        assert!(unpacked.join("app/cli.py").is_file(), "{damage}");
        assert_consistent(&ctx, &venv);
    }
}

#[test]
fn two_processes_share_one_cache() {
    let ctx = TestContext::new();
    let (app, lib) = app_and_lib();
    let app_file = app.filename.clone();
    let server = IndexServer::builder().wheel(app).wheel(lib).start();
    // Slow enough that both processes download at the same time.
    server.inject(Fault::new(
        &app_file,
        FaultKind::SlowBody {
            chunk: 100,
            delay: Duration::from_millis(10),
        },
        2,
    ));
    let index = server.index_url();
    let venvs = [new_venv(&ctx, "one"), new_venv(&ctx, "two")];
    let children: Vec<Child> = venvs
        .iter()
        .map(|venv| spawn(install_command(&ctx, &index, venv, &["app"])))
        .collect();
    for (child, venv) in children.into_iter().zip(&venvs) {
        let output = child.wait_with_output().unwrap();
        assert_success(&output);
        assert!(
            stderr(&output).contains(" + app==1.0"),
            "{}",
            stderr(&output)
        );
        assert_consistent(&ctx, venv);
    }
    assert_pip_check_in(&ctx, &venvs[1]);
}

#[test]
fn two_processes_on_one_environment_take_turns() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let (app, lib) = app_and_lib();
    let app_file = app.filename.clone();
    let server = IndexServer::builder().wheel(app).wheel(lib).start();
    server.inject(Fault::new(
        &app_file,
        FaultKind::SlowBody {
            chunk: 200,
            delay: Duration::from_millis(40),
        },
        1,
    ));
    let index = server.index_url();
    let first = spawn(install_command(&ctx, &index, ctx.venv(), &["app"]));
    let wheel_path = format!("/files/{app_file}");
    assert!(
        wait_for(Duration::from_secs(20), || server
            .requests()
            .iter()
            .any(|request| request.path == wheel_path)),
        "the first install downloads"
    );
    let second = spawn(install_command(&ctx, &index, ctx.venv(), &["app"]));
    let first = first.wait_with_output().unwrap();
    let second = second.wait_with_output().unwrap();
    assert_success(&first);
    assert_success(&second);
    assert!(stderr(&first).contains(" + app==1.0"), "{}", stderr(&first));
    assert!(
        stderr(&second).contains("Waiting for another volley"),
        "{}",
        stderr(&second)
    );
    // The second saw the first's work once it could look.
    assert!(
        stderr(&second).contains("nothing to install"),
        "{}",
        stderr(&second)
    );
    assert_consistent(&ctx, ctx.venv());
    assert_pip_check(&ctx);
}

#[test]
fn killed_while_resolving_or_downloading_changes_nothing() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let (app, lib) = app_and_lib();
    let lib_file = lib.filename.clone();
    let server = IndexServer::builder().wheel(app).wheel(lib).start();
    let index = server.index_url();
    let before = volley_test_support::snapshot_tree(ctx.venv());

    // While resolving: the dependency's page is slow to come.
    server.inject(Fault::new(
        "/simple/lib/",
        FaultKind::Delay(Duration::from_secs(30)),
        1,
    ));
    // While downloading: the dependency's wheel is slow to come.
    server.inject(Fault::new(
        &lib_file,
        FaultKind::SlowBody {
            chunk: 10,
            delay: Duration::from_millis(100),
        },
        1,
    ));
    for point in ["/simple/lib/", &format!("/files/{lib_file}")] {
        let mut child = spawn(install_command(&ctx, &index, ctx.venv(), &["app"]));
        assert!(
            wait_for(Duration::from_secs(20), || server
                .requests()
                .iter()
                .any(|request| request.path == point)),
            "{point} is requested"
        );
        std::thread::sleep(Duration::from_millis(50));
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(
            without_lock(volley_test_support::snapshot_tree(ctx.venv())),
            before,
            "killed at {point}"
        );
    }

    let output = install(&ctx, &server, &["app"]);
    assert_success(&output);
    assert_consistent(&ctx, ctx.venv());
    assert_pip_check(&ctx);
}

#[test]
fn killed_transactions_roll_back_or_complete() {
    let ctx = TestContext::new();
    // Many files, copied (not linked), so that staging and committing take a while.
    let mut heavy = module_wheel("heavy", "1.0").requires_dist("lib>=1");
    for index in 0..250 {
        heavy = heavy.file(
            &format!("heavy/module{index:03}.py"),
            format!("VALUE = {index}\n{}\n", "# padding ".repeat(100)),
        );
    }
    let server = IndexServer::builder()
        .wheel(heavy.build())
        .wheel(module_wheel("lib", "1.0").build())
        .page_cache_control("max-age=600")
        .start();
    let index = server.index_url();
    let args = ["heavy", "--link-mode", "copy"];

    // Kill points: a delay after the transaction directory appears (staging), or after the
    // commit's journal does (the renames, then the commit point, then the clean-up).
    let points = [
        ("staging", 0),
        ("staging", 20),
        ("journal", 0),
        ("journal", 8),
        ("journal", 20),
    ];
    let mut outcomes = Vec::new();
    for (attempt, (after, delay)) in points.into_iter().enumerate() {
        let venv = new_venv(&ctx, &format!("venv{attempt}"));
        let before = volley_test_support::snapshot_tree(&venv);
        let transaction = venv.join(".volley-transaction");
        let watched = match after {
            "staging" => transaction.clone(),
            _ => transaction.join("journal"),
        };
        let mut child = spawn(install_command(&ctx, &index, &venv, &args));
        let start = Instant::now();
        let seen = loop {
            if watched.exists() {
                break true;
            }
            if child.try_wait().unwrap().is_some() {
                break false;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "attempt {attempt}"
            );
            std::thread::yield_now();
        };
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap();
        let status = child.wait().unwrap();

        // Killed during the commit, the journal is left for the next volley that changes the
        // environment to roll back before it reads it: an install (a dry run is enough), or an
        // uninstall, which then finds nothing to remove.
        let mid_commit = transaction.join("journal").exists();
        if mid_commit {
            let output = if attempt % 2 == 0 {
                install_into(&ctx, &index, &venv, &["heavy", "--dry-run"])
            } else {
                let output = ctx
                    .command(volley_bin())
                    .args(["uninstall", "-y", "heavy", "--python"])
                    .arg(&venv)
                    .output()
                    .unwrap();
                assert!(
                    stderr(&output).contains("Skipping heavy as it is not installed"),
                    "{}",
                    stderr(&output)
                );
                output
            };
            assert_success(&output);
            assert!(
                stderr(&output).contains("rolled back an install that was interrupted"),
                "{}",
                stderr(&output)
            );
            assert!(!transaction.exists(), "attempt {attempt}: rolled back");
        }
        assert_consistent(&ctx, &venv);
        let complete = site_packages_of(&venv).join("heavy-1.0.dist-info").exists();
        if !complete {
            assert_eq!(
                without_lock(volley_test_support::snapshot_tree(&venv))
                    .into_iter()
                    .filter(|(path, _)| !path.starts_with(".volley-transaction"))
                    .collect::<std::collections::BTreeMap<_, _>>(),
                before,
                "attempt {attempt}: the environment is as it was"
            );
        }
        outcomes.push((after, delay, seen, status.success(), mid_commit, complete));

        // The next install finishes the job.
        let output = install_into(&ctx, &index, &venv, &args);
        assert_success(&output);
        assert!(!transaction.exists());
        assert_consistent(&ctx, &venv);
        if attempt == 0 {
            assert_pip_check_in(&ctx, &venv);
        }
    }
    assert!(
        outcomes.iter().any(|outcome| !outcome.5),
        "some kill came before the commit point: \
         (after, delay ms, seen, exited by itself, killed mid-commit, complete) {outcomes:?}"
    );
}

#[test]
fn compile_writes_bytecode_that_pip_uninstall_removes() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let (app, lib) = app_and_lib();
    let server = IndexServer::builder().wheel(app).wheel(lib).start();
    let before = volley_test_support::snapshot_tree(ctx.venv());

    // Compiles even when the environment says not to write bytecode.
    let output = install_command(&ctx, &server.index_url(), ctx.venv(), &["app", "--compile"])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    assert_success(&output);
    let site = ctx.site_packages();
    for module in ["app/__init__", "app/cli", "lib/__init__", "lib/helpers"] {
        let (package, name) = module.split_once('/').unwrap();
        let cache_dir = site.join(package).join("__pycache__");
        let compiled: Vec<String> = fs_err::read_dir(&cache_dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|file| file.starts_with(&format!("{name}.")) && file.ends_with(".pyc"))
            .collect();
        assert_eq!(compiled.len(), 1, "{module}: {compiled:?}");
        let record =
            fs_err::read_to_string(site.join(format!("{package}-1.0.dist-info/RECORD"))).unwrap();
        assert!(
            record.contains(&format!("{package}/__pycache__/{}", compiled[0])),
            "{record}"
        );
    }
    assert_consistent(&ctx, ctx.venv());

    let output = ctx.pip(&["uninstall", "-y", "app", "lib"]);
    assert_success(&output);
    assert_eq!(
        without_lock(volley_test_support::snapshot_tree(ctx.venv())),
        before,
        "pip uninstall removes every file, bytecode included"
    );
}

#[test]
fn offline_installs_from_the_cache_only() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let (app, lib) = app_and_lib();
    let server = IndexServer::builder()
        .wheel(app)
        .wheel(lib)
        .wheel(module_wheel("other", "1.0").build())
        .start();
    let index = server.index_url();
    assert_success(&install(&ctx, &server, &["app"]));
    // `other`'s page and metadata are cached, its wheel is not.
    assert_success(&install(&ctx, &server, &["other", "--dry-run"]));

    server.clear_requests();
    let venv = new_venv(&ctx, "offline");
    assert_success(&install_into(&ctx, &index, &venv, &["app", "--offline"]));
    assert_eq!(requests(&server), []);
    drop(server);

    // With the server gone, for good measure.
    let venv = new_venv(&ctx, "offline-again");
    let output = install_into(&ctx, &index, &venv, &["app", "--offline"]);
    assert_success(&output);
    assert!(
        stderr(&output).contains(" + lib==1.0"),
        "{}",
        stderr(&output)
    );
    assert_consistent(&ctx, &venv);

    let error = assert_failure(&install_into(&ctx, &index, &venv, &["other", "--offline"]));
    assert!(
        error.contains("other-1.0-py3-none-any.whl") && error.contains("offline"),
        "{error}"
    );
    let error = assert_failure(&install_into(&ctx, &index, &venv, &["unseen", "--offline"]));
    assert!(
        error.contains("\"unseen\"") && error.contains("offline"),
        "{error}"
    );
}

/// Files and bytes under `path`.
fn usage(path: &Path) -> (u64, u64) {
    if path.is_file() {
        return (1, fs_err::metadata(path).unwrap().len());
    }
    volley_test_support::snapshot_tree(path)
        .values()
        .fold((0, 0), |(files, bytes), content| {
            (files + 1, bytes + content.len() as u64)
        })
}

/// `Removed N files (SIZE)`, as `volley cache clean` and `prune` say it.
fn removed_line(files: u64, bytes: u64) -> String {
    let size = if bytes < 1024 {
        format!("{bytes} B")
    } else {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    };
    let noun = if files == 1 { "file" } else { "files" };
    format!("Removed {files} {noun} ({size})")
}

#[test]
fn cache_dir_clean_and_prune() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let (app, lib) = app_and_lib();
    let (app_sha256, lib_sha256) = (app.sha256.clone(), lib.sha256.clone());
    let server = IndexServer::builder().wheel(app).wheel(lib).start();
    assert_success(&install(&ctx, &server, &["app"]));

    let output = volley(&ctx, &["cache", "dir"]);
    assert_success(&output);
    assert_eq!(stdout(&output), format!("{}\n", ctx.cache_dir().display()));

    let cache = ctx.cache_dir();
    let entries = |sha256: &str, name: &str| -> Vec<PathBuf> {
        let mut entries = vec![
            cache.join("wheels-v1").join(sha256),
            cache.join("unpacked-v1").join(sha256),
            cache.join("metadata-v2").join(format!("{sha256}.metadata")),
        ];
        for index in fs_err::read_dir(cache.join("simple-v1")).unwrap() {
            entries.push(index.unwrap().path().join(format!("{name}.json")));
        }
        entries
    };
    let lib_entries = entries(&lib_sha256, "lib");
    let app_entries = entries(&app_sha256, "app");
    for entry in lib_entries.iter().chain(&app_entries) {
        assert!(entry.exists(), "{} is cached", entry.display());
    }
    let (files, bytes) = lib_entries
        .iter()
        .map(|entry| usage(entry))
        .fold((0, 0), |(files, bytes), (f, b)| (files + f, bytes + b));

    let output = volley(&ctx, &["cache", "clean", "Lib"]);
    assert_success(&output);
    assert_eq!(stderr(&output).trim(), removed_line(files, bytes));
    for entry in &lib_entries {
        assert!(!entry.exists(), "{} is removed", entry.display());
    }
    for entry in &app_entries {
        assert!(entry.exists(), "{} is kept", entry.display());
    }

    // Prune removes buckets of older formats.
    let old = cache.join("wheels-v0").join("abc");
    fs_err::create_dir_all(&old).unwrap();
    fs_err::write(old.join("old-1.0-py3-none-any.whl"), "0123456789").unwrap();
    let output = volley(&ctx, &["cache", "prune"]);
    assert_success(&output);
    assert_eq!(stderr(&output).trim(), removed_line(1, 10));
    assert!(!cache.join("wheels-v0").exists());
    for entry in &app_entries {
        assert!(entry.exists(), "{} is kept", entry.display());
    }
}
