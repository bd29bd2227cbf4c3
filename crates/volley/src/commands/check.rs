//! `volley check`: whether the installed distributions' dependencies are satisfied, in
//! pip 23.2's `pip check` words and exit code (the check itself is `volley_python::check`).
//!
//! Every missing dependency is printed first, then every conflict; `No broken requirements
//! found.` when there is neither. Unreadable metadata is a warning, and a failed check.

use std::process::ExitCode;

use anyhow::Result;
use volley_python::Problem;

use crate::cli::{CheckArgs, GlobalArgs};
use crate::commands::environment::Target;
use crate::printer::Printer;
use crate::settings::Environment;

pub fn check(
    args: CheckArgs,
    global: &GlobalArgs,
    env: &Environment,
    printer: Printer,
) -> Result<ExitCode> {
    let target = Target::find(&args.python, global, env, &printer)?;
    let problems = volley_python::check(&target.installed, &target.interpreter.markers);
    if problems.is_empty() {
        printer.stdout("No broken requirements found.\n");
        return Ok(ExitCode::SUCCESS);
    }
    let mut output = String::new();
    for problem in &problems {
        match problem {
            Problem::UnreadableMetadata { .. } => printer.warn(problem),
            Problem::Missing { .. } | Problem::Conflict { .. } => {
                output.push_str(&format!("{problem}\n"));
            }
        }
    }
    printer.stdout(output);
    Ok(ExitCode::FAILURE)
}
