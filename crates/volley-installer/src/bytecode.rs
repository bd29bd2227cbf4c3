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

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::InstallError;
use crate::record::sha256_digest;

/// Runs in each worker: reads `source\0destination\0output\0` triples from stdin as they come,
/// answers `ok\0<pyc path>\0` or `error\0<message>\0` for each, in order, at once.
const WORKER: &str = r#"
import importlib.util, os, py_compile, sys, warnings
warnings.filterwarnings("ignore")
def fields(stream):
    pending = b""
    while True:
        chunk = stream.read1(65536)
        if not chunk:
            return
        *complete, pending = (pending + chunk).split(b"\0")
        yield from complete
out = sys.stdout.buffer
triple = []
for field in fields(sys.stdin.buffer):
    triple.append(os.fsdecode(field))
    if len(triple) < 3:
        continue
    source, destination, output = triple
    triple = []
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
///
/// Files are handed out one at a time, largest first, to whichever worker answered last (each
/// has one more file waiting in its pipe), so that the workers finish together however long
/// each file takes.
pub(crate) fn compile(
    options: &CompileOptions,
    jobs: &[CompileJob],
) -> Result<Vec<Compiled>, InstallError> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&index| std::cmp::Reverse(jobs[index].size));
    let next = AtomicUsize::new(0);
    let take = || order.get(next.fetch_add(1, Ordering::Relaxed)).copied();
    let workers = options.workers.clamp(1, jobs.len());
    let results: Vec<Result<Vec<(usize, Compiled)>, InstallError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| scope.spawn(|| run_worker(&options.python, jobs, &take)))
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

/// Runs one worker process over the jobs `take` hands out, until there are none left.
fn run_worker(
    python: &Path,
    jobs: &[CompileJob],
    take: &(dyn Fn() -> Option<usize> + Sync),
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
    let (Some(stdin), Some(stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(error("a worker has no pipes".to_string()));
    };
    // Drained as it comes, so that a worker with much to say never blocks on a full pipe.
    let stderr_reader = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.read_to_end(&mut text);
        text
    });
    let outcome = converse(stdin, stdout, jobs, take);
    let status = child.wait().map_err(|source| error(source.to_string()))?;
    let stderr = stderr_reader.join().unwrap_or_default();
    // A failure of ours comes first: the worker then dies of the pipe closed under it.
    if let Err(WorkerFailure::Answer(reason)) = outcome {
        return Err(error(reason));
    }
    if !status.success() {
        let stderr = String::from_utf8_lossy(&stderr);
        let last_line = stderr.trim().lines().last().unwrap_or_default().to_string();
        return Err(error(format!("a worker exited with {status}: {last_line}")));
    }
    outcome.map_err(|(WorkerFailure::Pipe(reason) | WorkerFailure::Answer(reason))| error(reason))
}

/// Why talking to a worker failed.
enum WorkerFailure {
    /// The pipe to or from it broke: its exit status and stderr say more.
    Pipe(String),
    /// It answered, but the answer is wrong or its bytecode cannot be read.
    Answer(String),
}

/// Feeds a worker its jobs, one ahead of the one it works on, and reads its answers; closes its
/// stdin (so that it exits) when there are no more.
fn converse(
    stdin: ChildStdin,
    stdout: ChildStdout,
    jobs: &[CompileJob],
    take: &(dyn Fn() -> Option<usize> + Sync),
) -> Result<Vec<(usize, Compiled)>, WorkerFailure> {
    let mut stdin = Some(stdin);
    let mut answers = BufReader::new(stdout);
    let mut in_flight = VecDeque::new();
    let mut done = Vec::new();
    let send = |stdin: &mut Option<ChildStdin>, in_flight: &mut VecDeque<usize>| {
        let Some(pipe) = stdin.as_mut() else {
            return Ok(());
        };
        match take() {
            Some(index) => {
                let job = &jobs[index];
                let mut message = Vec::new();
                for path in [&job.source, &job.destination, &job.output] {
                    message.extend_from_slice(path.as_os_str().as_encoded_bytes());
                    message.push(0);
                }
                pipe.write_all(&message)
                    .and_then(|()| pipe.flush())
                    .map_err(|source| {
                        WorkerFailure::Pipe(format!("writing to a worker: {source}"))
                    })?;
                in_flight.push_back(index);
            }
            // No more jobs: the worker ends once it has answered the ones it has.
            None => *stdin = None,
        }
        Ok::<(), WorkerFailure>(())
    };
    send(&mut stdin, &mut in_flight)?;
    send(&mut stdin, &mut in_flight)?;
    while let Some(index) = in_flight.pop_front() {
        let status = read_field(&mut answers).map_err(WorkerFailure::Pipe)?;
        let detail = read_field(&mut answers).map_err(WorkerFailure::Pipe)?;
        // The next job goes out before this answer is looked at, so the worker never waits.
        send(&mut stdin, &mut in_flight)?;
        let outcome = match status.as_slice() {
            b"ok" => {
                let output = fs_err::read(&jobs[index].output)
                    .map_err(|error| WorkerFailure::Answer(error.to_string()))?;
                Compiled::Pyc {
                    path: path_from_bytes(&detail),
                    hash: sha256_digest(&output),
                    size: output.len() as u64,
                }
            }
            b"error" => Compiled::Failed(String::from_utf8_lossy(&detail).into_owned()),
            other => {
                return Err(WorkerFailure::Answer(format!(
                    "unexpected worker answer \"{}\"",
                    String::from_utf8_lossy(other)
                )));
            }
        };
        done.push((index, outcome));
    }
    Ok(done)
}

/// One NUL-terminated field of a worker's answer.
fn read_field(answers: &mut impl BufRead) -> Result<Vec<u8>, String> {
    let mut field = Vec::new();
    match answers.read_until(0, &mut field) {
        Ok(_) if field.last() == Some(&0) => {
            field.pop();
            Ok(field)
        }
        Ok(_) => Err("a worker stopped answering".to_string()),
        Err(error) => Err(format!("reading from a worker: {error}")),
    }
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

    #[test]
    fn many_files_shared_by_two_workers_come_back_to_their_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let (staged, site) = (dir.path().join("stage"), dir.path().join("site"));
        fs_err::create_dir(&staged).unwrap();
        let jobs: Vec<CompileJob> = (0..25)
            .map(|index| {
                // Every fifth file does not compile; sizes vary so the order handed out differs.
                let source = if index % 5 == 4 {
                    format!("print 'file {index}'\n")
                } else {
                    format!("X = {index}\n{}", "Y = 1\n".repeat(index * 7 % 11))
                };
                fs_err::write(staged.join(index.to_string()), &source).unwrap();
                CompileJob {
                    source: staged.join(index.to_string()),
                    destination: site.join(format!("m{index}.py")),
                    output: staged.join(format!("{index}.pyc")),
                    size: source.len() as u64,
                }
            })
            .collect();
        let options = CompileOptions {
            python: PathBuf::from("python3"),
            workers: 2,
        };
        let results = compile(&options, &jobs).unwrap();
        assert_eq!(results.len(), jobs.len());
        for (index, result) in results.iter().enumerate() {
            match result {
                Compiled::Pyc { path, size, .. } => {
                    assert_ne!(index % 5, 4, "{result:?}");
                    let name = path.file_name().unwrap().to_string_lossy();
                    assert!(name.starts_with(&format!("m{index}.")), "{name}");
                    let written = fs_err::metadata(staged.join(format!("{index}.pyc"))).unwrap();
                    assert_eq!(*size, written.len());
                }
                Compiled::Failed(message) => {
                    assert_eq!(index % 5, 4, "{message}");
                    assert!(message.contains(&format!("m{index}.py")), "{message}");
                }
            }
        }
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
