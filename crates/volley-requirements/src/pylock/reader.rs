//! Reading a `pylock.toml` into a [`Pylock`]: the TOML is parsed into a table first, then each
//! key is checked by hand, so that every error names the table it is in
//! (`packages[2].wheels[0]`), which serde's messages cannot.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use percent_encoding::percent_decode_str;
use toml::value::Offset;
use toml::{Table, Value};
use url::Url;
use volley_packaging::{
    ExtraName, HashAlgorithm, HashDigest, MarkerContext, MarkerExpression, MarkerTree,
    MetadataError, PackageName, SourceDistFilename, Version, VersionSpecifiers, WheelFilename,
    parse_requires_python,
};

use super::{
    LockedArchive, LockedDependency, LockedDirectory, LockedFile, LockedPackage, LockedVcs, Pylock,
    PylockError, PylockLocation, UploadTime,
};

const TOP_LEVEL_KEYS: &[&str] = &[
    "lock-version",
    "environments",
    "requires-python",
    "extras",
    "dependency-groups",
    "default-groups",
    "created-by",
    "packages",
    "tool",
];
const PACKAGE_KEYS: &[&str] = &[
    "name",
    "version",
    "marker",
    "requires-python",
    "dependencies",
    "index",
    "vcs",
    "directory",
    "archive",
    "sdist",
    "wheels",
    "attestation-identities",
    "tool",
];
const FILE_KEYS: &[&str] = &["name", "upload-time", "url", "path", "size", "hashes"];
const ARCHIVE_KEYS: &[&str] = &[
    "url",
    "path",
    "size",
    "upload-time",
    "hashes",
    "subdirectory",
];
const DIRECTORY_KEYS: &[&str] = &["path", "editable", "subdirectory"];
const VCS_KEYS: &[&str] = &[
    "type",
    "url",
    "path",
    "requested-revision",
    "commit-id",
    "subdirectory",
];

pub(super) fn parse(text: &str, path: &Path) -> Result<Pylock, PylockError> {
    let document: Table = text.parse().map_err(|error: toml::de::Error| {
        let line = error.span().map_or(1, |span| {
            text[..span.start.min(text.len())].matches('\n').count() + 1
        });
        PylockError::Toml {
            path: path.to_path_buf(),
            line,
            message: error.message().trim().to_string(),
        }
    })?;
    let root = Fields {
        table: &document,
        location: PylockLocation {
            path: path.to_path_buf(),
            table: String::new(),
        },
    };

    // The version decides how to read the rest, so it is checked first.
    let lock_version = root.required_string("lock-version")?;
    if !is_version_one(lock_version) {
        return Err(PylockError::UnsupportedLockVersion {
            path: path.to_path_buf(),
            version: lock_version.to_string(),
        });
    }

    let mut warnings = Vec::new();
    root.warn_unknown(TOP_LEVEL_KEYS, &mut warnings);
    let environments = root
        .strings("environments")?
        .map(|markers| {
            markers
                .into_iter()
                .map(|marker| root.marker("environments", marker, MarkerContext::default()))
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let requires_python = root.requires_python()?;
    let extras = root
        .strings("extras")?
        .map(|extras| {
            extras
                .into_iter()
                .map(|extra| {
                    ExtraName::from_str(extra).map_err(|error| root.invalid("extras", extra, error))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?;
    let owned = |strings: Option<Vec<&str>>| {
        strings.map(|strings| strings.into_iter().map(str::to_string).collect())
    };
    let dependency_groups = owned(root.strings("dependency-groups")?);
    let default_groups: Option<Vec<String>> = owned(root.strings("default-groups")?);
    // Markers on `extras` and `dependency_groups` are decided for what is installed: no extras
    // and the default groups, as PEP 751 says when nothing else is asked for.
    let groups = default_groups.clone().unwrap_or_default();
    let context = MarkerContext {
        lock_file: Some((&[], &groups)),
    };
    let created_by = root.required_string("created-by")?.to_string();
    if root.table.get("packages").is_none() {
        return Err(root.missing("packages"));
    }
    let packages = root
        .tables("packages")?
        .iter()
        .map(|fields| package(fields, context, &mut warnings))
        .collect::<Result<Vec<_>, _>>()?;
    let tool = root.raw_table("tool")?;

    Ok(Pylock {
        lock_version: lock_version.to_string(),
        environments,
        requires_python,
        extras,
        dependency_groups,
        default_groups,
        created_by,
        packages,
        tool,
        warnings,
    })
}

/// `1`, `1.0`, `1.1`, ...: a version this reader can read (newer minor versions only add keys).
fn is_version_one(version: &str) -> bool {
    let mut parts = version.split('.');
    parts.next() == Some("1")
        && parts.all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

fn package(
    fields: &Fields,
    context: MarkerContext<'_>,
    warnings: &mut Vec<String>,
) -> Result<LockedPackage, PylockError> {
    fields.warn_unknown(PACKAGE_KEYS, warnings);
    let name_text = fields.required_string("name")?;
    let name = PackageName::from_str(name_text)
        .map_err(|error| fields.invalid("name", name_text, error))?;
    let version = fields
        .string("version")?
        .map(|version| {
            Version::from_str(version).map_err(|error| fields.invalid("version", version, error))
        })
        .transpose()?;
    let marker = fields
        .string("marker")?
        .map(|marker| fields.marker("marker", marker, context))
        .transpose()?;
    let requires_python = fields.requires_python()?;
    let dependencies = fields
        .tables("dependencies")?
        .iter()
        .map(dependency)
        .collect::<Result<Vec<_>, _>>()?;
    let index = fields.url("index")?;

    let vcs = fields
        .table("vcs")?
        .map(|fields| vcs(&fields, warnings))
        .transpose()?;
    let directory = fields
        .table("directory")?
        .map(|fields| directory(&fields, warnings))
        .transpose()?;
    let archive = fields
        .table("archive")?
        .map(|fields| archive(&fields, warnings))
        .transpose()?;
    let sdist = match fields.table("sdist")? {
        Some(sdist_fields) => {
            let sdist = file(&sdist_fields, warnings)?;
            check_sdist(&sdist_fields, &sdist, &name, version.as_ref())?;
            Some(sdist)
        }
        None => None,
    };
    let mut wheels = Vec::new();
    for wheel_fields in fields.tables("wheels")? {
        let wheel = file(&wheel_fields, warnings)?;
        check_wheel(&wheel_fields, &wheel, &name, version.as_ref())?;
        wheels.push(wheel);
    }

    // One kind of source: a source tree in version control, a directory, an archive, or the
    // distributions (an sdist and wheels may go together).
    let sources = [
        ("vcs", vcs.is_some()),
        ("directory", directory.is_some()),
        ("archive", archive.is_some()),
        ("sdist", sdist.is_some()),
        ("wheels", !wheels.is_empty()),
    ];
    let present: Vec<&'static str> = sources
        .iter()
        .filter(|(_, present)| *present)
        .map(|(key, _)| *key)
        .collect();
    match present.as_slice() {
        [] => {
            return Err(PylockError::NoSource {
                location: fields.location.clone(),
                name: name.to_string(),
            });
        }
        [_] | ["sdist", "wheels"] => {}
        [first, second, ..] => {
            return Err(PylockError::ConflictingSources {
                location: fields.location.clone(),
                first,
                second,
            });
        }
    }

    let attestation_identities = fields
        .tables("attestation-identities")?
        .iter()
        .map(|identity| {
            identity.required_string("kind")?;
            Ok(identity.table.clone())
        })
        .collect::<Result<Vec<_>, PylockError>>()?;
    let tool = fields.raw_table("tool")?;

    Ok(LockedPackage {
        name,
        version,
        marker,
        requires_python,
        dependencies,
        index,
        vcs,
        directory,
        archive,
        sdist,
        wheels,
        attestation_identities,
        tool,
    })
}

fn dependency(fields: &Fields) -> Result<LockedDependency, PylockError> {
    let name_text = fields.required_string("name")?;
    let name = PackageName::from_str(name_text)
        .map_err(|error| fields.invalid("name", name_text, error))?;
    let version = fields
        .string("version")?
        .map(|version| {
            Version::from_str(version).map_err(|error| fields.invalid("version", version, error))
        })
        .transpose()?;
    let other_keys = fields
        .table
        .iter()
        .filter(|(key, _)| !matches!(key.as_str(), "name" | "version"))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    Ok(LockedDependency {
        name,
        version,
        other_keys,
    })
}

/// A wheel or an sdist.
fn file(fields: &Fields, warnings: &mut Vec<String>) -> Result<LockedFile, PylockError> {
    fields.warn_unknown(FILE_KEYS, warnings);
    let url = fields.url("url")?;
    let path = fields.string("path")?.map(PathBuf::from);
    if url.is_none() && path.is_none() {
        return Err(PylockError::NoLocation {
            location: fields.location.clone(),
        });
    }
    let name = match fields.string("name")? {
        Some(name) => name.to_string(),
        None => url
            .as_ref()
            .and_then(url_file_name)
            .or_else(|| path.as_deref().and_then(path_file_name))
            .ok_or_else(|| fields.missing("name"))?,
    };
    Ok(LockedFile {
        name,
        url,
        path,
        size: fields.size()?,
        upload_time: fields.upload_time()?,
        hashes: fields.hashes()?,
    })
}

/// The last segment of a URL's path, percent-decoded (`torch-2.0%2Bcpu.whl` is
/// `torch-2.0+cpu.whl`).
fn url_file_name(url: &Url) -> Option<String> {
    let segment = url.path_segments()?.next_back()?;
    let name = percent_decode_str(segment).decode_utf8().ok()?;
    (!name.is_empty()).then(|| name.into_owned())
}

fn path_file_name(path: &Path) -> Option<String> {
    Some(path.file_name()?.to_str()?.to_string())
}

fn check_wheel(
    fields: &Fields,
    wheel: &LockedFile,
    package: &PackageName,
    version: Option<&Version>,
) -> Result<(), PylockError> {
    let filename = WheelFilename::from_str(&wheel.name)
        .map_err(|error| fields.invalid("name", &wheel.name, error.reason))?;
    if filename.name != *package {
        let reason = format!("the wheel is for package \"{}\"", filename.name);
        return Err(fields.invalid("name", &wheel.name, reason));
    }
    if version.is_some_and(|version| *version != filename.version) {
        let reason = format!("the wheel is for version {}", filename.version);
        return Err(fields.invalid("name", &wheel.name, reason));
    }
    Ok(())
}

fn check_sdist(
    fields: &Fields,
    sdist: &LockedFile,
    package: &PackageName,
    version: Option<&Version>,
) -> Result<(), PylockError> {
    let filename = SourceDistFilename::parse(&sdist.name, package)
        .map_err(|error| fields.invalid("name", &sdist.name, error.reason))?;
    if version.is_some_and(|version| *version != filename.version) {
        let reason = format!("the sdist is for version {}", filename.version);
        return Err(fields.invalid("name", &sdist.name, reason));
    }
    Ok(())
}

fn archive(fields: &Fields, warnings: &mut Vec<String>) -> Result<LockedArchive, PylockError> {
    fields.warn_unknown(ARCHIVE_KEYS, warnings);
    let url = fields.url("url")?;
    let path = fields.string("path")?.map(PathBuf::from);
    if url.is_none() && path.is_none() {
        return Err(PylockError::NoLocation {
            location: fields.location.clone(),
        });
    }
    Ok(LockedArchive {
        url,
        path,
        size: fields.size()?,
        upload_time: fields.upload_time()?,
        hashes: fields.hashes()?,
        subdirectory: fields.string("subdirectory")?.map(str::to_string),
    })
}

fn directory(fields: &Fields, warnings: &mut Vec<String>) -> Result<LockedDirectory, PylockError> {
    fields.warn_unknown(DIRECTORY_KEYS, warnings);
    Ok(LockedDirectory {
        path: PathBuf::from(fields.required_string("path")?),
        editable: fields.boolean("editable")?.unwrap_or(false),
        subdirectory: fields.string("subdirectory")?.map(str::to_string),
    })
}

fn vcs(fields: &Fields, warnings: &mut Vec<String>) -> Result<LockedVcs, PylockError> {
    fields.warn_unknown(VCS_KEYS, warnings);
    let vcs_type = fields.required_string("type")?.to_string();
    let url = fields.string("url")?.map(str::to_string);
    let path = fields.string("path")?.map(PathBuf::from);
    if url.is_none() && path.is_none() {
        return Err(PylockError::NoLocation {
            location: fields.location.clone(),
        });
    }
    Ok(LockedVcs {
        vcs_type,
        url,
        path,
        requested_revision: fields.string("requested-revision")?.map(str::to_string),
        commit_id: fields.required_string("commit-id")?.to_string(),
        subdirectory: fields.string("subdirectory")?.map(str::to_string),
    })
}

/// A TOML table and where it is, with typed getters whose errors name the key and the table.
struct Fields<'t> {
    table: &'t Table,
    location: PylockLocation,
}

impl<'t> Fields<'t> {
    /// The location of `key` below this table (`packages` below the top level, `wheels[0]`
    /// below `packages[1]`).
    fn below(&self, key: &str) -> PylockLocation {
        let table = if self.location.table.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.location.table)
        };
        PylockLocation {
            path: self.location.path.clone(),
            table,
        }
    }

    fn missing(&self, key: &'static str) -> PylockError {
        PylockError::MissingKey {
            location: self.location.clone(),
            key,
        }
    }

    fn wrong_type(
        &self,
        key: impl Into<String>,
        expected: &'static str,
        found: &Value,
    ) -> PylockError {
        PylockError::WrongType {
            location: self.location.clone(),
            key: key.into(),
            expected,
            found: describe(found),
        }
    }

    fn invalid(
        &self,
        key: impl Into<String>,
        value: &str,
        reason: impl fmt::Display,
    ) -> PylockError {
        PylockError::InvalidValue {
            location: self.location.clone(),
            key: key.into(),
            value: value.to_string(),
            reason: reason.to_string(),
        }
    }

    /// Record the keys this reader does not know (`[tool]` tables are kept, not checked).
    fn warn_unknown(&self, known: &[&str], warnings: &mut Vec<String>) {
        for key in self.table.keys() {
            if !known.contains(&key.as_str()) {
                warnings.push(format!("{}: unknown key \"{key}\" ignored", self.location));
            }
        }
    }

    fn string(&self, key: &'static str) -> Result<Option<&'t str>, PylockError> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::String(value)) => Ok(Some(value)),
            Some(other) => Err(self.wrong_type(key, "a string", other)),
        }
    }

    fn required_string(&self, key: &'static str) -> Result<&'t str, PylockError> {
        self.string(key)?.ok_or_else(|| self.missing(key))
    }

    fn boolean(&self, key: &'static str) -> Result<Option<bool>, PylockError> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::Boolean(value)) => Ok(Some(*value)),
            Some(other) => Err(self.wrong_type(key, "a boolean", other)),
        }
    }

    fn strings(&self, key: &'static str) -> Result<Option<Vec<&'t str>>, PylockError> {
        let Some(value) = self.table.get(key) else {
            return Ok(None);
        };
        let Value::Array(items) = value else {
            return Err(self.wrong_type(key, "an array of strings", value));
        };
        items
            .iter()
            .enumerate()
            .map(|(index, item)| match item {
                Value::String(item) => Ok(item.as_str()),
                other => Err(self.wrong_type(format!("{key}[{index}]"), "a string", other)),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    fn table(&self, key: &'static str) -> Result<Option<Fields<'t>>, PylockError> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Value::Table(table)) => Ok(Some(Fields {
                table,
                location: self.below(key),
            })),
            Some(other) => Err(self.wrong_type(key, "a table", other)),
        }
    }

    /// An array of tables; none when the key is absent.
    fn tables(&self, key: &'static str) -> Result<Vec<Fields<'t>>, PylockError> {
        let Some(value) = self.table.get(key) else {
            return Ok(Vec::new());
        };
        let Value::Array(items) = value else {
            return Err(self.wrong_type(key, "an array of tables", value));
        };
        items
            .iter()
            .enumerate()
            .map(|(index, item)| match item {
                Value::Table(table) => Ok(Fields {
                    table,
                    location: self.below(&format!("{key}[{index}]")),
                }),
                other => Err(self.wrong_type(format!("{key}[{index}]"), "a table", other)),
            })
            .collect()
    }

    fn raw_table(&self, key: &'static str) -> Result<Option<Table>, PylockError> {
        Ok(self.table(key)?.map(|fields| fields.table.clone()))
    }

    fn url(&self, key: &'static str) -> Result<Option<Url>, PylockError> {
        self.string(key)?
            .map(|url| Url::parse(url).map_err(|error| self.invalid(key, url, error)))
            .transpose()
    }

    fn marker(
        &self,
        key: &'static str,
        text: &str,
        context: MarkerContext<'_>,
    ) -> Result<MarkerTree, PylockError> {
        if text.trim().is_empty() {
            return Ok(MarkerTree::TRUE);
        }
        MarkerExpression::parse(text)
            .and_then(|expression| expression.to_tree(text, context))
            .map_err(|error| self.invalid(key, text, error.reason))
    }

    fn requires_python(&self) -> Result<Option<VersionSpecifiers>, PylockError> {
        self.string("requires-python")?
            .map(|text| {
                parse_requires_python(text).map_err(|error| {
                    let reason = match error {
                        MetadataError::InvalidField { reason, .. } => reason,
                        other => other.to_string(),
                    };
                    self.invalid("requires-python", text, reason)
                })
            })
            .transpose()
    }

    fn size(&self) -> Result<Option<u64>, PylockError> {
        match self.table.get("size") {
            None => Ok(None),
            Some(Value::Integer(size)) => u64::try_from(*size)
                .map(Some)
                .map_err(|_| self.invalid("size", &size.to_string(), "a size cannot be negative")),
            Some(other) => Err(self.wrong_type("size", "an integer", other)),
        }
    }

    fn upload_time(&self) -> Result<Option<UploadTime>, PylockError> {
        match self.table.get("upload-time") {
            None => Ok(None),
            Some(Value::Datetime(time)) => {
                let utc = matches!(
                    time.offset,
                    Some(Offset::Z) | Some(Offset::Custom { minutes: 0 })
                );
                if time.date.is_none() || time.time.is_none() || !utc {
                    return Err(self.invalid(
                        "upload-time",
                        &time.to_string(),
                        "expected a date and time in UTC, like 2025-01-25T11:30:10Z",
                    ));
                }
                Ok(Some(*time))
            }
            Some(other) => Err(self.wrong_type("upload-time", "a date-time", other)),
        }
    }

    fn hashes(&self) -> Result<Vec<HashDigest>, PylockError> {
        let Some(table) = self.table("hashes")? else {
            return Err(self.missing("hashes"));
        };
        if table.table.is_empty() {
            return Err(PylockError::NoHashes {
                location: self.location.clone(),
            });
        }
        let mut hashes = Vec::new();
        let mut unknown = Vec::new();
        for (algorithm, value) in table.table {
            let Value::String(digest) = value else {
                return Err(self.wrong_type(format!("hashes.{algorithm}"), "a string", value));
            };
            match HashAlgorithm::from_str(algorithm) {
                Ok(known) => hashes.push(HashDigest::new(known, digest).map_err(|_| {
                    self.invalid(
                        format!("hashes.{algorithm}"),
                        digest,
                        "expected hexadecimal digits",
                    )
                })?),
                Err(_) => unknown.push(algorithm.as_str()),
            }
        }
        if hashes.is_empty() {
            return Err(PylockError::UnknownHashAlgorithms {
                location: self.location.clone(),
                algorithms: unknown.join(", "),
            });
        }
        hashes.sort();
        Ok(hashes)
    }
}

/// A TOML value's type, for messages.
fn describe(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date-time",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// The example of the pylock.toml specification (PEP 751 as accepted).
    pub(crate) const PEP_EXAMPLE: &str = r#"
lock-version = '1.0'
environments = ["sys_platform == 'win32'", "sys_platform == 'linux'"]
requires-python = '==3.12'
created-by = 'mousebender'

[[packages]]
name = 'attrs'
version = '25.1.0'
requires-python = '>=3.8'
wheels = [
  {name = 'attrs-25.1.0-py3-none-any.whl', upload-time = 2025-01-25T11:30:10.164985+00:00, url = 'https://files.pythonhosted.org/packages/fc/30/d4986a882011f9df997a55e6becd864812ccfcd821d64aac8570ee39f719/attrs-25.1.0-py3-none-any.whl', size = 63152, hashes = {sha256 = 'c75a69e28a550a7e93789579c22aa26b0f5b83b75dc4e08fe092980051e1090a'}},
]
[[packages.attestation-identities]]
environment = 'release-pypi'
kind = 'GitHub'
repository = 'python-attrs/attrs'
workflow = 'pypi-package.yml'

[[packages]]
name = 'cattrs'
version = '24.1.2'
requires-python = '>=3.8'
dependencies = [
    {name = 'attrs'},
]
wheels = [
  {name = 'cattrs-24.1.2-py3-none-any.whl', upload-time = 2024-09-22T14:58:34.812643+00:00, url = 'https://files.pythonhosted.org/packages/c8/d5/867e75361fc45f6de75fe277dd085627a9db5ebb511a87f27dc1396b5351/cattrs-24.1.2-py3-none-any.whl', size = 66446, hashes = {sha256 = '67c7495b760168d931a10233f979b28dc04daf853b30752246f4f8471c6d68d0'}},
]

[[packages]]
name = 'numpy'
version = '2.2.3'
requires-python = '>=3.10'
wheels = [
  {name = 'numpy-2.2.3-cp312-cp312-win_amd64.whl', upload-time = 2025-02-13T16:51:21.821880+00:00, url = 'https://files.pythonhosted.org/packages/42/6e/55580a538116d16ae7c9aa17d4edd56e83f42126cb1dfe7a684da7925d2c/numpy-2.2.3-cp312-cp312-win_amd64.whl', size = 12626357, hashes = {sha256 = '83807d445817326b4bcdaaaf8e8e9f1753da04341eceec705c001ff342002e5d'}},
  {name = 'numpy-2.2.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', upload-time = 2025-02-13T16:50:00.079662+00:00, url = 'https://files.pythonhosted.org/packages/39/04/78d2e7402fb479d893953fb78fa7045f7deb635ec095b6b4f0260223091a/numpy-2.2.3-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', size = 16116679, hashes = {sha256 = '3b787adbf04b0db1967798dba8da1af07e387908ed1553a0d6e74c084d1ceafe'}},
]

[tool.mousebender]
command = ['.', 'lock', '--platform', 'cpython3.12-windows-x64', '--platform', 'cpython3.12-manylinux2014-x64', 'cattrs', 'numpy']
run-on = 2025-03-06T12:28:57.760769
"#;

    fn parse_ok(text: &str) -> Pylock {
        Pylock::parse(text, Path::new("pylock.toml")).unwrap()
    }

    fn error(text: &str) -> String {
        Pylock::parse(text, Path::new("pylock.toml"))
            .unwrap_err()
            .to_string()
    }

    const HEADER: &str = "lock-version = '1.0'\ncreated-by = 'test'\n";
    const WHEEL: &str = "{name = 'a-1.0-py3-none-any.whl', url = 'https://example.org/a-1.0-py3-none-any.whl', hashes = {sha256 = 'ab'}}";

    /// The error for a lock file whose only package is `package` (the lines after
    /// `[[packages]]`).
    fn package_error(package: &str) -> String {
        error(&format!("{HEADER}[[packages]]\n{package}\n"))
    }

    #[test]
    fn the_specifications_example_parses() {
        let lock = parse_ok(PEP_EXAMPLE);
        assert_eq!(lock.lock_version, "1.0");
        assert_eq!(lock.created_by, "mousebender");
        assert_eq!(lock.requires_python.unwrap().to_string(), "==3.12");
        let environments: Vec<String> = lock
            .environments
            .unwrap()
            .iter()
            .map(|marker| marker.try_to_string().unwrap())
            .collect();
        assert_eq!(
            environments,
            ["sys_platform == 'win32'", "sys_platform == 'linux'"]
        );
        let names: Vec<String> = lock.packages.iter().map(|p| p.name.to_string()).collect();
        assert_eq!(names, ["attrs", "cattrs", "numpy"]);

        let attrs = &lock.packages[0];
        assert_eq!(attrs.version.as_ref().unwrap().to_string(), "25.1.0");
        assert_eq!(attrs.requires_python.as_ref().unwrap().to_string(), ">=3.8");
        let wheel = &attrs.wheels[0];
        assert_eq!(wheel.name, "attrs-25.1.0-py3-none-any.whl");
        assert_eq!(wheel.size, Some(63152));
        assert_eq!(
            wheel.upload_time.unwrap().to_string(),
            "2025-01-25T11:30:10.164985+00:00"
        );
        assert_eq!(
            wheel.hashes,
            [HashDigest::sha256(
                "c75a69e28a550a7e93789579c22aa26b0f5b83b75dc4e08fe092980051e1090a"
            )]
        );
        assert_eq!(
            attrs.attestation_identities[0]["kind"].as_str(),
            Some("GitHub")
        );
        assert_eq!(lock.packages[1].dependencies[0].name.to_string(), "attrs");
        assert_eq!(lock.packages[2].wheels.len(), 2);
        assert!(lock.tool.unwrap().contains_key("mousebender"));
        assert!(lock.warnings.is_empty());
    }

    #[test]
    fn the_example_file_with_arrays_of_tables_parses() {
        // packaging.python.org's pylock.example.toml writes files as `[[packages.wheels]]`.
        let lock = parse_ok(
            "lock-version = '1.0'
environments = [\"sys_platform == 'win32'\", \"sys_platform == 'linux'\"]
requires-python = '== 3.12.*'
created-by = 'mousebender'

[[packages]]
name = 'attrs'
version = '25.1.0'
requires-python = '>= 3.8'

    [[packages.wheels]]
    name = 'attrs-25.1.0-py3-none-any.whl'
    upload-time = 2025-01-25T11:30:10.164985+00:00
    url = 'https://files.pythonhosted.org/packages/fc/30/d4986a882011f9df997a55e6becd864812ccfcd821d64aac8570ee39f719/attrs-25.1.0-py3-none-any.whl'
    size = 63152
    hashes = {sha256 = 'c75a69e28a550a7e93789579c22aa26b0f5b83b75dc4e08fe092980051e1090a'}

    [[packages.attestation-identities]]
    environment = 'release-pypi'
    kind = 'GitHub'
",
        );
        assert_eq!(lock.requires_python.unwrap().to_string(), "==3.12.*");
        assert_eq!(lock.packages[0].wheels[0].size, Some(63152));
    }

    #[test]
    fn markers_and_requires_python_are_kept() {
        let lock = parse_ok(&format!(
            "{HEADER}requires-python = '>=3.9, <4'
extras = ['Test_Extra']
dependency-groups = []
default-groups = ['default']
[[packages]]
name = 'A'
marker = \"python_version < '3.11' and sys_platform == 'linux'\"
requires-python = '>=3.9,'
wheels = [{WHEEL}]
"
        ));
        assert_eq!(lock.requires_python.unwrap().to_string(), ">=3.9, <4");
        assert_eq!(lock.extras.unwrap()[0].to_string(), "test-extra");
        assert_eq!(lock.dependency_groups, Some(Vec::new()));
        assert_eq!(lock.default_groups, Some(vec!["default".to_string()]));
        let package = &lock.packages[0];
        assert_eq!(package.name.to_string(), "a");
        assert_eq!(
            package.marker.as_ref().unwrap().try_to_string().unwrap(),
            "python_full_version < '3.11' and sys_platform == 'linux'"
        );
        assert_eq!(
            package.requires_python.as_ref().unwrap().to_string(),
            ">=3.9"
        );
        assert_eq!(package.version, None);
    }

    #[test]
    fn file_names_come_from_the_url_or_path() {
        let lock = parse_ok(&format!(
            "{HEADER}[[packages]]
name = 'torch'
version = '2.0.0+cpu'
sdist = {{path = 'dist/torch-2.0.0+cpu.tar.gz', hashes = {{sha256 = 'ab'}}}}
wheels = [
    {{url = 'https://example.org/whl/torch-2.0.0%2Bcpu-cp312-cp312-linux_x86_64.whl', hashes = {{sha256 = 'cd', blake2b = 'zz'}}}},
]
"
        ));
        let package = &lock.packages[0];
        assert_eq!(
            package.sdist.as_ref().unwrap().name,
            "torch-2.0.0+cpu.tar.gz"
        );
        let wheel = &package.wheels[0];
        assert_eq!(wheel.name, "torch-2.0.0+cpu-cp312-cp312-linux_x86_64.whl");
        // Algorithms volley does not know are dropped when one it knows is there.
        assert_eq!(wheel.hashes, [HashDigest::sha256("cd")]);
    }

    #[test]
    fn other_sources_parse() {
        let lock = parse_ok(&format!(
            "{HEADER}[[packages]]
name = 'local'
directory = {{path = '../local', editable = true, subdirectory = 'python'}}
[[packages]]
name = 'remote'
vcs = {{type = 'git', url = 'https://example.org/remote.git', requested-revision = 'main', commit-id = 'abc123'}}
[[packages]]
name = 'archived'
archive = {{url = 'https://example.org/archived.zip', size = 10, hashes = {{sha256 = 'ab'}}, subdirectory = 'sub'}}
"
        ));
        let directory = lock.packages[0].directory.as_ref().unwrap();
        assert_eq!(
            (directory.path.to_str(), directory.editable),
            (Some("../local"), true)
        );
        let vcs = lock.packages[1].vcs.as_ref().unwrap();
        assert_eq!(
            (vcs.vcs_type.as_str(), vcs.commit_id.as_str()),
            ("git", "abc123")
        );
        let archive = lock.packages[2].archive.as_ref().unwrap();
        assert_eq!(archive.subdirectory.as_deref(), Some("sub"));
    }

    #[test]
    fn unknown_keys_are_warnings() {
        let lock = parse_ok(
            "lock-version = '1.1'\ncreated-by = 'test'\nfuture = 1\n[[packages]]\nname = 'a'\nnew-key = 2\nwheels = [{name = 'a-1.0-py3-none-any.whl', path = 'a.whl', mirror = 'x', hashes = {sha256 = 'ab'}}]\n",
        );
        insta::assert_snapshot!(lock.warnings.join("\n"), @r#"
        pylock.toml: unknown key "future" ignored
        pylock.toml at packages[0]: unknown key "new-key" ignored
        pylock.toml at packages[0].wheels[0]: unknown key "mirror" ignored
        "#);
    }

    /// Multi-use lock files: markers on `extras` and `dependency_groups` are decided for no
    /// extras and the default groups; and markers are read with packaging's grammar.
    #[test]
    fn multi_use_markers_select_for_the_default_groups() {
        let lock = parse_ok(&format!(
            "{HEADER}default-groups = ['Dev']\n\
             [[packages]]\nname = 'a'\nmarker = \"'dev' in dependency_groups\"\nwheels = [{WHEEL}]\n\
             [[packages]]\nname = 'b'\nmarker = \"'test' in extras or 'docs' in dependency_groups\"\nwheels = [{}]\n\
             [[packages]]\nname = 'c'\nmarker = \"'dev' in dependency_groups and(sys_platform=='linux')\"\nwheels = [{}]\n",
            WHEEL.replace("a-1.0", "b-1.0"),
            WHEEL.replace("a-1.0", "c-1.0"),
        ));
        let markers: Vec<String> = lock
            .packages
            .iter()
            .map(|package| {
                let marker = package.marker.clone().unwrap();
                if marker.is_true() {
                    "always".to_string()
                } else if marker.is_false() {
                    "never".to_string()
                } else {
                    marker.try_to_string().unwrap()
                }
            })
            .collect();
        assert_eq!(markers, ["always", "never", "sys_platform == 'linux'"]);
    }

    #[test]
    fn document_errors() {
        let errors = [
            error("lock-version = '1.0'\ncreated-by = 'x'\npackages = [\n"),
            error("created-by = 'x'\npackages = []\n"),
            error("lock-version = 1.0\n"),
            error("lock-version = '2.0'\ncreated-by = 'x'\npackages = []\n"),
            error("lock-version = 'one'\n"),
            error("lock-version = '1.0'\npackages = []\n"),
            error(HEADER),
            error(&format!("{HEADER}packages = {{}}\n")),
            error(&format!("{HEADER}packages = [1]\n")),
            error(&format!(
                "{HEADER}packages = []\nenvironments = \"linux\"\n"
            )),
            error(&format!(
                "{HEADER}packages = []\nenvironments = ['os_name == \"posix\"', 3]\n"
            )),
            error(&format!(
                "{HEADER}packages = []\nenvironments = ['os_name = 1']\n"
            )),
            error(&format!(
                "{HEADER}packages = []\nrequires-python = '>=3.x'\n"
            )),
            error(&format!(
                "{HEADER}packages = []\nextras = ['not an extra']\n"
            )),
            error(&format!("{HEADER}packages = []\ntool = 'x'\n")),
        ];
        insta::assert_snapshot!(errors.join("\n"), @r#"
        error in pylock.toml line 3: invalid TOML: unclosed array, expected `]`
        error in pylock.toml: missing key "lock-version"
        error in pylock.toml: "lock-version" must be a string, not a float
        lock file pylock.toml has lock-version "2.0", but volley reads only version 1 lock files
        lock file pylock.toml has lock-version "one", but volley reads only version 1 lock files
        error in pylock.toml: missing key "created-by"
        error in pylock.toml: missing key "packages"
        error in pylock.toml: "packages" must be an array of tables, not a table
        error in pylock.toml: "packages[0]" must be a table, not an integer
        error in pylock.toml: "environments" must be an array of strings, not a string
        error in pylock.toml: "environments[1]" must be a string, not an integer
        error in pylock.toml: invalid environments "os_name = 1": expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in
        error in pylock.toml: invalid requires-python ">=3.x": after parsing `3`, found `.x`, which is not part of a valid version
        error in pylock.toml: invalid extras "not an extra": Not a valid package or extra name: "not an extra". Names must start and end with a letter or digit and may only contain -, _, ., and alphanumeric characters.
        error in pylock.toml: "tool" must be a table, not a string
        "#);
    }

    #[test]
    fn package_errors() {
        let errors = [
            package_error("version = '1.0'"),
            package_error("name = 'not a name'"),
            package_error("name = 'a'\nversion = '1..0'"),
            package_error("name = 'a'\nmarker = 'python_version >'"),
            package_error("name = 'a'\nmarker = \"os_name ~= '1.0'\""),
            package_error("name = 'a'\nrequires-python = 'three'"),
            package_error("name = 'a'\nindex = 'not a url'"),
            package_error("name = 'a'\ndependencies = [{version = '1.0'}]"),
            package_error("name = 'a'"),
            package_error("name = 'a'\nwheels = []"),
            package_error(&format!(
                "name = 'a'\nwheels = [{WHEEL}]\nvcs = {{type = 'git', url = 'u', commit-id = 'c'}}"
            )),
            package_error(&format!(
                "name = 'a'\nwheels = [{WHEEL}]\narchive = {{path = 'a.zip', hashes = {{sha256 = 'ab'}}}}"
            )),
            package_error(
                "name = 'a'\ndirectory = {path = '.'}\nsdist = {path = 'a-1.0.tar.gz', hashes = {sha256 = 'ab'}}",
            ),
            package_error("name = 'a'\nvcs = {type = 'git', url = 'https://example.org/a.git'}"),
            package_error("name = 'a'\nvcs = {type = 'git', commit-id = 'abc'}"),
            package_error("name = 'a'\ndirectory = {editable = true}"),
            package_error("name = 'a'\ndirectory = {path = '.', editable = 'yes'}"),
            package_error(
                "name = 'a'\nwheels = [{name = 'a-1.0-py3-none-any.whl', url = 'https://x/a.whl', hashes = {sha256 = 'ab'}}]\n[[packages.attestation-identities]]\nenvironment = 'pypi'",
            ),
        ];
        insta::assert_snapshot!(errors.join("\n"), @r#"
        error in pylock.toml at packages[0]: missing key "name"
        error in pylock.toml at packages[0]: invalid name "not a name": Not a valid package or extra name: "not a name". Names must start and end with a letter or digit and may only contain -, _, ., and alphanumeric characters.
        error in pylock.toml at packages[0]: invalid version "1..0": after parsing `1`, found `..0`, which is not part of a valid version
        error in pylock.toml at packages[0]: invalid marker "python_version >": expected a marker variable or quoted string
        error in pylock.toml at packages[0]: invalid marker "os_name ~= '1.0'": os_name ~= "1.0": "~=" has no meaning for the string variable os_name
        error in pylock.toml at packages[0]: invalid requires-python "three": Unexpected end of version specifier, expected operator
        error in pylock.toml at packages[0]: invalid index "not a url": relative URL without a base
        error in pylock.toml at packages[0].dependencies[0]: missing key "name"
        error in pylock.toml at packages[0]: package "a" has no source (expected wheels, sdist, archive, directory or vcs)
        error in pylock.toml at packages[0]: package "a" has no source (expected wheels, sdist, archive, directory or vcs)
        error in pylock.toml at packages[0]: "vcs" and "wheels" cannot both be given
        error in pylock.toml at packages[0]: "archive" and "wheels" cannot both be given
        error in pylock.toml at packages[0]: "directory" and "sdist" cannot both be given
        error in pylock.toml at packages[0].vcs: missing key "commit-id"
        error in pylock.toml at packages[0].vcs: "url" or "path" is required
        error in pylock.toml at packages[0].directory: missing key "path"
        error in pylock.toml at packages[0].directory: "editable" must be a boolean, not a string
        error in pylock.toml at packages[0].attestation-identities[0]: missing key "kind"
        "#);
    }

    #[test]
    fn file_errors() {
        let wheel = |table: &str| {
            package_error(&format!("name = 'a'\nversion = '1.0'\nwheels = [{table}]"))
        };
        let errors = [
            wheel("{name = 'a-1.0-py3-none-any.whl', hashes = {sha256 = 'ab'}}"),
            wheel("{url = 'https://example.org/dir/', hashes = {sha256 = 'ab'}}"),
            wheel("{name = 'a-1.0-py3-none-any.whl', url = 'https://x/a.whl'}"),
            wheel("{name = 'a-1.0-py3-none-any.whl', url = 'https://x/a.whl', hashes = {}}"),
            wheel(
                "{name = 'a-1.0-py3-none-any.whl', url = 'https://x/a.whl', hashes = {blake2b = 'ab', whirlpool = 'cd'}}",
            ),
            wheel(
                "{name = 'a-1.0-py3-none-any.whl', url = 'https://x/a.whl', hashes = {sha256 = 'xyz'}}",
            ),
            wheel(
                "{name = 'a-1.0-py3-none-any.whl', url = 'https://x/a.whl', hashes = {sha256 = 1}}",
            ),
            wheel(
                "{name = 'a-1.0-py3-none-any.whl', url = 'https://x/a.whl', hashes = 'sha256:ab'}",
            ),
            wheel(
                "{name = 'a-1.0-py3-none-any.whl', url = 'https://x/a.whl', size = '10', hashes = {sha256 = 'ab'}}",
            ),
            wheel(
                "{name = 'a-1.0-py3-none-any.whl', url = 'https://x/a.whl', size = -1, hashes = {sha256 = 'ab'}}",
            ),
            wheel(
                "{name = 'a-1.0-py3-none-any.whl', url = 'https://x/a.whl', upload-time = '2025-01-01T00:00:00Z', hashes = {sha256 = 'ab'}}",
            ),
            wheel(
                "{name = 'a-1.0-py3-none-any.whl', url = 'https://x/a.whl', upload-time = 2025-01-01T01:00:00+01:00, hashes = {sha256 = 'ab'}}",
            ),
            wheel(
                "{name = 'a-1.0-py3-none-any.whl', url = 'https://x/a.whl', upload-time = 2025-01-01, hashes = {sha256 = 'ab'}}",
            ),
            wheel("{name = 'a.zip', url = 'https://x/a.zip', hashes = {sha256 = 'ab'}}"),
            wheel(
                "{name = 'b-1.0-py3-none-any.whl', url = 'https://x/b.whl', hashes = {sha256 = 'ab'}}",
            ),
            wheel(
                "{name = 'a-2.0-py3-none-any.whl', url = 'https://x/a.whl', hashes = {sha256 = 'ab'}}",
            ),
            wheel("'a-1.0-py3-none-any.whl'"),
            package_error(
                "name = 'a'\nversion = '1.0'\nsdist = {name = 'b-1.0.tar.gz', path = 'b.tar.gz', hashes = {sha256 = 'ab'}}",
            ),
            package_error(
                "name = 'a'\nversion = '1.0'\nsdist = {name = 'a-2.0.tar.gz', path = 'a.tar.gz', hashes = {sha256 = 'ab'}}",
            ),
            package_error("name = 'a'\narchive = {url = 'https://x/a.zip'}"),
            package_error("name = 'a'\narchive = {hashes = {sha256 = 'ab'}}"),
        ];
        insta::assert_snapshot!(errors.join("\n"), @r#"
        error in pylock.toml at packages[0].wheels[0]: "url" or "path" is required
        error in pylock.toml at packages[0].wheels[0]: missing key "name"
        error in pylock.toml at packages[0].wheels[0]: missing key "hashes"
        error in pylock.toml at packages[0].wheels[0]: "hashes" must hold at least one hash
        error in pylock.toml at packages[0].wheels[0]: no hash algorithm volley knows in "hashes" (found blake2b, whirlpool; use sha256)
        error in pylock.toml at packages[0].wheels[0]: invalid hashes.sha256 "xyz": expected hexadecimal digits
        error in pylock.toml at packages[0].wheels[0]: "hashes.sha256" must be a string, not an integer
        error in pylock.toml at packages[0].wheels[0]: "hashes" must be a table, not a string
        error in pylock.toml at packages[0].wheels[0]: "size" must be an integer, not a string
        error in pylock.toml at packages[0].wheels[0]: invalid size "-1": a size cannot be negative
        error in pylock.toml at packages[0].wheels[0]: "upload-time" must be a date-time, not a string
        error in pylock.toml at packages[0].wheels[0]: invalid upload-time "2025-01-01T01:00:00+01:00": expected a date and time in UTC, like 2025-01-25T11:30:10Z
        error in pylock.toml at packages[0].wheels[0]: invalid upload-time "2025-01-01": expected a date and time in UTC, like 2025-01-25T11:30:10Z
        error in pylock.toml at packages[0].wheels[0]: invalid name "a.zip": the extension must be ".whl"
        error in pylock.toml at packages[0].wheels[0]: invalid name "b-1.0-py3-none-any.whl": the wheel is for package "b"
        error in pylock.toml at packages[0].wheels[0]: invalid name "a-2.0-py3-none-any.whl": the wheel is for version 2.0
        error in pylock.toml at packages[0]: "wheels[0]" must be a table, not a string
        error in pylock.toml at packages[0].sdist: invalid name "b-1.0.tar.gz": the name part does not match the package "a"
        error in pylock.toml at packages[0].sdist: invalid name "a-2.0.tar.gz": the sdist is for version 2.0
        error in pylock.toml at packages[0].archive: missing key "hashes"
        error in pylock.toml at packages[0].archive: "url" or "path" is required
        "#);
    }
}
