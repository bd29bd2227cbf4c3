//! Installing one wheel file into a [`Layout`].
//!
//! The order of work is what makes an install safe:
//! 1. read the central directory and refuse unsafe entries (nothing has been read yet);
//! 2. read `WHEEL`, `RECORD`, `entry_points.txt`, and check the `.dist-info` name and that no
//!    such `.dist-info` is installed already;
//! 3. extract every file into a scratch directory, hashing as it streams, and compare each with
//!    its RECORD row; then check that every RECORD row was seen;
//! 4. fix `#!python` lines, generate entry-point launchers, `INSTALLER`, `REQUESTED`,
//!    `direct_url.json` and the new `RECORD`, all in the scratch directory;
//! 5. move everything into place, `RECORD` last; a failure there undoes the moves.
//!
//! So any invalid wheel leaves the environment exactly as it was.
//!
//! Where files go (binary distribution format spec): the archive root goes to purelib or platlib
//! (`Root-Is-Purelib`); `{name}-{version}.data/{key}/...` goes to the layout directory of that
//! scheme key, `headers` to `<headers>/<Name>` (spelled as in `METADATA`, like pip). Every
//! `.data/scripts` file is made executable; other files keep the executable bit the zip gives them. Scripts in
//! `.data/scripts` named like an entry point are setuptools' wrappers: skipped, the generated
//! launcher wins (as in pip). When two entries land on the same path, the later one wins.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use volley_packaging::{PackageName, Version, WheelFilename};
use zip::ZipArchive;

use crate::InstallError;
use crate::layout::{InstallOptions, Layout};
use crate::path::{normalize_entry, relative_path};
use crate::record::{
    RecordEntry, RecordHasher, UnsupportedAlgorithm, parse_record, record_digest, sha256_digest,
    write_record,
};
use crate::script::{
    EntryPoint, EntryPointError, fix_shebang, is_entry_point_wrapper, launcher, parse_entry_points,
    script_names,
};
use crate::staging::{Staging, commit};
use crate::wheel::{
    ArchiveEntry, check_metadata, find_dist_info, list_entries, parse_wheel_file, read_entry,
};

/// What [`install_wheel`] installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstalledWheel {
    pub name: PackageName,
    pub version: Version,
    /// The installed `.dist-info` directory.
    pub dist_info: PathBuf,
    /// How many files were installed, `RECORD` included (the rows of the new `RECORD`).
    pub files: usize,
}

/// A file ready in the scratch directory.
#[derive(Debug)]
struct StagedFile {
    staged: PathBuf,
    /// The RECORD sha256 of the content as installed.
    hash: String,
    size: u64,
}

/// Installs the wheel at `wheel` into `layout`.
///
/// The wheel is checked completely (paths, `WHEEL`, the `.dist-info` name, every file against
/// `RECORD`) before anything is written to the environment, and a failure while writing undoes
/// what was written. A `.dist-info` directory of the same name must not exist yet: to replace a
/// version, [`uninstall`](crate::uninstall) it first.
pub fn install_wheel(
    wheel: &Path,
    layout: &Layout,
    options: &InstallOptions,
) -> Result<InstalledWheel, InstallError> {
    let wheel_name = wheel
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| wheel.display().to_string());
    let filename: WheelFilename =
        wheel_name
            .parse()
            .map_err(|source| InstallError::InvalidFilename {
                path: wheel.to_path_buf(),
                source,
            })?;
    let installer = Installer {
        wheel: wheel_name,
        filename,
        layout: layout.absolute().map_err(|source| InstallError::Io {
            wheel: wheel.display().to_string(),
            source,
        })?,
    };
    installer.install(wheel, options)
}

struct Installer {
    /// The wheel's filename, for error messages.
    wheel: String,
    filename: WheelFilename,
    layout: Layout,
}

/// What the archive's metadata says, read before any file is extracted.
struct WheelContents {
    entries: Vec<ArchiveEntry>,
    dist_info: String,
    lib_dir: PathBuf,
    /// RECORD rows by normalized path.
    record: HashMap<String, RecordEntry>,
    entry_points: Vec<EntryPoint>,
    /// `Name` from `METADATA`, as the project spells it.
    project_name: String,
}

/// Where one archive entry goes.
enum Destination {
    /// The wheel's own RECORD (replaced by the one we write) or a wrapper script that a
    /// generated launcher replaces: checked, not installed.
    Skip,
    File {
        path: PathBuf,
        script: bool,
    },
}

impl Installer {
    fn io(&self, source: std::io::Error) -> InstallError {
        InstallError::Io {
            wheel: self.wheel.clone(),
            source,
        }
    }

    fn archive_error(&self, source: zip::result::ZipError) -> InstallError {
        InstallError::Archive {
            wheel: self.wheel.clone(),
            source,
        }
    }

    fn install(
        &self,
        wheel: &Path,
        options: &InstallOptions,
    ) -> Result<InstalledWheel, InstallError> {
        let file = fs_err::File::open(wheel).map_err(|error| self.io(error))?;
        let mut archive =
            ZipArchive::new(BufReader::new(file)).map_err(|error| self.archive_error(error))?;
        let contents = self.read_contents(&mut archive)?;

        let target_dist_info = contents.lib_dir.join(&contents.dist_info);
        if fs_err::symlink_metadata(&target_dist_info).is_ok() {
            return Err(InstallError::AlreadyInstalled {
                wheel: self.wheel.clone(),
                dist_info: target_dist_info,
            });
        }

        let mut staging =
            Staging::new(&contents.lib_dir, ".volley-install-").map_err(|error| self.io(error))?;
        let mut files: BTreeMap<PathBuf, StagedFile> = BTreeMap::new();
        self.extract(&mut archive, &contents, &mut staging, &mut files)?;
        self.generate(&contents, options, &mut staging, &mut files)?;

        // The new RECORD: every installed file relative to the directory holding the .dist-info.
        let record_destination = target_dist_info.join("RECORD");
        files.remove(&record_destination);
        let mut rows: Vec<(String, String, String)> = files
            .iter()
            .map(|(destination, file)| {
                (
                    relative_path(&contents.lib_dir, destination),
                    format!("sha256={}", file.hash),
                    file.size.to_string(),
                )
            })
            .collect();
        rows.push((
            format!("{}/RECORD", contents.dist_info),
            String::new(),
            String::new(),
        ));
        let record = write_record(&mut rows);
        let record_staged = staging
            .write_file(record.as_bytes(), false)
            .map_err(|error| self.io(error))?;

        let mut moves: Vec<(PathBuf, PathBuf)> = files
            .into_iter()
            .map(|(destination, file)| (file.staged, destination))
            .collect();
        moves.push((record_staged, record_destination));
        commit(&mut staging, &moves).map_err(|error| self.io(error))?;
        tracing::debug!(
            "installed {} files of {} into {}",
            rows.len(),
            self.wheel,
            contents.lib_dir.display()
        );

        Ok(InstalledWheel {
            name: self.filename.name.clone(),
            version: self.filename.version.clone(),
            dist_info: target_dist_info,
            files: rows.len(),
        })
    }

    /// Steps 1 and 2: entries, `.dist-info`, `WHEEL`, `METADATA`, `RECORD`, entry points.
    fn read_contents<R: Read + std::io::Seek>(
        &self,
        archive: &mut ZipArchive<R>,
    ) -> Result<WheelContents, InstallError> {
        let entries = list_entries(archive, &self.wheel)?;
        let dist_info = find_dist_info(&entries, &self.filename, &self.wheel)?;
        let find = |name: &str| {
            let path = format!("{dist_info}/{name}");
            entries.iter().find(|entry| entry.path == path)
        };
        let required = |name: &str| {
            find(name).ok_or_else(|| InstallError::MissingMetadataFile {
                wheel: self.wheel.clone(),
                entry: format!("{dist_info}/{name}"),
            })
        };

        let wheel_entry = required("WHEEL")?;
        let wheel_info = parse_wheel_file(
            &read_entry(archive, wheel_entry, &self.wheel)?,
            &self.wheel,
            &wheel_entry.name,
        )?;
        let metadata_entry = required("METADATA")?;
        let project_name = check_metadata(
            &read_entry(archive, metadata_entry, &self.wheel)?,
            &self.filename,
            &self.wheel,
            &metadata_entry.name,
        )?;
        let record_entry = required("RECORD")?;
        let record_content = read_entry(archive, record_entry, &self.wheel)?;
        let record_text =
            std::str::from_utf8(&record_content).map_err(|error| InstallError::NotUtf8 {
                wheel: self.wheel.clone(),
                entry: record_entry.name.clone(),
                reason: error.to_string(),
            })?;
        let record_rows =
            parse_record(record_text).map_err(|error| InstallError::InvalidRecord {
                wheel: self.wheel.clone(),
                line: error.line,
                reason: error.reason,
            })?;
        let record = record_rows
            .into_iter()
            .filter(|row| !row.path.ends_with('/'))
            .map(|row| {
                let key = normalize_entry(&row.path)
                    .map(|parts| parts.join("/"))
                    .unwrap_or_else(|_| row.path.clone());
                (key, row)
            })
            .collect();

        let entry_points = match find("entry_points.txt") {
            None => Vec::new(),
            Some(entry) => {
                let content = read_entry(archive, entry, &self.wheel)?;
                let text = String::from_utf8(content).map_err(|error| InstallError::NotUtf8 {
                    wheel: self.wheel.clone(),
                    entry: entry.name.clone(),
                    reason: error.to_string(),
                })?;
                parse_entry_points(&text).map_err(|error| match error {
                    EntryPointError::File(reason) => InstallError::InvalidEntryPoints {
                        wheel: self.wheel.clone(),
                        reason,
                    },
                    EntryPointError::Entry {
                        group,
                        name,
                        value,
                        reason,
                    } => InstallError::InvalidEntryPoint {
                        wheel: self.wheel.clone(),
                        group,
                        name,
                        value,
                        reason,
                    },
                })?
            }
        };

        let lib_dir = if wheel_info.root_is_purelib {
            self.layout.purelib.clone()
        } else {
            self.layout.platlib.clone()
        };
        Ok(WheelContents {
            entries,
            dist_info,
            lib_dir,
            record,
            entry_points,
            project_name,
        })
    }

    /// Where an archive entry is installed.
    fn destination(
        &self,
        entry: &ArchiveEntry,
        contents: &WheelContents,
    ) -> Result<Destination, InstallError> {
        if entry.path == format!("{}/RECORD", contents.dist_info) {
            return Ok(Destination::Skip);
        }
        let (top, rest) = entry.path.split_once('/').unwrap_or((&entry.path, ""));
        if rest.is_empty() || !top.ends_with(".data") {
            return Ok(Destination::File {
                path: contents.lib_dir.join(&entry.path),
                script: false,
            });
        }
        let invalid = |reason: String| InstallError::InvalidDataEntry {
            wheel: self.wheel.clone(),
            entry: entry.name.clone(),
            reason,
        };
        let Some((key, subpath)) = rest.split_once('/') else {
            return Err(invalid(format!("expected {top}/<scheme key>/<path>")));
        };
        let root = match key {
            "purelib" => self.layout.purelib.clone(),
            "platlib" => self.layout.platlib.clone(),
            "headers" => self.layout.headers.join(&contents.project_name),
            "scripts" => self.layout.scripts.clone(),
            "data" => self.layout.data.clone(),
            key => {
                return Err(invalid(format!(
                    "unknown scheme key \"{key}\" (expected data, headers, platlib, purelib or scripts)"
                )));
            }
        };
        let script = key == "scripts";
        if script {
            let file_name = subpath.rsplit('/').next().unwrap_or(subpath);
            if is_entry_point_wrapper(file_name, &contents.entry_points) {
                tracing::debug!(
                    "skipping {} from {}: an entry point of the same name replaces it",
                    entry.name,
                    self.wheel
                );
                return Ok(Destination::Skip);
            }
        }
        Ok(Destination::File {
            path: root.join(subpath),
            script,
        })
    }

    /// Step 3 (and the `#!python` part of 4): every entry into the scratch directory, checked
    /// against RECORD.
    fn extract<R: Read + std::io::Seek>(
        &self,
        archive: &mut ZipArchive<R>,
        contents: &WheelContents,
        staging: &mut Staging,
        files: &mut BTreeMap<PathBuf, StagedFile>,
    ) -> Result<(), InstallError> {
        let record_path = format!("{}/RECORD", contents.dist_info);
        let signatures = [
            format!("{}/RECORD.jws", contents.dist_info),
            format!("{}/RECORD.p7s", contents.dist_info),
        ];
        let python = self.layout.python_executable.as_os_str().as_encoded_bytes();
        let mut buffer = vec![0; 64 * 1024];
        for entry in &contents.entries {
            let destination = self.destination(entry, contents)?;
            let checked = entry.path != record_path && !signatures.contains(&entry.path);
            let row =
                if checked {
                    Some(contents.record.get(&entry.path).ok_or_else(|| {
                        InstallError::NotInRecord {
                            wheel: self.wheel.clone(),
                            entry: entry.name.clone(),
                        }
                    })?)
                } else {
                    None
                };
            let mut record_hasher = match row {
                None => None,
                Some(row) => Some(self.record_hasher(entry, row)?),
            };

            let mut reader = archive
                .by_index(entry.index)
                .map_err(|error| self.archive_error(error))?;
            let (staged, mut writer) = match &destination {
                Destination::Skip => (None, None),
                Destination::File { script, .. } => {
                    let (path, file) = staging
                        .create_file(entry.executable || *script)
                        .map_err(|error| self.io(error))?;
                    (Some(path), Some(file))
                }
            };
            let (mut hash, mut size) = self.copy(
                &mut reader,
                writer.as_mut(),
                record_hasher.as_mut(),
                &mut buffer,
            )?;
            drop(writer);
            if let (Some(row), Some(hasher)) = (row, record_hasher) {
                self.verify(entry, row, hasher, size)?;
            }

            let (Destination::File { path, script }, Some(staged)) = (destination, staged) else {
                continue;
            };
            if script {
                let content = fs_err::read(&staged).map_err(|error| self.io(error))?;
                if let Some(fixed) = fix_shebang(&content, python) {
                    fs_err::write(&staged, &fixed).map_err(|error| self.io(error))?;
                    hash = sha256_digest(&fixed);
                    size = fixed.len() as u64;
                }
            }
            if files
                .insert(path.clone(), StagedFile { staged, hash, size })
                .is_some()
            {
                tracing::debug!(
                    "wheel {}: two entries install to {}, the later one wins",
                    self.wheel,
                    path.display()
                );
            }
        }

        let seen: std::collections::HashSet<&str> = contents
            .entries
            .iter()
            .map(|entry| entry.path.as_str())
            .collect();
        let mut missing: Vec<&RecordEntry> = contents
            .record
            .iter()
            .filter(|(path, _)| !seen.contains(path.as_str()))
            .map(|(_, row)| row)
            .collect();
        missing.sort_by_key(|row| row.line);
        if let Some(row) = missing.first() {
            return Err(InstallError::RecordedFileMissing {
                wheel: self.wheel.clone(),
                entry: row.path.clone(),
            });
        }
        Ok(())
    }

    /// Streams an entry into `writer` (if any) and `record_hasher` (if any); returns its RECORD
    /// sha256 and size.
    fn copy(
        &self,
        reader: &mut impl Read,
        mut writer: Option<&mut fs_err::File>,
        mut record_hasher: Option<&mut RecordHasher>,
        buffer: &mut [u8],
    ) -> Result<(String, u64), InstallError> {
        let mut sha256 = Sha256::new();
        let mut size = 0u64;
        loop {
            let read = reader
                .read(buffer)
                .map_err(|error| self.archive_error(zip::result::ZipError::Io(error)))?;
            if read == 0 {
                break;
            }
            let chunk = &buffer[..read];
            size += read as u64;
            sha256.update(chunk);
            if let Some(hasher) = record_hasher.as_deref_mut() {
                hasher.update(chunk);
            }
            if let Some(writer) = writer.as_deref_mut() {
                writer.write_all(chunk).map_err(|error| self.io(error))?;
            }
        }
        Ok((record_digest(&sha256.finalize()), size))
    }

    /// Compares what was read with the entry's RECORD row.
    fn verify(
        &self,
        entry: &ArchiveEntry,
        row: &RecordEntry,
        hasher: RecordHasher,
        size: u64,
    ) -> Result<(), InstallError> {
        if let Some(expected) = row.size
            && expected != size
        {
            return Err(InstallError::SizeMismatch {
                wheel: self.wheel.clone(),
                entry: entry.name.clone(),
                expected,
                actual: size,
            });
        }
        let (algorithm, expected) = row.hash.clone().unwrap_or_default();
        let actual = hasher.finish();
        if expected != actual {
            return Err(InstallError::HashMismatch {
                wheel: self.wheel.clone(),
                entry: entry.name.clone(),
                algorithm,
                expected,
                actual,
            });
        }
        Ok(())
    }

    /// The hasher for a RECORD row's algorithm.
    fn record_hasher(
        &self,
        entry: &ArchiveEntry,
        row: &RecordEntry,
    ) -> Result<RecordHasher, InstallError> {
        let Some((algorithm, _)) = &row.hash else {
            return Err(InstallError::MissingHash {
                wheel: self.wheel.clone(),
                entry: entry.name.clone(),
            });
        };
        let hasher =
            RecordHasher::new(algorithm).map_err(|problem| InstallError::UnsupportedHash {
                wheel: self.wheel.clone(),
                entry: entry.name.clone(),
                algorithm: algorithm.clone(),
                reason: match problem {
                    UnsupportedAlgorithm::Insecure => "which is too weak to check a file",
                    UnsupportedAlgorithm::Unknown => "which volley does not know",
                },
            })?;
        Ok(hasher)
    }

    /// Step 4: launchers and the `.dist-info` files the installer writes.
    fn generate(
        &self,
        contents: &WheelContents,
        options: &InstallOptions,
        staging: &mut Staging,
        files: &mut BTreeMap<PathBuf, StagedFile>,
    ) -> Result<(), InstallError> {
        let python = self.layout.python_executable.as_os_str().as_encoded_bytes();
        let mut add = |destination: PathBuf, content: &[u8], executable: bool| {
            let staged = staging
                .write_file(content, executable)
                .map_err(|error| self.io(error))?;
            let hash = sha256_digest(content);
            files.insert(
                destination,
                StagedFile {
                    staged,
                    hash,
                    size: content.len() as u64,
                },
            );
            Ok::<(), InstallError>(())
        };
        for (name, entry_point) in script_names(&contents.entry_points, self.layout.python_version)
        {
            add(
                self.layout.scripts.join(name),
                &launcher(python, entry_point),
                true,
            )?;
        }
        let dist_info = contents.lib_dir.join(&contents.dist_info);
        add(
            dist_info.join("INSTALLER"),
            format!("{}\n", options.installer).as_bytes(),
            false,
        )?;
        if options.requested {
            add(dist_info.join("REQUESTED"), b"", false)?;
        }
        if let Some(direct_url) = &options.direct_url {
            add(
                dist_info.join("direct_url.json"),
                direct_url.as_bytes(),
                false,
            )?;
        }
        Ok(())
    }
}
