//! Builds through real interpreters and subprocesses: an in-tree backend written by the tests
//! (`volley_test_support::TEST_BUILD_BACKEND`, standard library only), and setuptools and hatchling from the wheels that
//! `scripts/fetch-build-backends.sh` puts in `tests/fixtures/build-backends/` (those tests skip,
//! saying so, when the folder is missing). Nothing here touches the network.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use volley_build::{
    BuildEnvironmentInfo, BuildError, BuildOptions, BuildRequirementsInstaller, SourceBuilder,
    SourceTree, read_build_system, unpack_sdist,
};
use volley_packaging::Requirement;
use volley_test_support::{SdistBuilder, TestContext};

mod prepare;

const BACKEND: &str = volley_test_support::TEST_BUILD_BACKEND;

/// The machine's `python3`, as a real path (not a pyenv shim), asked once.
fn base_python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let output = clean(Command::new("python3"))
                .args(["-c", "import sys; print(sys.executable)"])
                .output()
                .expect("python3 runs");
            assert!(output.status.success(), "python3 failed");
            PathBuf::from(String::from_utf8(output.stdout).unwrap().trim())
        })
        .clone()
}

/// `command` without the shell's `PIP_*` and `PYTHON*` variables.
fn clean(mut command: Command) -> Command {
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with("PIP_") || name.starts_with("PYTHON") || name == "VIRTUAL_ENV" {
            command.env_remove(name);
        }
    }
    command
}

/// Records every call; with `find_links`, also installs with the machine's pip from there.
#[derive(Default)]
struct TestInstaller {
    find_links: Option<PathBuf>,
    calls: Mutex<Vec<(Vec<String>, BuildEnvironmentInfo)>>,
}

impl TestInstaller {
    fn pip(find_links: PathBuf) -> Self {
        Self {
            find_links: Some(find_links),
            calls: Mutex::default(),
        }
    }

    fn requirement_lists(&self) -> Vec<Vec<String>> {
        let calls = self.calls.lock().unwrap();
        calls.iter().map(|(list, _)| list.clone()).collect()
    }
}

impl BuildRequirementsInstaller for TestInstaller {
    fn install(
        &self,
        requirements: &[Requirement],
        environment: &BuildEnvironmentInfo,
    ) -> Result<(), String> {
        let list: Vec<String> = requirements.iter().map(ToString::to_string).collect();
        self.calls
            .lock()
            .unwrap()
            .push((list.clone(), environment.clone()));
        let Some(find_links) = &self.find_links else {
            return Ok(());
        };
        if list.is_empty() {
            return Ok(());
        }
        let output = clean(Command::new(base_python()))
            .args(["-m", "pip", "--python"])
            .arg(&environment.python)
            .args(["install", "--quiet", "--no-index", "--find-links"])
            .arg(find_links)
            .args(&list)
            .env("PIP_CONFIG_FILE", "/dev/null")
            .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
            .output()
            .map_err(|error| error.to_string())?;
        if output.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }
}

/// The fetched backend wheels, or `None` (and a message) when `fetch-build-backends.sh` has not
/// run.
fn build_backends() -> Option<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/build-backends");
    let has = |prefix: &str| {
        fs_err::read_dir(&folder).is_ok_and(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|entry| entry.file_name().to_string_lossy().starts_with(prefix))
        })
    };
    if [
        "setuptools-",
        "wheel-",
        "hatchling-",
        "editables-",
        "pathspec-",
    ]
    .into_iter()
    .all(has)
    {
        Some(fs_err::canonicalize(folder).unwrap())
    } else {
        #[allow(clippy::print_stderr)]
        {
            eprintln!(
                "skipping: {} is missing or incomplete; run scripts/fetch-build-backends.sh",
                folder.display()
            );
        }
        None
    }
}

/// A project using the in-tree backend, configured by `config` (see `volley_test_support::TEST_BUILD_BACKEND`).
struct Project {
    context: TestContext,
    dir: PathBuf,
}

impl Project {
    fn new(config: serde_json::Value) -> Self {
        Self::with_pyproject(config, "")
    }

    /// `extra_pyproject` is appended to the `[build-system]` table's file.
    fn with_pyproject(config: serde_json::Value, extra_pyproject: &str) -> Self {
        let context = TestContext::new();
        let dir = context.root().join("project");
        let name = config["name"].as_str().unwrap().replace('-', "_");
        write(&dir.join("backend.json"), &config.to_string());
        write(&dir.join("_backend/mybackend.py"), BACKEND);
        write(
            &dir.join(format!("src/{name}/__init__.py")),
            "VALUE = 'from source'\n",
        );
        write(
            &dir.join("pyproject.toml"),
            &format!(
                "[build-system]\nrequires = []\nbuild-backend = \"mybackend\"\nbackend-path = [\"_backend\"]\n{extra_pyproject}"
            ),
        );
        Self { context, dir }
    }

    fn tree(&self) -> SourceTree {
        SourceTree::new(&self.dir)
    }

    fn scratch(&self) -> PathBuf {
        self.context.cache_dir().join("builds")
    }

    fn builder(&self, installer: Arc<TestInstaller>, options: BuildOptions) -> SourceBuilder {
        SourceBuilder::new(base_python(), self.scratch(), installer, options)
    }

    /// Lines of `hooks.log`: which hooks ran, with their config_settings.
    fn hooks(&self) -> Vec<String> {
        fs_err::read_to_string(self.dir.join("hooks.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn build_wheel_runs(&self) -> usize {
        fs_err::read_to_string(self.dir.join("build_wheel.marker"))
            .map(|text| text.lines().count())
            .unwrap_or(0)
    }

    fn environment(&self) -> serde_json::Value {
        serde_json::from_str(&fs_err::read_to_string(self.dir.join("environment.json")).unwrap())
            .unwrap()
    }

    fn filter(&self, text: &str) -> String {
        self.context.filter_paths(text)
    }
}

fn write(path: &Path, content: &str) {
    fs_err::create_dir_all(path.parent().unwrap()).unwrap();
    fs_err::write(path, content).unwrap();
}

fn options() -> BuildOptions {
    BuildOptions {
        jobs: 2,
        ..BuildOptions::default()
    }
}

fn demo() -> serde_json::Value {
    serde_json::json!({"name": "demo", "version": "1.0", "dependencies": ["requests>=2"]})
}

/// The names in a wheel, and one member's text.
fn wheel_files(wheel: &Path) -> Vec<String> {
    let archive = zip::ZipArchive::new(fs_err::File::open(wheel).unwrap()).unwrap();
    let mut names: Vec<String> = archive
        .file_names()
        .map(|name| name.unwrap().into_owned())
        .collect();
    names.sort();
    names
}

fn wheel_member(wheel: &Path, member: &str) -> String {
    let mut archive = zip::ZipArchive::new(fs_err::File::open(wheel).unwrap()).unwrap();
    let mut file = archive.by_name(member).unwrap();
    let mut text = String::new();
    file.read_to_string(&mut text).unwrap();
    text
}

fn requires_dist(metadata: &volley_packaging::CoreMetadata) -> Vec<String> {
    metadata
        .requires_dist
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn in_tree_backend_builds_a_wheel_in_an_isolated_environment() {
    let project = Project::new(demo());
    let installer = Arc::new(TestInstaller::default());
    let builder = project.builder(installer.clone(), options());
    let out = project.context.root().join("dist");
    let wheel = builder.build_wheel(&project.tree(), &out).unwrap();

    assert_eq!(wheel, out.join("demo-1.0-py3-none-any.whl"));
    assert_eq!(
        wheel_files(&wheel),
        [
            "demo-1.0.dist-info/METADATA",
            "demo-1.0.dist-info/RECORD",
            "demo-1.0.dist-info/WHEEL",
            "demo/__init__.py"
        ]
    );
    // `requires = []`: the installer still sees the environment, with an empty list, and
    // `get_requires_for_build_wheel` added nothing, so it is not called again.
    assert_eq!(installer.requirement_lists(), [Vec::<String>::new()]);
    assert_eq!(
        project.hooks(),
        ["get_requires_for_build_wheel null", "build_wheel null"]
    );
    assert_eq!(project.build_wheel_runs(), 1);

    // The hooks ran in the fresh venv, isolated, with its scripts first on PATH.
    let environment = project.environment();
    let calls = installer.calls.lock().unwrap();
    let info = &calls[0].1;
    assert_eq!(
        Path::new(environment["prefix"].as_str().unwrap()),
        info.root
    );
    assert!(info.root.starts_with(project.scratch()));
    assert!(info.site_packages.starts_with(&info.root));
    assert_ne!(environment["prefix"], environment["base_prefix"]);
    assert_eq!(environment["nousersite"], "1");
    let first_on_path = environment["path"]
        .as_str()
        .unwrap()
        .split(':')
        .next()
        .unwrap();
    assert_eq!(Path::new(first_on_path), info.scripts);
    // The backend came from backend-path; the shim's own directory is not importable.
    let sys_path = environment["sys_path"].as_array().unwrap();
    assert!(sys_path.iter().all(|entry| {
        !Path::new(entry.as_str().unwrap())
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with("build-"))
    }));
    // The build directory, venv included, is gone.
    assert_eq!(fs_err::read_dir(project.scratch()).unwrap().count(), 0);
}

#[test]
fn static_pyproject_metadata_runs_no_hook() {
    let project = Project::with_pyproject(
        demo(),
        r#"
[project]
name = "demo"
version = "1.0"
dependencies = ["requests>=2"]
optional-dependencies = { socks = ["pysocks"] }
"#,
    );
    let installer = Arc::new(TestInstaller::default());
    let metadata = project
        .builder(installer.clone(), options())
        .metadata(&project.tree())
        .unwrap();
    assert_eq!(metadata.name.as_ref(), "demo");
    assert_eq!(
        requires_dist(&metadata),
        ["requests>=2", "pysocks ; extra == 'socks'"]
    );
    assert!(project.hooks().is_empty());
    assert_eq!(project.build_wheel_runs(), 0);
    assert!(installer.requirement_lists().is_empty());
}

#[test]
fn sdist_pkg_info_2_2_metadata_runs_no_hook() {
    let context = TestContext::new();
    let sdist = SdistBuilder::new("demo", "1.0")
        .pkg_info("Metadata-Version: 2.2\nName: demo\nVersion: 1.0\nRequires-Dist: idna\nDynamic: Summary\n")
        .file(
            "pyproject.toml",
            "[build-system]\nrequires = []\nbuild-backend = \"mybackend\"\nbackend-path = [\"_backend\"]\n",
        )
        .file("_backend/mybackend.py", BACKEND)
        .file("backend.json", demo().to_string())
        .file("src/demo/__init__.py", "VALUE = 1\n")
        .build();
    let archive = sdist.write_to(context.root());
    let tree = unpack_sdist(&archive, &context.root().join("unpacked")).unwrap();
    assert!(tree.path.ends_with("demo-1.0"));

    let installer = Arc::new(TestInstaller::default());
    let builder = SourceBuilder::new(
        base_python(),
        context.cache_dir().join("builds"),
        installer.clone(),
        options(),
    );
    let metadata = builder.metadata(&tree).unwrap();
    assert_eq!(requires_dist(&metadata), ["idna"]);
    assert!(!tree.path.join("hooks.log").exists());
    assert!(installer.requirement_lists().is_empty());

    // The unpacked sdist builds too.
    let wheel = builder
        .build_wheel(&tree, &context.root().join("dist"))
        .unwrap();
    assert!(wheel.ends_with("demo-1.0-py3-none-any.whl"));
}

#[test]
fn dynamic_metadata_comes_from_prepare_metadata_for_build_wheel() {
    let project = Project::new(demo());
    let installer = Arc::new(TestInstaller::default());
    let metadata = project
        .builder(installer.clone(), options())
        .metadata(&project.tree())
        .unwrap();
    assert_eq!(metadata.version.to_string(), "1.0");
    assert_eq!(requires_dist(&metadata), ["requests>=2"]);
    assert_eq!(
        project.hooks(),
        [
            "get_requires_for_build_wheel null",
            "prepare_metadata_for_build_wheel null"
        ]
    );
    assert_eq!(project.build_wheel_runs(), 0);
}

#[test]
fn metadata_falls_back_to_build_wheel_without_prepare_metadata() {
    let mut config = demo();
    config["without"] = serde_json::json!(["prepare_metadata_for_build_wheel"]);
    let project = Project::new(config);
    let metadata = project
        .builder(Arc::new(TestInstaller::default()), options())
        .metadata(&project.tree())
        .unwrap();
    assert_eq!(requires_dist(&metadata), ["requests>=2"]);
    assert_eq!(project.build_wheel_runs(), 1);
}

#[test]
fn failing_backend_shows_the_hook_and_its_traceback() {
    let mut config = demo();
    config["fail_in"] = serde_json::json!("build_wheel");
    let project = Project::new(config);
    let error = project
        .builder(Arc::new(TestInstaller::default()), options())
        .build_wheel(&project.tree(), &project.context.root().join("dist"))
        .unwrap_err();
    assert!(matches!(
        error,
        BuildError::Backend {
            hook: "build_wheel",
            ..
        }
    ));
    let message = project.filter(&error.to_string());
    let first_line = message.lines().next().unwrap();
    insta::assert_snapshot!(first_line, @"build backend hook `build_wheel` failed for [TEMP]/project (exit status: 1), last lines of its output:");
    assert!(
        message.contains("about to fail in build_wheel"),
        "{message}"
    );
    assert!(
        message.contains("Traceback (most recent call last):"),
        "{message}"
    );
    assert!(
        message.ends_with("RuntimeError: deliberate failure in build_wheel"),
        "{message}"
    );
    assert!(!project.context.root().join("dist").exists());
    assert_eq!(fs_err::read_dir(project.scratch()).unwrap().count(), 0);
}

#[test]
fn backend_printing_to_stdout_does_not_corrupt_the_result() {
    let mut config = demo();
    config["noisy"] = serde_json::json!(true);
    let project = Project::new(config);
    let builder = project.builder(Arc::new(TestInstaller::default()), options());
    let wheel = builder
        .build_wheel(&project.tree(), &project.context.root().join("dist"))
        .unwrap();
    assert!(wheel.ends_with("demo-1.0-py3-none-any.whl"));
    let metadata = builder.metadata(&project.tree()).unwrap();
    assert_eq!(metadata.name.as_ref(), "demo");
}

#[test]
fn requirements_from_get_requires_reach_the_installer() {
    let mut config = demo();
    config["get_requires"] = serde_json::json!(["base-tool", "extra-tool>=1.0", "cython<3"]);
    let project = Project::new(config);
    // Declare one build requirement, which the hook repeats.
    let pyproject = project.dir.join("pyproject.toml");
    let text = fs_err::read_to_string(&pyproject)
        .unwrap()
        .replace("requires = []", "requires = [\"base-tool\"]");
    fs_err::write(&pyproject, text).unwrap();

    let installer = Arc::new(TestInstaller::default());
    project
        .builder(installer.clone(), options())
        .build_wheel(&project.tree(), &project.context.root().join("dist"))
        .unwrap();
    assert_eq!(
        installer.requirement_lists(),
        [
            vec!["base-tool".to_string()],
            vec![
                "base-tool".to_string(),
                "extra-tool>=1.0".to_string(),
                "cython<3".to_string()
            ],
        ]
    );
}

#[test]
fn config_settings_and_build_constraints() {
    let project = Project::new(demo());
    let installer = Arc::new(TestInstaller::default());
    let options = BuildOptions {
        config_settings: vec![
            ("--build-option".to_string(), "--a".to_string()),
            ("mode".to_string(), "fast".to_string()),
            ("--build-option".to_string(), "--b".to_string()),
        ],
        build_constraints: vec!["setuptools<70".parse().unwrap()],
        ..options()
    };
    project
        .builder(installer.clone(), options)
        .build_wheel(&project.tree(), &project.context.root().join("dist"))
        .unwrap();
    let settings = r#"{"--build-option": ["--a", "--b"], "mode": "fast"}"#;
    assert_eq!(
        project.hooks(),
        [
            format!("get_requires_for_build_wheel {settings}"),
            format!("build_wheel {settings}")
        ]
    );
    let calls = installer.calls.lock().unwrap();
    let constraints: Vec<String> = calls[0]
        .1
        .constraints
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(constraints, ["setuptools<70"]);
}

#[test]
fn editable_wheel_installs_and_imports_from_the_source_tree() {
    let project = Project::new(demo());
    let wheel = project
        .builder(Arc::new(TestInstaller::default()), options())
        .build_editable(&project.tree(), &project.context.root().join("dist"))
        .unwrap();
    assert_eq!(
        project.hooks(),
        [
            "get_requires_for_build_editable null",
            "build_editable null"
        ]
    );
    assert_eq!(
        wheel_member(&wheel, "_demo_editable.pth").trim(),
        fs_err::canonicalize(&project.dir)
            .unwrap()
            .join("src")
            .to_string_lossy()
    );
    // A real installer accepts it, and the module is imported from the tree.
    let output = project.context.pip(&[
        "install",
        "--no-index",
        "--no-deps",
        "--quiet",
        &wheel.to_string_lossy(),
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let output = project.context.run_python("import demo; print(demo.VALUE)");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "from source"
    );
}

#[test]
fn backend_without_build_editable_cannot_do_editables() {
    let mut config = demo();
    config["without"] = serde_json::json!(["build_editable", "get_requires_for_build_editable"]);
    let project = Project::new(config);
    let error = project
        .builder(Arc::new(TestInstaller::default()), options())
        .build_editable(&project.tree(), &project.context.root().join("dist"))
        .unwrap_err();
    insta::assert_snapshot!(project.filter(&error.to_string()), @r#"build backend "mybackend" of [TEMP]/project does not support editable installs (PEP 660 hook `build_editable` is missing)"#);
}

/// Builds `project` with its `build-backend` replaced by `backend`, and returns the error.
fn build_with_backend(project: &Project, backend: &str) -> String {
    write(
        &project.dir.join("pyproject.toml"),
        &format!(
            "[build-system]\nrequires = []\nbuild-backend = \"{backend}\"\nbackend-path = [\"_backend\"]\n"
        ),
    );
    let error = project
        .builder(Arc::new(TestInstaller::default()), options())
        .build_wheel(&project.tree(), &project.context.root().join("dist"))
        .unwrap_err();
    project.filter(&error.to_string())
}

#[test]
fn backend_must_come_from_backend_path() {
    let project = Project::new(demo());
    // `csv` exists in the standard library, but not in backend-path.
    let message = build_with_backend(&project, "csv");
    insta::assert_snapshot!(message.lines().next().unwrap(), @r#"build backend "csv" of [TEMP]/project cannot be imported: cannot find module 'csv' in backend-path ['[TEMP]/project/_backend']"#);
    // `json` was imported before the backend (by the shim itself): caught after the import.
    let message = build_with_backend(&project, "json");
    assert!(
        message.starts_with(
            "build backend \"json\" of [TEMP]/project is invalid: backend 'json' was loaded from '"
        ),
        "{message}"
    );
    assert!(
        message.ends_with("not from backend-path ['[TEMP]/project/_backend']"),
        "{message}"
    );
}

#[test]
fn without_isolation_hooks_run_with_the_target_interpreter() {
    let project = Project::new(demo());
    let installer = Arc::new(TestInstaller::default());
    let options = BuildOptions {
        isolation: false,
        ..options()
    };
    project
        .builder(installer.clone(), options)
        .build_wheel(&project.tree(), &project.context.root().join("dist"))
        .unwrap();
    assert!(installer.requirement_lists().is_empty());
    // No get_requires hook: nothing would install what it names.
    assert_eq!(project.hooks(), ["build_wheel null"]);
    let environment = project.environment();
    let executable = PathBuf::from(environment["executable"].as_str().unwrap());
    assert_eq!(
        fs_err::canonicalize(executable).unwrap(),
        fs_err::canonicalize(base_python()).unwrap()
    );
}

#[test]
fn concurrent_builds_share_one_builder() {
    let first = Project::new(demo());
    let second = Project::new(serde_json::json!({"name": "other", "version": "2.0"}));
    let installer = Arc::new(TestInstaller::default());
    let builder = SourceBuilder::new(
        base_python(),
        first.scratch(),
        installer.clone(),
        BuildOptions {
            jobs: 1,
            ..options()
        },
    );
    let wheels: Vec<PathBuf> = std::thread::scope(|scope| {
        let handles: Vec<_> = [&first, &second]
            .into_iter()
            .map(|project| {
                let builder = builder.clone();
                scope.spawn(move || {
                    builder
                        .build_wheel(&project.tree(), &project.context.root().join("dist"))
                        .unwrap()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    assert!(wheels[0].ends_with("demo-1.0-py3-none-any.whl"));
    assert!(wheels[1].ends_with("other-2.0-py3-none-any.whl"));
    assert_eq!(installer.requirement_lists().len(), 2);
}

#[test]
fn setuptools_builds_a_legacy_setup_py_project() {
    let Some(backends) = build_backends() else {
        return;
    };
    let context = TestContext::new();
    let dir = context.root().join("legacy");
    write(
        &dir.join("setup.py"),
        "from setuptools import setup\nsetup(name='legacy-demo', version='0.3', py_modules=['legacy_demo'], install_requires=['idna>=2'])\n",
    );
    write(&dir.join("legacy_demo.py"), "VALUE = 3\n");
    assert_eq!(
        read_build_system(&dir).unwrap().build_backend,
        "setuptools.build_meta:__legacy__"
    );
    let installer = Arc::new(TestInstaller::pip(backends));
    let builder = SourceBuilder::new(
        base_python(),
        context.cache_dir().join("builds"),
        installer.clone(),
        options(),
    );
    let wheel = builder
        .build_wheel(&SourceTree::new(&dir), &context.root().join("dist"))
        .unwrap();
    assert!(
        wheel.ends_with("legacy_demo-0.3-py3-none-any.whl"),
        "{}",
        wheel.display()
    );
    assert!(wheel_files(&wheel).contains(&"legacy_demo.py".to_string()));
    let metadata = wheel_member(&wheel, "legacy_demo-0.3.dist-info/METADATA");
    assert!(metadata.contains("Requires-Dist: idna >=2"), "{metadata}");
    assert_eq!(
        installer.requirement_lists()[0],
        ["setuptools>=40.8.0".to_string()]
    );
}

#[test]
fn hatchling_builds_an_editable_wheel() {
    let Some(backends) = build_backends() else {
        return;
    };
    let context = TestContext::new();
    let dir = context.root().join("modern");
    write(
        &dir.join("pyproject.toml"),
        r#"
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "modern-demo"
version = "2.1"
dependencies = ["idna>=3"]
"#,
    );
    write(
        &dir.join("src/modern_demo/__init__.py"),
        "VALUE = 'modern'\n",
    );
    let installer = Arc::new(TestInstaller::pip(backends));
    let builder = SourceBuilder::new(
        base_python(),
        context.cache_dir().join("builds"),
        installer.clone(),
        options(),
    );
    let wheel = builder
        .build_editable(&SourceTree::new(&dir), &context.root().join("dist"))
        .unwrap();
    assert!(
        wheel.ends_with("modern_demo-2.1-py2.py3-none-any.whl"),
        "{}",
        wheel.display()
    );
    let files = wheel_files(&wheel);
    assert!(
        files.contains(&"_editable_impl_modern_demo.pth".to_string()),
        "{files:?}"
    );
    // hatchling asks for `editables` through `get_requires_for_build_editable`.
    assert_eq!(
        installer.requirement_lists(),
        [
            vec!["hatchling".to_string()],
            vec!["hatchling".to_string(), "editables~=0.3".to_string()]
        ]
    );
}

#[test]
fn the_shim_runs_on_the_oldest_supported_python() {
    let Some(python) = volley_test_support::find_python("3.8") else {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("skipping: no Python 3.8 on this machine");
        }
        return;
    };
    let project = Project::new(demo());
    let installer = Arc::new(TestInstaller::default());
    let builder = SourceBuilder::new(python, project.scratch(), installer, options());
    let metadata = builder.metadata(&project.tree()).unwrap();
    assert_eq!(requires_dist(&metadata), ["requests>=2"]);
    let wheel = builder
        .build_editable(&project.tree(), &project.context.root().join("dist"))
        .unwrap();
    assert!(wheel.ends_with("demo-1.0-py3-none-any.whl"));
    let environment = project.environment();
    assert!(
        environment["executable"]
            .as_str()
            .unwrap()
            .contains("/build-"),
        "{environment}"
    );
}
