//! Unpacking while the wheel downloads: a file that another thread writes in pieces is followed
//! by [`StreamedWheel::extract`], and [`StreamedWheel::finish`] must give exactly the tree that
//! `unpack_wheel` gives, or refuse (so that the caller falls back to `unpack_wheel`).

use std::collections::BTreeMap;
use std::io::{self, Cursor, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use flate2::Crc;
use volley_installer::{StreamFallback, StreamedWheel, UnpackedWheel, unpack_wheel};
use volley_test_support::{BuiltWheel, WheelBuilder, noise, snapshot_tree};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// How far the writer thread got: bytes in the file, and whether it finished (`Some(true)`) or
/// gave up (`Some(false)`).
#[derive(Default)]
struct Growth {
    state: Mutex<(u64, Option<bool>)>,
    changed: Condvar,
}

impl Growth {
    fn set(&self, written: u64, end: Option<bool>) {
        *self.state.lock().unwrap() = (written, end);
        self.changed.notify_all();
    }
}

/// Writes `bytes` to `path` in pieces of `piece` bytes from a thread of its own, stopping
/// (and saying it failed) after `fail_after` bytes if given.
fn grow(
    bytes: Vec<u8>,
    path: &Path,
    piece: usize,
    fail_after: Option<usize>,
) -> (Arc<Growth>, JoinHandle<()>) {
    let growth = Arc::new(Growth::default());
    let mut file = fs_err::File::create(path).unwrap();
    let writer = Arc::clone(&growth);
    let thread = std::thread::spawn(move || {
        let mut written = 0;
        for chunk in bytes.chunks(piece) {
            if fail_after.is_some_and(|limit| written + chunk.len() > limit) {
                writer.set(written as u64, Some(false));
                return;
            }
            file.write_all(chunk).unwrap();
            written += chunk.len();
            writer.set(written as u64, None);
            std::thread::yield_now();
        }
        writer.set(written as u64, Some(true));
    });
    (growth, thread)
}

/// Follows a file that [`grow`] writes, as a download's reader does: blocks until more bytes
/// are there, ends when the writer finished, fails when it gave up.
struct Follower {
    growth: Arc<Growth>,
    file: fs_err::File,
    offset: u64,
    /// Bytes read, for checking that a reader was read to its end.
    read: Arc<Mutex<u64>>,
}

impl Read for Follower {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = {
            let mut state = self.growth.state.lock().unwrap();
            loop {
                match *state {
                    (written, _) if written > self.offset => break written - self.offset,
                    (_, Some(true)) => return Ok(0),
                    (_, Some(false)) => return Err(io::Error::other("the download failed")),
                    (_, None) => state = self.growth.changed.wait(state).unwrap(),
                }
            }
        };
        let len = buf.len().min(available as usize);
        let read = self.file.read(&mut buf[..len])?;
        self.offset += read as u64;
        *self.read.lock().unwrap() += read as u64;
        Ok(read)
    }
}

/// A test directory: the wheel file grows in `downloads/`, the unpacked trees go to
/// `unpacked-v1/`.
struct Scene {
    _root: tempfile::TempDir,
    downloads: PathBuf,
    unpacked: PathBuf,
}

impl Scene {
    fn new() -> Self {
        let root = tempfile::tempdir().unwrap();
        let downloads = root.path().join("downloads");
        let unpacked = root.path().join("unpacked-v1");
        fs_err::create_dir_all(&downloads).unwrap();
        fs_err::create_dir_all(&unpacked).unwrap();
        Self {
            _root: root,
            downloads,
            unpacked,
        }
    }

    /// Streams `bytes` (named `filename`) in pieces of `piece` bytes into a [`StreamedWheel`];
    /// returns it with the path of the complete file.
    fn stream(
        &self,
        filename: &str,
        bytes: &[u8],
        piece: usize,
    ) -> (Result<StreamedWheel, StreamFallback>, PathBuf) {
        let path = self.downloads.join(filename);
        let (growth, writer) = grow(bytes.to_vec(), &path, piece, None);
        let read = Arc::new(Mutex::new(0));
        let follower = Follower {
            growth,
            file: fs_err::File::open(&path).unwrap(),
            offset: 0,
            read: Arc::clone(&read),
        };
        let streamed = StreamedWheel::extract(follower, &self.unpacked);
        writer.join().unwrap();
        if streamed.is_ok() {
            assert_eq!(*read.lock().unwrap(), bytes.len() as u64, "read to the end");
        }
        (streamed, path)
    }

    /// Streams and finishes `bytes` into `unpacked-v1/streamed`, and unpacks them with
    /// `unpack_wheel` into `unpacked-v1/whole`; both must succeed.
    fn both(&self, filename: &str, bytes: &[u8], piece: usize) -> (UnpackedWheel, UnpackedWheel) {
        let (streamed, wheel) = self.stream(filename, bytes, piece);
        let streamed = streamed
            .unwrap()
            .finish(&wheel, &self.unpacked.join("streamed"))
            .unwrap();
        let whole = unpack_wheel(&wheel, &self.unpacked.join("whole")).unwrap();
        (streamed, whole)
    }

    /// What is in `unpacked-v1/` besides the named trees: leftovers.
    fn leftovers(&self) -> Vec<String> {
        let mut names: Vec<String> = fs_err::read_dir(&self.unpacked)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name != "streamed" && name != "whole")
            .collect();
        names.sort();
        names
    }
}

/// Every file and directory under `dir` with its permission bits.
fn modes(dir: &Path) -> BTreeMap<PathBuf, u32> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|entry| {
            let entry = entry.unwrap();
            let mode = entry.metadata().unwrap().permissions().mode() & 0o7777;
            (entry.path().strip_prefix(dir).unwrap().to_path_buf(), mode)
        })
        .collect()
}

/// The same tree, file for file, byte for byte, mode for mode, and the same description.
fn assert_same(streamed: &UnpackedWheel, whole: &UnpackedWheel) {
    assert_eq!(snapshot_tree(streamed.root()), snapshot_tree(whole.root()));
    assert_eq!(modes(streamed.root()), modes(whole.root()));
    let reopened = UnpackedWheel::open(streamed.root()).unwrap();
    assert_eq!(&reopened, streamed);
    assert_eq!(streamed.file_name(), whole.file_name());
    assert_eq!(streamed.dist_info(), whole.dist_info());
}

fn demo_builder() -> WheelBuilder {
    WheelBuilder::new("demo-pkg", "1.0")
        .file("demo_pkg/__init__.py", "from .core import run\n")
        .file(
            "demo_pkg/core.py",
            "def run():\n    return 42\n".repeat(200),
        )
        .file("demo_pkg/empty.txt", "")
        .file("demo_pkg/data/blob.bin", noise(150_000))
        .data_file("scripts", "demo-tool", "#!python\nprint('tool')\n")
        .data_file("data", "share/demo/readme.txt", "shared data\n")
        .data_file("headers", "demo.h", "#define DEMO 1\n")
        .entry_point("console_scripts", "demo", "demo_pkg:run")
}

/// The wheel's entries, rewritten: `stored` decides which are stored rather than deflated, and
/// `mode` gives each its unix mode; `large_file` writes zip64 local headers.
fn rewrite(
    wheel: &BuiltWheel,
    stored: impl Fn(&str) -> bool,
    mode: impl Fn(&str) -> u32,
    large_file: bool,
) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, content) in entries(wheel) {
        let method = if stored(&name) {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .unix_permissions(mode(&name))
            .large_file(large_file);
        writer.start_file(name, options).unwrap();
        writer.write_all(&content).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// The `(name, content)` of every entry of the wheel, in order.
fn entries(wheel: &BuiltWheel) -> Vec<(String, Vec<u8>)> {
    let mut archive = ZipArchive::new(Cursor::new(wheel.bytes.clone())).unwrap();
    (0..archive.len())
        .map(|index| {
            let mut file = archive.by_index(index).unwrap();
            let mut content = Vec::new();
            file.read_to_end(&mut content).unwrap();
            (file.name().unwrap().into_owned(), content)
        })
        .collect()
}

#[test]
fn a_streamed_wheel_unpacks_to_the_tree_unpack_wheel_makes() {
    let built = demo_builder().build();
    // Deflated entries (as built), in pieces that cut every header somewhere.
    let scene = Scene::new();
    let (streamed, whole) = scene.both(&built.filename, &built.bytes, 7);
    assert_same(&streamed, &whole);
    assert!(streamed.root().join(".volley-unpacked").is_file());
    assert!(scene.leftovers().is_empty(), "{:?}", scene.leftovers());

    // Stored and deflated entries mixed, executable bits from the zip, zip64 local headers.
    for large_file in [false, true] {
        let bytes = rewrite(
            &built,
            |name| name.ends_with(".py") || name.ends_with(".bin"),
            |name| {
                if name.ends_with("core.py") {
                    0o755
                } else {
                    0o644
                }
            },
            large_file,
        );
        let scene = Scene::new();
        let (streamed, whole) = scene.both(&built.filename, &bytes, 4096);
        assert_same(&streamed, &whole);
        let mode = |path: &str| {
            fs_err::metadata(streamed.root().join(path))
                .unwrap()
                .permissions()
                .mode()
        };
        assert_ne!(mode("demo_pkg/core.py") & 0o111, 0);
        assert_eq!(mode("demo_pkg/__init__.py") & 0o111, 0);
        assert_ne!(mode("demo_pkg-1.0.data/scripts/demo-tool") & 0o111, 0);
        assert!(scene.leftovers().is_empty(), "{:?}", scene.leftovers());
    }
}

#[test]
fn finishing_onto_a_good_tree_keeps_it() {
    let built = demo_builder().build();
    let scene = Scene::new();
    let (streamed, wheel) = scene.stream(&built.filename, &built.bytes, 65_536);
    let dest = scene.unpacked.join("streamed");
    let earlier = unpack_wheel(&wheel, &dest).unwrap();
    let marker = fs_err::read_to_string(dest.join(".volley-unpacked")).unwrap();
    let kept = streamed.unwrap().finish(&wheel, &dest).unwrap();
    assert_eq!(kept, earlier);
    assert_eq!(
        fs_err::read_to_string(dest.join(".volley-unpacked")).unwrap(),
        marker
    );
    assert!(scene.leftovers().is_empty(), "{:?}", scene.leftovers());
}

/// One entry of a zip written by [`raw_zip`].
struct RawEntry {
    name: String,
    content: Vec<u8>,
    /// Listed in the central directory.
    listed: bool,
    /// The crc32 the central directory gives, if not the right one.
    central_crc32: Option<u32>,
    /// Sizes and crc32 in a data descriptor after the data (flag bit 3).
    descriptor: bool,
}

impl RawEntry {
    fn new(name: &str, content: &[u8]) -> Self {
        Self {
            name: name.to_string(),
            content: content.to_vec(),
            listed: true,
            central_crc32: None,
            descriptor: false,
        }
    }
}

/// A zip of stored entries, written by hand so that its local headers and central directory
/// can disagree.
fn raw_zip(entries: &[RawEntry]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    let mut central: Vec<u8> = Vec::new();
    let mut listed: u16 = 0;
    for entry in entries {
        let offset = out.len() as u32;
        let mut crc = Crc::new();
        crc.update(&entry.content);
        let crc32 = crc.sum();
        let size = entry.content.len() as u32;
        let flags: u16 = if entry.descriptor { 0x0808 } else { 0x0800 };
        let name = entry.name.as_bytes();
        let header = |out: &mut Vec<u8>, crc32: u32, size: u32| {
            out.extend(20u16.to_le_bytes()); // version needed
            out.extend(flags.to_le_bytes());
            out.extend(0u16.to_le_bytes()); // stored
            out.extend(0u16.to_le_bytes()); // time
            out.extend(0x21u16.to_le_bytes()); // date: 1980-01-01
            out.extend(crc32.to_le_bytes());
            out.extend(size.to_le_bytes());
            out.extend(size.to_le_bytes());
            out.extend((name.len() as u16).to_le_bytes());
            out.extend(0u16.to_le_bytes()); // extra
        };
        out.extend(0x0403_4b50u32.to_le_bytes());
        if entry.descriptor {
            header(&mut out, 0, 0);
        } else {
            header(&mut out, crc32, size);
        }
        out.extend(name);
        out.extend(&entry.content);
        if entry.descriptor {
            out.extend(0x0807_4b50u32.to_le_bytes());
            out.extend(crc32.to_le_bytes());
            out.extend(size.to_le_bytes());
            out.extend(size.to_le_bytes());
        }
        if entry.listed {
            central.extend(0x0201_4b50u32.to_le_bytes());
            central.extend((3u16 << 8 | 20).to_le_bytes()); // made by: unix
            header(&mut central, entry.central_crc32.unwrap_or(crc32), size);
            central.extend(0u16.to_le_bytes()); // comment
            central.extend(0u16.to_le_bytes()); // disk
            central.extend(0u16.to_le_bytes()); // internal attributes
            central.extend((0o100644u32 << 16).to_le_bytes());
            central.extend(offset.to_le_bytes());
            central.extend(name);
            listed += 1;
        }
    }
    let central_offset = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0; 4]); // disks
    out.extend(listed.to_le_bytes());
    out.extend(listed.to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(central_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes()); // comment
    out
}

/// The entries of a valid small wheel, to be written with [`raw_zip`].
fn small_wheel() -> (String, Vec<RawEntry>) {
    let built = WheelBuilder::new("small", "1.0")
        .file("small/__init__.py", "VALUE = 1\n")
        .build();
    let entries = entries(&built)
        .into_iter()
        .map(|(name, content)| RawEntry::new(&name, &content))
        .collect();
    (built.filename, entries)
}

fn fallback_reason(streamed: Result<UnpackedWheel, StreamFallback>) -> String {
    streamed.unwrap_err().to_string()
}

#[test]
fn a_hand_written_zip_streams_like_any_other() {
    // The control for the tests below: the hand-written zip itself is fine.
    let (filename, entries) = small_wheel();
    let scene = Scene::new();
    let (streamed, whole) = scene.both(&filename, &raw_zip(&entries), 10);
    assert_same(&streamed, &whole);
}

#[test]
fn a_local_entry_the_central_directory_leaves_out_is_not_accepted() {
    let (filename, mut entries) = small_wheel();
    let mut hidden = RawEntry::new("small/hidden.py", b"import os  # not in any listing\n");
    hidden.listed = false;
    entries.insert(1, hidden);
    let scene = Scene::new();
    let (streamed, wheel) = scene.stream(&filename, &raw_zip(&entries), 10);
    let dest = scene.unpacked.join("streamed");
    insta::assert_snapshot!(
        fallback_reason(streamed.unwrap().finish(&wheel, &dest)),
        @"the central directory lists 4 entries, the local headers 5"
    );
    assert!(!dest.exists());
    assert!(scene.leftovers().is_empty(), "{:?}", scene.leftovers());
    // What `unpack_wheel` makes of it (the fallback) has no such file.
    let whole = unpack_wheel(&wheel, &dest).unwrap();
    assert!(whole.root().join("small/__init__.py").is_file());
    assert!(!whole.root().join("small/hidden.py").exists());
}

#[test]
fn a_central_directory_that_disagrees_with_a_local_header_is_not_accepted() {
    let (filename, mut entries) = small_wheel();
    entries[0].central_crc32 = Some(0x1234_5678);
    let scene = Scene::new();
    let (streamed, wheel) = scene.stream(&filename, &raw_zip(&entries), 10);
    let dest = scene.unpacked.join("streamed");
    insta::assert_snapshot!(
        fallback_reason(streamed.unwrap().finish(&wheel, &dest)),
        @r#"the central directory's entry 0 ("small/__init__.py") does not match the local entry "small/__init__.py" at offset 0"#
    );
    assert!(!dest.exists());
    assert!(scene.leftovers().is_empty(), "{:?}", scene.leftovers());
}

#[test]
fn a_data_descriptor_makes_streaming_give_up() {
    let (filename, mut entries) = small_wheel();
    entries[0].descriptor = true;
    let bytes = raw_zip(&entries);
    let scene = Scene::new();
    let (streamed, wheel) = scene.stream(&filename, &bytes, 10);
    insta::assert_snapshot!(
        streamed.unwrap_err(),
        @r#"entry "small/__init__.py" has its sizes in a data descriptor after its data"#
    );
    assert!(scene.leftovers().is_empty(), "{:?}", scene.leftovers());
    // The fallback unpacks it.
    let whole = unpack_wheel(&wheel, &scene.unpacked.join("whole")).unwrap();
    assert!(whole.root().join("small/__init__.py").is_file());
}

#[test]
fn an_unsafe_name_gives_up_before_anything_is_written() {
    let (filename, mut entries) = small_wheel();
    entries.insert(0, RawEntry::new("../escaped.py", b"x = 1\n"));
    entries.insert(0, RawEntry::new("small/first.py", b"x = 1\n"));
    let scene = Scene::new();
    let (streamed, _) = scene.stream(&filename, &raw_zip(&entries), 10);
    insta::assert_snapshot!(
        streamed.unwrap_err(),
        @r#"entry "../escaped.py" is not a safe relative path"#
    );
    assert!(scene.leftovers().is_empty(), "{:?}", scene.leftovers());
    assert!(!scene.unpacked.parent().unwrap().join("escaped.py").exists());
}

#[test]
fn a_symlink_in_the_central_directory_is_not_accepted() {
    let built = demo_builder().build();
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, content) in entries(&built) {
        writer
            .start_file(name, SimpleFileOptions::default())
            .unwrap();
        writer.write_all(&content).unwrap();
    }
    writer
        .add_symlink(
            "demo_pkg/link",
            "../../etc/passwd",
            SimpleFileOptions::default(),
        )
        .unwrap();
    let bytes = writer.finish().unwrap().into_inner();
    let scene = Scene::new();
    let (streamed, wheel) = scene.stream(&built.filename, &bytes, 1000);
    let dest = scene.unpacked.join("streamed");
    insta::assert_snapshot!(
        fallback_reason(streamed.unwrap().finish(&wheel, &dest)),
        @r#"wheel demo_pkg-1.0-py3-none-any.whl: entry "demo_pkg/link" is a symbolic link, which wheels may not contain"#
    );
    assert!(!dest.exists());
    assert!(scene.leftovers().is_empty(), "{:?}", scene.leftovers());
}

#[test]
fn a_download_that_fails_midway_leaves_nothing() {
    let built = demo_builder().build();
    let scene = Scene::new();
    let path = scene.downloads.join(&built.filename);
    let (growth, writer) = grow(built.bytes.clone(), &path, 1000, Some(60_000));
    let follower = Follower {
        growth,
        file: fs_err::File::open(&path).unwrap(),
        offset: 0,
        read: Arc::default(),
    };
    let streamed = StreamedWheel::extract(follower, &scene.unpacked);
    writer.join().unwrap();
    insta::assert_snapshot!(
        streamed.unwrap_err(),
        @"cannot read the wheel: the download failed"
    );
    assert!(scene.leftovers().is_empty(), "{:?}", scene.leftovers());
}

#[test]
fn a_wheel_that_breaks_record_falls_back_to_the_same_error() {
    let built = demo_builder()
        .corrupt_record_hash("demo_pkg/core.py")
        .build();
    let scene = Scene::new();
    let (streamed, wheel) = scene.stream(&built.filename, &built.bytes, 5000);
    let dest = scene.unpacked.join("streamed");
    let reason = fallback_reason(streamed.unwrap().finish(&wheel, &dest));
    let error = unpack_wheel(&wheel, &dest).unwrap_err().to_string();
    assert_eq!(reason, error);
    assert!(error.contains("does not match RECORD"), "{error}");
    assert!(!dest.exists());
    assert!(scene.leftovers().is_empty(), "{:?}", scene.leftovers());
}
