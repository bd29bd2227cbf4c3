//! `volley compile`: resolve `requirements.in` for the target interpreter as if nothing were
//! installed, and write the pins in pip-compile's style, or as a PEP 751 lock file
//! (`--format pylock.toml`, see `pylock.rs`).

use std::fmt::Write as _;
use std::process::ExitCode;

use crate::cli::{CompileArgs, CompileFormat, GlobalArgs};
use crate::commands::request::Request;
use crate::commands::resolve::{ResolveMode, Resolved, resolve};
use crate::printer::Printer;
use crate::settings::Environment;
use anyhow::Result;

pub async fn compile(
    mut args: CompileArgs,
    global: &GlobalArgs,
    env: &Environment,
    printer: Printer,
) -> Result<ExitCode> {
    let mut global = global.clone();
    let config = crate::settings::pip_config(&global, env, "install")?;
    crate::settings::apply_pip_config(&config, &mut global, &mut args.index, &mut args.resolve);
    let global = &global;
    let request = Request::read_fetching(
        &[],
        &args.src_files,
        &args.resolve.constraint,
        &env.cwd,
        &super::request::client_fetch(&args.index, global, env),
    )?;
    let mode = ResolveMode {
        all_files: args.generate_hashes || matches!(args.format, CompileFormat::PylockToml),
        ..ResolveMode::default()
    };
    let resolved = resolve(
        &request,
        &args.python,
        &args.index,
        &args.resolve,
        mode,
        global,
        env,
        &printer,
    )
    .await?;
    let text = match args.format {
        CompileFormat::RequirementsTxt => render(&args, &request, &resolved)?,
        CompileFormat::PylockToml => {
            let lock = crate::commands::pylock::from_resolution(&resolved).await?;
            let mut text = if args.no_header {
                String::new()
            } else {
                header(&args, &resolved)
            };
            text.push_str(&lock.to_toml());
            text
        }
    };
    // `-o -` is standard output, as in pip-compile.
    match args
        .output_file
        .as_ref()
        .filter(|path| path.as_os_str() != "-")
    {
        Some(path) => {
            let path = if path.is_absolute() {
                path.clone()
            } else {
                env.cwd.join(path)
            };
            // Special files (`/dev/null`, pipes) are written as they are; regular files are
            // replaced atomically, so a failed run never leaves half a file.
            let special = fs_err::metadata(&path).is_ok_and(|metadata| !metadata.is_file());
            if special {
                fs_err::write(&path, text.as_bytes())?;
            } else {
                volley_cache::write_atomic(&path, text.as_bytes())?;
            }
        }
        None => printer.stdout(text),
    }
    Ok(ExitCode::SUCCESS)
}

/// The pinned file: a header, then one `name==version` per package (sorted), its hashes and
/// where it comes from.
fn render(args: &CompileArgs, request: &Request, resolved: &Resolved) -> Result<String> {
    let mut out = String::new();
    if !args.no_header {
        out.push_str(&header(args, resolved));
    }
    let mut packages: Vec<_> = resolved.resolution.packages.iter().collect();
    packages.sort_by(|a, b| a.name.as_ref().cmp(b.name.as_ref()));
    for package in packages {
        let mut line = format!("{}=={}", package.name, package.version);
        if args.generate_hashes {
            let mut hashes: Vec<String> = resolved
                .provider
                .files(&package.name, &package.version)
                .map(|files| {
                    files
                        .all
                        .iter()
                        .flat_map(|file| file.hashes.iter())
                        .filter(|hash| hash.algorithm == volley_packaging::HashAlgorithm::Sha256)
                        .map(ToString::to_string)
                        .collect()
                })
                .unwrap_or_default();
            hashes.sort();
            hashes.dedup();
            for hash in hashes {
                let _ = write!(line, " \\\n    --hash={hash}");
            }
        }
        let _ = writeln!(out, "{line}");
        if !args.no_annotate {
            let mut via: Vec<String> = package
                .required_by
                .iter()
                .map(ToString::to_string)
                .collect();
            if let Some(sources) = request.sources.get(package.name.as_ref()) {
                via.extend(sources.iter().cloned());
            }
            via.sort();
            via.dedup();
            match via.as_slice() {
                [] => {}
                [one] => {
                    let _ = writeln!(out, "    # via {one}");
                }
                many => {
                    let _ = writeln!(out, "    # via");
                    for item in many {
                        let _ = writeln!(out, "    #   {item}");
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The comment that says how the file was made.
fn header(args: &CompileArgs, resolved: &Resolved) -> String {
    let mut out = String::new();
    let (major, minor, _) = resolved.interpreter.python_version;
    let mut command = String::from("volley compile");
    if args.generate_hashes {
        command.push_str(" --generate-hashes");
    }
    if args.format == CompileFormat::PylockToml {
        command.push_str(" --format pylock.toml");
    }
    if let Some(output) = args
        .output_file
        .as_ref()
        .filter(|path| path.as_os_str() != "-")
    {
        let _ = write!(command, " --output-file={}", output.display());
    }
    for file in &args.src_files {
        let _ = write!(command, " {}", file.display());
    }
    let _ = writeln!(out, "#");
    let _ = writeln!(
        out,
        "# This file is autogenerated by volley with Python {major}.{minor}"
    );
    let _ = writeln!(out, "# by the following command:");
    let _ = writeln!(out, "#");
    let _ = writeln!(out, "#    {command}");
    let _ = writeln!(out, "#");
    out
}
