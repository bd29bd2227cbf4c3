//! Windows `.exe` launchers for entry points, assembled as pip's distlib writes them.
//!
//! On Windows a script needs an executable to run it, so pip (through distlib's `ScriptMaker`)
//! writes `<name>.exe` for each console or GUI entry point: a small launcher program (the
//! *stub*), then the shebang line `#!<python>` and a line break, then a zip archive whose
//! `__main__.py` is the same launcher script as on POSIX. At run time the stub finds the end of
//! the zip, reads the shebang just before it, and runs that interpreter with the `.exe` itself as
//! the script: Python runs a zip's `__main__.py` even with bytes in front of it.
//!
//! The stub is not ours to ship: distlib's stubs (`t64.exe` for console scripts, `w64.exe` for
//! GUI scripts, `-arm` for ARM64, `32` for 32-bit) come with the pip in the target environment,
//! and [`LauncherStubs::find`] reads them from there (`pip/_vendor/distlib/`). Where there is no
//! pip, there is no stub, and the installer writes the plain POSIX launcher (a Python file named
//! like the script, run with `python <Scripts>\<name>`).
//!
//! Traps:
//! - GUI scripts run with `pythonw.exe` (no console window), console scripts with `python.exe`;
//! - an interpreter path with a space is quoted in the shebang (the stub splits on spaces);
//! - the line break after the shebang is `\r\n`, as distlib writes it on Windows;
//! - the zip's offsets are relative to the zip's own start, not to the file's: readers find the
//!   archive from its end record, as for self-extracting archives.
//!
//! Everything here is plain byte assembly, compiled and unit-tested on every platform; only the
//! choice to use it is made for Windows (`cfg!(windows)` in the placement).

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// Which stub (and interpreter) a launcher gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LauncherKind {
    /// `console_scripts`: `t*.exe`, runs `python.exe`.
    Console,
    /// `gui_scripts`: `w*.exe`, runs `pythonw.exe`.
    Gui,
}

impl LauncherKind {
    /// The kind for an entry point group.
    pub(crate) fn for_group(group: &str) -> Self {
        if group == "gui_scripts" {
            Self::Gui
        } else {
            Self::Console
        }
    }
}

/// The two launcher stubs of one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LauncherStubs {
    pub(crate) console: Vec<u8>,
    pub(crate) gui: Vec<u8>,
}

impl LauncherStubs {
    /// distlib's stub file names for a machine: `(console, gui)`.
    pub(crate) fn file_names(architecture: &str, pointer_width: u32) -> (String, String) {
        let bits = if pointer_width == 64 { "64" } else { "32" };
        let suffix = if architecture == "aarch64" {
            "-arm"
        } else {
            ""
        };
        (
            format!("t{bits}{suffix}.exe"),
            format!("w{bits}{suffix}.exe"),
        )
    }

    /// The stubs of the pip installed in `site_packages`, for the machine volley was built for;
    /// `None` when either is missing or unreadable.
    pub(crate) fn find(site_packages: &Path) -> Option<Self> {
        let pointer_width = if cfg!(target_pointer_width = "64") {
            64
        } else {
            32
        };
        let (console, gui) = Self::file_names(std::env::consts::ARCH, pointer_width);
        let dir = site_packages.join("pip").join("_vendor").join("distlib");
        let read = |name: &str| fs_err::read(dir.join(name)).ok();
        Some(Self {
            console: read(&console)?,
            gui: read(&gui)?,
        })
    }

    fn stub(&self, kind: LauncherKind) -> &[u8] {
        match kind {
            LauncherKind::Console => &self.console,
            LauncherKind::Gui => &self.gui,
        }
    }
}

/// The interpreter a launcher of `kind` runs: `python.exe` for console scripts, and the
/// `pythonw.exe` beside it for GUI scripts (as distlib picks it: only when the file name
/// contains `python`).
pub(crate) fn launcher_interpreter(python: &Path, kind: LauncherKind) -> PathBuf {
    let Some(name) = python.file_name().and_then(|name| name.to_str()) else {
        return python.to_path_buf();
    };
    if kind == LauncherKind::Console || name.to_ascii_lowercase().contains("pythonw") {
        return python.to_path_buf();
    }
    match name.to_ascii_lowercase().find("python") {
        Some(at) => {
            let end = at + "python".len();
            python.with_file_name(format!("{}w{}", &name[..end], &name[end..]))
        }
        None => python.to_path_buf(),
    }
}

/// The `.exe` launcher: the stub, `#!<interpreter>\r\n`, and a zip whose `__main__.py` is
/// `script` (the launcher script without a shebang).
pub(crate) fn assemble(
    stubs: &LauncherStubs,
    kind: LauncherKind,
    interpreter: &Path,
    script: &[u8],
) -> std::io::Result<Vec<u8>> {
    let mut launcher = stubs.stub(kind).to_vec();
    let interpreter = interpreter.as_os_str().as_encoded_bytes();
    launcher.extend_from_slice(b"#!");
    if interpreter.contains(&b' ') {
        launcher.push(b'"');
        launcher.extend_from_slice(interpreter);
        launcher.push(b'"');
    } else {
        launcher.extend_from_slice(interpreter);
    }
    launcher.extend_from_slice(b"\r\n");
    launcher.extend_from_slice(&main_zip(script)?);
    Ok(launcher)
}

/// A zip holding `__main__.py` (stored, dated 1980-01-01 so launchers are reproducible).
fn main_zip(script: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(DateTime::default());
    zip.start_file("__main__.py", options)
        .map_err(std::io::Error::other)?;
    zip.write_all(script)?;
    Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::process::Command;

    use super::*;

    fn stubs() -> LauncherStubs {
        LauncherStubs {
            console: b"MZ-console-stub\0".to_vec(),
            gui: b"MZ-gui-stub\0".to_vec(),
        }
    }

    /// The zip part of a launcher, read as zip readers do (from the end).
    fn main_py(launcher: &[u8]) -> String {
        let mut archive = zip::ZipArchive::new(Cursor::new(launcher)).unwrap();
        let mut text = String::new();
        archive
            .by_name("__main__.py")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text
    }

    #[test]
    fn launcher_is_stub_shebang_and_zip() {
        let script = b"import sys\nsys.exit(0)\n";
        let python = Path::new(r"C:\venv\Scripts\python.exe");
        let launcher = assemble(&stubs(), LauncherKind::Console, python, script).unwrap();
        let shebang = b"#!C:\\venv\\Scripts\\python.exe\r\n";
        assert!(launcher.starts_with(b"MZ-console-stub\0"));
        assert_eq!(&launcher[16..16 + shebang.len()], shebang);
        assert_eq!(&launcher[16 + shebang.len()..][..4], b"PK\x03\x04");
        assert_eq!(main_py(&launcher), "import sys\nsys.exit(0)\n");
        // Reproducible: the same input gives the same bytes.
        assert_eq!(
            launcher,
            assemble(&stubs(), LauncherKind::Console, python, script).unwrap()
        );
    }

    #[test]
    fn gui_launchers_use_the_gui_stub_and_pythonw() {
        let python = Path::new("C:/Program Files/Python312/python.exe");
        let interpreter = launcher_interpreter(python, LauncherKind::Gui);
        assert_eq!(
            interpreter,
            Path::new("C:/Program Files/Python312/pythonw.exe")
        );
        let launcher = assemble(&stubs(), LauncherKind::Gui, &interpreter, b"").unwrap();
        // The path has a space: quoted.
        assert!(
            launcher
                .starts_with(b"MZ-gui-stub\0#!\"C:/Program Files/Python312/pythonw.exe\"\r\nPK")
        );
        assert_eq!(launcher_interpreter(python, LauncherKind::Console), python);
        assert_eq!(
            launcher_interpreter(Path::new("C:/v/Scripts/python3.12.exe"), LauncherKind::Gui),
            Path::new("C:/v/Scripts/pythonw3.12.exe")
        );
        assert_eq!(
            launcher_interpreter(Path::new("C:/v/Scripts/pythonw.exe"), LauncherKind::Gui),
            Path::new("C:/v/Scripts/pythonw.exe")
        );
        assert_eq!(
            launcher_interpreter(Path::new("C:/pypy/pypy3.exe"), LauncherKind::Gui),
            Path::new("C:/pypy/pypy3.exe")
        );
        assert_eq!(LauncherKind::for_group("gui_scripts"), LauncherKind::Gui);
        assert_eq!(
            LauncherKind::for_group("console_scripts"),
            LauncherKind::Console
        );
    }

    #[test]
    fn stub_names_follow_distlib() {
        let names = |arch, width| LauncherStubs::file_names(arch, width);
        assert_eq!(names("x86_64", 64), ("t64.exe".into(), "w64.exe".into()));
        assert_eq!(
            names("aarch64", 64),
            ("t64-arm.exe".into(), "w64-arm.exe".into())
        );
        assert_eq!(names("x86", 32), ("t32.exe".into(), "w32.exe".into()));
    }

    #[test]
    fn stubs_are_read_from_the_environments_pip() {
        let site = tempfile::tempdir().unwrap();
        assert_eq!(LauncherStubs::find(site.path()), None);
        let distlib = site.path().join("pip/_vendor/distlib");
        fs_err::create_dir_all(&distlib).unwrap();
        let pointer_width = if cfg!(target_pointer_width = "64") {
            64
        } else {
            32
        };
        let (console, gui) = LauncherStubs::file_names(std::env::consts::ARCH, pointer_width);
        fs_err::write(distlib.join(&console), b"console").unwrap();
        assert_eq!(
            LauncherStubs::find(site.path()),
            None,
            "the GUI stub is missing"
        );
        fs_err::write(distlib.join(&gui), b"gui").unwrap();
        assert_eq!(
            LauncherStubs::find(site.path()),
            Some(LauncherStubs {
                console: b"console".to_vec(),
                gui: b"gui".to_vec(),
            })
        );
    }

    /// What the stub does at run time, done by Python: run the file as a zip application with
    /// bytes in front of it. The launcher's `__main__.py` runs and sees its arguments.
    #[test]
    fn python_runs_the_launchers_zip() {
        let script = b"import sys\nprint('launched', sys.argv[1:])\n";
        let launcher =
            assemble(&stubs(), LauncherKind::Console, Path::new("python"), script).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tool.exe");
        fs_err::write(&path, launcher).unwrap();
        let output = Command::new("python3")
            .arg("-I")
            .arg(&path)
            .arg("--flag")
            .output()
            .expect("python3 runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            "launched ['--flag']\n"
        );
    }
}
