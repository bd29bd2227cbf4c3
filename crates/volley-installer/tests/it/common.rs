//! Helpers shared by the test modules: layouts of real virtual environments, RECORD reading,
//! output decoding.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use volley_installer::Layout;
use volley_test_support::TestContext;

/// The layout of the virtual environment whose interpreter is `python`, as pip computes it
/// (headers in `<prefix>/include/site/pythonX.Y`).
pub fn layout_of(context: &TestContext, python: &Path) -> Layout {
    let code = "import json, sys, sysconfig\n\
                paths = sysconfig.get_paths()\n\
                print(json.dumps({'purelib': paths['purelib'], 'platlib': paths['platlib'], \
                'scripts': paths['scripts'], 'data': paths['data'], 'prefix': sys.prefix, \
                'executable': sys.executable, 'version': list(sys.version_info[:2])}))";
    let output = context
        .clean_command(python)
        .args(["-c", code])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let paths: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let path = |key: &str| PathBuf::from(paths[key].as_str().unwrap());
    let version = (
        u8::try_from(paths["version"][0].as_u64().unwrap()).unwrap(),
        u8::try_from(paths["version"][1].as_u64().unwrap()).unwrap(),
    );
    Layout {
        purelib: path("purelib"),
        platlib: path("platlib"),
        scripts: path("scripts"),
        data: path("data"),
        headers: path("prefix")
            .join("include/site")
            .join(format!("python{}.{}", version.0, version.1)),
        python_executable: path("executable"),
        python_version: version,
    }
}

pub fn venv_layout(context: &TestContext) -> Layout {
    context.create_venv();
    layout_of(context, &context.python())
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every file the RECORD of `dist_info` lists, resolved.
pub fn record_files(dist_info: &Path) -> BTreeSet<PathBuf> {
    let record = fs_err::read_to_string(dist_info.join("RECORD")).unwrap();
    let site = dist_info.parent().unwrap();
    record
        .lines()
        .map(|line| {
            let path = line.split(',').next().unwrap();
            let mut resolved = site.to_path_buf();
            for part in path.split('/') {
                if part == ".." {
                    resolved.pop();
                } else {
                    resolved.push(part);
                }
            }
            resolved
        })
        .collect()
}

pub fn added(
    before: &BTreeMap<PathBuf, Vec<u8>>,
    after: &BTreeMap<PathBuf, Vec<u8>>,
) -> BTreeSet<PathBuf> {
    after
        .keys()
        .filter(|path| !before.contains_key(*path))
        .cloned()
        .collect()
}

#[cfg(unix)]
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs_err::metadata(path).unwrap().permissions().mode() & 0o111 == 0o111
}
