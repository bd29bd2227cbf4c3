//! PEP 425 compatibility tags (with PEP 600 manylinux, PEP 656 musllinux, macOS and Windows
//! platform tags), generated in priority order as `packaging.tags.sys_tags()` does.
//!
//! The reference is pip's `get_supported()` over its vendored `packaging.tags` (26.3):
//! `cpython_tags` (or `generic_tags` for other interpreters) followed by `compatible_tags`.
//! For CPython that is exactly `sys_tags()`. Order, best first:
//! 1. `cp311-cp311-<platform>` for every platform, then `cp311-abi3-<platform>`,
//!    `cp311-none-<platform>`, then `cp310-abi3-<platform>` ... `cp32-abi3-<platform>`;
//! 2. `py311-none-<platform>`, `py3-none-<platform>`, `py310-none-<platform>` ... `py30`;
//! 3. `cp311-none-any`, then `py311-none-any`, `py3-none-any`, `py310-none-any` ... `py30`.
//!
//! Platforms are ordered best first too. Traps:
//! - Linux: `linux_<arch>` comes *first* (packaging 26.3 changed this), then
//!   `manylinux_2_X_<arch>` from the interpreter's glibc down to 2.17 (2.5 on x86), with the
//!   legacy aliases `manylinux2014` (2.17), `manylinux2010` (2.12) and `manylinux1` (2.5)
//!   right after their PEP 600 twin, then `musllinux_1_X` when linked against musl;
//!   `armv8l` also accepts `armv7l`.
//! - Free-threaded CPython (`cp313t`) cannot load `abi3` extensions; it gets `abi3t` instead
//!   (PEP 803, packaging 26.1).
//! - macOS 11+ bumps the major version; x86_64 also accepts every 10.x release down to 10.4,
//!   arm64 only `universal2` builds for 10.x. Fat formats (`intel`, `fat64`, `fat3`,
//!   `universal`, `universal2`) follow each version's own architecture tag.
//! - PyPy: `pp310-pypy310_pp73-<platform>`, `pp310-none-<platform>`, then the compatible tags
//!   with `pp310-none-any` (pip uses the versioned interpreter there; `sys_tags()` itself uses
//!   `pp3-none-any`).

use std::collections::HashMap;
use std::fmt;

/// One `python-abi-platform` triple, e.g. `cp311-cp311-manylinux_2_17_x86_64`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag {
    pub python: String,
    pub abi: String,
    pub platform: String,
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.python, self.abi, self.platform)
    }
}

/// How well a tag fits: higher is better. Comparable only within one [`Tags`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TagPriority(pub u32);

/// CPU architecture as `platform.machine()` reports it, normalized.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    Aarch64,
    I686,
    Armv7l,
    Ppc64le,
    S390x,
    /// Anything else, as reported.
    Other(String),
}

/// The C library of a Linux interpreter.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Libc {
    /// glibc `major.minor`.
    Glibc { major: u16, minor: u16 },
    /// musl `major.minor`.
    Musl { major: u16, minor: u16 },
    /// Neither could be detected: only `linux_<arch>` tags apply.
    Unknown,
}

/// The platform an interpreter runs on, as far as wheel tags care.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Platform {
    Linux {
        arch: Arch,
        libc: Libc,
    },
    MacOs {
        major: u16,
        minor: u16,
        arch: Arch,
    },
    Windows {
        arch: Arch,
    },
    /// Any other platform: only its `sysconfig.get_platform()` string (normalized to a tag) applies.
    Other(String),
}

/// The facts about an interpreter that decide its tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagsInput {
    /// `sys.implementation.name`, e.g. `cpython`, `pypy`.
    pub implementation_name: String,
    /// `sys.version_info[:2]`.
    pub python_version: (u8, u8),
    /// The interpreter's own ABI tag when it can be computed (e.g. `cp311`, `cp313t`,
    /// `pypy310_pp73`); `None` falls back to what `packaging.tags` derives.
    pub abi_tag: Option<String>,
    /// Free-threaded CPython build (`Py_GIL_DISABLED`).
    pub gil_disabled: bool,
    pub platform: Platform,
}

/// The tags an interpreter supports, best first.
#[derive(Debug, Clone)]
pub struct Tags {
    tags: Vec<Tag>,
    priorities: HashMap<Tag, TagPriority>,
}

impl Tags {
    /// Tags in priority order, best first. A tag listed twice keeps its first (better) place.
    pub fn new(tags: Vec<Tag>) -> Self {
        let count = u32::try_from(tags.len()).unwrap_or(u32::MAX);
        let mut priorities = HashMap::with_capacity(tags.len());
        for (index, tag) in tags.iter().enumerate() {
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            priorities
                .entry(tag.clone())
                .or_insert(TagPriority(count.saturating_sub(index)));
        }
        Self { tags, priorities }
    }

    /// The tags `packaging.tags.sys_tags()` gives for such an interpreter, best first (for
    /// interpreters other than CPython, as pip's `get_supported()` gives them; see the module
    /// doc).
    pub fn from_input(input: &TagsInput) -> Result<Self, TagsError> {
        let implementation = input.implementation_name.to_ascii_lowercase();
        if implementation.is_empty()
            || !implementation
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(TagsError::UnknownImplementation(
                input.implementation_name.clone(),
            ));
        }
        let short_name = match implementation.as_str() {
            "python" => "py",
            "cpython" => "cp",
            "pypy" => "pp",
            "ironpython" => "ip",
            "jython" => "jy",
            other => other,
        };
        let (major, minor) = input.python_version;
        let interpreter = format!("{short_name}{major}{minor}");
        let platforms = platform_tags(&input.platform);

        let mut tags = Vec::new();
        if short_name == "cp" {
            cpython_tags(input, &platforms, &mut tags);
        } else {
            let mut abis: Vec<String> = input
                .abi_tag
                .iter()
                .map(|abi| abi.to_ascii_lowercase())
                .collect();
            if !abis.iter().any(|abi| abi == "none") {
                abis.push("none".to_string());
            }
            for abi in &abis {
                push_all(&mut tags, &interpreter, abi, &platforms);
            }
        }
        compatible_tags(input.python_version, &interpreter, &platforms, &mut tags);
        Ok(Self::new(tags))
    }

    /// The priority of one tag, `None` when the interpreter does not support it.
    pub fn priority(&self, tag: &Tag) -> Option<TagPriority> {
        self.priorities.get(tag).copied()
    }

    /// Tags best first.
    pub fn iter(&self) -> impl Iterator<Item = &Tag> {
        self.tags.iter()
    }

    pub fn len(&self) -> usize {
        self.tags.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }
}

/// `interpreter-abi-<platform>` for every platform, in order.
fn push_all(tags: &mut Vec<Tag>, interpreter: &str, abi: &str, platforms: &[String]) {
    tags.extend(platforms.iter().map(|platform| Tag {
        python: interpreter.to_string(),
        abi: abi.to_string(),
        platform: platform.clone(),
    }));
}

/// The interpreter's own ABIs, best first, as `_cpython_abis` computes them: `cp311`,
/// `cp313t`, `cp37m`; a debug build (`cp311d`) also loads non-debug extensions.
fn cpython_abis(input: &TagsInput) -> Vec<String> {
    let (major, minor) = input.python_version;
    let Some(abi) = &input.abi_tag else {
        let threading = if input.gil_disabled && (major, minor) >= (3, 13) {
            "t"
        } else {
            ""
        };
        let pymalloc = if (major, minor) < (3, 8) { "m" } else { "" };
        return vec![format!("cp{major}{minor}{threading}{pymalloc}")];
    };
    let abi = abi.to_ascii_lowercase();
    let flags = abi_flags(&abi);
    let mut abis = vec![abi.clone()];
    if (major, minor) >= (3, 8) && flags.is_some_and(|flags| flags.contains('d')) {
        let threading = if flags.is_some_and(|flags| flags.contains('t')) {
            "t"
        } else {
            ""
        };
        abis.push(format!("cp{major}{minor}{threading}"));
    }
    abis
}

/// The flags after `cp<digits>` in a CPython ABI tag (`t` in `cp313t`), `None` for other ABIs.
fn abi_flags(abi: &str) -> Option<&str> {
    let rest = abi.strip_prefix("cp")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    (digits > 0).then(|| &rest[digits..])
}

/// `packaging.tags.cpython_tags`.
fn cpython_tags(input: &TagsInput, platforms: &[String], tags: &mut Vec<Tag>) {
    let (major, minor) = input.python_version;
    let interpreter = format!("cp{major}{minor}");
    let mut abis = cpython_abis(input);
    let threading = input.gil_disabled
        || abis
            .first()
            .and_then(|abi| abi_flags(abi))
            .is_some_and(|flags| flags.contains('t'));
    abis.retain(|abi| !matches!(abi.as_str(), "abi3" | "abi3t" | "none"));
    for abi in &abis {
        push_all(tags, &interpreter, abi, platforms);
    }
    let stable_abi_applies = (major, minor) >= (3, 2);
    let stable_abi = if threading { "abi3t" } else { "abi3" };
    if stable_abi_applies {
        push_all(tags, &interpreter, stable_abi, platforms);
    }
    push_all(tags, &interpreter, "none", platforms);
    if stable_abi_applies {
        for older in (2..minor).rev() {
            push_all(tags, &format!("cp{major}{older}"), stable_abi, platforms);
        }
    }
}

/// `packaging.tags.compatible_tags`: pure-Python tags, platform-specific first.
fn compatible_tags(
    (major, minor): (u8, u8),
    interpreter: &str,
    platforms: &[String],
    tags: &mut Vec<Tag>,
) {
    let versions: Vec<String> = std::iter::once(format!("py{major}{minor}"))
        .chain(std::iter::once(format!("py{major}")))
        .chain((0..minor).rev().map(|older| format!("py{major}{older}")))
        .collect();
    for version in &versions {
        push_all(tags, version, "none", platforms);
    }
    push_all(tags, interpreter, "none", &["any".to_string()]);
    for version in &versions {
        push_all(tags, version, "none", &["any".to_string()]);
    }
}

/// `_normalize_string`: `.`, `-` and ` ` become `_`; tags are lowercase.
fn normalize_platform(platform: &str) -> String {
    platform.replace(['.', '-', ' '], "_").to_ascii_lowercase()
}

impl Arch {
    /// Map `platform.machine()` (or the arch part of `sysconfig.get_platform()`) to an
    /// [`Arch`]: `AMD64`/`amd64` are x86_64, `arm64` is aarch64, `i386`/`x86` are i686.
    pub fn from_machine(machine: &str) -> Self {
        match machine.to_ascii_lowercase().as_str() {
            "x86_64" | "amd64" => Self::X86_64,
            "aarch64" | "arm64" => Self::Aarch64,
            "i686" | "i586" | "i486" | "i386" | "x86" => Self::I686,
            "armv7l" => Self::Armv7l,
            "ppc64le" => Self::Ppc64le,
            "s390x" => Self::S390x,
            other => Self::Other(normalize_platform(other)),
        }
    }

    /// The Linux name of the architecture, as in `linux_<arch>` and manylinux tags.
    pub fn as_str(&self) -> &str {
        match self {
            Self::X86_64 => "x86_64",
            Self::Aarch64 => "aarch64",
            Self::I686 => "i686",
            Self::Armv7l => "armv7l",
            Self::Ppc64le => "ppc64le",
            Self::S390x => "s390x",
            Self::Other(other) => other,
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Platform tags best first, as `packaging.tags.platform_tags()` yields them.
fn platform_tags(platform: &Platform) -> Vec<String> {
    match platform {
        Platform::Linux { arch, libc } => linux_platforms(arch, libc),
        Platform::MacOs { major, minor, arch } => {
            let arch = match arch {
                Arch::Aarch64 => "arm64".to_string(),
                Arch::I686 => "i386".to_string(),
                other => other.as_str().to_string(),
            };
            mac_platforms((*major, *minor), &arch)
        }
        Platform::Windows { arch } => vec![match arch {
            Arch::X86_64 => "win_amd64".to_string(),
            Arch::I686 => "win32".to_string(),
            Arch::Aarch64 => "win_arm64".to_string(),
            other => normalize_platform(&format!("win_{other}")),
        }],
        Platform::Other(platform) => vec![normalize_platform(platform)],
    }
}

/// Architectures whose manylinux wheels packaging accepts without an ELF check.
const MANYLINUX_ARCHS: [&str; 7] = [
    "x86_64",
    "aarch64",
    "ppc64",
    "ppc64le",
    "s390x",
    "loongarch64",
    "riscv64",
];

/// The legacy manylinux names of glibc versions (PEP 513, 571, 599).
fn legacy_manylinux(major: u16, minor: u16) -> Option<&'static str> {
    match (major, minor) {
        (2, 17) => Some("manylinux2014"),
        (2, 12) => Some("manylinux2010"),
        (2, 5) => Some("manylinux1"),
        _ => None,
    }
}

/// `_linux_platforms` with `_manylinux.platform_tags` and `_musllinux.platform_tags`.
fn linux_platforms(arch: &Arch, libc: &Libc) -> Vec<String> {
    let arch = arch.as_str();
    let archs: Vec<&str> = if arch == "armv8l" {
        vec!["armv8l", "armv7l"]
    } else {
        vec![arch]
    };
    let mut platforms: Vec<String> = archs.iter().map(|arch| format!("linux_{arch}")).collect();
    match *libc {
        Libc::Glibc { major, minor } => {
            // 32-bit ARM and x86 pass packaging's ELF check (hard-float, i386 machine) when
            // the interpreter reports that architecture, which is what the probe tells us.
            let compatible = archs
                .iter()
                .any(|arch| matches!(*arch, "armv7l" | "i686") || MANYLINUX_ARCHS.contains(arch));
            if compatible {
                let x86 = archs.iter().any(|arch| matches!(*arch, "x86_64" | "i686"));
                // The oldest glibc 2.x that has manylinux tags.
                let oldest_minor = if x86 { 5 } else { 17 };
                // glibc is compatible across major versions; packaging assumes a major
                // version ends at minor 50.
                let mut maxima = vec![(major, minor)];
                maxima.extend((2..major).rev().map(|older| (older, 50)));
                for arch in &archs {
                    for &(glibc_major, glibc_max_minor) in &maxima {
                        let lowest = if glibc_major == 2 { oldest_minor } else { 0 };
                        if glibc_max_minor < lowest {
                            continue;
                        }
                        for glibc_minor in (lowest..=glibc_max_minor).rev() {
                            platforms.push(format!("manylinux_{glibc_major}_{glibc_minor}_{arch}"));
                            if let Some(legacy) = legacy_manylinux(glibc_major, glibc_minor) {
                                platforms.push(format!("{legacy}_{arch}"));
                            }
                        }
                    }
                }
            }
        }
        Libc::Musl { major, minor } => {
            for arch in &archs {
                for musl_minor in (0..=minor).rev() {
                    platforms.push(format!("musllinux_{major}_{musl_minor}_{arch}"));
                }
            }
        }
        Libc::Unknown => {}
    }
    platforms
}

/// `_mac_binary_formats`: the architecture tag, then the fat formats that contain it.
fn mac_binary_formats((major, minor): (u16, u16), arch: &str) -> Vec<&str> {
    let version = (major, minor);
    let mut formats = vec![arch];
    match arch {
        "x86_64" => {
            if version < (10, 4) {
                return Vec::new();
            }
            formats.extend(["intel", "fat64", "fat3"]);
        }
        "i386" => {
            if version < (10, 4) {
                return Vec::new();
            }
            formats.extend(["intel", "fat3", "fat"]);
        }
        "ppc64" => {
            if !((10, 4)..=(10, 5)).contains(&version) {
                return Vec::new();
            }
            formats.push("fat64");
        }
        "ppc" => {
            if version > (10, 6) {
                return Vec::new();
            }
            formats.extend(["fat3", "fat"]);
        }
        _ => {}
    }
    if matches!(arch, "arm64" | "x86_64") {
        formats.push("universal2");
    }
    if matches!(arch, "x86_64" | "i386" | "ppc64" | "ppc" | "intel") {
        formats.push("universal");
    }
    formats
}

/// `packaging.tags.mac_platforms(version, arch)`.
fn mac_platforms((major, minor): (u16, u16), arch: &str) -> Vec<String> {
    let mut platforms = Vec::new();
    let mut push = |major: u16, minor: u16, formats: &[&str]| {
        platforms.extend(
            formats
                .iter()
                .map(|format| format!("macosx_{major}_{minor}_{format}")),
        );
    };
    if major == 10 {
        for compat_minor in (0..=minor).rev() {
            push(
                10,
                compat_minor,
                &mac_binary_formats((10, compat_minor), arch),
            );
        }
    }
    if major >= 11 {
        for compat_major in (11..=major).rev() {
            push(
                compat_major,
                0,
                &mac_binary_formats((compat_major, 0), arch),
            );
        }
        for compat_minor in (4..=16).rev() {
            if arch == "x86_64" {
                push(
                    10,
                    compat_minor,
                    &mac_binary_formats((10, compat_minor), arch),
                );
            } else {
                push(10, compat_minor, &["universal2"]);
            }
        }
    }
    platforms
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TagsError {
    #[error("unsupported Python implementation \"{0}\"")]
    UnknownImplementation(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpython(version: (u8, u8), platform: Platform) -> TagsInput {
        TagsInput {
            implementation_name: "cpython".to_string(),
            python_version: version,
            abi_tag: None,
            gil_disabled: false,
            platform,
        }
    }

    fn linux(arch: Arch, libc: Libc) -> Platform {
        Platform::Linux { arch, libc }
    }

    fn tag(tag: &str) -> Tag {
        let mut parts = tag.split('-');
        let tag = Tag {
            python: parts.next().unwrap().to_string(),
            abi: parts.next().unwrap().to_string(),
            platform: parts.next().unwrap().to_string(),
        };
        assert!(parts.next().is_none());
        tag
    }

    /// Compare with a list generated by `fixtures/tags/generate.py` from pip 26.3's vendored
    /// `packaging.tags`.
    fn assert_matches_fixture(input: &TagsInput, fixture: &str) {
        let tags = Tags::from_input(input).unwrap();
        let actual: Vec<String> = tags.iter().map(ToString::to_string).collect();
        let expected: Vec<&str> = fixture.lines().collect();
        for (index, (actual, expected)) in actual.iter().zip(&expected).enumerate() {
            assert_eq!(actual, expected, "first difference at tag {index}");
        }
        assert_eq!(actual.len(), expected.len(), "tag count");
    }

    #[test]
    fn cpython_311_manylinux_x86_64_matches_sys_tags() {
        let input = cpython(
            (3, 11),
            linux(
                Arch::X86_64,
                Libc::Glibc {
                    major: 2,
                    minor: 36,
                },
            ),
        );
        assert_matches_fixture(
            &input,
            include_str!("../fixtures/tags/cp311-linux-x86_64-glibc-2.36.txt"),
        );
    }

    #[test]
    fn free_threaded_313_musllinux_aarch64() {
        let input = TagsInput {
            gil_disabled: true,
            ..cpython(
                (3, 13),
                linux(Arch::Aarch64, Libc::Musl { major: 1, minor: 2 }),
            )
        };
        assert_matches_fixture(
            &input,
            include_str!("../fixtures/tags/cp313t-linux-aarch64-musl-1.2.txt"),
        );
        let tags = Tags::from_input(&input).unwrap();
        assert_eq!(
            tags.iter().next().unwrap().to_string(),
            "cp313-cp313t-linux_aarch64"
        );
        assert!(!tags.iter().any(|tag| tag.abi == "abi3"));
        assert!(
            tags.priority(&tag("cp312-abi3t-musllinux_1_2_aarch64"))
                .is_some()
        );
    }

    #[test]
    fn free_threaded_from_explicit_abi_tag() {
        let input = TagsInput {
            abi_tag: Some("cp314t".to_string()),
            ..cpython((3, 14), Platform::Windows { arch: Arch::X86_64 })
        };
        let tags = Tags::from_input(&input).unwrap();
        assert!(tags.priority(&tag("cp314-cp314t-win_amd64")).is_some());
        assert!(tags.priority(&tag("cp314-abi3-win_amd64")).is_none());
        assert!(tags.priority(&tag("cp314-cp314-win_amd64")).is_none());
    }

    #[test]
    fn cpython_37_armv8l_also_takes_armv7l() {
        let input = cpython(
            (3, 7),
            linux(
                Arch::Other("armv8l".to_string()),
                Libc::Glibc {
                    major: 2,
                    minor: 28,
                },
            ),
        );
        assert_matches_fixture(
            &input,
            include_str!("../fixtures/tags/cp37-linux-armv8l-glibc-2.28.txt"),
        );
    }

    #[test]
    fn cpython_312_macos_arm64() {
        let input = cpython(
            (3, 12),
            Platform::MacOs {
                major: 14,
                minor: 2,
                arch: Arch::Aarch64,
            },
        );
        assert_matches_fixture(
            &input,
            include_str!("../fixtures/tags/cp312-macos-14.2-arm64.txt"),
        );
    }

    #[test]
    fn cpython_310_macos_12_x86_64() {
        let input = cpython(
            (3, 10),
            Platform::MacOs {
                major: 12,
                minor: 6,
                arch: Arch::X86_64,
            },
        );
        assert_matches_fixture(
            &input,
            include_str!("../fixtures/tags/cp310-macos-12.6-x86_64.txt"),
        );
    }

    #[test]
    fn cpython_39_macos_10_15_x86_64() {
        let input = cpython(
            (3, 9),
            Platform::MacOs {
                major: 10,
                minor: 15,
                arch: Arch::X86_64,
            },
        );
        assert_matches_fixture(
            &input,
            include_str!("../fixtures/tags/cp39-macos-10.15-x86_64.txt"),
        );
    }

    #[test]
    fn cpython_312_windows_amd64() {
        let input = cpython((3, 12), Platform::Windows { arch: Arch::X86_64 });
        assert_matches_fixture(
            &input,
            include_str!("../fixtures/tags/cp312-windows-amd64.txt"),
        );
    }

    #[test]
    fn debug_build_also_loads_release_extensions() {
        let input = TagsInput {
            abi_tag: Some("cp311d".to_string()),
            ..cpython((3, 11), Platform::Windows { arch: Arch::I686 })
        };
        assert_matches_fixture(
            &input,
            include_str!("../fixtures/tags/cp311d-windows-win32.txt"),
        );
    }

    #[test]
    fn pypy_310_manylinux_x86_64() {
        let input = TagsInput {
            implementation_name: "pypy".to_string(),
            python_version: (3, 10),
            abi_tag: Some("pypy310_pp73".to_string()),
            gil_disabled: false,
            platform: linux(
                Arch::X86_64,
                Libc::Glibc {
                    major: 2,
                    minor: 17,
                },
            ),
        };
        assert_matches_fixture(
            &input,
            include_str!("../fixtures/tags/pp310-linux-x86_64-glibc-2.17.txt"),
        );
    }

    #[test]
    fn manylinux_aliases_sit_after_their_pep600_twin() {
        let tags = Tags::from_input(&cpython(
            (3, 12),
            linux(
                Arch::X86_64,
                Libc::Glibc {
                    major: 2,
                    minor: 28,
                },
            ),
        ))
        .unwrap();
        let platforms: Vec<&str> = tags
            .iter()
            .filter(|tag| tag.abi == "cp312")
            .map(|tag| tag.platform.as_str())
            .collect();
        let position = |platform: &str| platforms.iter().position(|p| *p == platform).unwrap();
        assert_eq!(platforms[0], "linux_x86_64");
        assert_eq!(platforms[1], "manylinux_2_28_x86_64");
        assert_eq!(
            position("manylinux2014_x86_64"),
            position("manylinux_2_17_x86_64") + 1
        );
        assert_eq!(
            position("manylinux2010_x86_64"),
            position("manylinux_2_12_x86_64") + 1
        );
        assert_eq!(platforms.last(), Some(&"manylinux1_x86_64"));
    }

    #[test]
    fn manylinux_stops_at_2_17_off_x86() {
        let tags = Tags::from_input(&cpython(
            (3, 12),
            linux(
                Arch::Aarch64,
                Libc::Glibc {
                    major: 2,
                    minor: 31,
                },
            ),
        ))
        .unwrap();
        let platforms: Vec<&str> = tags
            .iter()
            .filter(|tag| tag.abi == "cp312")
            .map(|tag| tag.platform.as_str())
            .collect();
        assert_eq!(platforms.len(), 1 + 15 + 1);
        assert_eq!(platforms.last(), Some(&"manylinux2014_aarch64"));
    }

    #[test]
    fn unknown_libc_gives_only_linux_arch() {
        let tags = Tags::from_input(&cpython((3, 12), linux(Arch::X86_64, Libc::Unknown))).unwrap();
        let platforms: Vec<&str> = tags
            .iter()
            .filter(|tag| tag.abi == "cp312")
            .map(|tag| tag.platform.as_str())
            .collect();
        assert_eq!(platforms, ["linux_x86_64"]);
    }

    #[test]
    fn unsupported_arch_gets_no_manylinux() {
        let tags = Tags::from_input(&cpython(
            (3, 12),
            linux(
                Arch::Other("mips".to_string()),
                Libc::Glibc {
                    major: 2,
                    minor: 36,
                },
            ),
        ))
        .unwrap();
        assert!(
            tags.iter()
                .all(|tag| !tag.platform.starts_with("manylinux"))
        );
    }

    #[test]
    fn windows_and_other_platform_names() {
        let platform_of = |platform: Platform| {
            let tags = Tags::from_input(&cpython((3, 12), platform)).unwrap();
            tags.iter().next().unwrap().platform.clone()
        };
        assert_eq!(
            platform_of(Platform::Windows {
                arch: Arch::Aarch64
            }),
            "win_arm64"
        );
        assert_eq!(platform_of(Platform::Windows { arch: Arch::I686 }), "win32");
        assert_eq!(
            platform_of(Platform::Other("FreeBSD-14.1-RELEASE-amd64".to_string())),
            "freebsd_14_1_release_amd64"
        );
    }

    #[test]
    fn priorities_follow_order() {
        let tags = Tags::from_input(&cpython(
            (3, 11),
            linux(
                Arch::X86_64,
                Libc::Glibc {
                    major: 2,
                    minor: 36,
                },
            ),
        ))
        .unwrap();
        let best = tags.priority(&tag("cp311-cp311-linux_x86_64")).unwrap();
        let manylinux = tags
            .priority(&tag("cp311-cp311-manylinux_2_17_x86_64"))
            .unwrap();
        let abi3 = tags
            .priority(&tag("cp38-abi3-manylinux_2_17_x86_64"))
            .unwrap();
        let pure = tags.priority(&tag("py3-none-any")).unwrap();
        assert!(best > manylinux && manylinux > abi3 && abi3 > pure);
        assert_eq!(
            tags.priority(&tag("cp312-cp312-manylinux_2_17_x86_64")),
            None
        );
        assert_eq!(tags.priority(&tag("py3-none-win_amd64")), None);
        assert_eq!(tags.iter().last().unwrap().to_string(), "py30-none-any");
    }

    #[test]
    fn duplicate_tags_keep_their_first_priority() {
        let tags = Tags::new(vec![
            tag("py3-none-any"),
            tag("py2-none-any"),
            tag("py3-none-any"),
        ]);
        assert_eq!(tags.priority(&tag("py3-none-any")), Some(TagPriority(3)));
        assert_eq!(tags.priority(&tag("py2-none-any")), Some(TagPriority(2)));
    }

    #[test]
    fn arch_from_machine() {
        assert_eq!(Arch::from_machine("AMD64"), Arch::X86_64);
        assert_eq!(Arch::from_machine("arm64"), Arch::Aarch64);
        assert_eq!(Arch::from_machine("i386"), Arch::I686);
        assert_eq!(
            Arch::from_machine("riscv64"),
            Arch::Other("riscv64".to_string())
        );
    }

    #[test]
    fn invalid_implementation_name() {
        let input = TagsInput {
            implementation_name: "my python".to_string(),
            ..cpython((3, 12), Platform::Windows { arch: Arch::X86_64 })
        };
        insta::assert_snapshot!(
            Tags::from_input(&input).unwrap_err(),
            @r#"unsupported Python implementation "my python""#
        );
    }
}
