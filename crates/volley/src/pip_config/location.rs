//! Which configuration files pip reads, and in which order (pip's `get_configuration_files` and
//! `Configuration.iter_config_files`, with platformdirs' XDG and macOS directories).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::option::expand_user;

/// The name of pip's configuration files on Unix.
const FILE_NAME: &str = "pip.conf";
/// `os.devnull`: `PIP_CONFIG_FILE` set to it disables every configuration file.
const DEV_NULL: &str = "/dev/null";

/// What decides which configuration files pip reads. The settings module fills it from the
/// process environment; empty variables count as unset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigEnv {
    /// `PIP_CONFIG_FILE`: read last; `/dev/null` disables every file; an existing file
    /// replaces the user files.
    pub pip_config_file: Option<PathBuf>,
    /// `XDG_CONFIG_HOME`, for the user file (default `~/.config`).
    pub xdg_config_home: Option<PathBuf>,
    /// `XDG_CONFIG_DIRS`, colon-separated, for the global files (default `/etc/xdg`).
    pub xdg_config_dirs: Option<OsString>,
    /// `HOME`, for the user files and `~` in paths.
    pub home: Option<PathBuf>,
    /// The prefix of the environment whose site file (`pip.conf` at its root) is read: pip uses
    /// `sys.prefix`, which is `$VIRTUAL_ENV` for an activated virtual environment.
    pub virtual_env: Option<PathBuf>,
}

/// pip's configuration files on this platform, lowest precedence first (see the module doc).
/// The list holds every file pip would try; [`load`](super::load) skips those that do not exist.
pub fn config_files(env: &ConfigEnv) -> Vec<PathBuf> {
    let layout = if cfg!(target_os = "macos") {
        Layout::MacOs
    } else {
        Layout::Xdg
    };
    config_files_for(env, layout)
}

/// Where global and user files live: pip follows the XDG directories everywhere but on macOS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Xdg,
    MacOs,
}

fn config_files_for(env: &ConfigEnv, layout: Layout) -> Vec<PathBuf> {
    let pip_config_file = env
        .pip_config_file
        .as_ref()
        .filter(|path| !path.as_os_str().is_empty());
    if pip_config_file.is_some_and(|path| path == Path::new(DEV_NULL)) {
        return Vec::new();
    }
    let home = env
        .home
        .as_deref()
        .filter(|home| !home.as_os_str().is_empty());

    let mut files = Vec::new();
    match layout {
        Layout::Xdg => {
            let dirs = env
                .xdg_config_dirs
                .as_ref()
                .filter(|dirs| !dirs.to_string_lossy().trim().is_empty())
                .cloned()
                .unwrap_or_else(|| OsString::from("/etc/xdg"));
            for dir in std::env::split_paths(&dirs) {
                if dir.as_os_str().is_empty() {
                    continue;
                }
                let dir = expand_user(&dir.to_string_lossy(), home);
                files.push(dir.join("pip").join(FILE_NAME));
            }
            files.push(Path::new("/etc").join(FILE_NAME));
        }
        Layout::MacOs => {
            files.push(Path::new("/Library/Application Support/pip").join(FILE_NAME));
        }
    }

    // pip reads the user files unless PIP_CONFIG_FILE names a file that exists.
    let user_replaced = pip_config_file.is_some_and(|path| path.exists());
    if !user_replaced {
        if let Some(home) = home {
            files.push(home.join(".pip").join(FILE_NAME));
        }
        let user_dir = match layout {
            Layout::Xdg => env
                .xdg_config_home
                .clone()
                .filter(|dir| !dir.to_string_lossy().trim().is_empty())
                .or_else(|| home.map(|home| home.join(".config"))),
            Layout::MacOs => home.map(|home| {
                let support = home.join("Library/Application Support/pip");
                if support.is_dir() {
                    home.join("Library/Application Support")
                } else {
                    home.join(".config")
                }
            }),
        };
        if let Some(user_dir) = user_dir {
            files.push(user_dir.join("pip").join(FILE_NAME));
        }
    }

    if let Some(prefix) = env
        .virtual_env
        .as_ref()
        .filter(|p| !p.as_os_str().is_empty())
    {
        files.push(prefix.join(FILE_NAME));
    }
    if let Some(file) = pip_config_file {
        files.push(file.clone());
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relative(files: &[PathBuf], root: &Path) -> Vec<String> {
        files
            .iter()
            .map(|file| match file.strip_prefix(root) {
                Ok(rest) => format!("[ROOT]/{}", rest.display()),
                Err(_) => file.display().to_string(),
            })
            .collect()
    }

    #[test]
    fn files_follow_pips_order() {
        let env = ConfigEnv {
            home: Some("/home/u".into()),
            virtual_env: Some("/work/.venv".into()),
            ..ConfigEnv::default()
        };
        insta::assert_debug_snapshot!(config_files_for(&env, Layout::Xdg), @r#"
        [
            "/etc/xdg/pip/pip.conf",
            "/etc/pip.conf",
            "/home/u/.pip/pip.conf",
            "/home/u/.config/pip/pip.conf",
            "/work/.venv/pip.conf",
        ]
        "#);
    }

    #[test]
    fn xdg_variables_move_global_and_user_files() {
        let env = ConfigEnv {
            home: Some("/home/u".into()),
            xdg_config_home: Some("/xdg/home".into()),
            xdg_config_dirs: Some("/xdg/one:~/two::/xdg/three".into()),
            ..ConfigEnv::default()
        };
        insta::assert_debug_snapshot!(config_files_for(&env, Layout::Xdg), @r#"
        [
            "/xdg/one/pip/pip.conf",
            "/home/u/two/pip/pip.conf",
            "/xdg/three/pip/pip.conf",
            "/etc/pip.conf",
            "/home/u/.pip/pip.conf",
            "/xdg/home/pip/pip.conf",
        ]
        "#);
        // Blank variables count as unset, as in platformdirs.
        let env = ConfigEnv {
            home: Some("/home/u".into()),
            xdg_config_home: Some(" ".into()),
            xdg_config_dirs: Some(" ".into()),
            ..ConfigEnv::default()
        };
        insta::assert_debug_snapshot!(config_files_for(&env, Layout::Xdg), @r#"
        [
            "/etc/xdg/pip/pip.conf",
            "/etc/pip.conf",
            "/home/u/.pip/pip.conf",
            "/home/u/.config/pip/pip.conf",
        ]
        "#);
    }

    #[test]
    fn pip_config_file_comes_last_and_replaces_user_files_when_it_exists() {
        let root = tempfile::tempdir().unwrap();
        let existing = root.path().join("custom.conf");
        fs_err::write(&existing, "[global]\n").unwrap();
        let env = ConfigEnv {
            pip_config_file: Some(existing.clone()),
            home: Some("/home/u".into()),
            virtual_env: Some("/work/.venv".into()),
            ..ConfigEnv::default()
        };
        insta::assert_debug_snapshot!(relative(&config_files_for(&env, Layout::Xdg), root.path()), @r#"
        [
            "/etc/xdg/pip/pip.conf",
            "/etc/pip.conf",
            "/work/.venv/pip.conf",
            "[ROOT]/custom.conf",
        ]
        "#);

        // A PIP_CONFIG_FILE that does not exist leaves the user files in place.
        let env = ConfigEnv {
            pip_config_file: Some(root.path().join("missing.conf")),
            ..env
        };
        insta::assert_debug_snapshot!(relative(&config_files_for(&env, Layout::Xdg), root.path()), @r#"
        [
            "/etc/xdg/pip/pip.conf",
            "/etc/pip.conf",
            "/home/u/.pip/pip.conf",
            "/home/u/.config/pip/pip.conf",
            "/work/.venv/pip.conf",
            "[ROOT]/missing.conf",
        ]
        "#);
    }

    #[test]
    fn pip_config_file_dev_null_disables_every_file() {
        let env = ConfigEnv {
            pip_config_file: Some("/dev/null".into()),
            home: Some("/home/u".into()),
            virtual_env: Some("/work/.venv".into()),
            ..ConfigEnv::default()
        };
        assert_eq!(config_files(&env), Vec::<PathBuf>::new());
        // An empty PIP_CONFIG_FILE is unset.
        let env = ConfigEnv {
            pip_config_file: Some("".into()),
            ..env
        };
        assert_eq!(config_files_for(&env, Layout::Xdg).len(), 5);
    }

    #[test]
    fn macos_layout() {
        let root = tempfile::tempdir().unwrap();
        let home = root.path().join("home");
        let env = ConfigEnv {
            home: Some(home.clone()),
            ..ConfigEnv::default()
        };
        insta::assert_debug_snapshot!(relative(&config_files_for(&env, Layout::MacOs), root.path()), @r#"
        [
            "/Library/Application Support/pip/pip.conf",
            "[ROOT]/home/.pip/pip.conf",
            "[ROOT]/home/.config/pip/pip.conf",
        ]
        "#);
        fs_err::create_dir_all(home.join("Library/Application Support/pip")).unwrap();
        insta::assert_debug_snapshot!(relative(&config_files_for(&env, Layout::MacOs), root.path()), @r#"
        [
            "/Library/Application Support/pip/pip.conf",
            "[ROOT]/home/.pip/pip.conf",
            "[ROOT]/home/Library/Application Support/pip/pip.conf",
        ]
        "#);
    }
}
