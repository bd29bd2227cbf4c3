//! What the commands that read or change an environment without resolving (`uninstall`,
//! `freeze`, `list`, `show`, `check`) share: the target environment, selected exactly as
//! `install` selects it, and pip's view of what is installed in it.
//!
//! pip's view, which these commands copy:
//! - one distribution per normalized name, the first found (pip 23.2 walks `sys.path`; volley
//!   walks the interpreter's purelib then platlib, which is the same list in a virtual
//!   environment; outside one, pip also sees the user site-packages);
//! - `python`, `wsgiref` and `argparse` are never listed (pip's `stdlib_pkgs`: old
//!   interpreters carried metadata for them);
//! - an unreadable `direct_url.json` is warned about and ignored.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use volley_packaging::PackageName;
use volley_python::{DirectUrl, InstalledDist, Interpreter};

use crate::cli::{GlobalArgs, PythonArgs};
use crate::printer::Printer;
use crate::settings::{self, CacheSettings, Environment};

/// Names pip never lists (`pip._internal.utils.compat.stdlib_pkgs`).
const STDLIB_PACKAGES: [&str; 3] = ["python", "wsgiref", "argparse"];

/// The selected interpreter and what is installed in it.
pub struct Target {
    pub interpreter: Interpreter,
    /// One distribution per normalized name, in site-packages order.
    pub installed: Vec<InstalledDist>,
    /// The interpreter was found (`$VIRTUAL_ENV`, `.venv`), not named with `--python`.
    pub found: bool,
}

impl Target {
    /// Finds the interpreter as `install` does (`--python`, `--system`, `$VIRTUAL_ENV`,
    /// `.venv`) and lists its distributions.
    pub fn find(
        python: &PythonArgs,
        global: &GlobalArgs,
        env: &Environment,
        printer: &Printer,
    ) -> Result<Self> {
        let cache = CacheSettings::resolve(global, env)?.open()?;
        let request = settings::python_request(python, env);
        let interpreter = Interpreter::find(&request, &env.discovery(), Some(&cache))?;
        printer.verbose(format!(
            "using Python {} at {}",
            interpreter.python_full_version,
            interpreter.sys_executable.display()
        ));
        let installed = first_of_each_name(&interpreter)?;
        Ok(Self {
            interpreter,
            installed,
            found: matches!(request, volley_python::PythonRequest::Default),
        })
    }

    /// "Using Python X.Y.Z environment at PATH" when the environment was found rather than
    /// named, for commands that change it.
    pub fn announce(&self, env: &Environment, printer: &Printer) {
        if self.found {
            printer.status(format!(
                "Using Python {} environment at {}",
                self.interpreter.python_full_version,
                display_prefix(&self.interpreter, &env.cwd)
            ));
        }
    }

    /// Lists the distributions again: a command that changes the environment does so after it
    /// took the environment's lock, which may have waited for another install or rolled back an
    /// interrupted one.
    pub fn reload(&mut self) -> Result<()> {
        self.installed = first_of_each_name(&self.interpreter)?;
        Ok(())
    }

    /// `--path DIR...`: only the distributions in these directories (relative to `cwd`), one
    /// per name, the first found; as pip, `--path` cannot go with `--local`.
    pub fn restrict_to_paths(&mut self, paths: &[PathBuf], local: bool, cwd: &Path) -> Result<()> {
        if paths.is_empty() {
            return Ok(());
        }
        if local {
            anyhow::bail!("cannot combine '--path' with '--user' or '--local'");
        }
        let mut seen = HashSet::new();
        let mut installed = Vec::new();
        for path in paths {
            for dist in InstalledDist::scan(&cwd.join(path))? {
                if seen.insert(dist.name.clone()) {
                    installed.push(dist);
                }
            }
        }
        self.installed = installed;
        Ok(())
    }

    /// The distribution named `name` (normalized), if installed.
    pub fn get(&self, name: &PackageName) -> Option<&InstalledDist> {
        self.installed.iter().find(|dist| &dist.name == name)
    }
}

/// One distribution per normalized name, the first in site-packages order.
fn first_of_each_name(interpreter: &Interpreter) -> Result<Vec<InstalledDist>> {
    let mut seen = HashSet::new();
    Ok(interpreter
        .installed()?
        .into_iter()
        .filter(|dist| seen.insert(dist.name.clone()))
        .collect())
}

/// Whether pip leaves `name` out of every listing.
pub fn is_stdlib_package(name: &PackageName) -> bool {
    STDLIB_PACKAGES.contains(&name.as_ref())
}

/// `--exclude` values as normalized names.
pub fn package_names(names: &[String]) -> Result<HashSet<PackageName>> {
    names
        .iter()
        .map(|name| {
            name.parse::<PackageName>()
                .with_context(|| format!("invalid package name \"{name}\""))
        })
        .collect()
}

/// The distribution's `direct_url.json`; a broken one is warned about and ignored, as pip does.
pub fn direct_url(dist: &InstalledDist, printer: &Printer) -> Option<DirectUrl> {
    match dist.read_direct_url() {
        Ok(direct_url) => direct_url,
        Err(error) => {
            printer.warn(format!(
                "ignoring the direct_url.json of {}: {error}",
                dist.name
            ));
            None
        }
    }
}

/// `--exclude`-style filter of a listing: pip's hidden names plus `excluded`.
pub fn is_listed(dist: &InstalledDist, excluded: &HashSet<PackageName>) -> bool {
    !is_stdlib_package(&dist.name) && !excluded.contains(&dist.name)
}

/// The environment's directory as the user would write it: relative to `cwd` when inside it
/// (`.venv`), else absolute.
pub fn display_prefix(interpreter: &Interpreter, cwd: &Path) -> String {
    let prefix = &interpreter.sys_prefix;
    match prefix.strip_prefix(cwd) {
        Ok(relative) if !relative.as_os_str().is_empty() => relative.display().to_string(),
        _ => prefix.display().to_string(),
    }
}
