//! `install_wheel` and `uninstall`: installing wheels into real virtual environments and
//! uninstalling them, checked with the environment's own Python and the machine's pip.

use std::collections::BTreeSet;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use volley_installer::{InstallError, InstallOptions, install_wheel, uninstall};
use volley_test_support::{BuiltWheel, TestContext, WheelBuilder};

use crate::common::{added, is_executable, layout_of, record_files, stderr, stdout, venv_layout};

fn options() -> InstallOptions {
    InstallOptions {
        installer: "volley".to_string(),
        requested: true,
        direct_url: None,
    }
}

/// A wheel with a package, a console script, a GUI script, a `#!python` data script, a data
/// file and a header.
fn demo_wheel() -> BuiltWheel {
    WheelBuilder::new("demo-pkg", "1.0")
        .file(
            "demo_pkg/__init__.py",
            "VALUE = 42\n\ndef main():\n    print('hello from demo')\n    return 0\n",
        )
        .file("demo_pkg/sub/mod.py", "NAME = 'sub'\n")
        .file("demo_pkg/data.txt", "some data\n")
        .entry_point("console_scripts", "demo-cli", "demo_pkg:main")
        .entry_point("gui_scripts", "demo-gui", "demo_pkg:main [gui]")
        .data_file(
            "scripts",
            "demo-tool",
            "#!python\nimport demo_pkg\nprint('tool says', demo_pkg.VALUE)\n",
        )
        .data_file("data", "share/demo/readme.txt", "read me\n")
        .data_file("headers", "demo.h", "#define DEMO 1\n")
        .build()
}

#[test]
fn installs_a_wheel_that_python_and_pip_accept() {
    let context = TestContext::new();
    let layout = venv_layout(&context);
    let venv = context.venv().to_path_buf();
    let wheel = demo_wheel().write_to(context.root());
    let before = context.snapshot_tree(&venv);

    let installed = install_wheel(&wheel, &layout, &options()).unwrap();
    assert_eq!(installed.name.as_ref(), "demo-pkg");
    assert_eq!(installed.version.to_string(), "1.0");
    assert_eq!(
        installed.dist_info,
        layout.purelib.join("demo_pkg-1.0.dist-info")
    );

    // Exactly the files in RECORD were written, and nothing else.
    let after = context.snapshot_tree(&venv);
    let written: BTreeSet<PathBuf> = added(&before, &after)
        .into_iter()
        .map(|path| venv.join(path))
        .collect();
    assert_eq!(written, record_files(&installed.dist_info));
    assert_eq!(installed.files, written.len());
    let dist_info = &installed.dist_info;
    assert_eq!(
        fs_err::read_to_string(dist_info.join("INSTALLER")).unwrap(),
        "volley\n"
    );
    assert_eq!(fs_err::read(dist_info.join("REQUESTED")).unwrap(), b"");
    assert!(
        layout.headers.join("demo-pkg/demo.h").is_file(),
        "headers go to <include>/site/pythonX.Y/<name>"
    );
    assert!(venv.join("share/demo/readme.txt").is_file());
    #[cfg(unix)]
    {
        assert!(is_executable(&layout.scripts.join("demo-cli")));
        assert!(is_executable(&layout.scripts.join("demo-gui")));
        assert!(is_executable(&layout.scripts.join("demo-tool")));
        assert!(!is_executable(&layout.purelib.join("demo_pkg/data.txt")));
    }

    // Python sees the package, and its own metadata reader agrees with every RECORD hash.
    let output = context.run_python(
        "import base64, hashlib, importlib.metadata as m\n\
         import demo_pkg, demo_pkg.sub.mod\n\
         print(demo_pkg.VALUE, demo_pkg.sub.mod.NAME)\n\
         dist = m.distribution('demo-pkg')\n\
         print(dist.metadata['Name'], dist.version, dist.read_text('INSTALLER').strip())\n\
         checked = 0\n\
         for f in dist.files:\n\
         \x20   assert f.locate().exists(), f\n\
         \x20   if f.hash:\n\
         \x20       digest = base64.urlsafe_b64encode(hashlib.sha256(f.read_binary()).digest()).rstrip(b'=').decode()\n\
         \x20       assert (f.hash.mode, f.hash.value) == ('sha256', digest), f\n\
         \x20       assert f.size == len(f.read_binary()), f\n\
         \x20       checked += 1\n\
         print('checked', checked)\n\
         print(sorted(ep.name for ep in dist.entry_points))",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    insta::assert_snapshot!(stdout(&output), @r"
    42 sub
    demo-pkg 1.0 volley
    checked 13
    ['demo-cli', 'demo-gui']
    ");

    // The console script and the data script run with the venv's interpreter.
    let output = context
        .clean_command(&layout.scripts.join("demo-cli"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "hello from demo\n");
    let output = context
        .clean_command(&layout.scripts.join("demo-tool"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "tool says 42\n");
    let tool = fs_err::read_to_string(layout.scripts.join("demo-tool")).unwrap();
    assert_eq!(
        tool.lines().next().unwrap(),
        format!("#!{}", layout.python_executable.display())
    );

    // pip agrees that it is installed, complete and consistent.
    let output = context.pip(&["list", "--format=freeze"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).lines().any(|line| line == "demo-pkg==1.0"),
        "{}",
        stdout(&output)
    );
    let output = context.pip(&["show", "-f", "demo-pkg"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let show = stdout(&output);
    assert!(show.contains("Name: demo-pkg"), "{show}");
    assert!(show.contains("  demo_pkg/__init__.py"), "{show}");
    assert!(show.contains("  ../../../bin/demo-cli"), "{show}");
    let output = context.pip(&["check"]);
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );

    // pip's uninstall removes everything we wrote, bytecode from the import above included.
    let output = context.pip(&["uninstall", "-y", "demo-pkg"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(context.snapshot_tree(&venv), before);
}

#[test]
fn uninstall_removes_everything_it_installed() {
    let context = TestContext::new();
    let layout = venv_layout(&context);
    let venv = context.venv().to_path_buf();
    let wheel = demo_wheel().write_to(context.root());
    let before = context.snapshot_tree(&venv);

    let installed = install_wheel(&wheel, &layout, &options()).unwrap();
    // Importing writes bytecode that RECORD does not list.
    let output = context.run_python("import demo_pkg.sub.mod");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(layout.purelib.join("demo_pkg/sub/__pycache__").is_dir());

    let summary = uninstall(&installed.dist_info, &layout).unwrap();
    assert_eq!(summary.files_removed, installed.files + 2);
    assert!(summary.outside_environment.is_empty());
    assert_eq!(context.snapshot_tree(&venv), before);
    // No empty directory is left behind either.
    for directory in ["include/site", "share", "lib"] {
        let path = venv.join(directory);
        assert!(
            !path.exists() || fs_err::read_dir(&path).unwrap().next().is_some(),
            "{directory}"
        );
    }
    assert!(!layout.purelib.join("demo_pkg").exists());
    assert!(!installed.dist_info.exists());

    // And it can be installed again.
    install_wheel(&wheel, &layout, &options()).unwrap();
}

#[test]
fn matches_what_pip_installs() {
    let ours = TestContext::new();
    let layout = venv_layout(&ours);
    let wheel = demo_wheel();
    let installed = install_wheel(&wheel.write_to(ours.root()), &layout, &options()).unwrap();

    let theirs = TestContext::new();
    let pip_layout = venv_layout(&theirs);
    let pip_wheel = wheel.write_to(theirs.root());
    let output = theirs.pip(&[
        "install",
        "--no-deps",
        "--no-index",
        "--no-compile",
        pip_wheel.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));

    let relative = |files: BTreeSet<PathBuf>, venv: &Path| -> BTreeSet<String> {
        files
            .into_iter()
            .map(|path| path.strip_prefix(venv).unwrap().display().to_string())
            .collect()
    };
    let pip_dist_info = pip_layout.purelib.join("demo_pkg-1.0.dist-info");
    let mut pip_files = relative(record_files(&pip_dist_info), theirs.venv());
    // pip records where a local wheel came from; the caller passes that to volley.
    let direct_url = pip_files
        .iter()
        .find(|path| path.ends_with("/direct_url.json"))
        .cloned();
    pip_files.remove(&direct_url.unwrap_or_default());
    assert_eq!(
        relative(record_files(&installed.dist_info), ours.venv()),
        pip_files
    );
    // The launchers differ only in their interpreter line and quoting style.
    let normalize = |path: PathBuf| {
        let text = fs_err::read_to_string(path).unwrap();
        text.split_once('\n').unwrap().1.replace('\'', "\"")
    };
    assert_eq!(
        normalize(layout.scripts.join("demo-cli")),
        normalize(pip_layout.scripts.join("demo-cli"))
    );
}

#[test]
fn platlib_wheel_goes_to_platlib() {
    let context = TestContext::new();
    let mut layout = venv_layout(&context);
    // A separate platlib makes the routing visible (in a venv both are usually one directory).
    layout.platlib = context.root().join("platlib");
    let wheel = WheelBuilder::new("native", "2.0")
        .tag("cp311-cp311-linux_x86_64")
        .root_is_purelib(false)
        .file("native/__init__.py", "KIND = 'native'\n")
        .data_file("purelib", "native_pure.py", "KIND = 'pure'\n")
        .build()
        .write_to(context.root());
    let purelib_before = context.snapshot_tree(&layout.purelib);

    let installed = install_wheel(&wheel, &layout, &options()).unwrap();
    assert_eq!(
        installed.dist_info,
        layout.platlib.join("native-2.0.dist-info")
    );
    assert!(layout.platlib.join("native/__init__.py").is_file());
    assert!(layout.purelib.join("native_pure.py").is_file());
    let record = fs_err::read_to_string(installed.dist_info.join("RECORD")).unwrap();
    let site_relative = format!(
        "{}/native_pure.py,",
        relative_to(&layout.platlib, &layout.purelib)
    );
    assert!(
        record.contains(&site_relative),
        "{site_relative} in\n{record}"
    );
    assert!(record.contains("native/__init__.py,sha256="), "{record}");

    uninstall(&installed.dist_info, &layout).unwrap();
    assert_eq!(context.snapshot_tree(&layout.purelib), purelib_before);
    assert_eq!(fs_err::read_dir(&layout.platlib).unwrap().count(), 0);
}

/// `../..`-style path of `target` from `base`, for two absolute paths.
fn relative_to(base: &Path, target: &Path) -> String {
    let common = base
        .components()
        .zip(target.components())
        .take_while(|(a, b)| a == b)
        .count();
    let ups = base.components().count() - common;
    let mut parts: Vec<String> = vec!["..".to_string(); ups];
    parts.extend(
        target
            .components()
            .skip(common)
            .map(|part| part.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

#[test]
fn generated_script_replaces_a_wheel_script_of_the_same_name() {
    let context = TestContext::new();
    let layout = venv_layout(&context);
    let wheel = WheelBuilder::new("clash", "1.0")
        .file("clash.py", "def main():\n    print('generated')\n")
        .entry_point("console_scripts", "clash", "clash:main")
        .data_file("scripts", "clash", "#!python\nprint('from the wheel')\n")
        .build()
        .write_to(context.root());
    let installed = install_wheel(&wheel, &layout, &options()).unwrap();
    let output = context
        .clean_command(&layout.scripts.join("clash"))
        .output()
        .unwrap();
    assert_eq!(stdout(&output), "generated\n", "{}", stderr(&output));
    let record = fs_err::read_to_string(installed.dist_info.join("RECORD")).unwrap();
    assert_eq!(record.matches("bin/clash,").count(), 1, "{record}");
}

#[test]
fn interpreter_path_with_a_space_gets_a_shell_trampoline() {
    let context = TestContext::new();
    let venv = context.root().join("my venv");
    let output = context
        .clean_command(context.base_python())
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let layout = layout_of(&context, &venv.join("bin/python"));
    assert!(layout.python_executable.to_string_lossy().contains(' '));
    let wheel = WheelBuilder::new("spaced", "1.0")
        .file(
            "spaced.py",
            "import sys\ndef main():\n    print('prefix', sys.prefix)\n",
        )
        .entry_point("console_scripts", "spaced", "spaced:main")
        .data_file(
            "scripts",
            "spaced-tool",
            "#!python\nimport spaced\nspaced.main()\n",
        )
        .build()
        .write_to(context.root());
    install_wheel(&wheel, &layout, &options()).unwrap();
    for script in ["spaced", "spaced-tool"] {
        let path = layout.scripts.join(script);
        assert!(
            fs_err::read_to_string(&path)
                .unwrap()
                .starts_with("#!/bin/sh\n")
        );
        let output = context.clean_command(&path).output().unwrap();
        assert!(output.status.success(), "{script}: {}", stderr(&output));
        assert_eq!(stdout(&output), format!("prefix {}\n", venv.display()));
    }
}

/// Installs a broken wheel, checks that nothing in the venv changed, and returns the error
/// message with the temporary root filtered out.
fn install_fails(context: &TestContext, wheel: &Path) -> String {
    let layout = venv_layout(context);
    let before = context.snapshot_tree(context.venv());
    let parent_before = context.snapshot_tree(layout.purelib.parent().unwrap());
    let error = install_wheel(wheel, &layout, &options()).unwrap_err();
    assert_eq!(context.snapshot_tree(context.venv()), before);
    assert_eq!(
        context.snapshot_tree(layout.purelib.parent().unwrap()),
        parent_before
    );
    context.filter_paths(&error.to_string())
}

fn valid_package() -> WheelBuilder {
    WheelBuilder::new("victim", "1.0")
        .file("victim/__init__.py", "")
        .file("victim/mod.py", "X = 1\n")
        .entry_point("console_scripts", "victim", "victim:main")
}

#[test]
fn refuses_path_traversal() {
    let context = TestContext::new();
    let wheel = valid_package()
        .raw_entry("../evil.py", "print('pwned')\n")
        .build()
        .write_to(context.root());
    insta::assert_snapshot!(install_fails(&context, &wheel), @r#"wheel victim-1.0-py3-none-any.whl: entry "../evil.py" escapes the installation directory"#);
    let wheel = valid_package()
        .raw_entry("victim/../../../../../evil.py", "print('pwned')\n")
        .build()
        .write_to(context.root());
    insta::assert_snapshot!(install_fails(&context, &wheel), @r#"wheel victim-1.0-py3-none-any.whl: entry "victim/../../../../../evil.py" escapes the installation directory"#);
    let wheel = valid_package()
        .raw_entry("victim-1.0.data/scripts/../../../evil", "x")
        .build()
        .write_to(context.root());
    insta::assert_snapshot!(install_fails(&context, &wheel), @r#"wheel victim-1.0-py3-none-any.whl: entry "victim-1.0.data/scripts/../../../evil" escapes the installation directory"#);
    // Out of the `.data` directory but still inside the wheel: pip refuses it, so does volley
    // (it would land at the root of site-packages).
    let wheel = valid_package()
        .raw_entry("victim-1.0.data/scripts/../../sneaky.py", "x")
        .build()
        .write_to(context.root());
    insta::assert_snapshot!(install_fails(&context, &wheel), @r#"wheel victim-1.0-py3-none-any.whl: entry "victim-1.0.data/scripts/../../sneaky.py" is not a valid .data path: it climbs out of victim-1.0.data/<scheme key>/ with "..""#);
}

#[test]
fn refuses_absolute_paths() {
    let context = TestContext::new();
    let target = context.root().join("absolute-evil.py");
    let wheel = valid_package()
        .raw_entry(target.to_str().unwrap(), "print('pwned')\n")
        .build()
        .write_to(context.root());
    insta::assert_snapshot!(install_fails(&context, &wheel), @r#"wheel victim-1.0-py3-none-any.whl: entry "[TEMP]/absolute-evil.py" is an absolute path"#);
    assert!(!target.exists());
}

/// Copies the wheel's entries into a new zip; `edit` may change an entry's content and unix
/// mode, or drop it (by returning `false`); `extend` may add entries.
fn rewrite_wheel(
    wheel: &BuiltWheel,
    edit: impl Fn(&str, &mut Vec<u8>, &mut u32) -> bool,
    extend: impl FnOnce(&mut zip::ZipWriter<Cursor<Vec<u8>>>),
) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(Cursor::new(wheel.bytes.clone())).unwrap();
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).unwrap();
        let name = file.name().unwrap().into_owned();
        let mut content = Vec::new();
        file.read_to_end(&mut content).unwrap();
        let mut mode = 0o644;
        if !edit(&name, &mut content, &mut mode) {
            continue;
        }
        let options = zip::write::SimpleFileOptions::default().unix_permissions(mode);
        writer.start_file(name, options).unwrap();
        writer.write_all(&content).unwrap();
    }
    extend(&mut writer);
    writer.finish().unwrap().into_inner()
}

fn keep_all(_: &str, _: &mut Vec<u8>, _: &mut u32) -> bool {
    true
}

fn write_wheel(context: &TestContext, filename: &str, bytes: &[u8]) -> PathBuf {
    let path = context.root().join(filename);
    fs_err::write(&path, bytes).unwrap();
    path
}

#[test]
fn refuses_symlinks() {
    let context = TestContext::new();
    let built = valid_package().build();
    let bytes = rewrite_wheel(&built, keep_all, |writer| {
        writer
            .add_symlink(
                "victim/link",
                "../../../../../etc/passwd",
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
    });
    let wheel = write_wheel(&context, &built.filename, &bytes);
    insta::assert_snapshot!(install_fails(&context, &wheel), @r#"wheel victim-1.0-py3-none-any.whl: entry "victim/link" is a symbolic link, which wheels may not contain"#);
}

#[test]
fn refuses_a_record_hash_mismatch() {
    let context = TestContext::new();
    let wheel = valid_package()
        .corrupt_record_hash("victim/mod.py")
        .build()
        .write_to(context.root());
    insta::assert_snapshot!(install_fails(&context, &wheel), @r#"wheel victim-1.0-py3-none-any.whl: entry "victim/mod.py" does not match RECORD: expected sha256=2e5Cw8ZR88C8WHbzE89exl9FKilAGnG3KZRiYO9ogt0, got sha256=Crrh4K5yghbuRJk8Wjp1X4scOH2Uf8TE9yyrDkqEIUs"#);
}

/// An entry larger than RECORD says is refused once it passes that size, not after being
/// extracted whole (a zip can claim any size in its headers).
#[test]
fn a_file_larger_than_record_says_stops_early() {
    let context = TestContext::new();
    let big = 4_000_000;
    let built = valid_package()
        .file("victim/big.bin", vec![0u8; big])
        .build();
    let bytes = rewrite_wheel(
        &built,
        |name, content, _| {
            if name.ends_with("/RECORD") {
                let text = String::from_utf8(content.clone()).unwrap();
                let needle = format!(",{big}\n");
                assert!(text.contains(&needle), "{text}");
                *content = text.replacen(&needle, ",10\n", 1).into_bytes();
            }
            true
        },
        |_| {},
    );
    let wheel = write_wheel(&context, &built.filename, &bytes);
    let error = install_fails(&context, &wheel);
    let (_, got) = error
        .split_once("expected 10 bytes, got ")
        .unwrap_or_else(|| panic!("{error}"));
    let got: usize = got.trim().parse().unwrap();
    assert!(got < 1_000_000, "read {got} bytes before stopping: {error}");
}

#[test]
fn refuses_a_record_size_mismatch() {
    let context = TestContext::new();
    let built = valid_package().build();
    let bytes = rewrite_wheel(
        &built,
        |name, content, _| {
            if name.ends_with("/RECORD") {
                let text = String::from_utf8(content.clone()).unwrap();
                let (line, _) = text.split_once('\n').unwrap();
                assert!(line.starts_with("victim/__init__.py,"), "{line}");
                *content = text.replacen(",0\n", ",7\n", 1).into_bytes();
            }
            true
        },
        |_| {},
    );
    let wheel = write_wheel(&context, &built.filename, &bytes);
    insta::assert_snapshot!(install_fails(&context, &wheel), @r#"wheel victim-1.0-py3-none-any.whl: entry "victim/__init__.py" does not match RECORD: expected 7 bytes, got 0"#);
}

#[test]
fn refuses_an_unknown_data_scheme() {
    let context = TestContext::new();
    let wheel = valid_package()
        .data_file("lib", "victim_extra.py", "")
        .build()
        .write_to(context.root());
    insta::assert_snapshot!(install_fails(&context, &wheel), @r#"wheel victim-1.0-py3-none-any.whl: entry "victim-1.0.data/lib/victim_extra.py" is not a valid .data path: unknown scheme key "lib" (expected data, headers, platlib, purelib or scripts)"#);
}

#[test]
#[cfg(unix)]
fn keeps_the_executable_bit_from_the_zip() {
    let context = TestContext::new();
    let layout = venv_layout(&context);
    let built = valid_package()
        .file("victim/run.sh", "#!/bin/sh\necho run\n")
        .build();
    let bytes = rewrite_wheel(
        &built,
        |name, _, mode| {
            if name == "victim/run.sh" {
                *mode = 0o755;
            }
            true
        },
        |_| {},
    );
    let wheel = write_wheel(&context, &built.filename, &bytes);
    install_wheel(&wheel, &layout, &options()).unwrap();
    assert!(is_executable(&layout.purelib.join("victim/run.sh")));
    assert!(!is_executable(&layout.purelib.join("victim/mod.py")));
}

#[test]
fn refuses_a_file_missing_from_record() {
    let context = TestContext::new();
    let wheel = valid_package()
        .omit_from_record("victim/mod.py")
        .build()
        .write_to(context.root());
    insta::assert_snapshot!(install_fails(&context, &wheel), @r#"wheel victim-1.0-py3-none-any.whl: entry "victim/mod.py" is not listed in RECORD"#);
}

#[test]
fn refuses_a_recorded_file_missing_from_the_archive() {
    let context = TestContext::new();
    let built = valid_package().build();
    let bytes = rewrite_wheel(&built, |name, _, _| name != "victim/mod.py", |_| {});
    let wheel = write_wheel(&context, &built.filename, &bytes);
    insta::assert_snapshot!(install_fails(&context, &wheel), @r#"wheel victim-1.0-py3-none-any.whl: RECORD lists "victim/mod.py", which is not in the archive"#);
}

#[test]
fn refuses_a_wheel_without_wheel_or_record() {
    let context = TestContext::new();
    let wheel = valid_package()
        .no_wheel_file()
        .build()
        .write_to(context.root());
    insta::assert_snapshot!(install_fails(&context, &wheel), @r#"wheel victim-1.0-py3-none-any.whl: "victim-1.0.dist-info/WHEEL" is missing"#);
    let built = valid_package().build();
    let bytes = rewrite_wheel(&built, |name, _, _| !name.ends_with("/RECORD"), |_| {});
    let wheel = write_wheel(&context, &built.filename, &bytes);
    insta::assert_snapshot!(install_fails(&context, &wheel), @r#"wheel victim-1.0-py3-none-any.whl: "victim-1.0.dist-info/RECORD" is missing"#);
}

#[test]
fn refuses_a_dist_info_that_does_not_match_the_filename() {
    let context = TestContext::new();
    let built = WheelBuilder::new("other", "1.0")
        .file("other.py", "")
        .build();
    let wheel = context.root().join("victim-1.0-py3-none-any.whl");
    fs_err::write(&wheel, &built.bytes).unwrap();
    insta::assert_snapshot!(install_fails(&context, &wheel), @r#"wheel victim-1.0-py3-none-any.whl: .dist-info directory "other-1.0.dist-info" does not match the filename's victim 1.0"#);
}

#[test]
fn refuses_an_entry_point_name_that_is_a_path() {
    let context = TestContext::new();
    let wheel = valid_package()
        .entry_point("console_scripts", "../../escape", "victim:main")
        .build()
        .write_to(context.root());
    insta::assert_snapshot!(install_fails(&context, &wheel), @r#"wheel victim-1.0-py3-none-any.whl: invalid entry point "../../escape = victim:main" in [console_scripts]: a script name may only contain letters, digits, "_", "-", "." and "+""#);
}

#[test]
fn refuses_to_install_over_an_installed_version() {
    let context = TestContext::new();
    let layout = venv_layout(&context);
    let wheel = valid_package().build().write_to(context.root());
    install_wheel(&wheel, &layout, &options()).unwrap();
    let message = install_fails(&context, &wheel).replace(
        &context.filter_paths(&layout.purelib.display().to_string()),
        "[SITE]",
    );
    insta::assert_snapshot!(message, @r#"wheel victim-1.0-py3-none-any.whl: "[SITE]/victim-1.0.dist-info" already exists; uninstall the installed version first"#);
}

#[test]
fn refuses_to_uninstall_without_record() {
    let context = TestContext::new();
    let layout = venv_layout(&context);
    let wheel = valid_package().build().write_to(context.root());
    let installed = install_wheel(&wheel, &layout, &options()).unwrap();
    fs_err::remove_file(installed.dist_info.join("RECORD")).unwrap();
    let before = context.snapshot_tree(context.venv());
    let error = uninstall(&installed.dist_info, &layout).unwrap_err();
    assert!(matches!(error, InstallError::NoRecord { .. }));
    assert_eq!(context.snapshot_tree(context.venv()), before);
}

#[test]
fn writes_direct_url_and_skips_requested() {
    let context = TestContext::new();
    let layout = venv_layout(&context);
    let wheel = valid_package().build().write_to(context.root());
    let direct_url = r#"{"url": "file:///wheels/victim-1.0-py3-none-any.whl", "archive_info": {}}"#;
    let installed = install_wheel(
        &wheel,
        &layout,
        &InstallOptions {
            installer: "volley".to_string(),
            requested: false,
            direct_url: Some(direct_url.to_string()),
        },
    )
    .unwrap();
    assert!(!installed.dist_info.join("REQUESTED").exists());
    assert_eq!(
        fs_err::read_to_string(installed.dist_info.join("direct_url.json")).unwrap(),
        direct_url
    );
    let record = fs_err::read_to_string(installed.dist_info.join("RECORD")).unwrap();
    assert!(
        record.contains("victim-1.0.dist-info/direct_url.json,sha256="),
        "{record}"
    );
    // pip reads it back.
    let output = context.pip(&["inspect"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let victim = report["installed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|dist| dist["metadata"]["name"] == "victim")
        .unwrap();
    assert_eq!(
        victim["direct_url"]["url"],
        "file:///wheels/victim-1.0-py3-none-any.whl"
    );
    assert_eq!(victim["requested"], false);
    assert_eq!(victim["installer"], "volley");
}
