//! The platform a resolution is for when it is not the interpreter's: pip's `--platform`,
//! `--python-version`, `--implementation` and `--abi` (`volley download`).
//!
//! [`TargetFlags::from_args`] validates the flags; [`TargetFlags::platform`] turns them, with the
//! interpreter's facts for what they leave out, into the tags and markers to resolve with
//! ([`TargetPlatform`]), exactly as pip's `TargetPython.get_tags()` does:
//! - platforms are expanded as pip's `_expand_allowed_platforms`: `manylinux2014_<arch>` also
//!   accepts `manylinux2010` and `manylinux1` (x86 only), `manylinux2010` accepts `manylinux1`,
//!   and `macosx_<major>_<minor>_<arch>` every older macOS release `packaging` allows; nothing
//!   else (so `manylinux2014_x86_64` does *not* accept `manylinux_2_17_x86_64`-only wheels,
//!   as in pip);
//! - tags are `cpython_tags` for `--implementation cp` (the default for CPython), else
//!   `generic_tags`, then `compatible_tags`, each with the platforms in the inner loop;
//! - `--abi` values replace the interpreter's ABI (`abi3` and `none` keep their own places).
//!
//! The tag lists come from `volley_packaging::Tags::from_input`, built once for a placeholder
//! platform (and ABI) which is then replaced by every given platform (and ABI) in place, so the
//! order is packaging's.
//!
//! Markers: pip evaluates markers against the interpreter that runs it whatever these flags say
//! (pypa/pip#11198); volley adjusts `python_version` and `python_full_version` to
//! `--python-version`, so that the dependencies are those of the target Python.
//!
//! pip refuses these flags unless nothing can be built for the wrong platform: `--no-deps`, or
//! `--only-binary :all:` with no `--no-binary` ([`TargetFlags::check_dist_restriction`]).

use anyhow::{Context, Result, bail};
use volley_packaging::{Arch, MarkerEnvironment, Platform, Tag, Tags, TagsInput, Version};
use volley_python::Interpreter;
use volley_resolver::NameSet;

use crate::cli::TargetArgs;

/// Stands for "every platform given" in the template tag list.
const PLATFORM_PLACEHOLDER: &str = "volley_target_platform";
/// Stands for "every ABI given" in the template tag list.
const ABI_PLACEHOLDER: &str = "volley_target_abi";

/// The tags and markers a resolution is for, and the Python version for `Requires-Python`.
#[derive(Debug, Clone)]
pub struct TargetPlatform {
    pub tags: Tags,
    pub markers: MarkerEnvironment,
    pub python_version: Version,
}

impl TargetPlatform {
    /// The interpreter's own platform.
    pub fn of(interpreter: &Interpreter) -> Result<Self> {
        let python_version: Version =
            interpreter.python_full_version.parse().with_context(|| {
                format!(
                    "the interpreter reported an invalid version \"{}\"",
                    interpreter.python_full_version
                )
            })?;
        Ok(Self {
            tags: interpreter.tags.clone(),
            markers: interpreter.markers.clone(),
            python_version,
        })
    }
}

/// pip's target-platform flags, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetFlags {
    platforms: Vec<String>,
    /// `(major, minor, micro)` from `--python-version`.
    python_version: Option<(u8, u8, Option<u8>)>,
    implementation: Option<String>,
    abis: Vec<String>,
}

impl TargetFlags {
    /// The flags, or `None` when none is given.
    pub fn from_args(args: &TargetArgs) -> Result<Option<Self>> {
        let python_version = match args.python_version.as_deref() {
            None | Some("") => None,
            Some(text) => Some(parse_python_version(text)?),
        };
        let flags = Self {
            platforms: args.platform.clone(),
            python_version,
            implementation: args
                .implementation
                .clone()
                .filter(|value| !value.is_empty()),
            abis: args.abi.clone(),
        };
        let empty = flags.platforms.is_empty()
            && flags.python_version.is_none()
            && flags.implementation.is_none()
            && flags.abis.is_empty();
        Ok((!empty).then_some(flags))
    }

    /// pip's `check_dist_restriction`: files for another platform may not include anything to
    /// build, so `--no-deps`, or `--only-binary :all:` without `--no-binary`, is required.
    pub fn check_dist_restriction(
        only_binary: &NameSet,
        no_binary: &NameSet,
        no_deps: bool,
    ) -> Result<()> {
        let binary_only = *only_binary == NameSet::All && *no_binary == NameSet::default();
        if !binary_only && !no_deps {
            bail!(
                "when restricting platform and interpreter constraints using --python-version, \
                 --platform, --abi, or --implementation, either --no-deps must be set, or \
                 --only-binary=:all: must be set and --no-binary must not be set (or must be \
                 set to :none:)"
            );
        }
        Ok(())
    }

    /// The tags and markers for these flags; what they leave out is the interpreter's.
    pub fn platform(&self, interpreter: &Interpreter) -> Result<TargetPlatform> {
        let tags = self.tags(interpreter)?;
        let mut markers = interpreter.markers.clone();
        let mut python_version: Version =
            interpreter.python_full_version.parse().with_context(|| {
                format!(
                    "the interpreter reported an invalid version \"{}\"",
                    interpreter.python_full_version
                )
            })?;
        if let Some((major, minor, micro)) = self.python_version {
            let (major, minor) = (u64::from(major), u64::from(minor));
            let full = Version::new([major, minor, micro.map_or(0, u64::from)]);
            markers = markers
                .with_python_version(Version::new([major, minor]))
                .with_python_full_version(full.clone());
            python_version = full;
        }
        Ok(TargetPlatform {
            tags,
            markers,
            python_version,
        })
    }

    fn tags(&self, interpreter: &Interpreter) -> Result<Tags> {
        let version = self
            .python_version
            .map_or(interpreter.python_minor_version(), |(major, minor, _)| {
                (major, minor)
            });
        let implementation = self
            .implementation
            .clone()
            .unwrap_or_else(|| interpreter.implementation_name.clone());
        let own_implementation = self.implementation.is_none()
            || short_implementation(&implementation)
                == short_implementation(&interpreter.implementation_name);
        // The interpreter's ABI applies only to itself: another version or implementation
        // gets packaging's default for it (`cpXY` for CPython, `none` only for others).
        let own_interpreter = own_implementation && self.python_version.is_none();
        let (abi_tag, gil_disabled) = if !self.abis.is_empty() {
            (Some(ABI_PLACEHOLDER.to_string()), false)
        } else if own_interpreter {
            (interpreter.abi_tag.clone(), interpreter.gil_disabled)
        } else {
            (None, false)
        };
        let platform = if self.platforms.is_empty() {
            interpreter.platform.clone()
        } else {
            Platform::Other(PLATFORM_PLACEHOLDER.to_string())
        };
        let input = TagsInput {
            implementation_name: implementation.clone(),
            python_version: version,
            abi_tag,
            gil_disabled,
            platform,
        };
        let template = Tags::from_input(&input)
            .with_context(|| format!("invalid --implementation \"{implementation}\""))?;
        let platforms = expand_platforms(&self.platforms, version);
        let is_cpython = short_implementation(&implementation) == "cp";
        let abis: Vec<&str> = self
            .abis
            .iter()
            .map(String::as_str)
            // cpython_tags places `abi3` and `none` itself.
            .filter(|abi| !is_cpython || !matches!(*abi, "abi3" | "none"))
            .collect();
        let mut tags = Vec::with_capacity(template.len() * platforms.len().max(1));
        for tag in template.iter() {
            let abis: Vec<&str> = if tag.abi == ABI_PLACEHOLDER {
                abis.clone()
            } else {
                vec![tag.abi.as_str()]
            };
            for abi in abis {
                if tag.platform == PLATFORM_PLACEHOLDER {
                    tags.extend(platforms.iter().map(|platform| Tag {
                        python: tag.python.clone(),
                        abi: abi.to_string(),
                        platform: platform.clone(),
                    }));
                } else {
                    tags.push(Tag {
                        python: tag.python.clone(),
                        abi: abi.to_string(),
                        platform: tag.platform.clone(),
                    });
                }
            }
        }
        // A tag two sections produce (`py3-none-any` with `--platform any`) keeps its first
        // place.
        let mut seen = std::collections::HashSet::new();
        tags.retain(|tag| seen.insert(tag.clone()));
        Ok(Tags::new(tags))
    }
}

/// pip's `--python-version`: `3`, `37`, `3.7` or `3.7.3`. volley needs the minor version.
fn parse_python_version(text: &str) -> Result<(u8, u8, Option<u8>)> {
    let invalid = |reason: &str| anyhow::anyhow!("invalid --python-version \"{text}\": {reason}");
    let mut parts: Vec<&str> = text.split('.').collect();
    if parts.len() > 3 {
        return Err(invalid("at most three version parts are allowed"));
    }
    if parts.len() == 1 && parts[0].len() > 1 {
        // `37` is 3.7, `312` is 3.12.
        parts = vec![&text[..1], &text[1..]];
    }
    let numbers = parts
        .iter()
        .map(|part| part.parse::<u8>())
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| invalid("each version part must be an integer"))?;
    match numbers.as_slice() {
        [major, minor] => Ok((*major, *minor, None)),
        [major, minor, micro] => Ok((*major, *minor, Some(*micro))),
        _ => Err(invalid(
            "give at least the major and minor version, e.g. 3.12",
        )),
    }
}

/// The short form of an implementation name: `cp`, `pp`, ... (`--implementation` takes these).
fn short_implementation(name: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "cpython" => "cp".to_string(),
        "pypy" => "pp".to_string(),
        "ironpython" => "ip".to_string(),
        "jython" => "jy".to_string(),
        "python" => "py".to_string(),
        other => other.to_string(),
    }
}

/// pip's `_expand_allowed_platforms`: each platform with the ones it implies, first seen first.
fn expand_platforms(platforms: &[String], python_version: (u8, u8)) -> Vec<String> {
    let mut result: Vec<String> = Vec::new();
    for platform in platforms {
        for expanded in custom_platforms(platform, python_version) {
            if !result.contains(&expanded) {
                result.push(expanded);
            }
        }
    }
    result
}

/// pip's `_get_custom_platforms`.
fn custom_platforms(platform: &str, python_version: (u8, u8)) -> Vec<String> {
    let (prefix, suffix) = platform.split_once('_').unwrap_or((platform, ""));
    if platform.starts_with("macosx") {
        return mac_platforms(platform, python_version);
    }
    let mut platforms = vec![platform.to_string()];
    match prefix {
        "manylinux2014" if matches!(suffix, "i686" | "x86_64") => {
            platforms.push(format!("manylinux2010_{suffix}"));
            platforms.push(format!("manylinux1_{suffix}"));
        }
        "manylinux2010" => platforms.push(format!("manylinux1_{suffix}")),
        _ => {}
    }
    platforms
}

/// pip's `_mac_platforms`: `macosx_11_0_arm64` and every release `packaging` says it runs,
/// keeping the prefix as written (`macosxcustom_...` stays).
fn mac_platforms(platform: &str, python_version: (u8, u8)) -> Vec<String> {
    // `(.+)_(\d+)_(\d+)_(.+)`: the name may itself contain `_`, the architecture too.
    let parts: Vec<&str> = platform.split('_').collect();
    let found = (1..parts.len().saturating_sub(2)).find_map(|at| {
        let major = parts[at].parse::<u16>().ok()?;
        let minor = parts[at + 1].parse::<u16>().ok()?;
        let parts_are_digits = [parts[at], parts[at + 1]]
            .iter()
            .all(|part| part.bytes().all(|byte| byte.is_ascii_digit()));
        parts_are_digits.then(|| {
            (
                parts[..at].join("_"),
                major,
                minor,
                parts[at + 2..].join("_"),
            )
        })
    });
    let Some((name, major, minor, arch)) = found else {
        return vec![platform.to_string()];
    };
    let arch = match arch.as_str() {
        "arm64" => Arch::Aarch64,
        "i386" => Arch::I686,
        "x86_64" => Arch::X86_64,
        other => Arch::Other(other.to_string()),
    };
    // The macOS platforms are those of any interpreter on that macOS: read them off the
    // first (interpreter, ABI) run of its tags.
    let input = TagsInput {
        implementation_name: "cpython".to_string(),
        python_version,
        abi_tag: None,
        gil_disabled: false,
        platform: Platform::MacOs { major, minor, arch },
    };
    let Ok(tags) = Tags::from_input(&input) else {
        return vec![platform.to_string()];
    };
    let mut tags = tags.iter();
    let Some(first) = tags.next() else {
        return vec![platform.to_string()];
    };
    std::iter::once(first)
        .chain(tags.take_while(|tag| tag.python == first.python && tag.abi == first.abi))
        .map(|tag| {
            let release = tag
                .platform
                .strip_prefix("macosx_")
                .unwrap_or(&tag.platform);
            format!("{name}_{release}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn python_versions_parse_as_pip_parses_them() {
        assert_eq!(parse_python_version("3.12").unwrap(), (3, 12, None));
        assert_eq!(parse_python_version("312").unwrap(), (3, 12, None));
        assert_eq!(parse_python_version("37").unwrap(), (3, 7, None));
        assert_eq!(parse_python_version("3.7.3").unwrap(), (3, 7, Some(3)));
        let errors: Vec<String> = ["3", "3.x", "3.1.2.4"]
            .iter()
            .map(|text| parse_python_version(text).unwrap_err().to_string())
            .collect();
        insta::assert_snapshot!(errors.join("\n"), @r#"
        invalid --python-version "3": give at least the major and minor version, e.g. 3.12
        invalid --python-version "3.x": each version part must be an integer
        invalid --python-version "3.1.2.4": at most three version parts are allowed
        "#);
    }

    #[test]
    fn platforms_expand_as_pip_expands_them() {
        let platforms = |values: &[&str]| {
            expand_platforms(
                &values.iter().map(ToString::to_string).collect::<Vec<_>>(),
                (3, 12),
            )
        };
        assert_eq!(
            platforms(&[
                "manylinux2014_x86_64",
                "manylinux2010_x86_64",
                "linux_x86_64"
            ]),
            [
                "manylinux2014_x86_64",
                "manylinux2010_x86_64",
                "manylinux1_x86_64",
                "linux_x86_64"
            ]
        );
        assert_eq!(
            platforms(&["manylinux2014_aarch64"]),
            ["manylinux2014_aarch64"]
        );
        let mac = platforms(&["macosx_11_0_arm64"]);
        assert_eq!(mac[..2], ["macosx_11_0_arm64", "macosx_11_0_universal2"]);
        assert!(
            mac.contains(&"macosx_10_9_universal2".to_string()),
            "{mac:?}"
        );
        assert_eq!(platforms(&["macosx_x"]), ["macosx_x"]);
    }

    /// The tags pip's `get_supported` gives for these flags, run by the machine's `python3`,
    /// and the interpreter it runs.
    fn pip_tags(flags: &TargetArgs) -> (Vec<String>, Interpreter) {
        let version = flags
            .python_version
            .as_ref()
            .map(|version| version.replace('.', ""));
        let code = format!(
            "import sys\n\
             from pip._internal.utils.compatibility_tags import get_supported\n\
             print(sys.executable)\n\
             for tag in get_supported(version={version:?}, platforms={platforms:?} or None, \
             impl={implementation:?}, abis={abis:?} or None): print(tag)",
            version = version.unwrap_or_default(),
            platforms = flags.platform,
            implementation = flags.implementation.clone().unwrap_or_default(),
            abis = flags.abi,
        )
        .replace("version=\"\"", "version=None")
        .replace("impl=\"\"", "impl=None");
        let output = std::process::Command::new("python3")
            .args(["-I", "-c", &code])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8(output.stdout).unwrap();
        let mut lines = stdout.lines();
        let executable = PathBuf::from(lines.next().unwrap());
        let interpreter = Interpreter::query(&executable, None).unwrap();
        (lines.map(ToString::to_string).collect(), interpreter)
    }

    /// (Not compared: x86_64 macOS, where volley-packaging follows a newer `packaging` than
    /// pip 23.2's vendored 21.3, `fat3` against `fat32`.)
    #[test]
    fn tags_are_pips() {
        let args = |platforms: &[&str],
                    version: Option<&str>,
                    implementation: Option<&str>,
                    abis: &[&str]| TargetArgs {
            platform: platforms.iter().map(ToString::to_string).collect(),
            python_version: version.map(ToString::to_string),
            implementation: implementation.map(ToString::to_string),
            abi: abis.iter().map(ToString::to_string).collect(),
        };
        for flags in [
            args(&["manylinux2014_x86_64"], Some("3.12"), None, &[]),
            args(
                &["manylinux2014_x86_64", "linux_x86_64"],
                Some("3.10"),
                Some("cp"),
                &["cp310", "abi3"],
            ),
            args(
                &["manylinux2010_i686"],
                Some("3.9"),
                Some("pp"),
                &["pypy39_pp73"],
            ),
            args(&["win_amd64"], None, None, &[]),
            args(&["any"], Some("3.8"), None, &["none"]),
            args(&["macosx_11_0_arm64"], Some("3.12"), None, &[]),
        ] {
            let (expected, interpreter) = pip_tags(&flags);
            let target = TargetFlags::from_args(&flags).unwrap().unwrap();
            let actual: Vec<String> = target
                .platform(&interpreter)
                .unwrap()
                .tags
                .iter()
                .map(ToString::to_string)
                .collect();
            // pip lists a tag twice when two sections produce it; the first place counts.
            let mut seen = std::collections::HashSet::new();
            let expected: Vec<String> = expected
                .into_iter()
                .filter(|tag| seen.insert(tag.clone()))
                .collect();
            assert_eq!(actual, expected, "{flags:?}");
        }
    }

    #[test]
    fn only_binary_or_no_deps_is_required() {
        let names = NameSet::Names(["demo".parse().unwrap()].into_iter().collect());
        assert!(
            TargetFlags::check_dist_restriction(&NameSet::All, &NameSet::default(), false).is_ok()
        );
        assert!(
            TargetFlags::check_dist_restriction(&NameSet::default(), &NameSet::default(), true)
                .is_ok()
        );
        assert!(TargetFlags::check_dist_restriction(&NameSet::All, &names, false).is_err());
        let error = TargetFlags::check_dist_restriction(&names, &NameSet::default(), false)
            .unwrap_err()
            .to_string();
        insta::assert_snapshot!(error, @"when restricting platform and interpreter constraints using --python-version, --platform, --abi, or --implementation, either --no-deps must be set, or --only-binary=:all: must be set and --no-binary must not be set (or must be set to :none:)");
    }
}
