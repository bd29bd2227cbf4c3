//! The unpacked-wheel cache, link modes, transactional installs of many wheels at once (with
//! rollback after a failure or a kill), the environment lock and bytecode compilation, in real
//! virtual environments.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::sync::{Barrier, Mutex};
use std::time::Duration;

use volley_installer::{
    CompileOptions, InstallError, InstallPlan, InstallReporter, Installer, InstallerOptions,
    Layout, LinkMode, PlannedInstall, UnpackedWheel, lock_environment, recover, unpack_wheel,
};
use volley_packaging::PackageName;
use volley_test_support::{TestContext, WheelBuilder, snapshot_tree};

use crate::common::{added, layout_of, record_files, stderr, stdout, venv_layout};

/// A context with a virtual environment and its layout.
struct Env {
    context: TestContext,
    layout: Layout,
}

impl Env {
    fn new() -> Self {
        let context = TestContext::new();
        let layout = venv_layout(&context);
        Self { context, layout }
    }

    fn site(&self) -> &Path {
        &self.layout.purelib
    }

    fn installer(&self, link_mode: LinkMode) -> Installer {
        Installer::new(self.layout.clone(), options(self.context.venv(), link_mode))
    }

    /// Builds and unpacks a wheel into this context's cache.
    fn unpack(&self, builder: &WheelBuilder) -> UnpackedWheel {
        unpack_into(self.context.cache_dir(), builder)
    }

    /// The whole environment, for "nothing changed" comparisons.
    fn tree(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        snapshot_tree(self.context.venv())
    }

    /// `text` with the site-packages directory as `[SITE]` and temporary paths filtered.
    fn filter(&self, text: &str) -> String {
        let site = self.site().display().to_string();
        self.context.filter_paths(&text.replace(&site, "[SITE]"))
    }

    fn run_python(&self, code: &str) -> String {
        let output = self.context.run_python(code);
        assert!(output.status.success(), "{}", stderr(&output));
        stdout(&output)
    }
}

fn options(venv: &Path, link_mode: LinkMode) -> InstallerOptions {
    InstallerOptions {
        link_mode,
        threads: 4,
        installer_name: "volley".to_string(),
        compile: None,
        lock_path: venv.join(".lock"),
    }
}

/// Writes the wheel under `<cache>/wheels` and unpacks it into `<cache>/unpacked-v1/<sha256>`.
fn unpack_into(cache: &Path, builder: &WheelBuilder) -> UnpackedWheel {
    let built = builder.build();
    let wheels = cache.join("wheels");
    fs_err::create_dir_all(&wheels).unwrap();
    let wheel = built.write_to(&wheels);
    unpack_wheel(&wheel, &unpacked_dir(cache, &built.sha256)).unwrap()
}

fn unpacked_dir(cache: &Path, sha256: &str) -> PathBuf {
    cache.join("unpacked-v1").join(sha256)
}

fn planned(wheel: UnpackedWheel) -> PlannedInstall {
    PlannedInstall {
        wheel,
        requested: true,
        direct_url: None,
    }
}

fn plan(wheels: impl IntoIterator<Item = UnpackedWheel>, remove: Vec<PathBuf>) -> InstallPlan {
    InstallPlan {
        install: wheels.into_iter().map(planned).collect(),
        remove,
    }
}

/// `alpha`: a package, a console script; each version has a file of its own.
fn alpha(version: &str) -> WheelBuilder {
    let only = if version == "1.0" {
        "alpha/old_only.py"
    } else {
        "alpha/new_only.py"
    };
    WheelBuilder::new("alpha", version)
        .file(
            "alpha/__init__.py",
            format!("VERSION = '{version}'\n\ndef main():\n    print('alpha', VERSION)\n"),
        )
        .file("alpha/core.py", "def add(a, b):\n    return a + b\n")
        .file(only, "")
        .entry_point("console_scripts", "alpha", "alpha:main")
}

/// `beta`: depends on alpha; has a `#!python` data script (rewritten, so written fresh).
fn beta() -> WheelBuilder {
    WheelBuilder::new("beta", "1.0")
        .requires_dist("alpha>=1")
        .file(
            "beta/__init__.py",
            "from alpha.core import add\nVALUE = add(1, 2)\n",
        )
        .data_file(
            "scripts",
            "beta-tool",
            "#!python\nimport beta\nprint('beta', beta.VALUE)\n",
        )
        .data_file("data", "share/beta/notes.txt", "notes\n")
}

/// Small wheels with a module each.
fn simple(name: &str) -> WheelBuilder {
    let module = name.replace('-', "_");
    WheelBuilder::new(name, "0.1")
        .file(
            &format!("{module}/__init__.py"),
            format!("NAME = '{name}'\n"),
        )
        .file(&format!("{module}/data.txt"), "x\n".repeat(100))
}

/// Whether this machine can reflink from the cache into the environment.
fn reflinks_work(env: &Env, source: &Path) -> bool {
    let probe = env.context.venv().join("reflink-probe");
    let works = reflink_copy::reflink(source, &probe).is_ok();
    let _ = fs_err::remove_file(&probe);
    works
}

/// Python's own check of every distribution: each RECORD file exists with its hash and size.
const CHECK_RECORDS: &str = "\
import base64, hashlib, importlib.metadata as m
names = []
for dist in m.distributions():
    for f in dist.files:
        data = f.locate().read_bytes()
        if f.hash:
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()
            assert (f.hash.mode, f.hash.value, f.size) == ('sha256', digest, len(data)), f
    names.append(f\"{dist.metadata['Name']}=={dist.version}\")
print(' '.join(sorted(names)))
";

/// Prints `whole`, or the `.dist-info` directories that Python reads as broken (no name, or no
/// RECORD), as pip and `importlib.metadata` would see them.
const CHECK_WHOLE: &str = "\
import importlib.metadata as m
broken = []
for dist in m.distributions():
    try:
        whole = dist.metadata['Name'] is not None and dist.files is not None
    except Exception:
        whole = False
    if not whole:
        broken.append(str(dist._path))
print(' '.join(broken) or 'whole')
";

/// Collects what the installer reports.
#[derive(Default)]
struct Events(Mutex<Vec<String>>);

impl Events {
    fn take(&self) -> Vec<String> {
        let mut events = std::mem::take(&mut *self.0.lock().unwrap());
        events.sort();
        events
    }
}

impl InstallReporter for Events {
    fn on_install_start(&self, total: usize) {
        self.0.lock().unwrap().push(format!("start {total}"));
    }
    fn on_package_installed(&self, name: &PackageName) {
        self.0.lock().unwrap().push(format!("installed {name}"));
    }
    fn on_compile_start(&self, files: usize) {
        self.0.lock().unwrap().push(format!("compile {files}"));
    }
    fn on_compile_done(&self) {
        self.0.lock().unwrap().push("compiled".to_string());
    }
}

#[test]
fn unpacking_twice_reuses_the_first_tree() {
    let context = TestContext::new();
    let built = alpha("1.0").build();
    let wheel = built.write_to(context.root());
    let dest = unpacked_dir(context.cache_dir(), &built.sha256);
    let first = unpack_wheel(&wheel, &dest).unwrap();
    assert_eq!(first.root(), dest);
    assert_eq!(first.name().as_ref(), "alpha");
    assert_eq!(first.version().to_string(), "1.0");
    assert_eq!(first.dist_info(), "alpha-1.0.dist-info");
    assert_eq!(first.file_name(), "alpha-1.0-py3-none-any.whl");
    let inode = fs_err::metadata(dest.join("alpha/core.py")).unwrap().ino();

    let second = unpack_wheel(&wheel, &dest).unwrap();
    assert_eq!(second, first);
    assert_eq!(UnpackedWheel::open(&dest).unwrap(), first);
    assert_eq!(
        fs_err::metadata(dest.join("alpha/core.py")).unwrap().ino(),
        inode,
        "the second call extracts nothing"
    );
    let bucket: Vec<_> = fs_err::read_dir(dest.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(
        bucket,
        [built.sha256.as_str()],
        "no temporary directory is left"
    );
}

#[test]
fn concurrent_unpacks_of_one_wheel_agree() {
    let context = TestContext::new();
    let built = beta().build();
    let wheel = built.write_to(context.root());
    let dest = unpacked_dir(context.cache_dir(), &built.sha256);
    let barrier = Barrier::new(4);
    let results: Vec<UnpackedWheel> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    barrier.wait();
                    unpack_wheel(&wheel, &dest).unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for result in &results {
        assert_eq!(result, &results[0]);
    }
    UnpackedWheel::open(&dest).unwrap();
    assert_eq!(fs_err::read_dir(dest.parent().unwrap()).unwrap().count(), 1);
}

#[test]
fn a_damaged_unpacked_tree_is_refused_and_unpacked_again() {
    let context = TestContext::new();
    let built = alpha("1.0").build();
    let wheel = built.write_to(context.root());
    let dest = unpacked_dir(context.cache_dir(), &built.sha256);
    let good = unpack_wheel(&wheel, &dest).unwrap();
    let pristine = snapshot_tree(&dest);

    type Damage = fn(&Path);
    let damages: [(&str, Damage); 4] = [
        ("marker", |dest| {
            fs_err::remove_file(dest.join(".volley-unpacked")).unwrap();
        }),
        ("record", |dest| {
            let record = dest.join("alpha-1.0.dist-info/RECORD");
            let mut content = fs_err::read_to_string(&record).unwrap();
            content.push_str("alpha/extra.py,,\n");
            fs_err::write(record, content).unwrap();
        }),
        ("truncated", |dest| {
            fs_err::write(dest.join("alpha/core.py"), "").unwrap();
        }),
        ("missing", |dest| {
            fs_err::remove_file(dest.join("alpha/__init__.py")).unwrap();
        }),
    ];
    let mut messages = Vec::new();
    for (name, damage) in damages {
        damage(&dest);
        let error = UnpackedWheel::open(&dest).unwrap_err();
        assert!(matches!(error, InstallError::CorruptUnpacked { .. }));
        messages.push(format!(
            "{name}: {}",
            context.filter_paths(&error.to_string())
        ));
        // Unpacking again replaces the damaged tree.
        assert_eq!(unpack_wheel(&wheel, &dest).unwrap(), good);
        assert_eq!(snapshot_tree(&dest), pristine);
    }
    let messages = messages.join("\n").replace(&built.sha256, "[SHA256]");
    insta::assert_snapshot!(messages, @r#"
    marker: unpacked wheel "[CACHE]/unpacked-v1/[SHA256]" is incomplete or was modified: it has no .volley-unpacked file
    record: unpacked wheel "[CACHE]/unpacked-v1/[SHA256]" is incomplete or was modified: alpha-1.0.dist-info/RECORD is not the one that was unpacked
    truncated: unpacked wheel "[CACHE]/unpacked-v1/[SHA256]" is incomplete or was modified: "alpha/core.py" has 0 bytes, 32 when it was unpacked
    missing: unpacked wheel "[CACHE]/unpacked-v1/[SHA256]" is incomplete or was modified: "alpha/__init__.py" is missing
    "#);
}

#[test]
fn installs_many_wheels_at_once() {
    let env = Env::new();
    let builders = [
        alpha("1.0"),
        beta(),
        simple("gamma"),
        simple("delta"),
        simple("epsilon"),
        simple("zeta-eta"),
    ];
    let wheels: Vec<UnpackedWheel> = builders.iter().map(|b| env.unpack(b)).collect();
    let cache_file = wheels[0].root().join("alpha/core.py");
    let reflinks = reflinks_work(&env, &cache_file);
    let before = env.tree();
    let events = Events::default();

    let summary = env
        .installer(LinkMode::Clone)
        .execute(&plan(wheels.clone(), Vec::new()), &events, || {
            panic!("nobody else holds the lock")
        })
        .unwrap();
    // ext4 and tmpfs have no reflinks: clone falls back to a hard link.
    let expected = if reflinks {
        LinkMode::Clone
    } else {
        LinkMode::Hardlink
    };
    assert_eq!(summary.link_mode_used, expected);
    assert_eq!(summary.installed.len(), 6);
    assert!(summary.removed.is_empty());
    assert_eq!(summary.compiled_files, 0);
    insta::assert_snapshot!(events.take().join("\n"), @r"
    installed alpha
    installed beta
    installed delta
    installed epsilon
    installed gamma
    installed zeta-eta
    start 6
    ");

    // Exactly the files in the RECORDs were written (and the lock file), nothing else.
    let venv = env.context.venv();
    let mut written: BTreeSet<PathBuf> = added(&before, &env.tree())
        .into_iter()
        .map(|path| venv.join(path))
        .collect();
    assert!(written.remove(&venv.join(".lock")));
    let recorded: BTreeSet<PathBuf> = summary
        .installed
        .iter()
        .flat_map(|installed| record_files(&installed.dist_info))
        .collect();
    assert_eq!(written, recorded);
    let files: usize = summary.installed.iter().map(|i| i.files).sum();
    assert_eq!(files, recorded.len());

    // Python imports them, agrees with every RECORD, runs the scripts; pip is content.
    insta::assert_snapshot!(env.run_python(CHECK_RECORDS), @"alpha==1.0 beta==1.0 delta==0.1 epsilon==0.1 gamma==0.1 zeta-eta==0.1");
    insta::assert_snapshot!(env.run_python("import alpha, beta, gamma, delta, epsilon, zeta_eta; print(beta.VALUE, zeta_eta.NAME)"), @"3 zeta-eta");
    for (script, expected) in [("alpha", "alpha 1.0\n"), ("beta-tool", "beta 3\n")] {
        let output = env
            .context
            .clean_command(&env.layout.scripts.join(script))
            .output()
            .unwrap();
        assert_eq!(stdout(&output), expected, "{}", stderr(&output));
    }
    let output = env.context.pip(&["check"]);
    assert!(output.status.success(), "{}", stdout(&output));
    let output = env.context.pip(&["list", "--format=freeze"]);
    insta::assert_snapshot!(stdout(&output), @r"
    alpha==1.0
    beta==1.0
    delta==0.1
    epsilon==0.1
    gamma==0.1
    zeta-eta==0.1
    ");
}

#[test]
fn link_modes_share_the_cache_only_where_they_should() {
    for mode in [LinkMode::Hardlink, LinkMode::Copy, LinkMode::Symlink] {
        let env = Env::new();
        let alpha = env.unpack(&alpha("1.0"));
        let beta = env.unpack(&beta());
        let cache = env.context.cache_dir().to_path_buf();
        let cache_before = snapshot_tree(&cache);
        let summary = env
            .installer(mode)
            .execute(&plan([alpha.clone(), beta.clone()], Vec::new()), &(), || {})
            .unwrap();
        assert_eq!(summary.link_mode_used, mode);

        let installed = env.site().join("alpha/core.py");
        let cached = alpha.root().join("alpha/core.py");
        let link = fs_err::symlink_metadata(&installed).unwrap();
        let same_inode = link.ino() == fs_err::metadata(&cached).unwrap().ino();
        match mode {
            LinkMode::Hardlink => assert!(same_inode, "a hard link shares the inode"),
            LinkMode::Copy => assert!(!same_inode && link.nlink() == 1, "a copy is its own file"),
            LinkMode::Symlink => {
                assert_eq!(fs_err::read_link(&installed).unwrap(), cached);
            }
            LinkMode::Clone => unreachable!(),
        }
        // Whatever the install writes itself is a file of its own in every mode.
        let dist_info = env.site().join("alpha-1.0.dist-info");
        let beta_dist_info = env.site().join("beta-1.0.dist-info");
        let fresh = [
            dist_info.join("RECORD"),
            dist_info.join("INSTALLER"),
            dist_info.join("REQUESTED"),
            env.layout.scripts.join("alpha"),
            env.layout.scripts.join("beta-tool"),
            beta_dist_info.join("RECORD"),
        ];
        for path in &fresh {
            let metadata = fs_err::symlink_metadata(path).unwrap();
            assert!(
                metadata.is_file() && metadata.nlink() == 1,
                "{mode}: {}",
                path.display()
            );
        }
        assert_eq!(env.run_python(CHECK_RECORDS), "alpha==1.0 beta==1.0\n");
        assert_eq!(env.run_python("import beta; print(beta.VALUE)"), "3\n");

        // Editing what the install wrote leaves the cache alone.
        for path in &fresh {
            let mut content = fs_err::read(path).unwrap();
            content.extend_from_slice(b"# edited\n");
            fs_err::write(path, content).unwrap();
        }
        assert_eq!(snapshot_tree(&cache), cache_before, "{mode}");
        UnpackedWheel::open(alpha.root()).unwrap();
        UnpackedWheel::open(beta.root()).unwrap();
    }
}

#[test]
fn replaces_a_version_within_one_plan() {
    let env = Env::new();
    let installer = env.installer(LinkMode::Copy);
    installer
        .execute(
            &plan([env.unpack(&alpha("1.0")), env.unpack(&beta())], Vec::new()),
            &(),
            || {},
        )
        .unwrap();
    // Bytecode written on import goes with the old version too.
    env.run_python("import alpha.old_only");
    let old_dist_info = env.site().join("alpha-1.0.dist-info");

    let summary = installer
        .execute(
            &plan([env.unpack(&alpha("2.0"))], vec![old_dist_info.clone()]),
            &(),
            || {},
        )
        .unwrap();
    assert_eq!(summary.removed.len(), 1);
    // Four files, RECORD, INSTALLER, REQUESTED, METADATA, WHEEL, entry_points.txt, the
    // launcher, and the bytecode of `__init__` and `old_only`.
    assert_eq!(summary.removed[0].files_removed, 12);
    assert!(!old_dist_info.exists());
    assert!(!env.site().join("alpha/old_only.py").exists());
    assert!(!env.site().join("alpha/__pycache__").exists());
    assert!(env.site().join("alpha/new_only.py").is_file());
    insta::assert_snapshot!(env.run_python(CHECK_RECORDS), @"alpha==2.0 beta==1.0");
    let output = env
        .context
        .clean_command(&env.layout.scripts.join("alpha"))
        .output()
        .unwrap();
    assert_eq!(stdout(&output), "alpha 2.0\n");

    // Reinstalling the same version (remove and install one dist-info) works too.
    let new_dist_info = env.site().join("alpha-2.0.dist-info");
    installer
        .execute(
            &plan([env.unpack(&alpha("2.0"))], vec![new_dist_info]),
            &(),
            || {},
        )
        .unwrap();
    insta::assert_snapshot!(env.run_python(CHECK_RECORDS), @"alpha==2.0 beta==1.0");
}

#[test]
fn a_file_where_another_wheel_needs_a_directory_is_refused_before_anything_changes() {
    let env = Env::new();
    // The lock file is made by the first install's lock, refused or not.
    env.installer(LinkMode::Hardlink).recover(|| {}).unwrap();
    let before = env.tree();
    let directory = WheelBuilder::new("one", "1.0").file("shared/x.py", "X = 1\n");
    let file = WheelBuilder::new("two", "1.0").file("shared", "not a directory\n");
    let errors = [[&directory, &file], [&file, &directory]].map(|order| {
        let wheels = order.map(|wheel| env.unpack(wheel));
        let error = env
            .installer(LinkMode::Hardlink)
            .execute(&plan(wheels, Vec::new()), &(), || {})
            .unwrap_err();
        assert_eq!(env.tree(), before);
        env.filter(&error.to_string())
    });
    assert_eq!(errors[0], errors[1], "either order");
    insta::assert_snapshot!(errors[0], @r#"wheel two-1.0-py3-none-any.whl: cannot install "[SITE]/shared": another file of this install needs a directory there"#);
}

/// An environment with alpha 1.0 installed, and the plan that replaces it with 2.0 and adds
/// beta; the lock file exists already.
fn replacement_plan(env: &Env) -> InstallPlan {
    env.installer(LinkMode::Hardlink)
        .execute(&plan([env.unpack(&alpha("1.0"))], Vec::new()), &(), || {})
        .unwrap();
    plan(
        [env.unpack(&alpha("2.0")), env.unpack(&beta())],
        vec![env.site().join("alpha-1.0.dist-info")],
    )
}

#[test]
fn a_failure_in_the_middle_leaves_the_environment_as_it_was() {
    let env = Env::new();
    let mut replacement = replacement_plan(&env);
    let installer = env.installer(LinkMode::Hardlink);
    let transaction_dir = env.context.venv().join(".volley-transaction");

    // A directory where a file of the third wheel must go.
    fs_err::create_dir_all(env.site().join("gamma/__init__.py")).unwrap();
    fs_err::write(env.site().join("gamma/__init__.py/keep"), "").unwrap();
    let before = env.tree();
    let mut blocked = replacement.clone();
    blocked.install.push(planned(env.unpack(&simple("gamma"))));
    let error = installer.execute(&blocked, &(), || {}).unwrap_err();
    insta::assert_snapshot!(env.filter(&error.to_string()), @r#"wheel gamma-0.1-py3-none-any.whl: cannot install "[SITE]/gamma/__init__.py": a directory is in the way"#);
    assert_eq!(env.tree(), before);
    assert!(!transaction_dir.exists());

    // A file of the third wheel vanished from the cache after it was opened: staging fails.
    let delta = env.unpack(&simple("delta"));
    fs_err::remove_file(delta.root().join("delta/data.txt")).unwrap();
    let mut damaged = replacement.clone();
    damaged.install.push(planned(delta));
    let error = installer.execute(&damaged, &(), || {}).unwrap_err();
    assert!(
        matches!(error, InstallError::CorruptUnpacked { .. }),
        "{error}"
    );
    assert_eq!(env.tree(), before);
    assert!(!transaction_dir.exists());

    // A rename fails half-way through the commit: everything done is undone.
    let failing = env
        .installer(LinkMode::Hardlink)
        .with_commit_hook(|done, total| {
            if done == total / 2 {
                Err(io::Error::other("injected failure"))
            } else {
                Ok(())
            }
        });
    let error = failing.execute(&replacement, &(), || {}).unwrap_err();
    insta::assert_snapshot!(error, @"cannot move the new files into the environment (it was rolled back): injected failure");
    assert_eq!(env.tree(), before);
    assert!(!transaction_dir.exists());

    // And the plan itself is fine.
    replacement.install.truncate(2);
    installer.execute(&replacement, &(), || {}).unwrap();
    insta::assert_snapshot!(env.run_python(CHECK_RECORDS), @"alpha==2.0 beta==1.0");
}

/// Set by `killed_installs_are_rolled_back` for the child process it starts: the venv's
/// interpreter, the cache directory and where to die, one per line.
const KILL_VARIABLE: &str = "VOLLEY_INSTALLER_TEST_KILL";

/// The parameters a parent test passed, if this is its child process.
#[allow(
    clippy::disallowed_methods,
    reason = "the parent test passes the crash point to its child process"
)]
fn kill_request() -> Option<String> {
    std::env::var(KILL_VARIABLE).ok()
}

/// Run alone, this checks that a failure at the last rename of a commit rolls back in process.
/// Run by `killed_installs_are_rolled_back` (with `KILL_VARIABLE` set), it installs into the
/// parent's environment and kills itself in the middle of the commit.
#[test]
fn interrupted_commit() {
    let Some(request) = kill_request() else {
        let env = Env::new();
        let replacement = replacement_plan(&env);
        let before = env.tree();
        let error = env
            .installer(LinkMode::Hardlink)
            .with_commit_hook(|done, total| {
                if done == total {
                    Err(io::Error::other("last"))
                } else {
                    Ok(())
                }
            })
            .execute(&replacement, &(), || {})
            .unwrap_err();
        assert!(matches!(error, InstallError::Commit { .. }), "{error}");
        assert_eq!(env.tree(), before);
        return;
    };
    let mut lines = request.lines();
    let (python, cache, point) = (
        PathBuf::from(lines.next().unwrap()),
        PathBuf::from(lines.next().unwrap()),
        lines.next().unwrap().to_string(),
    );
    let context = TestContext::new();
    let layout = layout_of(&context, &python);
    let venv = layout.data.clone();
    let replacement = plan(
        [
            unpack_into(&cache, &alpha("2.0")),
            unpack_into(&cache, &beta()),
        ],
        vec![layout.purelib.join("alpha-1.0.dist-info")],
    );
    let installer = Installer::new(layout, options(&venv, LinkMode::Hardlink)).with_commit_hook(
        move |done, total| {
            let die = match point.as_str() {
                "first" => done == 1,
                "second" => done == 2,
                "middle" => done == total / 2,
                "before-last" => done + 1 == total,
                _ => done == total,
            };
            if die {
                let _ = Command::new("sh")
                    .args(["-c", &format!("kill -KILL {}", std::process::id())])
                    .status();
                std::thread::sleep(Duration::from_secs(60));
            }
            Ok(())
        },
    );
    installer.execute(&replacement, &(), || {}).unwrap();
    panic!("the commit finished: the process was not killed");
}

#[test]
fn killed_installs_are_rolled_back() {
    let env = Env::new();
    let replacement = replacement_plan(&env);
    let before = env.tree();
    let journal = env.context.venv().join(".volley-transaction/journal");
    for point in ["first", "second", "middle", "before-last", "last"] {
        let output = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "installer::interrupted_commit",
                "--test-threads=1",
                "--nocapture",
            ])
            .env(
                KILL_VARIABLE,
                format!(
                    "{}\n{}\n{point}",
                    env.context.python().display(),
                    env.context.cache_dir().display()
                ),
            )
            .output()
            .unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            output.status.signal(),
            Some(9),
            "{point}: {}{}",
            stdout(&output),
            stderr(&output)
        );
        assert!(journal.is_file(), "{point}: the commit was under way");
        // Right after the kill, before any recovery: nothing half-made is visible.
        assert_eq!(env.run_python(CHECK_WHOLE).trim(), "whole", "{point}");
        assert_ne!(
            env.tree(),
            before,
            "{point}: the commit had changed something"
        );
        assert!(recover(&env.layout, &env.context.venv().join(".lock"), || {}).unwrap());
        assert_eq!(env.tree(), before, "{point}");
        assert!(!recover(&env.layout, &env.context.venv().join(".lock"), || {}).unwrap());
    }
    // Taking the environment lock (as `execute` does) recovers too.
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "installer::interrupted_commit",
            "--test-threads=1",
        ])
        .env(
            KILL_VARIABLE,
            format!(
                "{}\n{}\nmiddle",
                env.context.python().display(),
                env.context.cache_dir().display()
            ),
        )
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(journal.is_file());
    // So a caller that reads the environment under the lock sees it as it was.
    let lock = lock_environment(&env.layout, &env.context.venv().join(".lock"), || {}).unwrap();
    assert!(lock.recovered());
    assert_eq!(env.tree(), before);
    env.installer(LinkMode::Hardlink)
        .execute_locked(&lock, &replacement, &())
        .unwrap();
    drop(lock);
    insta::assert_snapshot!(env.run_python(CHECK_RECORDS), @"alpha==2.0 beta==1.0");
    let output = env.context.pip(&["check"]);
    assert!(output.status.success(), "{}", stdout(&output));
}

#[test]
fn a_second_install_waits_for_the_lock() {
    let env = Env::new();
    let alpha = env.unpack(&alpha("1.0"));
    let gamma = env.unpack(&simple("gamma"));
    let (events, received) = mpsc::channel::<&str>();
    let (release, released) = mpsc::channel::<()>();
    let released = Mutex::new(released);
    let first = env.installer(LinkMode::Hardlink).with_commit_hook({
        let events = events.clone();
        move |done, _| {
            if done == 1 {
                events.send("first is committing").unwrap();
                released.lock().unwrap().recv().unwrap();
            }
            Ok(())
        }
    });
    let second = env.installer(LinkMode::Hardlink);
    std::thread::scope(|scope| {
        let one = scope.spawn(|| {
            first
                .execute(&plan([alpha], Vec::new()), &(), || {})
                .map_err(|error| error.to_string())
        });
        let patience = Duration::from_secs(20);
        assert_eq!(
            received.recv_timeout(patience).unwrap(),
            "first is committing"
        );
        let two = scope.spawn(|| {
            let result = second.execute(&plan([gamma], Vec::new()), &(), || {
                events.send("second waits").unwrap();
            });
            events.send("second done").unwrap();
            result.map_err(|error| error.to_string())
        });
        assert_eq!(received.recv_timeout(patience).unwrap(), "second waits");
        // Still waiting while the first holds the lock.
        assert!(received.recv_timeout(Duration::from_millis(300)).is_err());
        release.send(()).unwrap();
        assert_eq!(received.recv_timeout(patience).unwrap(), "second done");
        one.join().unwrap().unwrap();
        two.join().unwrap().unwrap();
    });
    insta::assert_snapshot!(env.run_python(CHECK_RECORDS), @"alpha==1.0 gamma==0.1");
}

#[test]
fn compiled_bytecode_is_recorded_and_uninstalled() {
    let env = Env::new();
    let wheel = WheelBuilder::new("compiled", "1.0")
        .file("compiled/__init__.py", "from compiled.sub import mod\n")
        .file("compiled/sub/__init__.py", "")
        .file("compiled/sub/mod.py", "VALUE = 'compiled'\n")
        .file("compiled/legacy.py", "print 'python 2'\n")
        .file("compiled/data.txt", "not python\n")
        .data_file("scripts", "helper.py", "#!python\nprint('helper')\n");
    let unpacked = env.unpack(&wheel);
    let before = env.tree();
    let mut options = options(env.context.venv(), LinkMode::Hardlink);
    options.compile = Some(CompileOptions {
        python: env.layout.python_executable.clone(),
        workers: 2,
    });
    let events = Events::default();
    let summary = Installer::new(env.layout.clone(), options)
        .execute(&plan([unpacked], Vec::new()), &events, || {})
        .unwrap();
    insta::assert_snapshot!(events.take().join("\n"), @r"
    compile 5
    compiled
    installed compiled
    start 1
    ");
    assert_eq!(summary.compiled_files, 4);
    let failures: Vec<String> = summary
        .bytecode_failures
        .iter()
        .map(|failure| env.filter(&failure.path.display().to_string()))
        .collect();
    assert_eq!(failures, ["[SITE]/compiled/legacy.py"]);
    assert!(summary.bytecode_failures[0].message.contains("legacy.py"));

    // The bytecode is in RECORD with its hash; Python agrees and uses it.
    let record = fs_err::read_to_string(env.site().join("compiled-1.0.dist-info/RECORD")).unwrap();
    let pycs: Vec<&str> = record
        .lines()
        .filter(|line| line.contains(".pyc,sha256="))
        .map(|line| line.split(',').next().unwrap())
        .collect();
    let tag = env.run_python("import sys; print(sys.implementation.cache_tag)");
    let tag = tag.trim();
    assert_eq!(
        pycs,
        [
            format!("../../../bin/__pycache__/helper.{tag}.pyc"),
            format!("compiled/__pycache__/__init__.{tag}.pyc"),
            format!("compiled/sub/__pycache__/__init__.{tag}.pyc"),
            format!("compiled/sub/__pycache__/mod.{tag}.pyc"),
        ]
    );
    insta::assert_snapshot!(env.run_python(CHECK_RECORDS), @"compiled==1.0");
    // pip's default invalidation mode (no SOURCE_DATE_EPOCH here): timestamps, flags 0. And the
    // import uses the file: it does not write it again.
    let pyc = env
        .site()
        .join(format!("compiled/sub/__pycache__/mod.{tag}.pyc"));
    let header = fs_err::read(&pyc).unwrap();
    assert_eq!(&header[4..8], &[0, 0, 0, 0]);
    let modified = fs_err::metadata(&pyc).unwrap().modified().unwrap();
    insta::assert_snapshot!(env.run_python("import compiled; print(compiled.mod.VALUE)"), @"compiled");
    assert_eq!(
        fs_err::metadata(&pyc).unwrap().modified().unwrap(),
        modified
    );

    // pip uninstall removes every file, bytecode included.
    let output = env.context.pip(&["uninstall", "-y", "compiled"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut after = env.tree();
    after.remove(Path::new(".lock"));
    let mut before = before;
    before.remove(Path::new(".lock"));
    assert_eq!(after, before);
}

#[test]
fn compiles_when_pythondontwritebytecode_is_set() {
    // The same test in a process that has the variable, as a user's shell might.
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "installer::compiled_bytecode_is_recorded_and_uninstalled",
            "--test-threads=1",
        ])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(stdout(&output).contains("1 passed"), "{}", stdout(&output));
}
