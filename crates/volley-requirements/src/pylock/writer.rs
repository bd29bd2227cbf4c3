//! Writing a [`Pylock`] as TOML, in the layout of the PEP's example: top-level keys, then one
//! `[[packages]]` table per package whose files are inline tables (`wheels` one per line),
//! then `[tool]`. Keys come in the order the specification lists them; `[tool]` tables and
//! attestation identities keep their own keys, sorted.

use std::fmt::Write as _;

use toml::{Table, Value};
use volley_packaging::HashDigest;

use super::{
    LockedArchive, LockedDependency, LockedDirectory, LockedFile, LockedPackage, LockedVcs, Pylock,
};

pub(super) fn to_toml(lock: &Pylock) -> String {
    let mut out = String::new();
    key_value(&mut out, "lock-version", &string(&lock.lock_version));
    if let Some(environments) = &lock.environments {
        let markers = environments
            .iter()
            .map(|marker| string(&marker.try_to_string().unwrap_or_default()));
        key_value(&mut out, "environments", &array(markers));
    }
    if let Some(requires_python) = &lock.requires_python {
        key_value(
            &mut out,
            "requires-python",
            &string(&requires_python.to_string()),
        );
    }
    if let Some(extras) = &lock.extras {
        let extras = extras.iter().map(|extra| string(extra.as_ref()));
        key_value(&mut out, "extras", &array(extras));
    }
    if let Some(groups) = &lock.dependency_groups {
        key_value(
            &mut out,
            "dependency-groups",
            &array(groups.iter().map(|group| string(group))),
        );
    }
    if let Some(groups) = &lock.default_groups {
        key_value(
            &mut out,
            "default-groups",
            &array(groups.iter().map(|group| string(group))),
        );
    }
    key_value(&mut out, "created-by", &string(&lock.created_by));
    for package in &lock.packages {
        out.push('\n');
        package_table(&mut out, package);
    }
    if let Some(tool) = &lock.tool {
        out.push('\n');
        table_section(&mut out, "tool", tool);
    }
    out
}

fn package_table(out: &mut String, package: &LockedPackage) {
    out.push_str("[[packages]]\n");
    key_value(out, "name", &string(package.name.as_ref()));
    if let Some(version) = &package.version {
        key_value(out, "version", &string(&version.to_string()));
    }
    if let Some(marker) = package.marker.as_ref().and_then(|m| m.try_to_string()) {
        key_value(out, "marker", &string(&marker));
    }
    if let Some(requires_python) = &package.requires_python {
        key_value(
            out,
            "requires-python",
            &string(&requires_python.to_string()),
        );
    }
    if !package.dependencies.is_empty() {
        multiline_array(
            out,
            "dependencies",
            package.dependencies.iter().map(dependency),
        );
    }
    if let Some(index) = &package.index {
        key_value(out, "index", &string(index.as_str()));
    }
    if let Some(vcs_source) = &package.vcs {
        key_value(out, "vcs", &vcs(vcs_source));
    }
    if let Some(directory_source) = &package.directory {
        key_value(out, "directory", &directory(directory_source));
    }
    if let Some(archive_source) = &package.archive {
        key_value(out, "archive", &archive(archive_source));
    }
    if let Some(sdist) = &package.sdist {
        key_value(out, "sdist", &file(sdist));
    }
    if !package.wheels.is_empty() {
        multiline_array(out, "wheels", package.wheels.iter().map(file));
    }
    // Tables that follow `[[packages]]` belong to the package written last.
    for identity in &package.attestation_identities {
        out.push_str("[[packages.attestation-identities]]\n");
        for (name, value) in identity {
            key_value(out, &key(name), &inline(value));
        }
    }
    if let Some(tool) = &package.tool {
        table_section(out, "packages.tool", tool);
    }
}

fn dependency(dependency: &LockedDependency) -> String {
    let mut entries = vec![("name".to_string(), string(dependency.name.as_ref()))];
    if let Some(version) = &dependency.version {
        entries.push(("version".to_string(), string(&version.to_string())));
    }
    entries.extend(
        dependency
            .other_keys
            .iter()
            .map(|(name, value)| (key(name), inline(value))),
    );
    inline_table(entries)
}

fn file(file: &LockedFile) -> String {
    let mut entries = vec![("name", string(&file.name))];
    if let Some(time) = &file.upload_time {
        entries.push(("upload-time", time.to_string()));
    }
    if let Some(url) = &file.url {
        entries.push(("url", string(url.as_str())));
    }
    if let Some(path) = &file.path {
        entries.push(("path", string(&path.to_string_lossy())));
    }
    if let Some(size) = file.size {
        entries.push(("size", size.to_string()));
    }
    entries.push(("hashes", hashes(&file.hashes)));
    inline_table(entries)
}

fn archive(archive: &LockedArchive) -> String {
    let mut entries = Vec::new();
    if let Some(url) = &archive.url {
        entries.push(("url", string(url.as_str())));
    }
    if let Some(path) = &archive.path {
        entries.push(("path", string(&path.to_string_lossy())));
    }
    if let Some(size) = archive.size {
        entries.push(("size", size.to_string()));
    }
    if let Some(time) = &archive.upload_time {
        entries.push(("upload-time", time.to_string()));
    }
    entries.push(("hashes", hashes(&archive.hashes)));
    if let Some(subdirectory) = &archive.subdirectory {
        entries.push(("subdirectory", string(subdirectory)));
    }
    inline_table(entries)
}

fn directory(directory: &LockedDirectory) -> String {
    let mut entries = vec![("path", string(&directory.path.to_string_lossy()))];
    if directory.editable {
        entries.push(("editable", "true".to_string()));
    }
    if let Some(subdirectory) = &directory.subdirectory {
        entries.push(("subdirectory", string(subdirectory)));
    }
    inline_table(entries)
}

fn vcs(vcs: &LockedVcs) -> String {
    let mut entries = vec![("type", string(&vcs.vcs_type))];
    if let Some(url) = &vcs.url {
        entries.push(("url", string(url)));
    }
    if let Some(path) = &vcs.path {
        entries.push(("path", string(&path.to_string_lossy())));
    }
    if let Some(revision) = &vcs.requested_revision {
        entries.push(("requested-revision", string(revision)));
    }
    entries.push(("commit-id", string(&vcs.commit_id)));
    if let Some(subdirectory) = &vcs.subdirectory {
        entries.push(("subdirectory", string(subdirectory)));
    }
    inline_table(entries)
}

fn hashes(hashes: &[HashDigest]) -> String {
    inline_table(
        hashes
            .iter()
            .map(|hash| (hash.algorithm.as_str(), string(&hash.digest))),
    )
}

/// `[header]` with the plain values of `table`, then `[header.key]` for each sub-table (whose
/// own sub-tables are written inline).
fn table_section(out: &mut String, header: &str, table: &Table) {
    let (tables, values): (Vec<_>, Vec<_>) = table.iter().partition(|(_, value)| value.is_table());
    if !values.is_empty() || tables.is_empty() {
        let _ = writeln!(out, "[{header}]");
        for (name, value) in values {
            key_value(out, &key(name), &inline(value));
        }
    }
    for (name, value) in tables {
        let _ = writeln!(out, "[{header}.{}]", key(name));
        if let Value::Table(entries) = value {
            for (name, value) in entries {
                key_value(out, &key(name), &inline(value));
            }
        }
    }
}

fn key_value(out: &mut String, name: &str, value: &str) {
    let _ = writeln!(out, "{name} = {value}");
}

/// `name = [` then one item per line, as the PEP's example writes `wheels`.
fn multiline_array(out: &mut String, name: &str, items: impl Iterator<Item = String>) {
    let _ = writeln!(out, "{name} = [");
    for item in items {
        let _ = writeln!(out, "    {item},");
    }
    out.push_str("]\n");
}

fn array(items: impl Iterator<Item = String>) -> String {
    format!("[{}]", items.collect::<Vec<_>>().join(", "))
}

/// `{a = 1, b = 2}`, as the PEP's example writes inline tables.
fn inline_table<K: AsRef<str>>(entries: impl IntoIterator<Item = (K, String)>) -> String {
    let entries: Vec<String> = entries
        .into_iter()
        .map(|(name, value)| format!("{} = {value}", name.as_ref()))
        .collect();
    format!("{{{}}}", entries.join(", "))
}

/// Any TOML value on one line.
fn inline(value: &Value) -> String {
    match value {
        Value::String(text) => string(text),
        Value::Array(items) => array(items.iter().map(inline)),
        Value::Table(table) => {
            inline_table(table.iter().map(|(name, value)| (key(name), inline(value))))
        }
        other => other.to_string(),
    }
}

/// A TOML string: basic (`"..."`) when it can be, escaped as TOML needs.
fn string(text: &str) -> String {
    Value::String(text.to_string()).to_string()
}

/// A key: bare when it can be, quoted otherwise.
fn key(name: &str) -> String {
    let bare = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        return name.to_string();
    }
    // A basic string on one line (a key cannot be a multi-line string).
    let mut quoted = String::from("\"");
    for character in name.chars() {
        match character {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(quoted, "\\u{:04X}", u32::from(c));
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::str::FromStr;

    use url::Url;
    use volley_packaging::{MarkerTree, PackageName, Version};

    use super::*;
    use crate::pylock::reader::tests::PEP_EXAMPLE;
    use crate::{LockedFile, UploadTime};

    fn parse(text: &str) -> Pylock {
        Pylock::parse(text, Path::new("pylock.toml")).unwrap()
    }

    #[test]
    fn the_specifications_example_is_written_in_its_own_layout() {
        let lock = parse(PEP_EXAMPLE);
        let written = lock.to_toml();
        insta::assert_snapshot!(written, @r#"
        lock-version = "1.0"
        environments = ["sys_platform == 'win32'", "sys_platform == 'linux'"]
        requires-python = "==3.12"
        created-by = "mousebender"

        [[packages]]
        name = "attrs"
        version = "25.1.0"
        requires-python = ">=3.8"
        wheels = [
            {name = "attrs-25.1.0-py3-none-any.whl", upload-time = 2025-01-25T11:30:10.164985+00:00, url = "https://files.pythonhosted.org/packages/fc/30/d4986a882011f9df997a55e6becd864812ccfcd821d64aac8570ee39f719/attrs-25.1.0-py3-none-any.whl", size = 63152, hashes = {sha256 = "c75a69e28a550a7e93789579c22aa26b0f5b83b75dc4e08fe092980051e1090a"}},
        ]
        [[packages.attestation-identities]]
        environment = "release-pypi"
        kind = "GitHub"
        repository = "python-attrs/attrs"
        workflow = "pypi-package.yml"

        [[packages]]
        name = "cattrs"
        version = "24.1.2"
        requires-python = ">=3.8"
        dependencies = [
            {name = "attrs"},
        ]
        wheels = [
            {name = "cattrs-24.1.2-py3-none-any.whl", upload-time = 2024-09-22T14:58:34.812643+00:00, url = "https://files.pythonhosted.org/packages/c8/d5/867e75361fc45f6de75fe277dd085627a9db5ebb511a87f27dc1396b5351/cattrs-24.1.2-py3-none-any.whl", size = 66446, hashes = {sha256 = "67c7495b760168d931a10233f979b28dc04daf853b30752246f4f8471c6d68d0"}},
        ]

        [[packages]]
        name = "numpy"
        version = "2.2.3"
        requires-python = ">=3.10"
        wheels = [
            {name = "numpy-2.2.3-cp312-cp312-win_amd64.whl", upload-time = 2025-02-13T16:51:21.82188+00:00, url = "https://files.pythonhosted.org/packages/42/6e/55580a538116d16ae7c9aa17d4edd56e83f42126cb1dfe7a684da7925d2c/numpy-2.2.3-cp312-cp312-win_amd64.whl", size = 12626357, hashes = {sha256 = "83807d445817326b4bcdaaaf8e8e9f1753da04341eceec705c001ff342002e5d"}},
            {name = "numpy-2.2.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", upload-time = 2025-02-13T16:50:00.079662+00:00, url = "https://files.pythonhosted.org/packages/39/04/78d2e7402fb479d893953fb78fa7045f7deb635ec095b6b4f0260223091a/numpy-2.2.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", size = 16116679, hashes = {sha256 = "3b787adbf04b0db1967798dba8da1af07e387908ed1553a0d6e74c084d1ceafe"}},
        ]

        [tool.mousebender]
        command = [".", "lock", "--platform", "cpython3.12-windows-x64", "--platform", "cpython3.12-manylinux2014-x64", "cattrs", "numpy"]
        run-on = 2025-03-06T12:28:57.760769
        "#);
        assert_eq!(parse(&written), lock);
        assert_eq!(parse(&written).to_toml(), written);
    }

    /// A lock file with every kind of source and every optional key.
    fn everything() -> Pylock {
        let name = |name: &str| PackageName::from_str(name).unwrap();
        let version = |version: &str| Version::from_str(version).unwrap();
        let sha256 = |digest: &str| vec![HashDigest::sha256(digest)];
        let mut lock = Pylock::new("volley");
        lock.environments = Some(vec![
            MarkerTree::from_str("sys_platform == 'linux'").unwrap(),
        ]);
        lock.requires_python = Some(">=3.9".parse().unwrap());
        lock.extras = Some(Vec::new());
        lock.dependency_groups = Some(Vec::new());
        lock.default_groups = Some(vec!["default".to_string()]);

        let mut distributions = LockedPackage::new(name("pkg"));
        distributions.version = Some(version("1.0+local"));
        distributions.marker =
            Some(MarkerTree::from_str("python_version >= '3.10' or os_name == \"nt\"").unwrap());
        distributions.requires_python = Some(">=3.8, <4".parse().unwrap());
        let mut other_keys = Table::new();
        other_keys.insert(
            "marker".to_string(),
            Value::String("os_name == 'nt'".to_string()),
        );
        distributions.dependencies = vec![
            LockedDependency::new(name("dep"), Some(version("2.0"))),
            LockedDependency {
                other_keys,
                ..LockedDependency::new(name("other"), None)
            },
        ];
        distributions.index = Some(Url::parse("https://pypi.org/simple/").unwrap());
        distributions.sdist = Some(LockedFile {
            name: "pkg-1.0+local.tar.gz".to_string(),
            url: Some(Url::parse("https://example.org/pkg-1.0%2Blocal.tar.gz").unwrap()),
            size: Some(10),
            upload_time: Some(UploadTime::from_str("2025-01-25T11:30:10Z").unwrap()),
            hashes: sha256("ab"),
            ..LockedFile::default()
        });
        distributions.wheels = vec![LockedFile {
            name: "pkg-1.0+local-py3-none-any.whl".to_string(),
            path: Some("wheels/pkg-1.0+local-py3-none-any.whl".into()),
            hashes: vec![HashDigest::sha256("cd"), "sha512:ef".parse().unwrap()],
            ..LockedFile::default()
        }];
        let mut identity = Table::new();
        identity.insert("kind".to_string(), Value::String("GitHub".to_string()));
        identity.insert("repository".to_string(), Value::String("o/r".to_string()));
        distributions.attestation_identities = vec![identity];
        let mut tool = Table::new();
        tool.insert("flag".to_string(), Value::Boolean(true));
        let mut volley = Table::new();
        volley.insert("weird key".to_string(), Value::Integer(1));
        let mut nested = Table::new();
        nested.insert("x".to_string(), Value::Array(vec![Value::Float(1.5)]));
        volley.insert("nested".to_string(), Value::Table(nested));
        tool.insert("volley".to_string(), Value::Table(volley));
        distributions.tool = Some(tool.clone());

        let mut archive = LockedPackage::new(name("archived"));
        archive.archive = Some(LockedArchive {
            url: Some(Url::parse("https://example.org/archived.zip").unwrap()),
            size: Some(3),
            hashes: sha256("01"),
            subdirectory: Some("python".to_string()),
            ..LockedArchive::default()
        });
        let mut directory = LockedPackage::new(name("local"));
        directory.directory = Some(LockedDirectory {
            path: "../local".into(),
            editable: true,
            subdirectory: None,
        });
        let mut vcs = LockedPackage::new(name("remote"));
        vcs.vcs = Some(LockedVcs {
            vcs_type: "git".to_string(),
            url: Some("https://example.org/remote.git".to_string()),
            requested_revision: Some("v1".to_string()),
            commit_id: "0123abcd".to_string(),
            subdirectory: Some("sub\"dir".to_string()),
            ..LockedVcs::default()
        });
        lock.packages = vec![distributions, archive, directory, vcs];
        lock.tool = Some(tool);
        lock
    }

    #[test]
    fn every_key_round_trips() {
        let lock = everything();
        let written = lock.to_toml();
        insta::assert_snapshot!(written, @r#"
        lock-version = "1.0"
        environments = ["sys_platform == 'linux'"]
        requires-python = ">=3.9"
        extras = []
        dependency-groups = []
        default-groups = ["default"]
        created-by = "volley"

        [[packages]]
        name = "pkg"
        version = "1.0+local"
        marker = "os_name == 'nt' or python_full_version >= '3.10'"
        requires-python = ">=3.8, <4"
        dependencies = [
            {name = "dep", version = "2.0"},
            {name = "other", marker = "os_name == 'nt'"},
        ]
        index = "https://pypi.org/simple/"
        sdist = {name = "pkg-1.0+local.tar.gz", upload-time = 2025-01-25T11:30:10Z, url = "https://example.org/pkg-1.0%2Blocal.tar.gz", size = 10, hashes = {sha256 = "ab"}}
        wheels = [
            {name = "pkg-1.0+local-py3-none-any.whl", path = "wheels/pkg-1.0+local-py3-none-any.whl", hashes = {sha256 = "cd", sha512 = "ef"}},
        ]
        [[packages.attestation-identities]]
        kind = "GitHub"
        repository = "o/r"
        [packages.tool]
        flag = true
        [packages.tool.volley]
        nested = {x = [1.5]}
        "weird key" = 1

        [[packages]]
        name = "archived"
        archive = {url = "https://example.org/archived.zip", size = 3, hashes = {sha256 = "01"}, subdirectory = "python"}

        [[packages]]
        name = "local"
        directory = {path = "../local", editable = true}

        [[packages]]
        name = "remote"
        vcs = {type = "git", url = "https://example.org/remote.git", requested-revision = "v1", commit-id = "0123abcd", subdirectory = 'sub"dir'}

        [tool]
        flag = true
        [tool.volley]
        nested = {x = [1.5]}
        "weird key" = 1
        "#);
        assert_eq!(parse(&written), lock);
    }

    #[test]
    fn keys_are_quoted_when_they_must_be() {
        assert_eq!(key("plain-key_1"), "plain-key_1");
        assert_eq!(key("with space"), "\"with space\"");
        assert_eq!(key("quote\"and\\slash"), "\"quote\\\"and\\\\slash\"");
        assert_eq!(key("line\nbreak"), "\"line\\u000Abreak\"");
        assert_eq!(key(""), "\"\"");
    }
}
