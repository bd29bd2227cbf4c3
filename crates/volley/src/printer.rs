//! Terminal output: phase summaries, `+`/`-` lines, errors with their causes and hints.
//!
//! Everything for humans goes to stderr (as uv does), so stdout stays clean for output meant
//! for files and pipes (`compile`, `cache dir`).
//!
//! With `--log FILE`, every line for humans is also appended to the file, whatever `-q` and
//! `-v` hide on the terminal (pip's "verbose appending log").

#![allow(clippy::print_stderr, clippy::print_stdout)] // the binary's one printing place

use std::fmt::Display;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Printer {
    quiet: bool,
    verbose: bool,
    /// Progress bars may be drawn: stderr is a terminal, and `--progress-bar off` was not given.
    bars: bool,
    /// `--log FILE`, opened for appending.
    log: Option<Arc<fs_err::File>>,
}

impl Printer {
    pub fn new(quiet: u8, verbose: u8) -> Self {
        Self {
            quiet: quiet > 0,
            verbose: verbose > 0,
            bars: std::io::stderr().is_terminal(),
            log: None,
        }
    }

    /// Also append every line to `log` (`--log FILE`).
    pub fn with_log(mut self, log: Arc<fs_err::File>) -> Self {
        self.log = Some(log);
        self
    }

    /// `--progress-bar off`: no progress bars, even on a terminal.
    pub fn hide_bars(&mut self) {
        self.bars = false;
    }

    /// Appends `line` to the `--log` file; a failing write does not stop the command.
    fn record(&self, line: &dyn Display) {
        if let Some(log) = &self.log {
            let _ = (&**log).write_all(format!("{line}\n").as_bytes());
        }
    }

    pub fn is_verbose(&self) -> bool {
        self.verbose && !self.quiet
    }

    /// Progress bars are drawn only on a terminal, and not with `-q` or `-v` (whose log lines
    /// would tear them).
    pub fn shows_bars(&self) -> bool {
        self.bars && !self.quiet && !self.verbose
    }

    /// A status line on stderr, hidden by `-q`.
    pub fn status(&self, line: impl Display) {
        self.record(&line);
        if !self.quiet {
            eprintln!("{line}");
        }
    }

    /// A log line shown with `-v`.
    pub fn verbose(&self, line: impl Display) {
        self.record(&line);
        if self.is_verbose() {
            eprintln!("{line}");
        }
    }

    /// A warning, shown unless `-q`.
    pub fn warn(&self, message: impl Display) {
        self.record(&format_args!("warning: {message}"));
        if !self.quiet {
            eprintln!("warning: {message}");
        }
    }

    /// An error message that does not stop the command (pip's `ERROR:` lines), shown even
    /// with `-q`.
    pub fn error_message(&self, message: impl Display) {
        self.record(&format_args!("error: {message}"));
        eprintln!("error: {message}");
    }

    /// Program output on stdout (never hidden: the user asked for it).
    pub fn stdout(&self, text: impl Display) {
        print!("{text}");
    }

    /// Asks `question` on stderr (even with `-q`) and reads one line from stdin, terminal or
    /// not; `None` when stdin is closed.
    pub fn prompt(&self, question: &str) -> std::io::Result<Option<String>> {
        use std::io::Write;
        eprint!("{question}");
        std::io::stderr().flush()?;
        let mut answer = String::new();
        if std::io::stdin().read_line(&mut answer)? == 0 {
            // Finish the prompt's line.
            eprintln!();
            return Ok(None);
        }
        Ok(Some(answer))
    }

    /// An error with its chain of causes and, for errors volley knows, a hint.
    pub fn error(&self, error: &anyhow::Error) {
        let mut lines = vec![format!("error: {error}")];
        for cause in error.chain().skip(1) {
            let text = cause.to_string();
            // Library errors often repeat their source's message; print each line once.
            if !error.to_string().contains(&text) {
                lines.push(format!("  caused by: {text}"));
            }
        }
        if let Some(hint) = crate::commands::hint_for(error) {
            lines.push(format!("hint: {hint}"));
        }
        for line in lines {
            self.record(&line);
            eprintln!("{line}");
        }
    }
}

/// `310ms`, `1.21s`, `2m 3s`: the durations of uv's phase lines.
pub fn elapsed(duration: Duration) -> String {
    let seconds = duration.as_secs_f64();
    if seconds < 1.0 {
        format!("{}ms", duration.as_millis())
    } else if seconds < 60.0 {
        format!("{seconds:.2}s")
    } else {
        format!("{}m {}s", duration.as_secs() / 60, duration.as_secs() % 60)
    }
}

/// `1 package` / `3 packages`.
pub fn packages(count: usize) -> String {
    if count == 1 {
        "1 package".to_string()
    } else {
        format!("{count} packages")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_uv() {
        assert_eq!(elapsed(Duration::from_millis(42)), "42ms");
        assert_eq!(elapsed(Duration::from_millis(1210)), "1.21s");
        assert_eq!(elapsed(Duration::from_secs(123)), "2m 3s");
        assert_eq!(packages(1), "1 package");
        assert_eq!(packages(97), "97 packages");
    }
}
