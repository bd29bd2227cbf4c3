//! `volley download`: resolve as for an empty environment (for the interpreter's platform, or
//! the one `--platform`, `--python-version`, `--implementation` and `--abi` describe), then
//! fetch every file at once through the client's collection and copy each from the cache into
//! the destination directory, as `pip download -d DIR` does.
//!
//! pip's behaviour, followed here:
//! - each package's file is its best wheel for the target, else its sdist;
//! - a file already in the directory with the right content is kept ("File was already
//!   downloaded"), a different one is replaced;
//! - lines say `Saved ./dir/name.whl` (paths under the current directory start with `./`), and
//!   the last one `Successfully downloaded` with the names;
//! - the interpreter is the environment's, as for `install`; with none found, the `python3` on
//!   `PATH` (pip's is the one that runs it). The target flags need `--only-binary :all:` or
//!   `--no-deps` (see `target.rs`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use futures::future::try_join_all;
use volley_client::{IndexFile, RegistryClient, run_blocking};
use volley_packaging::DistFilename;
use volley_resolver::{CandidateSource, ResolvedPackage};

use crate::cli::{DownloadArgs, GlobalArgs};
use crate::commands::request::Request;
use crate::commands::resolve::{ResolveMode, Resolved, resolve};
use crate::printer::{Printer, elapsed, packages};
use crate::settings::{self, Environment};
use crate::target::TargetFlags;

/// What saving one file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Saved {
    Copied,
    AlreadyThere,
}

pub async fn download(
    mut args: DownloadArgs,
    global: &GlobalArgs,
    env: &Environment,
    printer: Printer,
) -> Result<ExitCode> {
    let mut global = global.clone();
    let config = settings::pip_config(&global, env, "download")?;
    settings::apply_pip_config(&config, &mut global, &mut args.index, &mut args.resolve);
    args.no_deps |= config.no_deps == Some(true);
    args.require_hashes |= config.require_hashes == Some(true);
    let global = &global;
    let platform = TargetFlags::from_args(&args.target)?;
    if platform.is_some() {
        TargetFlags::check_dist_restriction(
            &settings::format_control(&args.resolve.only_binary)?,
            &settings::format_control(&args.resolve.no_binary)?,
            args.no_deps,
        )?;
    }
    let request = Request::read_fetching(
        &args.requirements,
        &args.requirement,
        &args.resolve.constraint,
        &env.cwd,
        &super::request::client_fetch(&args.index, global, env),
    )?;
    if request.requirements.is_empty() {
        bail!("no requirements given: name packages or pass -r FILE");
    }
    let hash_mode = request.requires_hashes(args.require_hashes);
    if hash_mode {
        request.check_hash_mode()?;
    }
    let mut python = args.python.clone();
    if python.python.is_none() && !python.system {
        let found = volley_python::find_python_executable(
            &settings::python_request(&python, env),
            &env.discovery(),
        );
        if let Err(volley_python::PythonError::NotFound { .. }) = found {
            python.system = true;
        }
    }
    let mode = ResolveMode {
        no_deps: args.no_deps,
        platform,
        require_hashes: hash_mode,
        ..ResolveMode::default()
    };
    let resolved = resolve(
        &request,
        &python,
        &args.index,
        &args.resolve,
        mode,
        global,
        env,
        &printer,
    )
    .await?;

    let mut chosen = Vec::with_capacity(resolved.resolution.packages.len());
    for package in &resolved.resolution.packages {
        let file = choose_file(&resolved, package, hash_mode.then_some(&request))?;
        crate::commands::resolve::warn_if_yanked(&printer, &package.name, &package.version, &file);
        chosen.push((package, file));
    }
    let dest = env.cwd.join(&args.dest);
    fs_err::create_dir_all(&dest)?;
    let start = Instant::now();
    let saved = try_join_all(
        chosen
            .iter()
            .map(|(_, file)| save(&resolved.client, file, &dest)),
    )
    .await?;
    resolved.reporter.finish_downloads();
    printer.verbose(format!(
        "downloaded {} in {}",
        packages(saved.len()),
        elapsed(start.elapsed())
    ));
    let mut lines: Vec<(PathBuf, Saved)> = saved;
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, saved) in lines {
        let shown = display_path(&path, &env.cwd);
        match saved {
            Saved::Copied => printer.status(format!("Saved {shown}")),
            Saved::AlreadyThere => printer.status(format!("File was already downloaded {shown}")),
        }
    }
    let mut names: Vec<String> = chosen
        .iter()
        .map(|(package, _)| package.name.to_string())
        .collect();
    names.sort();
    printer.status(format!("Successfully downloaded {}", names.join(" ")));
    Ok(ExitCode::SUCCESS)
}

/// The file pip would download for `package`: its best wheel for the target, else its sdist;
/// in hash-checking mode, the best of those whose hash the user gave.
fn choose_file(
    resolved: &Resolved,
    package: &ResolvedPackage,
    hashes: Option<&Request>,
) -> Result<IndexFile> {
    let name = &package.name;
    let version = &package.version;
    let files = resolved
        .provider
        .files(name, version)
        .with_context(|| format!("no file of {name}=={version} is known to the index client"))?;
    let Some(request) = hashes else {
        let file = match package.source {
            CandidateSource::Wheel => files.best_wheel.map(|(_, file)| file),
            CandidateSource::SdistOnly => files.sdist,
        };
        return file.with_context(|| {
            format!("{name}=={version} has no file for the target platform on the index")
        });
    };
    let Some(allowed) = request.hashes.get(name) else {
        bail!(
            "in hash-checking mode every package needs a --hash, but {name}=={version} has \
             none; add it to the requirements with its hashes"
        );
    };
    let tags = &resolved.platform.tags;
    files
        .all
        .iter()
        .filter(|file| file.hashes.iter().any(|hash| allowed.contains(hash)))
        .filter_map(|file| match &file.dist {
            DistFilename::Wheel(wheel) => wheel
                .compatibility(tags)
                .map(|priority| (Some(priority), file)),
            DistFilename::SourceDist(_) => Some((None, file)),
        })
        .max_by_key(|(priority, _)| *priority)
        .map(|(_, file)| file.clone())
        .with_context(|| {
            format!("no file of {name}=={version} for the target matches the hashes given for it")
        })
}

/// Download `file` (into the cache, hash-checked) and copy it into `dest`.
async fn save(client: &RegistryClient, file: &IndexFile, dest: &Path) -> Result<(PathBuf, Saved)> {
    let plain = Path::new(&file.filename)
        .file_name()
        .is_some_and(|name| name == file.filename.as_str());
    if !plain || file.filename.starts_with('.') {
        bail!(
            "refusing to save \"{}\" from {}: not a plain file name",
            file.filename,
            volley_client::redact(&file.url)
        );
    }
    let downloaded = client.download(file).await?;
    let target = dest.join(&file.filename);
    run_blocking(move || {
        let saved = copy_into(&downloaded.path, &target)?;
        Ok((target, saved))
    })
    .await
}

/// Copy `source` to `target` through a temporary file in its directory, unless `target`
/// already has the same content. Blocking.
fn copy_into(source: &Path, target: &Path) -> Result<Saved> {
    if target.is_file() && volley_cache::same_content(source, target)? {
        return Ok(Saved::AlreadyThere);
    }
    let directory = target.parent().unwrap_or(Path::new("."));
    let mut temp = volley_cache::temp_file_in(directory)?;
    let mut reader = fs_err::File::open(source)?;
    std::io::copy(&mut reader, temp.as_file_mut())
        .with_context(|| format!("cannot copy {} to {}", source.display(), target.display()))?;
    volley_cache::persist_atomic(temp, target)?;
    Ok(Saved::Copied)
}

/// pip's `display_path`: relative to the current directory with a leading `./` when inside it.
fn display_path(path: &Path, cwd: &Path) -> String {
    match path.strip_prefix(cwd) {
        Ok(relative) if !relative.as_os_str().is_empty() => {
            format!(".{}{}", std::path::MAIN_SEPARATOR, relative.display())
        }
        _ => path.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_display_as_pip_shows_them() {
        let cwd = Path::new("/work");
        assert_eq!(
            display_path(Path::new("/work/dl/a-1.0-py3-none-any.whl"), cwd),
            "./dl/a-1.0-py3-none-any.whl"
        );
        assert_eq!(
            display_path(Path::new("/elsewhere/a.whl"), cwd),
            "/elsewhere/a.whl"
        );
    }

    #[test]
    fn an_identical_file_is_kept_and_a_different_one_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("source.whl");
        let target = dir.path().join("target.whl");
        fs_err::write(&source, b"wheel bytes").unwrap();
        assert_eq!(copy_into(&source, &target).unwrap(), Saved::Copied);
        assert_eq!(copy_into(&source, &target).unwrap(), Saved::AlreadyThere);
        fs_err::write(&target, b"wheel bytez").unwrap();
        assert_eq!(copy_into(&source, &target).unwrap(), Saved::Copied);
        assert_eq!(fs_err::read(&target).unwrap(), b"wheel bytes");
    }
}
