//! The wheel and sdist builders: archive layout, RECORD, broken variants, and what pip and
//! Python's `tarfile` make of the results.

use std::io::{Cursor, Read};

use base64::Engine;
use sha2::{Digest, Sha256};
use volley_test_support::{BuiltWheel, SdistBuilder, TestContext, WheelBuilder};

use crate::server::pip_command;

/// The archive's entries, by name, in archive order.
fn entries(wheel: &BuiltWheel) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(&wheel.bytes)).unwrap();
    (0..archive.len())
        .map(|index| {
            let mut file = archive.by_index(index).unwrap();
            assert_eq!(file.compression(), zip::CompressionMethod::Deflated);
            let mut content = Vec::new();
            file.read_to_end(&mut content).unwrap();
            (file.name().unwrap().to_string(), content)
        })
        .collect()
}

fn entry(wheel: &BuiltWheel, name: &str) -> String {
    let (_, content) = entries(wheel)
        .into_iter()
        .find(|(entry, _)| entry == name)
        .unwrap_or_else(|| panic!("no entry {name}"));
    String::from_utf8(content).unwrap()
}

fn record_hash(content: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(content))
}

fn full_wheel() -> BuiltWheel {
    WheelBuilder::new("Foo.-Bar", "1.0")
        .tag("py2.py3-none-any")
        .build_tag("1")
        .file("foo/__init__.py", "def main(): print('hi')")
        .data_file("scripts", "foo-tool", "#!python\nprint(1)\n")
        .entry_point("console_scripts", "foo", "foo:main")
        .entry_point("gui_scripts", "foo-gui", "foo:main")
        .build()
}

#[test]
fn layout() {
    let wheel = full_wheel();
    assert_eq!(wheel.filename, "Foo_Bar-1.0-1-py2.py3-none-any.whl");
    let names: Vec<String> = entries(&wheel).into_iter().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        [
            "foo/__init__.py",
            "Foo_Bar-1.0.data/scripts/foo-tool",
            "Foo_Bar-1.0.dist-info/METADATA",
            "Foo_Bar-1.0.dist-info/WHEEL",
            "Foo_Bar-1.0.dist-info/entry_points.txt",
            "Foo_Bar-1.0.dist-info/RECORD",
        ]
    );
    insta::assert_snapshot!(entry(&wheel, "Foo_Bar-1.0.dist-info/WHEEL"), @r"
    Wheel-Version: 1.0
    Generator: volley-test-support
    Root-Is-Purelib: true
    Tag: py2-none-any
    Tag: py3-none-any
    Build: 1
    ");
    insta::assert_snapshot!(entry(&wheel, "Foo_Bar-1.0.dist-info/entry_points.txt"), @r"
    [console_scripts]
    foo = foo:main

    [gui_scripts]
    foo-gui = foo:main
    ");
    assert_eq!(
        entry(&wheel, "Foo_Bar-1.0.dist-info/METADATA").as_bytes(),
        wheel.metadata
    );
    // Same calls, same bytes.
    assert_eq!(full_wheel().sha256, wheel.sha256);
}

#[test]
fn record_lists_every_file_with_its_hash() {
    let wheel = full_wheel();
    let record = entry(&wheel, "Foo_Bar-1.0.dist-info/RECORD");
    let mut lines: Vec<&str> = record.lines().collect();
    assert_eq!(lines.pop(), Some("Foo_Bar-1.0.dist-info/RECORD,,"));
    let files = entries(&wheel);
    assert_eq!(lines.len(), files.len() - 1);
    for ((name, content), line) in files.iter().zip(&lines) {
        let expected = format!("{name},sha256={},{}", record_hash(content), content.len());
        assert_eq!(*line, expected);
    }
}

#[test]
fn broken_variants() {
    let wheel = WheelBuilder::new("evil", "1.0")
        .file("evil/__init__.py", "")
        .file("evil/x.py", "x = 1")
        .raw_entry("../evil.py", b"import os")
        .raw_entry("/tmp/absolute.py", b"")
        .corrupt_record_hash("evil/__init__.py")
        .omit_from_record("evil/x.py")
        .no_metadata()
        .no_wheel_file()
        .build();
    let names: Vec<String> = entries(&wheel).into_iter().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        [
            "evil/__init__.py",
            "evil/x.py",
            "../evil.py",
            "/tmp/absolute.py",
            "evil-1.0.dist-info/RECORD",
        ]
    );
    let record = entry(&wheel, "evil-1.0.dist-info/RECORD");
    assert!(!record.contains("evil/x.py"), "{record}");
    assert!(record.contains("../evil.py,"), "{record}");
    let init = record
        .lines()
        .find(|line| line.starts_with("evil/__init__.py,"))
        .unwrap();
    assert_ne!(
        init,
        format!("evil/__init__.py,sha256={},0", record_hash(b""))
    );
    assert!(init.ends_with(",0"), "{init}");
    // The metadata is still known, for a `.metadata` file.
    assert!(String::from_utf8_lossy(&wheel.metadata).contains("Name: evil"));
}

#[test]
fn pip_accepts_a_built_wheel() {
    let context = TestContext::new();
    let wheel = full_wheel().write_to(context.root());
    let target = context.root().join("target");
    let output = pip_command(&context)
        .args(["install", "--no-deps", "--no-index", "--target"])
        .arg(&target)
        .arg(&wheel)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(target.join("foo/__init__.py").is_file());
    assert!(target.join("bin/foo").is_file());
    assert!(target.join("bin/foo-tool").is_file());
    let installed = fs_err::read_to_string(target.join("Foo_Bar-1.0.dist-info/METADATA")).unwrap();
    assert!(installed.contains("Name: Foo.-Bar"), "{installed}");
}

#[test]
fn sdist_reads_with_tarfile() {
    let context = TestContext::new();
    let long_path = format!("src/{}module.py", "deep/".repeat(25));
    let sdist = SdistBuilder::new("Foo.Bar", "1.0")
        .file("pyproject.toml", "[build-system]\nrequires = []\n")
        .file(&long_path, "x".repeat(70_000))
        .build();
    assert_eq!(sdist.filename, "foo_bar-1.0.tar.gz");
    let path = sdist.write_to(context.root());
    let script = "import sys, tarfile\n\
                  archive = tarfile.open(sys.argv[1])\n\
                  for member in archive.getmembers():\n    \
                      print(member.name, member.size)\n\
                  print(archive.extractfile('foo_bar-1.0/PKG-INFO').read().decode(), end='')\n";
    let output = context
        .clean_command(std::path::Path::new("python3"))
        .args(["-c", script])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    insta::assert_snapshot!(String::from_utf8_lossy(&output.stdout), @r"
    foo_bar-1.0 0
    foo_bar-1.0/PKG-INFO 49
    foo_bar-1.0/pyproject.toml 29
    foo_bar-1.0/src/deep/deep/deep/deep/deep/deep/deep/deep/deep/deep/deep/deep/deep/deep/deep/deep/deep/deep/deep/deep/deep/deep/deep/deep/deep/module.py 70000
    Metadata-Version: 2.1
    Name: Foo.Bar
    Version: 1.0
    ");
}
