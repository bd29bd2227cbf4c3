//! Compiling installed `.py` files to bytecode with the target interpreter, as pip's `--compile`
//! does, in parallel worker processes.
//!
//! pip compiles every installed `.py` file (scripts from `.data/scripts` included) with
//! `compileall.compile_file(path, force=True, quiet=True)` inside the target interpreter and adds
//! each `.pyc` to `RECORD`, so that uninstalling removes it. Behaviour kept from there:
//! - the bytecode level is the interpreter's default (no `-O`): `__pycache__/x.<tag>.pyc`;
//! - the invalidation mode is `py_compile`'s default: `TIMESTAMP`, or `CHECKED_HASH` when
//!   `SOURCE_DATE_EPOCH` is set (the workers inherit the caller's environment for that);
//! - a file that does not compile (Python 2 code vendored in a wheel, say) is a warning, not a
//!   failure; warnings such as `SyntaxWarning` are silenced.
//!
//! Files are compiled while they are still staged, so the bytecode lands in the environment in
//! the same commit as the sources: the worker reads the staged source and writes the staged
//! `.pyc`, with `dfile` (the name in tracebacks) and the `__pycache__` location taken from the
//! destination. A source's modification time and size, which a `TIMESTAMP` `.pyc` records, do
//! not change when the staged file is renamed into place.
//!
//! Traps: `PYTHONDONTWRITEBYTECODE` does not stop `py_compile`, but `PYTHONPYCACHEPREFIX` would
//! move the `.pyc` elsewhere and `PYTHONOPTIMIZE` would change its name; the workers run with
//! `-I` (isolated: no `PYTHON*` variables, no user site, no script directory on `sys.path`, so a
//! stray `py_compile.py` cannot shadow the standard library) and without those three variables.
//! Paths cross the pipe as raw bytes, NUL-separated (`os.fsencode`), so any file name works.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::InstallError;
use crate::record::sha256_digest;

/// Runs in each worker: reads `source\0destination\0output\0` triples from stdin, answers
/// `ok\0<pyc path>\0` or `error\0<message>\0` for each, in order.
const WORKER: &str = r#"
import importlib.util, os, py_compile, sys, warnings
warnings.filterwarnings("ignore")
fields = sys.stdin.buffer.read().split(b"\0")
out = sys.stdout.buffer
for i in range(0, len(fields) - 2, 3):
    source, destination, output = (os.fsdecode(field) for field in fields[i : i + 3])
    try:
        pyc = importlib.util.cache_from_source(destination)
        py_compile.compile(source, cfile=output, dfile=destination, doraise=True)
    except Exception as error:
        message = str(error).replace("\0", " ").strip() or type(error).__name__
        out.write(b"error\0" + message.encode("utf-8", "replace") + b"\0")
    else:
        out.write(b"ok\0" + os.fsencode(pyc) + b"\0")
out.flush()
"#;

/// Bytecode compilation settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileOptions {
    /// The target environment's interpreter.
    pub python: PathBuf,
    /// How many worker processes run at once (at least one).
    pub workers: usize,
}

/// One file to compile.
#[derive(Debug, Clone)]
pub(crate) struct CompileJob {
    /// The staged source.
    pub(crate) source: PathBuf,
    /// Where the source will be installed.
    pub(crate) destination: PathBuf,
    /// Where to write the bytecode (in the staging directory).
    pub(crate) output: PathBuf,
    /// The source's size, to share the work out evenly.
    pub(crate) size: u64,
}

/// What became of one [`CompileJob`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Compiled {
    /// Bytecode was written to the job's `output` (with this sha256 and size); it belongs at
    /// `path`.
    Pyc {
        path: PathBuf,
        hash: String,
        size: u64,
    },
    /// The file does not compile: the message says why.
    Failed(String),
}

/// Compiles `jobs` in `options.workers` processes; the result for each job, in order.
pub(crate) fn compile(
    options: &CompileOptions,
    jobs: &[CompileJob],
) -> Result<Vec<Compiled>, InstallError> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let shares = share_out(jobs, options.workers.max(1));
    let results: Vec<Result<Vec<(usize, Compiled)>, InstallError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = shares
            .iter()
            .map(|share| scope.spawn(|| run_worker(&options.python, jobs, share)))
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle.join().unwrap_or_else(|_| {
                    Err(InstallError::Compile {
                        python: options.python.clone(),
                        reason: "a worker thread panicked".to_string(),
                    })
                })
            })
            .collect()
    });
    let mut compiled: Vec<Option<Compiled>> = vec![None; jobs.len()];
    for result in results {
        for (index, outcome) in result? {
            compiled[index] = Some(outcome);
        }
    }
    Ok(compiled
        .into_iter()
        .map(|outcome| outcome.unwrap_or_else(|| Compiled::Failed("not compiled".to_string())))
        .collect())
}

/// Splits job indices into at most `workers` shares of about equal total size (largest first,
/// each to the lightest share).
fn share_out(jobs: &[CompileJob], workers: usize) -> Vec<Vec<usize>> {
    let workers = workers.min(jobs.len()).max(1);
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&index| std::cmp::Reverse(jobs[index].size));
    let mut shares: Vec<(u64, Vec<usize>)> = vec![(0, Vec::new()); workers];
    for index in order {
        let lightest = shares
            .iter_mut()
            .min_by_key(|(load, _)| *load)
            .expect("at least one share");
        // Every file costs something, however small.
        lightest.0 += jobs[index].size + 512;
        lightest.1.push(index);
    }
    shares.into_iter().map(|(_, share)| share).collect()
}

/// Runs one worker process over the jobs at `share`.
fn run_worker(
    python: &Path,
    jobs: &[CompileJob],
    share: &[usize],
) -> Result<Vec<(usize, Compiled)>, InstallError> {
    let error = |reason: String| InstallError::Compile {
        python: python.to_path_buf(),
        reason,
    };
    let mut child = Command::new(python)
        .args(["-I", "-c", WORKER])
        .env_remove("PYTHONDONTWRITEBYTECODE")
        .env_remove("PYTHONPYCACHEPREFIX")
        .env_remove("PYTHONOPTIMIZE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| error(source.to_string()))?;
    let mut input = Vec::new();
    for &index in share {
        let job = &jobs[index];
        for path in [&job.source, &job.destination, &job.output] {
            input.extend_from_slice(path.as_os_str().as_encoded_bytes());
            input.push(0);
        }
    }
    if let Some(mut stdin) = child.stdin.take() {
        // The worker reads all of its input before it writes anything, so this cannot deadlock;
        // a worker that died early shows in its exit status below.
        if let Err(write_error) = stdin.write_all(&input) {
            tracing::debug!("writing to a bytecode worker: {write_error}");
        }
    }
    let output = child
        .wait_with_output()
        .map_err(|source| error(source.to_string()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last_line = stderr.trim().lines().last().unwrap_or_default().to_string();
        return Err(error(format!(
            "a worker exited with {}: {last_line}",
            output.status
        )));
    }
    let fields: Vec<&[u8]> = output.stdout.split(|&byte| byte == 0).collect();
    if fields.len() != share.len() * 2 + 1 {
        return Err(error(format!(
            "a worker answered for {} of {} files",
            fields.len() / 2,
            share.len()
        )));
    }
    share
        .iter()
        .zip(fields.chunks(2))
        .map(|(&index, answer)| match answer[0] {
            b"ok" => {
                let output = fs_err::read(&jobs[index].output)
                    .map_err(|source| error(source.to_string()))?;
                Ok((
                    index,
                    Compiled::Pyc {
                        path: path_from_bytes(answer[1]),
                        hash: sha256_digest(&output),
                        size: output.len() as u64,
                    },
                ))
            }
            b"error" => Ok((
                index,
                Compiled::Failed(String::from_utf8_lossy(answer[1]).into_owned()),
            )),
            other => Err(error(format!(
                "unexpected worker answer \"{}\"",
                String::from_utf8_lossy(other)
            ))),
        })
        .collect()
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(size: u64) -> CompileJob {
        CompileJob {
            source: PathBuf::new(),
            destination: PathBuf::new(),
            output: PathBuf::new(),
            size,
        }
    }

    #[test]
    fn shares_are_balanced_by_size() {
        let jobs: Vec<CompileJob> = [10_000, 9_000, 1_000, 1_000, 500, 8_000]
            .into_iter()
            .map(job)
            .collect();
        let shares = share_out(&jobs, 2);
        assert_eq!(shares, vec![vec![0, 2, 3, 4], vec![1, 5]]);
        assert_eq!(share_out(&jobs, 10).len(), jobs.len());
        assert_eq!(share_out(&jobs, 0).len(), 1);
    }

    #[test]
    fn compiles_with_the_interpreter_and_reports_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let staged = dir.path().join("stage");
        fs_err::create_dir(&staged).unwrap();
        fs_err::write(staged.join("1"), "X = 1\n").unwrap();
        fs_err::write(staged.join("2"), "print 'python 2'\n").unwrap();
        let site = dir.path().join("site");
        let jobs = vec![
            CompileJob {
                source: staged.join("1"),
                destination: site.join("good.py"),
                output: staged.join("1.pyc"),
                size: 6,
            },
            CompileJob {
                source: staged.join("2"),
                destination: site.join("bad.py"),
                output: staged.join("2.pyc"),
                size: 17,
            },
        ];
        let options = CompileOptions {
            python: PathBuf::from("python3"),
            workers: 2,
        };
        let results = compile(&options, &jobs).unwrap();
        let Compiled::Pyc {
            path: pyc, size, ..
        } = &results[0]
        else {
            panic!("{results:?}")
        };
        assert_eq!(*size, fs_err::metadata(staged.join("1.pyc")).unwrap().len());
        assert_eq!(pyc.parent(), Some(site.join("__pycache__").as_path()));
        let name = pyc.file_name().unwrap().to_string_lossy();
        assert!(
            name.starts_with("good.") && name.ends_with(".pyc"),
            "{name}"
        );
        assert!(staged.join("1.pyc").is_file());
        let Compiled::Failed(message) = &results[1] else {
            panic!("{results:?}")
        };
        assert!(message.contains("bad.py"), "{message}");
        assert!(!staged.join("2.pyc").exists());

        let missing = CompileOptions {
            python: dir.path().join("no-python"),
            workers: 1,
        };
        let error = compile(&missing, &jobs[..1]).unwrap_err().to_string();
        assert!(error.starts_with("cannot compile bytecode with"), "{error}");
    }
}
