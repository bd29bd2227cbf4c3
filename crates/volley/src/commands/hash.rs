//! `volley hash FILE...`: pip's `pip hash`, the `--hash` option of each file for a
//! requirements file, in pip's words: `FILE:` then `--hash=ALGORITHM:HEX` on the next line,
//! the path as given.

use std::io::Read;
use std::process::ExitCode;

use anyhow::Result;
use sha2::Digest;

use crate::cli::HashArgs;
use crate::printer::Printer;
use crate::settings::Environment;

pub fn hash(args: &HashArgs, env: &Environment, printer: &Printer) -> Result<ExitCode> {
    let mut output = String::new();
    for path in &args.files {
        let digest = match args.algorithm.as_str() {
            "sha384" => hash_file::<sha2::Sha384>(&env.cwd.join(path))?,
            "sha512" => hash_file::<sha2::Sha512>(&env.cwd.join(path))?,
            _ => hash_file::<sha2::Sha256>(&env.cwd.join(path))?,
        };
        output.push_str(&format!(
            "{}:\n--hash={}:{digest}\n",
            path.display(),
            args.algorithm
        ));
    }
    printer.stdout(output);
    Ok(ExitCode::SUCCESS)
}

/// The hex digest of the file at `path`, read in chunks.
fn hash_file<D: Digest>(path: &std::path::Path) -> Result<String> {
    let mut file = fs_err::File::open(path)?;
    let mut hasher = D::new();
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hex::encode(hasher.finalize()))
}
