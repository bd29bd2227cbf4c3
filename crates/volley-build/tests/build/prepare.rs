//! [`prepare`] end to end: sdists, trees, editables, URLs, wheels and git repositories, with
//! the in-tree backend writing its logs outside the trees (`log_dir`), so that counting its
//! hook calls tells whether a build ran; and `direct_url.json` compared with what the
//! machine's pip writes for the same sources.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use url::Url;
use volley_build::{
    BuildCache, DirectSource, Downloaded, Git, PrepareContext, PreparedSource, ResolvedSource,
    parse_direct, parse_editable, prepare,
};
use volley_cache::Cache;
use volley_test_support::WheelBuilder;

use super::*;

/// One test's world: a context, the backend's log directory, and a prepare context.
struct World {
    context: TestContext,
    logs: PathBuf,
}

impl World {
    fn new() -> Self {
        let context = TestContext::new();
        let logs = context.root().join("logs");
        fs_err::create_dir_all(&logs).unwrap();
        Self { context, logs }
    }

    fn root(&self) -> &Path {
        self.context.root()
    }

    /// The in-tree backend's configuration for `name-version`, logging into `logs`.
    fn config(&self, name: &str, version: &str) -> Value {
        json!({
            "name": name,
            "version": version,
            "dependencies": ["idna>=3"],
            "log_dir": self.logs.to_string_lossy(),
        })
    }

    /// A project using the in-tree backend at `dir`.
    fn project(&self, dir: &Path, config: &Value) {
        write(&dir.join("backend.json"), &config.to_string());
        write(&dir.join("_backend/mybackend.py"), BACKEND);
        let module = config["name"].as_str().unwrap().replace('-', "_");
        write(
            &dir.join(format!("src/{module}/__init__.py")),
            "VALUE = 'one'\n",
        );
        write(
            &dir.join("pyproject.toml"),
            "[build-system]\nrequires = []\nbuild-backend = \"mybackend\"\nbackend-path = [\"_backend\"]\n",
        );
    }

    /// An sdist of the in-tree backend project in `<root>/dist`.
    fn sdist(&self, name: &str, version: &str) -> PathBuf {
        let config = self.config(name, version);
        let module = name.replace('-', "_");
        let sdist = SdistBuilder::new(name, version)
            .file(
                "pyproject.toml",
                "[build-system]\nrequires = []\nbuild-backend = \"mybackend\"\nbackend-path = [\"_backend\"]\n",
            )
            .file("_backend/mybackend.py", BACKEND)
            .file("backend.json", config.to_string())
            .file(&format!("src/{module}/__init__.py"), "VALUE = 'sdist'\n")
            .build();
        let dist = self.root().join("dist");
        fs_err::create_dir_all(&dist).unwrap();
        sdist.write_to(&dist)
    }

    fn prepare_context(&self, need_wheel: bool) -> PrepareContext {
        self.prepare_context_with(need_wheel, |url, _| {
            Err(format!("no network in tests ({url})"))
        })
    }

    fn prepare_context_with(
        &self,
        need_wheel: bool,
        download: impl Fn(&Url, Option<&volley_packaging::HashDigest>) -> Result<Downloaded, String>
        + Send
        + Sync
        + 'static,
    ) -> PrepareContext {
        let cache = Cache::from_path(self.context.cache_dir()).unwrap();
        let options = options();
        PrepareContext {
            builder: SourceBuilder::new(
                base_python(),
                self.context.cache_dir().join("scratch"),
                Arc::new(TestInstaller::default()),
                options.clone(),
            ),
            build_cache: BuildCache::new(cache.clone(), "test-interpreter", &options),
            git: Git::new("git", cache),
            download: Arc::new(download),
            need_wheel,
        }
    }

    /// Prepares `source` into a new output directory.
    fn prepare(&self, source: &DirectSource, need_wheel: bool) -> PreparedSource {
        let out = tempfile::tempdir_in(self.root()).unwrap().keep();
        prepare(source, &self.prepare_context(need_wheel), &out).unwrap()
    }

    /// How many times the backend's `hook` ran, in any project of this world.
    fn runs(&self, hook: &str) -> usize {
        fs_err::read_to_string(self.logs.join("hooks.log"))
            .unwrap_or_default()
            .lines()
            .filter(|line| line.split(' ').next() == Some(hook))
            .count()
    }

    fn builds_dir(&self) -> PathBuf {
        self.context.cache_dir().join("builds-v1")
    }
}

/// A git repository made by the test, with no git configuration read.
struct Repository {
    path: PathBuf,
}

impl Repository {
    fn new(path: PathBuf) -> Self {
        fs_err::create_dir_all(&path).unwrap();
        let repository = Self { path };
        repository.git(&["init", "--quiet", "--initial-branch=main"]);
        repository
    }

    fn git(&self, args: &[&str]) -> String {
        let mut command = Command::new("git");
        for name in [
            "GIT_DIR",
            "GIT_WORK_TREE",
            "GIT_INDEX_FILE",
            "GIT_OBJECT_DIRECTORY",
        ] {
            command.env_remove(name);
        }
        let output = command
            .current_dir(&self.path)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
            .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    }

    fn commit_all(&self, message: &str) -> String {
        self.git(&["add", "--all"]);
        self.git(&["commit", "--quiet", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }
}

fn sha256_hex(path: &Path) -> String {
    hex::encode(Sha256::digest(fs_err::read(path).unwrap()))
}

#[test]
fn an_sdist_is_built_once_then_comes_from_the_build_cache() {
    let world = World::new();
    let archive = world.sdist("demo", "1.0");
    let source = parse_direct("dist/demo-1.0.tar.gz", world.root())
        .unwrap()
        .source;

    let first = world.prepare(&source, true);
    let wheel = first.wheel.clone().unwrap();
    assert!(
        wheel.starts_with(
            world
                .builds_dir()
                .join("archive")
                .join(sha256_hex(&archive))
        )
    );
    assert!(wheel.ends_with("demo-1.0-py3-none-any.whl"));
    assert_eq!(requires_dist(&first.metadata), ["idna>=3"]);
    assert!(first.tree.as_ref().unwrap().join("backend.json").is_file());
    assert_eq!(
        first.resolved,
        ResolvedSource::Archive {
            sha256: sha256_hex(&archive)
        }
    );
    assert_eq!(world.runs("build_wheel"), 1);

    // A second install builds nothing and does not even unpack the sdist.
    let second = world.prepare(&source, true);
    assert_eq!(second.wheel, Some(wheel));
    assert_eq!(second.metadata, first.metadata);
    assert_eq!(second.tree, None);
    assert_eq!(second.direct_url, first.direct_url);
    assert_eq!(world.runs("build_wheel"), 1);

    // Resolving needs no hook either: the built wheel has the metadata.
    let metadata_only = world.prepare(&source, false);
    assert_eq!(metadata_only.metadata, first.metadata);
    assert_eq!(world.runs("prepare_metadata_for_build_wheel"), 0);
}

#[test]
fn sdist_metadata_is_prepared_once_and_the_wheel_built_only_when_needed() {
    let world = World::new();
    world.sdist("demo", "2.0");
    let source = parse_direct("./dist/demo-2.0.tar.gz", world.root())
        .unwrap()
        .source;
    let first = world.prepare(&source, false);
    assert_eq!(first.wheel, None);
    assert_eq!(first.metadata.version.to_string(), "2.0");
    assert_eq!(world.runs("prepare_metadata_for_build_wheel"), 1);
    assert_eq!(world.runs("build_wheel"), 0);

    let second = world.prepare(&source, false);
    assert_eq!(second.metadata, first.metadata);
    assert_eq!(world.runs("prepare_metadata_for_build_wheel"), 1);

    let installing = world.prepare(&source, true);
    assert!(installing.wheel.is_some());
    assert_eq!(world.runs("build_wheel"), 1);
}

#[test]
fn a_local_tree_is_rebuilt_after_a_change_and_not_before() {
    let world = World::new();
    let dir = world.root().join("project");
    world.project(&dir, &world.config("demo", "1.0"));
    let source = parse_direct("./project", world.root()).unwrap().source;

    let first = world.prepare(&source, true);
    assert_eq!(first.tree.as_deref(), Some(dir.as_path()));
    assert_eq!(first.resolved, ResolvedSource::Directory);
    let wheel = first.wheel.unwrap();
    assert_eq!(wheel_member(&wheel, "demo/__init__.py"), "VALUE = 'one'\n");
    assert_eq!(world.runs("build_wheel"), 1);

    let unchanged = world.prepare(&source, true);
    assert_eq!(unchanged.wheel.as_ref(), Some(&wheel));
    assert_eq!(world.runs("build_wheel"), 1);

    write(&dir.join("src/demo/__init__.py"), "VALUE = 'two'\n");
    let changed = world.prepare(&source, true);
    assert_eq!(world.runs("build_wheel"), 2);
    let new_wheel = changed.wheel.unwrap();
    assert_eq!(
        wheel_member(&new_wheel, "demo/__init__.py"),
        "VALUE = 'two'\n"
    );
    // The build of the old tree is gone from the cache.
    assert!(!wheel.exists());
}

#[test]
fn static_metadata_of_a_tree_runs_no_hook() {
    let world = World::new();
    let dir = world.root().join("project");
    world.project(&dir, &world.config("demo", "1.0"));
    let pyproject = dir.join("pyproject.toml");
    let text = fs_err::read_to_string(&pyproject).unwrap();
    write(
        &pyproject,
        &format!(
            "{text}[project]\nname = \"demo\"\nversion = \"1.0\"\ndependencies = [\"idna>=3\"]\n"
        ),
    );
    let prepared = world.prepare(
        &parse_direct("./project", world.root()).unwrap().source,
        false,
    );
    assert_eq!(requires_dist(&prepared.metadata), ["idna>=3"]);
    assert_eq!(prepared.wheel, None);
    assert!(!world.logs.join("hooks.log").exists());
}

#[test]
fn editable_wheels_are_never_cached() {
    let world = World::new();
    let dir = world.root().join("project");
    world.project(&dir, &world.config("demo", "1.0"));
    let source = parse_editable("./project", world.root()).unwrap().source;

    let first = world.prepare(&source, true);
    let second = world.prepare(&source, true);
    assert_eq!(world.runs("build_editable"), 2);
    assert_ne!(first.wheel, second.wheel);
    let wheel = first.wheel.unwrap();
    assert!(wheel.starts_with(world.root()), "{}", wheel.display());
    assert_eq!(
        wheel_member(&wheel, "_demo_editable.pth").trim(),
        fs_err::canonicalize(&dir)
            .unwrap()
            .join("src")
            .to_string_lossy()
    );
    assert_eq!(
        first.direct_url,
        format!(
            r#"{{"dir_info": {{"editable": true}}, "url": "file://{}"}}"#,
            dir.display()
        )
    );
    assert!(!world.builds_dir().join("path").exists());
}

#[test]
fn url_sources_go_through_the_downloader_and_their_hash_is_checked() {
    let world = World::new();
    let archive = world.sdist("demo", "1.0");
    let sha256 = sha256_hex(&archive);
    let served = archive.clone();
    let requested = Arc::new(Mutex::new(Vec::new()));
    let log = requested.clone();
    let context = world.prepare_context_with(true, move |url, hash| {
        log.lock()
            .unwrap()
            .push((url.to_string(), hash.map(ToString::to_string)));
        if url.path().ends_with("/missing-1.0.tar.gz") {
            return Err("404 Not Found".to_string());
        }
        Ok(Downloaded {
            path: served.clone(),
            sha256: sha256_hex(&served),
        })
    });
    let out = world.root().join("out");

    let reference = format!("demo @ https://files.example/demo-1.0.tar.gz#sha256={sha256}");
    let source = parse_direct(&reference, world.root()).unwrap().source;
    let prepared = prepare(&source, &context, &out).unwrap();
    assert_eq!(
        prepared.direct_url,
        format!(
            r#"{{"archive_info": {{"hash": "sha256={sha256}", "hashes": {{"sha256": "{sha256}"}}}}, "url": "https://files.example/demo-1.0.tar.gz"}}"#
        )
    );
    assert!(prepared.wheel.is_some());
    assert_eq!(
        *requested.lock().unwrap(),
        [(
            "https://files.example/demo-1.0.tar.gz".to_string(),
            Some(format!("sha256:{sha256}"))
        )]
    );

    let wrong = format!(
        "https://files.example/demo-1.0.tar.gz#sha256={}",
        "0".repeat(64)
    );
    let source = parse_direct(&wrong, world.root()).unwrap().source;
    let error = prepare(&source, &context, &out).unwrap_err().to_string();
    assert_eq!(
        error,
        format!(
            "hash mismatch for https://files.example/demo-1.0.tar.gz: expected sha256:{}, got sha256:{sha256}",
            "0".repeat(64)
        )
    );

    let missing = "https://user:secret@files.example/missing-1.0.tar.gz";
    let source = parse_direct(missing, world.root()).unwrap().source;
    let error = prepare(&source, &context, &out).unwrap_err();
    insta::assert_snapshot!(error, @"downloading https://user:****@files.example/missing-1.0.tar.gz failed: 404 Not Found");

    // A local file's hash is checked before anything is unpacked.
    let local = format!("file://{}#sha256={}", archive.display(), "0".repeat(64));
    let source = parse_direct(&local, world.root()).unwrap().source;
    let error = prepare(&source, &context, &out).unwrap_err().to_string();
    assert!(error.starts_with("hash mismatch for "), "{error}");
}

#[test]
fn a_wheel_is_used_as_is() {
    let world = World::new();
    let wheel = WheelBuilder::new("Tool", "3.1")
        .requires_dist("idna")
        .file("tool/__init__.py", "")
        .build();
    let path = wheel.write_to(world.root());
    let source = parse_direct(&wheel.filename, world.root()).unwrap().source;
    assert!(source.is_wheel());
    let prepared = world.prepare(&source, true);
    assert_eq!(prepared.wheel, Some(path.clone()));
    assert_eq!(prepared.metadata.name.as_ref(), "tool");
    assert_eq!(requires_dist(&prepared.metadata), ["idna"]);
    assert_eq!(prepared.tree, None);
    assert_eq!(
        prepared.resolved,
        ResolvedSource::Archive {
            sha256: wheel.sha256.clone()
        }
    );
    assert!(!world.builds_dir().join("archive").exists());
}

#[test]
fn a_git_source_is_built_once_per_commit() {
    let world = World::new();
    let repository = Repository::new(world.root().join("repo"));
    world.project(
        &repository.path.join("python"),
        &world.config("demo", "1.0"),
    );
    let tagged = repository.commit_all("first");
    repository.git(&["tag", "v1.0"]);
    let reference = format!(
        "demo @ git+file://{}@v1.0#subdirectory=python",
        repository.path.display()
    );
    let requirement = parse_direct(&reference, world.root()).unwrap();
    let source = requirement.source;

    let first = world.prepare(&source, true);
    assert_eq!(
        first.resolved,
        ResolvedSource::Git {
            commit: tagged.clone()
        }
    );
    let tree = first.tree.clone().unwrap();
    assert!(
        tree.ends_with(format!("{tagged}/python")),
        "{}",
        tree.display()
    );
    assert_eq!(
        first.direct_url,
        format!(
            r#"{{"subdirectory": "python", "url": "file://{}", "vcs_info": {{"commit_id": "{tagged}", "requested_revision": "v1.0", "vcs": "git"}}}}"#,
            repository.path.display()
        )
    );
    assert_eq!(world.runs("build_wheel"), 1);

    let again = world.prepare(&source, true);
    assert_eq!(again.wheel, first.wheel);
    assert_eq!(world.runs("build_wheel"), 1);

    // A new commit on the branch is a new build.
    write(
        &repository.path.join("python/src/demo/__init__.py"),
        "VALUE = 'two'\n",
    );
    let second_commit = repository.commit_all("second");
    let branch = parse_direct(
        &format!(
            "git+file://{}@main#egg=demo&subdirectory=python",
            repository.path.display()
        ),
        world.root(),
    )
    .unwrap();
    assert_eq!(branch.name.unwrap().as_ref(), "demo");
    let moved = world.prepare(&branch.source, true);
    assert_eq!(
        moved.resolved,
        ResolvedSource::Git {
            commit: second_commit
        }
    );
    assert_eq!(world.runs("build_wheel"), 2);
    assert_eq!(
        wheel_member(&moved.wheel.unwrap(), "demo/__init__.py"),
        "VALUE = 'two'\n"
    );
}

/// Installs `reference` with the machine's pip into a new target directory and returns the
/// `direct_url.json` it wrote.
fn pip_direct_url(world: &World, reference: &[&str], target: &str) -> String {
    let target = world.root().join(target);
    let output = world
        .context
        .clean_command(&base_python())
        .args(["-m", "pip", "install", "--quiet", "--no-deps", "--no-index"])
        .args(["--no-cache-dir", "--disable-pip-version-check", "--target"])
        .arg(&target)
        .args(reference)
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "pip install {reference:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dist_info = fs_err::read_dir(&target)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.to_string_lossy().ends_with(".dist-info"))
        .unwrap();
    fs_err::read_to_string(dist_info.join("direct_url.json")).unwrap()
}

fn pip_available(world: &World) -> bool {
    let output = world
        .context
        .clean_command(&base_python())
        .args(["-m", "pip", "--version"])
        .output()
        .unwrap();
    if !output.status.success() {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("skipping: the machine's python3 has no pip");
        }
    }
    output.status.success()
}

#[test]
fn direct_url_json_is_what_pip_writes() {
    let world = World::new();
    if !pip_available(&world) {
        return;
    }
    world.project(&world.root().join("project"), &world.config("demo", "1.0"));
    let archive = world.sdist("packed", "1.0");
    WheelBuilder::new("wheeled", "1.0")
        .file("wheeled/__init__.py", "")
        .build()
        .write_to(world.root());
    let repository = Repository::new(world.root().join("repo"));
    world.project(&repository.path.join("sub"), &world.config("in-git", "1.0"));
    repository.commit_all("first");
    repository.git(&["tag", "v1.0"]);
    let repo = repository.path.display().to_string();
    let hashed = format!(
        "packed @ file://{}#sha256={}",
        archive.display(),
        sha256_hex(&archive)
    );

    // (what volley parses, what pip is given, editable). pip 23's packaging refuses
    // `name @ git+file:///...` (an empty host), so pip gets the `#egg=` spelling of it.
    let cases: Vec<(String, Vec<String>, bool)> = vec![
        (
            "./project".to_string(),
            vec!["./project".to_string()],
            false,
        ),
        (
            "./project".to_string(),
            vec!["-e".to_string(), "./project".to_string()],
            true,
        ),
        (
            "dist/packed-1.0.tar.gz".to_string(),
            vec!["dist/packed-1.0.tar.gz".to_string()],
            false,
        ),
        (hashed.clone(), vec![hashed], false),
        (
            "./wheeled-1.0-py3-none-any.whl".to_string(),
            vec!["./wheeled-1.0-py3-none-any.whl".to_string()],
            false,
        ),
        (
            format!("git+file://{repo}@v1.0#egg=in-git&subdirectory=sub"),
            vec![format!(
                "git+file://{repo}@v1.0#egg=in-git&subdirectory=sub"
            )],
            false,
        ),
        (
            format!("in-git @ git+file://{repo}#subdirectory=sub"),
            vec![format!("git+file://{repo}#egg=in-git&subdirectory=sub")],
            false,
        ),
    ];
    let mut ours = BTreeMap::new();
    let mut theirs = BTreeMap::new();
    for (index, (reference, arguments, editable)) in cases.iter().enumerate() {
        let source = if *editable {
            parse_editable(reference, world.root()).unwrap().source
        } else {
            parse_direct(reference, world.root()).unwrap().source
        };
        let prepared = world.prepare(&source, *editable);
        ours.insert(index, prepared.direct_url);
        let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
        theirs.insert(
            index,
            pip_direct_url(&world, &arguments, &format!("target-{index}")),
        );
    }
    assert_eq!(ours, theirs);
}
