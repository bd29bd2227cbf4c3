//! Build wheels in memory from plain strings.
//!
//! A [`WheelBuilder`] produces a [`BuiltWheel`] that follows the binary distribution format
//! (PEP 427 as kept up to date on packaging.python.org): the files you add, then
//! `{name}-{version}.dist-info/` with `METADATA`, `WHEEL`, `entry_points.txt` (when there are
//! entry points) and `RECORD` last, deflate-compressed, with fixed timestamps so that the same
//! builder calls always give the same bytes (and the same sha256).
//!
//! Traps the builder deals with so that tests need not:
//! - The dist-info directory and the filename use the *escaped* name: runs of `-`, `_` and `.`
//!   become one `_`, case is kept (`Foo.Bar` → `Foo_Bar-1.0.dist-info`). `METADATA`'s `Name:`
//!   keeps the name as given.
//! - `RECORD` hashes are `sha256=` + urlsafe base64 without padding, followed by the size;
//!   `RECORD` lists itself with an empty hash and size.
//! - A compressed tag set (`py2.py3-none-any`) becomes one `Tag:` line per expanded tag in `WHEEL`.
//!
//! Broken wheels for negative tests: [`WheelBuilder::raw_entry`] (any entry name, e.g. path
//! traversal), [`WheelBuilder::corrupt_record_hash`], [`WheelBuilder::omit_from_record`],
//! [`WheelBuilder::no_metadata`], [`WheelBuilder::no_wheel_file`].

use std::collections::BTreeSet;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

/// Builds a wheel; see the module documentation.
#[derive(Debug, Clone)]
pub struct WheelBuilder {
    name: String,
    version: String,
    tag: String,
    build_tag: Option<String>,
    metadata_version: String,
    requires_dist: Vec<String>,
    requires_python: Option<String>,
    provides_extra: Vec<String>,
    metadata_fields: Vec<(String, String)>,
    description: Option<String>,
    files: Vec<(String, Vec<u8>)>,
    raw_entries: Vec<(String, Vec<u8>)>,
    entry_points: Vec<(String, String, String)>,
    root_is_purelib: bool,
    corrupt_record_hash: BTreeSet<String>,
    omit_from_record: BTreeSet<String>,
    metadata: bool,
    wheel_file: bool,
}

/// A wheel built by [`WheelBuilder::build`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltWheel {
    /// The wheel filename, e.g. `Foo_Bar-1.0-py3-none-any.whl`.
    pub filename: String,
    /// The whole `.whl` file.
    pub bytes: Vec<u8>,
    /// Lowercase hex sha256 of `bytes`.
    pub sha256: String,
    /// The content of `METADATA` (also when [`WheelBuilder::no_metadata`] left it out of the
    /// archive), which is what a PEP 658 `.metadata` file serves.
    pub metadata: Vec<u8>,
}

impl BuiltWheel {
    /// Writes the wheel into `dir` (which must exist) under its filename and returns the path.
    ///
    /// # Panics
    /// When the file cannot be written.
    pub fn write_to(&self, dir: &Path) -> PathBuf {
        let path = dir.join(&self.filename);
        fs_err::write(&path, &self.bytes).expect("write the wheel file");
        path
    }
}

impl WheelBuilder {
    /// A pure-Python wheel `name-version` tagged `py3-none-any`, with no files yet.
    pub fn new(name: &str, version: &str) -> Self {
        Self {
            name: name.to_string(),
            version: version.to_string(),
            tag: "py3-none-any".to_string(),
            build_tag: None,
            metadata_version: "2.1".to_string(),
            requires_dist: Vec::new(),
            requires_python: None,
            provides_extra: Vec::new(),
            metadata_fields: Vec::new(),
            description: None,
            files: Vec::new(),
            raw_entries: Vec::new(),
            entry_points: Vec::new(),
            root_is_purelib: true,
            corrupt_record_hash: BTreeSet::new(),
            omit_from_record: BTreeSet::new(),
            metadata: true,
            wheel_file: true,
        }
    }

    /// The compatibility tag triple, e.g. `cp311-cp311-manylinux_2_17_x86_64` or a compressed
    /// set such as `py2.py3-none-any` (default `py3-none-any`).
    #[must_use]
    pub fn tag(mut self, tag: &str) -> Self {
        self.tag = tag.to_string();
        self
    }

    /// A build tag (it must start with a digit to be valid), put in the filename and in `WHEEL`.
    #[must_use]
    pub fn build_tag(mut self, build: &str) -> Self {
        self.build_tag = Some(build.to_string());
        self
    }

    /// `Metadata-Version` (default `2.1`).
    #[must_use]
    pub fn metadata_version(mut self, version: &str) -> Self {
        self.metadata_version = version.to_string();
        self
    }

    /// Adds a `Requires-Dist:` line (a PEP 508 requirement, markers included).
    #[must_use]
    pub fn requires_dist(mut self, requirement: &str) -> Self {
        self.requires_dist.push(requirement.to_string());
        self
    }

    /// Sets `Requires-Python:`.
    #[must_use]
    pub fn requires_python(mut self, specifiers: &str) -> Self {
        self.requires_python = Some(specifiers.to_string());
        self
    }

    /// Adds a `Provides-Extra:` line.
    #[must_use]
    pub fn provides_extra(mut self, extra: &str) -> Self {
        self.provides_extra.push(extra.to_string());
        self
    }

    /// Adds any other `METADATA` header, e.g. `("Summary", "A test package")`.
    #[must_use]
    pub fn metadata_field(mut self, name: &str, value: &str) -> Self {
        self.metadata_fields
            .push((name.to_string(), value.to_string()));
        self
    }

    /// Sets the `METADATA` body (the long description, after a blank line).
    #[must_use]
    pub fn description(mut self, body: &str) -> Self {
        self.description = Some(body.to_string());
        self
    }

    /// Adds a file at `path` (relative, `/`-separated) inside the wheel; a second file with the
    /// same path replaces the first.
    #[must_use]
    pub fn file(mut self, path: &str, content: impl AsRef<[u8]>) -> Self {
        let content = content.as_ref().to_vec();
        match self.files.iter_mut().find(|(existing, _)| existing == path) {
            Some(entry) => entry.1 = content,
            None => self.files.push((path.to_string(), content)),
        }
        self
    }

    /// Adds a file to the `.data` directory: `{name}-{version}.data/{category}/{path}`, where
    /// `category` is a scheme key (`scripts`, `data`, `headers`, `purelib`, `platlib`).
    #[must_use]
    pub fn data_file(self, category: &str, path: &str, content: impl AsRef<[u8]>) -> Self {
        let full = format!("{}/{category}/{path}", self.data_dir());
        self.file(&full, content)
    }

    /// Adds an entry point to `entry_points.txt`, e.g.
    /// `("console_scripts", "foo", "foo:main")` or a `gui_scripts` one.
    #[must_use]
    pub fn entry_point(mut self, group: &str, name: &str, object: &str) -> Self {
        self.entry_points
            .push((group.to_string(), name.to_string(), object.to_string()));
        self
    }

    /// Sets `Root-Is-Purelib` (default `true`).
    #[must_use]
    pub fn root_is_purelib(mut self, purelib: bool) -> Self {
        self.root_is_purelib = purelib;
        self
    }

    /// Adds an archive entry with exactly this name, unchecked (`../evil.py`, `/etc/passwd`,
    /// `a/../../b`), listed in `RECORD` like any other file.
    #[must_use]
    pub fn raw_entry(mut self, name: &str, content: impl AsRef<[u8]>) -> Self {
        self.raw_entries
            .push((name.to_string(), content.as_ref().to_vec()));
        self
    }

    /// Makes `RECORD` list a wrong (but well-formed) hash for the file at `path`.
    #[must_use]
    pub fn corrupt_record_hash(mut self, path: &str) -> Self {
        self.corrupt_record_hash.insert(path.to_string());
        self
    }

    /// Leaves the file at `path` out of `RECORD` (it stays in the archive).
    #[must_use]
    pub fn omit_from_record(mut self, path: &str) -> Self {
        self.omit_from_record.insert(path.to_string());
        self
    }

    /// Leaves `METADATA` out of the archive.
    #[must_use]
    pub fn no_metadata(mut self) -> Self {
        self.metadata = false;
        self
    }

    /// Leaves `WHEEL` out of the archive.
    #[must_use]
    pub fn no_wheel_file(mut self) -> Self {
        self.wheel_file = false;
        self
    }

    /// The escaped distribution name used in the filename and the dist-info directory.
    pub fn escaped_name(&self) -> String {
        escape_name(&self.name)
    }

    /// `{escaped name}-{version}.dist-info`.
    pub fn dist_info_dir(&self) -> String {
        format!(
            "{}-{}.dist-info",
            self.escaped_name(),
            self.escaped_version()
        )
    }

    /// `{escaped name}-{version}.data`.
    pub fn data_dir(&self) -> String {
        format!("{}-{}.data", self.escaped_name(), self.escaped_version())
    }

    /// The wheel filename, `{name}-{version}(-{build})?-{tag}.whl`.
    pub fn filename(&self) -> String {
        let build = self
            .build_tag
            .as_ref()
            .map(|build| format!("-{build}"))
            .unwrap_or_default();
        format!(
            "{}-{}{build}-{}.whl",
            self.escaped_name(),
            self.escaped_version(),
            self.tag
        )
    }

    /// The `METADATA` file content.
    pub fn metadata_content(&self) -> Vec<u8> {
        let mut text = format!(
            "Metadata-Version: {}\nName: {}\nVersion: {}\n",
            self.metadata_version, self.name, self.version
        );
        for (name, value) in &self.metadata_fields {
            text.push_str(&format!("{name}: {value}\n"));
        }
        if let Some(requires_python) = &self.requires_python {
            text.push_str(&format!("Requires-Python: {requires_python}\n"));
        }
        for requirement in &self.requires_dist {
            text.push_str(&format!("Requires-Dist: {requirement}\n"));
        }
        for extra in &self.provides_extra {
            text.push_str(&format!("Provides-Extra: {extra}\n"));
        }
        if let Some(description) = &self.description {
            text.push('\n');
            text.push_str(description);
        }
        text.into_bytes()
    }

    fn wheel_content(&self) -> Vec<u8> {
        let mut text = format!(
            "Wheel-Version: 1.0\nGenerator: volley-test-support\nRoot-Is-Purelib: {}\n",
            self.root_is_purelib
        );
        for tag in expand_tags(&self.tag) {
            text.push_str(&format!("Tag: {tag}\n"));
        }
        if let Some(build) = &self.build_tag {
            text.push_str(&format!("Build: {build}\n"));
        }
        text.into_bytes()
    }

    fn entry_points_content(&self) -> Option<Vec<u8>> {
        if self.entry_points.is_empty() {
            return None;
        }
        let mut groups: Vec<&str> = Vec::new();
        for (group, _, _) in &self.entry_points {
            if !groups.contains(&group.as_str()) {
                groups.push(group);
            }
        }
        let mut text = String::new();
        for group in groups {
            text.push_str(&format!("[{group}]\n"));
            for (_, name, object) in self.entry_points.iter().filter(|entry| entry.0 == group) {
                text.push_str(&format!("{name} = {object}\n"));
            }
            text.push('\n');
        }
        Some(text.into_bytes())
    }

    fn escaped_version(&self) -> String {
        self.version.replace('-', "_")
    }

    /// Builds the wheel.
    ///
    /// # Panics
    /// When the zip writer fails (two entries with the same name, e.g. a [`Self::raw_entry`]
    /// that repeats a [`Self::file`] path).
    pub fn build(&self) -> BuiltWheel {
        let dist_info = self.dist_info_dir();
        let metadata = self.metadata_content();

        let mut entries: Vec<(String, Vec<u8>)> = self.files.clone();
        entries.extend(self.raw_entries.iter().cloned());
        if self.metadata {
            entries.push((format!("{dist_info}/METADATA"), metadata.clone()));
        }
        if self.wheel_file {
            entries.push((format!("{dist_info}/WHEEL"), self.wheel_content()));
        }
        if let Some(entry_points) = self.entry_points_content() {
            entries.push((format!("{dist_info}/entry_points.txt"), entry_points));
        }

        let record_path = format!("{dist_info}/RECORD");
        let mut record = String::new();
        for (path, content) in &entries {
            if self.omit_from_record.contains(path) {
                continue;
            }
            let hashed: &[u8] = if self.corrupt_record_hash.contains(path) {
                b"volley-test-support: not the content of this file"
            } else {
                content
            };
            record.push_str(&format!(
                "{},sha256={},{}\n",
                csv_field(path),
                record_hash(hashed),
                content.len()
            ));
        }
        if !self.omit_from_record.contains(&record_path) {
            record.push_str(&format!("{},,\n", csv_field(&record_path)));
        }
        entries.push((record_path, record.into_bytes()));

        let bytes = zip_entries(&entries);
        BuiltWheel {
            filename: self.filename(),
            sha256: sha256_hex(&bytes),
            bytes,
            metadata,
        }
    }
}

/// Escapes a distribution name for a wheel filename: runs of `-`, `_` and `.` become `_`, case
/// is kept.
pub fn escape_name(name: &str) -> String {
    let mut escaped = String::with_capacity(name.len());
    let mut in_run = false;
    for character in name.chars() {
        if matches!(character, '-' | '_' | '.') {
            if !in_run {
                escaped.push('_');
            }
            in_run = true;
        } else {
            escaped.push(character);
            in_run = false;
        }
    }
    escaped
}

/// Normalizes a project name as PEP 503 does: lowercase, runs of `-`, `_` and `.` become `-`.
pub fn normalize_name(name: &str) -> String {
    escape_name(name).replace('_', "-").to_lowercase()
}

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The `RECORD` form of a sha256: urlsafe base64 without padding.
fn record_hash(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(bytes))
}

/// Quotes a `RECORD` (CSV) field when it holds a comma, a quote or a line break.
fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// Expands a compressed tag set: `py2.py3-none-any` → `py2-none-any`, `py3-none-any`.
fn expand_tags(tag: &str) -> Vec<String> {
    let parts: Vec<&str> = tag.splitn(3, '-').collect();
    let [python, abi, platform] = parts[..] else {
        return vec![tag.to_string()];
    };
    let mut tags = Vec::new();
    for python in python.split('.') {
        for abi in abi.split('.') {
            for platform in platform.split('.') {
                tags.push(format!("{python}-{abi}-{platform}"));
            }
        }
    }
    tags
}

/// Writes `entries` into a deflate-compressed zip with fixed timestamps.
pub(crate) fn zip_entries(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .last_modified_time(DateTime::default())
        .unix_permissions(0o644);
    for (name, content) in entries {
        writer.start_file(name, options).expect("start a zip entry");
        writer.write_all(content).expect("write a zip entry");
    }
    writer.finish().expect("finish the zip").into_inner()
}

/// Incompressible bytes (a xorshift sequence), so that a file holding them is about as large
/// zipped as it is: for wheels that must be big on the wire.
pub fn noise(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_normalization() {
        assert_eq!(escape_name("Foo.-_Bar"), "Foo_Bar");
        assert_eq!(escape_name("foo-bar.baz"), "foo_bar_baz");
        assert_eq!(normalize_name("Foo.__Bar"), "foo-bar");
        assert_eq!(
            expand_tags("py2.py3-none-any"),
            ["py2-none-any", "py3-none-any"]
        );
    }
}
