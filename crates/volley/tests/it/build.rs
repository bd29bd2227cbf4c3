//! Builds from source: local projects, sdists (from paths and from the index), editables,
//! `name @ file://...`, git, the build cache and `volley wheel`. Projects use an in-tree
//! backend (`volley_test_support::TEST_BUILD_BACKEND`, standard library only, configured by `backend.json`), so no
//! build tool is needed.

use std::path::{Path, PathBuf};
use std::process::Command;

use volley_test_support::SdistBuilder;

use crate::common::*;

const BACKEND: &str = volley_test_support::TEST_BUILD_BACKEND;

/// A project using the in-tree backend; its hook log goes to `<root>/logs-<name>` (outside the
/// tree, so that logging does not change the tree's fingerprint).
struct Project {
    dir: PathBuf,
    logs: PathBuf,
}

impl Project {
    fn new(ctx: &TestContext, name: &str, version: &str, extra: serde_json::Value) -> Self {
        let dir = ctx.root().join(format!("project-{name}"));
        let logs = ctx.root().join(format!("logs-{name}"));
        fs_err::create_dir_all(&logs).unwrap();
        let mut config = serde_json::json!({
            "name": name,
            "version": version,
            "log_dir": logs,
        });
        for (key, value) in extra.as_object().unwrap() {
            config[key] = value.clone();
        }
        for (path, content) in project_files(name, version, &config) {
            let path = dir.join(path);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            fs_err::write(path, content).unwrap();
        }
        Self { dir, logs }
    }

    fn build_wheel_runs(&self) -> usize {
        fs_err::read_to_string(self.logs.join("build_wheel.marker"))
            .map(|text| text.lines().count())
            .unwrap_or(0)
    }
}

/// The files of an in-tree-backend project: pyproject.toml, backend, config, module.
fn project_files(name: &str, version: &str, config: &serde_json::Value) -> Vec<(String, String)> {
    let module = name.replace('-', "_");
    vec![
        (
            "pyproject.toml".to_string(),
            "[build-system]\nrequires = []\nbuild-backend = \"mybackend\"\nbackend-path = [\"_backend\"]\n"
                .to_string(),
        ),
        ("_backend/mybackend.py".to_string(), BACKEND.to_string()),
        ("backend.json".to_string(), config.to_string()),
        (
            format!("src/{module}/__init__.py"),
            format!("VERSION = '{version}'\n"),
        ),
    ]
}

/// An sdist of an in-tree-backend project (its hook log in `logs`).
fn sdist(name: &str, version: &str, logs: &Path, extra: serde_json::Value) -> BuiltSdist {
    fs_err::create_dir_all(logs).unwrap();
    let mut config = serde_json::json!({"name": name, "version": version, "log_dir": logs});
    for (key, value) in extra.as_object().unwrap() {
        config[key] = value.clone();
    }
    let mut builder = SdistBuilder::new(name, version);
    for (path, content) in project_files(name, version, &config) {
        builder = builder.file(&path, content);
    }
    BuiltSdist(builder.build())
}

struct BuiltSdist(volley_test_support::BuiltFile);

fn marker_count(logs: &Path) -> usize {
    fs_err::read_to_string(logs.join("build_wheel.marker"))
        .map(|text| text.lines().count())
        .unwrap_or(0)
}

fn venv_arg(ctx: &TestContext) -> String {
    ctx.create_venv();
    ctx.venv().to_string_lossy().into_owned()
}

/// `volley ARGS...` run from `cwd`.
fn volley_in(ctx: &TestContext, cwd: &Path, args: &[&str]) -> std::process::Output {
    ctx.command(volley_bin())
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("volley runs")
}

fn direct_url(ctx: &TestContext, dist_info: &str) -> serde_json::Value {
    let path = ctx.site_packages().join(dist_info).join("direct_url.json");
    serde_json::from_str(&fs_err::read_to_string(path).unwrap()).unwrap()
}

fn import(ctx: &TestContext, code: &str) -> String {
    let output = ctx.run_python(code);
    assert_success(&output);
    stdout(&output).trim().to_string()
}

fn file_url(path: &Path) -> String {
    url::Url::from_file_path(path).unwrap().to_string()
}

#[test]
fn local_project_directory_installs_with_its_dependency_from_the_index() {
    let ctx = TestContext::new();
    let server = IndexServer::builder()
        .wheel(module_wheel("dep", "1.0").build())
        .start();
    let project = Project::new(
        &ctx,
        "demo",
        "1.0",
        serde_json::json!({"dependencies": ["dep>=1"]}),
    );
    let venv = venv_arg(&ctx);
    let index = server.index_url();
    let output = volley_in(
        &ctx,
        ctx.root(),
        &["install", "--python", &venv, "-i", &index, "./project-demo"],
    );
    assert_success(&output);
    assert!(
        stderr(&output).contains("+ demo==1.0"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("+ dep==1.0"),
        "{}",
        stderr(&output)
    );
    assert_eq!(import(&ctx, "import demo, dep; print(demo.VERSION)"), "1.0");
    assert_pip_check(&ctx);
    assert_eq!(project.build_wheel_runs(), 1);
    let url = direct_url(&ctx, "demo-1.0.dist-info");
    assert_eq!(url["url"], file_url(&project.dir.canonicalize().unwrap()));
    assert_eq!(url["dir_info"], serde_json::json!({}));
    let freeze = volley(&ctx, &["freeze", "--python", &venv]);
    assert_success(&freeze);
    assert!(
        stdout(&freeze).contains(&format!("demo @ {}", url["url"].as_str().unwrap())),
        "{}",
        stdout(&freeze)
    );
}

#[test]
fn sdist_only_package_from_the_index_is_built_once_and_cached() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let logs = ctx.root().join("logs");
    let built = sdist("sdistonly", "2.0", &logs, serde_json::json!({}));
    let server = IndexServer::builder()
        .file("sdistonly", &built.0.filename, built.0.bytes.clone())
        .start();
    let output = install(&ctx, &server, &["sdistonly"]);
    assert_success(&output);
    assert_eq!(
        import(&ctx, "import sdistonly; print(sdistonly.VERSION)"),
        "2.0"
    );
    assert_pip_check(&ctx);
    assert_eq!(marker_count(&logs), 1);
    // Not a direct reference: no direct_url.json, a plain freeze line.
    assert!(
        !ctx.site_packages()
            .join("sdistonly-2.0.dist-info/direct_url.json")
            .exists()
    );
    assert!(pip_freeze(&ctx).contains("sdistonly==2.0"));

    // Reinstalling builds nothing: the wheel comes from the build cache.
    let venv = venv_arg(&ctx);
    assert_success(&volley(
        &ctx,
        &["uninstall", "--python", &venv, "-y", "sdistonly"],
    ));
    let output = install(&ctx, &server, &["sdistonly"]);
    assert_success(&output);
    assert_eq!(marker_count(&logs), 1);
    assert_eq!(
        import(&ctx, "import sdistonly; print(sdistonly.VERSION)"),
        "2.0"
    );
}

#[test]
fn only_binary_refuses_to_build_and_names_the_package() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let logs = ctx.root().join("logs");
    let built = sdist("sdistonly", "2.0", &logs, serde_json::json!({}));
    let server = IndexServer::builder()
        .file("sdistonly", &built.0.filename, built.0.bytes.clone())
        .start();
    let before = venv_files(&ctx);
    let output = install(&ctx, &server, &["--only-binary", ":all:", "sdistonly"]);
    let error = assert_failure(&output);
    assert!(error.contains("sdistonly"), "{error}");
    assert_eq!(marker_count(&logs), 0);
    assert_eq!(venv_files(&ctx), before);
}

/// pip's format control applies to the files of indexes and `--find-links`, not to a project
/// the user names: that is built whatever `--only-binary` says.
#[test]
fn only_binary_still_builds_a_local_project_and_an_editable() {
    let ctx = TestContext::new();
    let project = Project::new(&ctx, "demo", "1.0", serde_json::json!({}));
    let venv = venv_arg(&ctx);
    let output = volley_in(
        &ctx,
        ctx.root(),
        &[
            "install",
            "--python",
            &venv,
            "--only-binary",
            ":all:",
            "./project-demo",
        ],
    );
    assert_success(&output);
    assert_eq!(project.build_wheel_runs(), 1);
    assert_eq!(import(&ctx, "import demo; print(demo.VERSION)"), "1.0");

    let output = volley_in(
        &ctx,
        ctx.root(),
        &[
            "install",
            "--python",
            &venv,
            "--only-binary",
            ":all:",
            "-e",
            "./project-demo",
        ],
    );
    assert_success(&output);
    let log = fs_err::read_to_string(project.logs.join("hooks.log")).unwrap();
    assert!(log.contains("build_editable"), "{log}");
}

#[test]
fn no_binary_builds_from_the_sdist() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let logs = ctx.root().join("logs");
    let built = sdist("both", "1.0", &logs, serde_json::json!({}));
    let server = IndexServer::builder()
        .wheel(module_wheel("both", "1.0").build())
        .file("both", &built.0.filename, built.0.bytes.clone())
        .start();
    let output = install(&ctx, &server, &["--no-binary", "both", "both"]);
    assert_success(&output);
    assert_eq!(marker_count(&logs), 1);
    // The built wheel's module (VERSION), not the index wheel's (__version__).
    assert_eq!(import(&ctx, "import both; print(both.VERSION)"), "1.0");
}

#[test]
fn editable_project_sees_source_changes_without_reinstalling() {
    let ctx = TestContext::new();
    let project = Project::new(&ctx, "edit-me", "0.1", serde_json::json!({}));
    let venv = venv_arg(&ctx);
    let output = volley_in(
        &ctx,
        ctx.root(),
        &[
            "install",
            "--python",
            &venv,
            "--no-index",
            "-e",
            "./project-edit-me",
        ],
    );
    assert_success(&output);
    assert_eq!(
        import(&ctx, "import edit_me; print(edit_me.VERSION)"),
        "0.1"
    );
    fs_err::write(
        project.dir.join("src/edit_me/__init__.py"),
        "VERSION = 'changed'\n",
    )
    .unwrap();
    assert_eq!(
        import(&ctx, "import edit_me; print(edit_me.VERSION)"),
        "changed"
    );
    let url = direct_url(&ctx, "edit_me-0.1.dist-info");
    assert_eq!(url["dir_info"], serde_json::json!({"editable": true}));
    let list = ctx.pip(&["list", "-v", "--editable", "--format", "json"]);
    assert_success(&list);
    let listed: serde_json::Value = serde_json::from_str(&stdout(&list)).unwrap();
    let location = listed[0]["editable_project_location"].as_str().unwrap();
    assert_eq!(
        Path::new(location).canonicalize().unwrap(),
        project.dir.canonicalize().unwrap()
    );
    // Editables are never built by build_wheel, nor cached.
    assert_eq!(project.build_wheel_runs(), 0);
    assert_success(&volley(
        &ctx,
        &["uninstall", "--python", &venv, "-y", "edit-me"],
    ));
    let output = ctx.run_python("import edit_me");
    assert!(!output.status.success());
}

#[test]
fn editable_from_a_requirements_file() {
    let ctx = TestContext::new();
    Project::new(&ctx, "fromfile", "0.2", serde_json::json!({}));
    fs_err::write(
        ctx.root().join("requirements.txt"),
        "-e ./project-fromfile\n",
    )
    .unwrap();
    let venv = venv_arg(&ctx);
    let output = volley_in(
        &ctx,
        ctx.root(),
        &[
            "install",
            "--python",
            &venv,
            "--no-index",
            "-r",
            "requirements.txt",
        ],
    );
    assert_success(&output);
    assert_eq!(
        import(&ctx, "import fromfile; print(fromfile.VERSION)"),
        "0.2"
    );
    let url = direct_url(&ctx, "fromfile-0.2.dist-info");
    assert_eq!(url["dir_info"], serde_json::json!({"editable": true}));
}

#[test]
fn named_file_url_to_an_sdist_records_its_hash_and_hits_the_build_cache() {
    let ctx = TestContext::new();
    let logs = ctx.root().join("logs");
    let built = sdist("archived", "3.0", &logs, serde_json::json!({}));
    let dist = ctx.root().join("dist");
    fs_err::create_dir_all(&dist).unwrap();
    let path = built.0.write_to(&dist);
    let url = file_url(&path);
    let venv = venv_arg(&ctx);
    let requirement = format!("archived @ {url}");
    let output = volley(
        &ctx,
        &["install", "--python", &venv, "--no-index", &requirement],
    );
    assert_success(&output);
    assert_eq!(
        import(&ctx, "import archived; print(archived.VERSION)"),
        "3.0"
    );
    let recorded = direct_url(&ctx, "archived-3.0.dist-info");
    assert_eq!(recorded["url"], url);
    assert_eq!(
        recorded["archive_info"]["hashes"]["sha256"],
        built.0.sha256.as_str()
    );
    let freeze = volley(&ctx, &["freeze", "--python", &venv]);
    assert!(
        stdout(&freeze).contains(&format!("archived @ {url}")),
        "{}",
        stdout(&freeze)
    );
    assert!(pip_freeze(&ctx).contains("archived==3.0"));
    assert_eq!(marker_count(&logs), 1);

    // The relative path of the same sdist, after an uninstall: the build cache answers.
    assert_success(&volley(
        &ctx,
        &["uninstall", "--python", &venv, "-y", "archived"],
    ));
    let output = volley_in(
        &ctx,
        ctx.root(),
        &[
            "install",
            "--python",
            &venv,
            "--no-index",
            "./dist/archived-3.0.tar.gz",
        ],
    );
    assert_success(&output);
    assert_eq!(marker_count(&logs), 1);
    assert_eq!(
        import(&ctx, "import archived; print(archived.VERSION)"),
        "3.0"
    );
}

#[test]
fn local_wheel_path_installs() {
    let ctx = TestContext::new();
    let wheel = module_wheel("wheely", "1.5").build();
    let path = wheel.write_to(ctx.root());
    let venv = venv_arg(&ctx);
    let output = volley(
        &ctx,
        &[
            "install",
            "--python",
            &venv,
            "--no-index",
            path.to_str().unwrap(),
        ],
    );
    assert_success(&output);
    let recorded = direct_url(&ctx, "wheely-1.5.dist-info");
    assert_eq!(recorded["url"], file_url(&path));
    assert_pip_check(&ctx);
}

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn git_file_url_installs_with_vcs_info() {
    let ctx = TestContext::new();
    let project = Project::new(&ctx, "gitpkg", "1.0", serde_json::json!({}));
    git(&project.dir, &["init", "-q", "-b", "main"]);
    git(&project.dir, &["add", "."]);
    git(&project.dir, &["commit", "-q", "-m", "one"]);
    git(&project.dir, &["tag", "v1.0"]);
    let repository = file_url(&project.dir);
    let venv = venv_arg(&ctx);
    let requirement = format!("gitpkg @ git+{repository}@v1.0");
    let output = volley(
        &ctx,
        &["install", "--python", &venv, "--no-index", &requirement],
    );
    assert_success(&output);
    assert_eq!(import(&ctx, "import gitpkg; print(gitpkg.VERSION)"), "1.0");
    let recorded = direct_url(&ctx, "gitpkg-1.0.dist-info");
    assert_eq!(recorded["url"], repository.as_str());
    assert_eq!(recorded["vcs_info"]["vcs"], "git");
    assert_eq!(recorded["vcs_info"]["requested_revision"], "v1.0");
    assert_eq!(
        recorded["vcs_info"]["commit_id"].as_str().unwrap().len(),
        40
    );
    let freeze = volley(&ctx, &["freeze", "--python", &venv]);
    let line = stdout(&freeze);
    assert!(
        line.contains(&format!("gitpkg @ git+{repository}@")),
        "{line}"
    );

    // Unnamed, with #egg=.
    let ctx = TestContext::new();
    let venv = venv_arg(&ctx);
    let requirement = format!("git+{repository}@v1.0#egg=gitpkg");
    let output = volley(
        &ctx,
        &["install", "--python", &venv, "--no-index", &requirement],
    );
    assert_success(&output);
    assert_eq!(import(&ctx, "import gitpkg; print(gitpkg.VERSION)"), "1.0");
}

#[test]
fn failing_build_shows_the_backend_error_and_leaves_the_environment_untouched() {
    let ctx = TestContext::new();
    let server = IndexServer::builder()
        .wheel(module_wheel("dep", "1.0").build())
        .start();
    Project::new(
        &ctx,
        "broken",
        "1.0",
        serde_json::json!({"fail_in": "build_wheel", "dependencies": ["dep"]}),
    );
    let venv = venv_arg(&ctx);
    let before = venv_files(&ctx);
    let index = server.index_url();
    let output = volley_in(
        &ctx,
        ctx.root(),
        &[
            "install",
            "--python",
            &venv,
            "-i",
            &index,
            "./project-broken",
        ],
    );
    let error = assert_failure(&output);
    assert!(
        error.contains("deliberate failure in build_wheel"),
        "{error}"
    );
    assert!(error.contains("build_wheel"), "{error}");
    assert_eq!(venv_files(&ctx), before);
}

#[test]
fn wheel_command_writes_wheels_pip_accepts() {
    let ctx = TestContext::new();
    let logs = ctx.root().join("logs");
    let built = sdist(
        "fromsdist",
        "1.0",
        &logs,
        serde_json::json!({"dependencies": ["dep"]}),
    );
    let server = IndexServer::builder()
        .wheel(module_wheel("dep", "1.0").build())
        .file("fromsdist", &built.0.filename, built.0.bytes.clone())
        .start();
    Project::new(&ctx, "localproj", "0.3", serde_json::json!({}));
    let venv = venv_arg(&ctx);
    let index = server.index_url();
    let output = volley_in(
        &ctx,
        ctx.root(),
        &[
            "wheel",
            "--python",
            &venv,
            "-i",
            &index,
            "-w",
            "wheels",
            "fromsdist",
            "./project-localproj",
        ],
    );
    assert_success(&output);
    let mut names: Vec<String> = fs_err::read_dir(ctx.root().join("wheels"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "dep-1.0-py3-none-any.whl",
            "fromsdist-1.0-py3-none-any.whl",
            "localproj-0.3-py3-none-any.whl"
        ]
    );
    let wheels = ctx.root().join("wheels");
    let output = ctx.pip(&[
        "install",
        "--no-index",
        "--find-links",
        wheels.to_str().unwrap(),
        "fromsdist",
        "localproj",
    ]);
    assert_success(&output);
    assert_pip_check(&ctx);
    assert_eq!(
        import(&ctx, "import fromsdist, dep, localproj; print('ok')"),
        "ok"
    );
}

#[test]
fn isolated_build_installs_build_requirements_from_the_index() {
    let ctx = TestContext::new();
    // The backend is a wheel on the index, not in the tree.
    let backend = WheelBuilder::new("mybackend-dist", "1.0")
        .file("mybackend.py", BACKEND)
        .build();
    let server = IndexServer::builder().wheel(backend).start();
    let project = Project::new(&ctx, "needsbackend", "1.0", serde_json::json!({}));
    fs_err::write(
        project.dir.join("pyproject.toml"),
        "[build-system]\nrequires = [\"mybackend-dist\"]\nbuild-backend = \"mybackend\"\n",
    )
    .unwrap();
    let venv = venv_arg(&ctx);
    let index = server.index_url();
    let output = volley_in(
        &ctx,
        ctx.root(),
        &[
            "install",
            "--python",
            &venv,
            "-i",
            &index,
            "./project-needsbackend",
        ],
    );
    assert_success(&output);
    assert_eq!(
        import(&ctx, "import needsbackend; print(needsbackend.VERSION)"),
        "1.0"
    );
    // The build requirement went into the build environment only.
    assert!(!pip_freeze(&ctx).contains("mybackend"));
}

#[test]
fn build_requirement_without_a_wheel_is_refused() {
    let ctx = TestContext::new();
    let project = Project::new(&ctx, "selfbuild", "1.0", serde_json::json!({}));
    fs_err::write(
        project.dir.join("pyproject.toml"),
        "[build-system]\nrequires = [\"selfbuild\"]\nbuild-backend = \"mybackend\"\nbackend-path = [\"_backend\"]\n",
    )
    .unwrap();
    let logs = ctx.root().join("logs-sdist");
    let built = sdist("selfbuild", "1.0", &logs, serde_json::json!({}));
    let server = IndexServer::builder()
        .file("selfbuild", &built.0.filename, built.0.bytes.clone())
        .start();
    let venv = venv_arg(&ctx);
    let index = server.index_url();
    let output = volley_in(
        &ctx,
        ctx.root(),
        &[
            "install",
            "--python",
            &venv,
            "-i",
            &index,
            "./project-selfbuild",
        ],
    );
    let error = assert_failure(&output);
    assert!(
        error.contains("selfbuild") && error.contains("build requirements from wheels only"),
        "{error}"
    );
    assert_eq!(project.build_wheel_runs(), 0);
}

/// The pinned build-backend wheels (`scripts/fetch-build-backends.sh`, run by `.ci/run`), or
/// `None` when they were not fetched: the tests that need them then say so and return.
#[allow(clippy::print_stderr)] // a skipped test says why
fn backend_wheels() -> Option<Vec<PathBuf>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/build-backends");
    let wheels: Vec<PathBuf> = fs_err::read_dir(&dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "whl"))
        .collect();
    if wheels.len() < 8 {
        eprintln!(
            "skipped: the build-backend wheels are not in {} (run scripts/fetch-build-backends.sh)",
            dir.display()
        );
        return None;
    }
    Some(wheels)
}

/// An index serving the real build backends (setuptools, wheel, hatchling and its
/// dependencies) next to `sdists`, as a private index of a company would.
fn index_with_backends(
    wheels: &[PathBuf],
    sdists: &[(&str, volley_test_support::BuiltFile)],
) -> IndexServer {
    let mut builder = IndexServer::builder();
    for wheel in wheels {
        let filename = wheel.file_name().unwrap().to_string_lossy().to_string();
        let project = filename.split('-').next().unwrap().to_string();
        builder = builder.file(&project, &filename, fs_err::read(wheel).unwrap());
    }
    for (project, sdist) in sdists {
        builder = builder.file(project, &sdist.filename, sdist.bytes.clone());
    }
    builder.start()
}

#[test]
fn setuptools_and_hatchling_sdists_from_the_index_build_in_isolation() {
    let Some(wheels) = backend_wheels() else {
        return;
    };
    let setuptools_sdist = SdistBuilder::new("setuppkg", "1.0")
        .file(
            "pyproject.toml",
            "[build-system]\nrequires = [\"setuptools>=61\"]\nbuild-backend = \"setuptools.build_meta\"\n\n\
             [project]\nname = \"setuppkg\"\nversion = \"1.0\"\ndependencies = [\"hatchpkg\"]\n\n\
             [tool.setuptools]\npackages = [\"setuppkg\"]\n",
        )
        .file("setuppkg/__init__.py", "ORIGIN = 'built by setuptools'\n")
        .build();
    let hatch_sdist = SdistBuilder::new("hatchpkg", "2.0")
        .file(
            "pyproject.toml",
            "[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n\
             [project]\nname = \"hatchpkg\"\nversion = \"2.0\"\n\n\
             [tool.hatch.build.targets.wheel]\npackages = [\"hatchpkg\"]\n",
        )
        .file("hatchpkg/__init__.py", "ORIGIN = 'built by hatchling'\n")
        .build();
    let server = index_with_backends(
        &wheels,
        &[("setuppkg", setuptools_sdist), ("hatchpkg", hatch_sdist)],
    );
    let ctx = TestContext::new();
    ctx.create_venv();
    let output = install(&ctx, &server, &["setuppkg"]);
    assert_success(&output);
    assert_eq!(
        import(
            &ctx,
            "import setuppkg, hatchpkg; print(setuppkg.ORIGIN + ', ' + hatchpkg.ORIGIN)"
        ),
        "built by setuptools, built by hatchling"
    );
    let freeze = pip_freeze(&ctx);
    assert!(
        freeze.contains("setuppkg==1.0") && freeze.contains("hatchpkg==2.0"),
        "{freeze}"
    );
    // The backends went into the isolated build environments only.
    assert!(
        !freeze.contains("setuptools") && !freeze.contains("hatchling"),
        "{freeze}"
    );
    assert_pip_check(&ctx);
}

/// `name==version` of the distributions the last hook of `logs`' project could import.
fn build_environment_distributions(logs: &Path) -> Vec<String> {
    let text = fs_err::read_to_string(logs.join("environment.json")).unwrap();
    let environment: serde_json::Value = serde_json::from_str(&text).unwrap();
    environment["distributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn requirements_from_get_requires_are_added_to_the_static_ones_once() {
    let ctx = TestContext::new();
    // `build-system.requires` asks for helper>=1 (2.0 is installed first); the hooks add
    // helper<2 (so 1.0 replaces it) and extra-tool.
    let server = IndexServer::builder()
        .wheel(module_wheel("helper", "1.0").build())
        .wheel(module_wheel("helper", "2.0").build())
        .wheel(module_wheel("extra-tool", "1.0").build())
        .start();
    let project = Project::new(
        &ctx,
        "dynreqs",
        "1.0",
        serde_json::json!({"get_requires": ["helper<2", "extra-tool"]}),
    );
    fs_err::write(
        project.dir.join("pyproject.toml"),
        "[build-system]\nrequires = [\"helper>=1\"]\nbuild-backend = \"mybackend\"\nbackend-path = [\"_backend\"]\n",
    )
    .unwrap();
    let venv = venv_arg(&ctx);
    let index = server.index_url();
    for (hook, editable) in [("build_wheel", false), ("build_editable", true)] {
        let mut args = vec!["install", "--python", &venv, "-i", &index];
        if editable {
            args.push("-e");
        }
        args.push("./project-dynreqs");
        let output = volley_in(&ctx, ctx.root(), &args);
        assert_success(&output);
        let log = fs_err::read_to_string(project.logs.join("hooks.log")).unwrap();
        let requires_hook = if editable {
            "get_requires_for_build_editable"
        } else {
            "get_requires_for_build_wheel"
        };
        assert!(log.contains(requires_hook) && log.contains(hook), "{log}");
        let distributions = build_environment_distributions(&project.logs);
        assert_eq!(
            distributions,
            ["extra-tool==1.0", "helper==1.0"],
            "the build environment of {hook}"
        );
    }
    assert_eq!(
        import(&ctx, "import dynreqs; print(dynreqs.VERSION)"),
        "1.0"
    );
}

#[test]
fn hatchling_editable_install_gets_editables_from_the_backend_hook() {
    let Some(wheels) = backend_wheels() else {
        return;
    };
    let server = index_with_backends(&wheels, &[]);
    let ctx = TestContext::new();
    let project = ctx.root().join("hatchproj");
    fs_err::create_dir_all(project.join("hatchproj")).unwrap();
    fs_err::write(
        project.join("pyproject.toml"),
        "[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n\n\
         [project]\nname = \"hatchproj\"\nversion = \"0.1\"\n",
    )
    .unwrap();
    fs_err::write(project.join("hatchproj/__init__.py"), "ORIGIN = 'first'\n").unwrap();
    let venv = venv_arg(&ctx);
    let index = server.index_url();
    let output = volley_in(
        &ctx,
        ctx.root(),
        &[
            "install",
            "--python",
            &venv,
            "-i",
            &index,
            "-e",
            "./hatchproj",
        ],
    );
    assert_success(&output);
    // hatchling's get_requires_for_build_editable asks for editables: fetched from the index.
    assert!(
        server
            .requests()
            .iter()
            .any(|request| request.path.starts_with("/simple/editables")),
        "editables was not asked for"
    );
    fs_err::write(project.join("hatchproj/__init__.py"), "ORIGIN = 'edited'\n").unwrap();
    assert_eq!(
        import(&ctx, "import hatchproj; print(hatchproj.ORIGIN)"),
        "edited"
    );
}

/// Old releases carry `.tar.bz2`, `.tar.xz` and plain `.tar` sdists; pip unpacks them all.
/// The archives are compressed here by Python's own `bz2` and `lzma` modules.
#[test]
fn bzip2_xz_and_plain_tar_sdists_from_the_index_are_built() {
    let ctx = TestContext::new();
    ctx.create_venv();
    let logs = ctx.root().join("logs");
    fs_err::create_dir_all(&logs).unwrap();
    let mut server = IndexServer::builder();
    for (name, extension, compress) in [
        ("oldbz", "tar.bz2", "bz2.compress(data)"),
        ("oldxz", "tar.xz", "lzma.compress(data)"),
        (
            "oldlzma",
            "tar.lzma",
            "lzma.compress(data, format=lzma.FORMAT_ALONE)",
        ),
        ("oldtar", "tar", "data"),
    ] {
        let config = serde_json::json!({"name": name, "version": "0.9", "log_dir": logs});
        let mut builder = SdistBuilder::new(name, "0.9");
        for (path, content) in project_files(name, "0.9", &config) {
            builder = builder.file(&path, content);
        }
        let tar = ctx.root().join(format!("{name}.tar"));
        fs_err::write(&tar, builder.build_tar()).unwrap();
        let archive = ctx.root().join(format!("{name}-0.9.{extension}"));
        let code = format!(
            "import bz2, lzma; data = open({tar:?}, 'rb').read(); open({archive:?}, 'wb').write({compress})",
            tar = tar.display().to_string(),
            archive = archive.display().to_string(),
        );
        assert_success(&ctx.run_python(&code));
        let filename = format!("{name}-0.9.{extension}");
        server = server.file(name, &filename, fs_err::read(&archive).unwrap());
    }
    let server = server.start();
    let output = install(&ctx, &server, &["oldbz", "oldxz", "oldlzma", "oldtar"]);
    assert_success(&output);
    assert_eq!(
        import(
            &ctx,
            "import oldbz, oldxz, oldlzma, oldtar; print(oldbz.VERSION, oldxz.VERSION, oldlzma.VERSION, oldtar.VERSION)"
        ),
        "0.9 0.9 0.9 0.9"
    );
    assert_pip_check(&ctx);
    assert_eq!(marker_count(&logs), 4);
}

/// PEP 751 allows a package with only an sdist: it is built like an index sdist, after its
/// sha256 is checked against the lock.
#[test]
fn sdist_only_package_in_a_pylock_is_built_after_its_hash_is_checked() {
    let ctx = TestContext::new();
    let venv = venv_arg(&ctx);
    let logs = ctx.root().join("logs");
    let built = sdist("locked", "1.5", &logs, serde_json::json!({}));
    let dist = ctx.root().join("dist");
    fs_err::create_dir_all(&dist).unwrap();
    built.0.write_to(&dist);
    let lock = ctx.root().join("pylock.toml");
    let text = format!(
        r#"lock-version = "1.0"
created-by = "a test"

[[packages]]
name = "locked"
version = "1.5"
sdist = {{name = "{name}", path = "dist/{name}", hashes = {{sha256 = "{sha256}"}}}}
"#,
        name = built.0.filename,
        sha256 = built.0.sha256,
    );
    let install_lock = || {
        volley_in(
            &ctx,
            ctx.root(),
            &[
                "install",
                "--python",
                &venv,
                "--no-index",
                "-r",
                "pylock.toml",
            ],
        )
    };

    // A tampered hash: nothing is built, nothing installed.
    fs_err::write(&lock, text.replace(&built.0.sha256, &"0".repeat(64))).unwrap();
    let before = venv_files(&ctx);
    let error = assert_failure(&install_lock());
    assert!(error.to_lowercase().contains("hash"), "{error}");
    assert!(error.contains(&built.0.sha256), "{error}");
    assert_eq!(marker_count(&logs), 0);
    assert_eq!(before, venv_files(&ctx));

    fs_err::write(&lock, &text).unwrap();
    let output = install_lock();
    assert_success(&output);
    assert!(
        stderr(&output).contains("+ locked==1.5"),
        "{}",
        stderr(&output)
    );
    assert_eq!(import(&ctx, "import locked; print(locked.VERSION)"), "1.5");
    assert_eq!(marker_count(&logs), 1);
    assert_pip_check(&ctx);
}

/// `-e git+URL@rev#egg=name`, as pip: cloned into `<venv>/src/<name>`, installed editable from
/// there, recorded as an editable directory, frozen as `-e git+URL@commit#egg=name` (the line
/// pip itself writes for that environment), and updated in place by a later install.
#[test]
fn editable_git_checkout_is_cloned_into_src_and_frozen_as_pip_does() {
    let ctx = TestContext::new();
    let project = Project::new(&ctx, "edit-git", "1.0", serde_json::json!({}));
    git(&project.dir, &["init", "-q", "-b", "main"]);
    git(&project.dir, &["add", "."]);
    git(&project.dir, &["commit", "-q", "-m", "one"]);
    git(&project.dir, &["tag", "v1.0"]);
    let repository = file_url(&project.dir);
    let venv = venv_arg(&ctx);
    let requirements = ctx.root().join("requirements.txt");
    fs_err::write(
        &requirements,
        format!("-e git+{repository}@v1.0#egg=edit-git\n"),
    )
    .unwrap();
    let output = volley_in(
        &ctx,
        ctx.root(),
        &[
            "install",
            "--python",
            &venv,
            "--no-index",
            "-r",
            "requirements.txt",
        ],
    );
    assert_success(&output);
    let checkout = ctx.venv().join("src").join("edit-git");
    assert!(checkout.join(".git").is_dir(), "{}", checkout.display());
    assert_eq!(
        import(&ctx, "import edit_git; print(edit_git.VERSION)"),
        "1.0"
    );
    // Editable: the checkout is what Python imports.
    fs_err::write(
        checkout.join("src/edit_git/__init__.py"),
        "VERSION = 'edited'\n",
    )
    .unwrap();
    assert_eq!(
        import(&ctx, "import edit_git; print(edit_git.VERSION)"),
        "edited"
    );
    let recorded = direct_url(&ctx, "edit_git-1.0.dist-info");
    assert_eq!(recorded["url"], file_url(&checkout));
    assert_eq!(recorded["dir_info"], serde_json::json!({"editable": true}));

    let commit = String::from_utf8(
        Command::new("git")
            .current_dir(&project.dir)
            .args(["rev-parse", "HEAD"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let expected = format!("-e git+{repository}@{}#egg=edit_git\n", commit.trim());
    let freeze = volley(&ctx, &["freeze", "--python", &venv]);
    assert_success(&freeze);
    assert_eq!(stdout(&freeze), expected);
    let pip = ctx.pip(&["freeze"]);
    assert_success(&pip);
    assert!(stdout(&pip).contains(&expected), "{}", stdout(&pip));

    // A new tag: the same checkout is fetched and moved to it.
    fs_err::write(
        project.dir.join("src/edit_git/__init__.py"),
        "VERSION = '2.0'\n",
    )
    .unwrap();
    git(&project.dir, &["commit", "-q", "-am", "two"]);
    git(&project.dir, &["tag", "v2.0"]);
    fs_err::write(
        &requirements,
        format!("-e git+{repository}@v2.0#egg=edit-git\n"),
    )
    .unwrap();
    let output = volley_in(
        &ctx,
        ctx.root(),
        &[
            "install",
            "--python",
            &venv,
            "--no-index",
            "-r",
            "requirements.txt",
        ],
    );
    assert_success(&output);
    assert_eq!(
        import(&ctx, "import edit_git; print(edit_git.VERSION)"),
        "2.0"
    );
}

/// `--src` puts the checkout elsewhere; a subdirectory project is frozen with
/// `&subdirectory=`, and an editable inside a checkout without a remote gets pip's comment.
#[test]
fn editable_git_checkout_in_src_with_a_subdirectory() {
    let ctx = TestContext::new();
    let repo = ctx.root().join("mono");
    let project = Project::new(&ctx, "inner", "1.0", serde_json::json!({}));
    fs_err::create_dir_all(&repo).unwrap();
    fs_err::rename(&project.dir, repo.join("inner")).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "one"]);
    let repository = file_url(&repo);
    let venv = venv_arg(&ctx);
    let requirement = format!("git+{repository}#egg=inner&subdirectory=inner");
    let output = volley_in(
        &ctx,
        ctx.root(),
        &[
            "install",
            "--python",
            &venv,
            "--no-index",
            "--src",
            "checkouts",
            "-e",
            &requirement,
        ],
    );
    assert_success(&output);
    let checkout = ctx.root().join("checkouts").join("inner");
    assert!(checkout.join("inner/pyproject.toml").is_file());
    assert_eq!(import(&ctx, "import inner; print(inner.VERSION)"), "1.0");
    let freeze = stdout(&volley(&ctx, &["freeze", "--python", &venv]));
    assert!(
        freeze.starts_with(&format!("-e git+{repository}@"))
            && freeze.ends_with("#egg=inner&subdirectory=inner\n"),
        "{freeze}"
    );
    assert_eq!(stdout(&ctx.pip(&["freeze"])), freeze);

    // The original repository has no remote: pip's comment, then the directory.
    let output = volley_in(
        &ctx,
        ctx.root(),
        &[
            "install",
            "--python",
            &venv,
            "--no-index",
            "-e",
            "./mono/inner",
        ],
    );
    assert_success(&output);
    let freeze = stdout(&volley(&ctx, &["freeze", "--python", &venv]));
    let inner = std::path::absolute(repo.join("inner")).unwrap();
    assert_eq!(
        freeze,
        format!(
            "# Editable Git install with no remote (inner==1.0)\n-e {}\n",
            inner.display()
        )
    );
    assert_eq!(stdout(&ctx.pip(&["freeze"])), freeze);
}
