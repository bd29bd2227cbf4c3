//! pip's install schemes other than the environment's own: `--user` and `--prefix DIR`.
//!
//! Start at [`Interpreter::scheme_for`]. The interpreter computes them (the query script run
//! with `scheme user` or `scheme prefix DIR`), as pip's `get_scheme(user=True)` and
//! `get_scheme(prefix=DIR)` do: sysconfig's preferred `user` or `prefix` scheme on 3.10+,
//! distutils' `install` command before.
//!
//! Traps:
//! - The user scheme depends on `$HOME` and `$PYTHONUSERBASE`, which the query cache cannot
//!   see, so these answers are never cached: each call runs the interpreter.
//! - A virtual environment made without `--system-site-packages` does not see the user
//!   site-packages: pip refuses `--user` there, and so does [`Interpreter::scheme_for`].
//! - In a virtual environment pip puts headers under `<base>/include/site/pythonX.Y`, where
//!   `<base>` is the prefix, or the user base for `--user`.

use std::ffi::OsStr;
use std::path::PathBuf;

use serde::Deserialize;

use crate::query::run_script;
use crate::{Interpreter, PythonError, Scheme};

/// An install scheme pip computes on request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemeRequest {
    /// `--user`: the user site-packages under the user base (`~/.local` on Linux).
    User,
    /// `--prefix DIR`: the interpreter's scheme with `DIR` as its prefix (absolute).
    Prefix(PathBuf),
}

/// The script's answer to `scheme ...`.
#[derive(Debug, Deserialize)]
struct SchemeAnswer {
    scheme: Scheme,
    virtualenv_no_global: bool,
}

impl Interpreter {
    /// Where pip installs for `request` with this interpreter. Runs the interpreter (never
    /// cached: see the module doc). A `--user` request in a virtual environment that does not
    /// see the user site-packages fails with [`PythonError::UserSiteNotVisible`].
    pub fn scheme_for(&self, request: &SchemeRequest) -> Result<Scheme, PythonError> {
        let arguments: Vec<&OsStr> = match request {
            SchemeRequest::User => vec![OsStr::new("scheme"), OsStr::new("user")],
            SchemeRequest::Prefix(prefix) => vec![
                OsStr::new("scheme"),
                OsStr::new("prefix"),
                prefix.as_os_str(),
            ],
        };
        let output = run_script(&self.executable, &arguments)?;
        let answer: SchemeAnswer =
            serde_json::from_str(&output).map_err(|error| PythonError::InvalidQueryOutput {
                executable: self.executable.clone(),
                reason: format!("{error} in the scheme answer {:?}", output.trim()),
            })?;
        if *request == SchemeRequest::User && answer.virtualenv_no_global {
            return Err(PythonError::UserSiteNotVisible {
                environment: self.sys_prefix.clone(),
            });
        }
        Ok(answer.scheme)
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::testing::{base_python, make_venv, make_venv_with, python_output};

    /// pip's `get_scheme` for `--user` or `--prefix`, run by `python` with the pip of the base
    /// interpreter on its path (a venv made without pip still runs pip's location code as
    /// itself). The header directory is given without its distribution name.
    fn pip_scheme(python: &Path, request: &SchemeRequest) -> Scheme {
        let pip_parent = python_output(
            base_python(),
            "import os, pip; print(os.path.dirname(os.path.dirname(pip.__file__)))",
        );
        let arguments = match request {
            SchemeRequest::User => "user=True".to_string(),
            SchemeRequest::Prefix(prefix) => format!("prefix={:?}", prefix.display().to_string()),
        };
        let code = format!(
            "import sys, os, json; sys.path.append({:?})\n\
             from pip._internal.locations import get_scheme\n\
             s = get_scheme('demo', {arguments})\n\
             print(json.dumps(dict(purelib=s.purelib, platlib=s.platlib, scripts=s.scripts, \
             data=s.data, include=os.path.dirname(s.headers))))",
            pip_parent.trim()
        );
        serde_json::from_str(&python_output(python, &code)).unwrap()
    }

    #[test]
    fn schemes_match_pip() {
        let temp = tempfile::tempdir().unwrap();
        let prefix = temp.path().join("prefix");
        let plain = make_venv(&temp.path().join("plain"));
        let global = make_venv_with(
            base_python(),
            &temp.path().join("global"),
            &["--system-site-packages"],
        );
        for python in [
            base_python().to_path_buf(),
            plain.join("bin/python"),
            global.join("bin/python"),
        ] {
            let interpreter = Interpreter::query(&python, None).unwrap();
            let request = SchemeRequest::Prefix(prefix.clone());
            assert_eq!(
                interpreter.scheme_for(&request).unwrap(),
                pip_scheme(&python, &request),
                "{}",
                python.display()
            );
            if python.starts_with(&plain) {
                continue;
            }
            assert_eq!(
                interpreter.scheme_for(&SchemeRequest::User).unwrap(),
                pip_scheme(&python, &SchemeRequest::User),
                "{}",
                python.display()
            );
        }
    }

    #[test]
    fn user_installs_are_refused_where_pip_refuses_them() {
        let temp = tempfile::tempdir().unwrap();
        let venv = make_venv(&temp.path().join("venv"));
        let interpreter = Interpreter::query(&venv.join("bin/python"), None).unwrap();
        let error = interpreter
            .scheme_for(&SchemeRequest::User)
            .unwrap_err()
            .to_string()
            .replace(&temp.path().display().to_string(), "[TEMP]");
        insta::assert_snapshot!(error, @r#"cannot perform a --user install: user site-packages are not visible in the virtual environment "[TEMP]/venv""#);
    }
}
