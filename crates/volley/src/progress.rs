//! Progress from one place: the libraries send events, this module draws them.
//!
//! On a terminal: a resolve spinner with the count of packages known, one aggregate download
//! bar (bytes and files, naming the largest file in flight). Elsewhere, or with `-v`: plain
//! lines, one per fetch with its timing, only when verbose. With `-q`: nothing.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use url::Url;
use volley_client::{FetchId, FetchKind, Reporter};

use crate::printer::{Printer, elapsed};

/// Renders network and resolver events.
pub struct ProgressReporter {
    printer: Printer,
    bars: Option<Bars>,
    state: Mutex<State>,
}

struct Bars {
    _multi: MultiProgress,
    resolve: ProgressBar,
    download: ProgressBar,
}

#[derive(Default)]
struct State {
    fetches: HashMap<FetchId, Fetch>,
    files_started: usize,
    files_done: usize,
    packages_known: usize,
}

struct Fetch {
    url: Url,
    kind: FetchKind,
    total: Option<u64>,
    received: u64,
}

impl ProgressReporter {
    pub fn new(printer: Printer) -> Self {
        let bars = printer.shows_bars().then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let resolve = multi.add(ProgressBar::new_spinner());
            resolve.set_style(
                ProgressStyle::with_template("{spinner} {msg}")
                    .expect("static template")
                    .tick_chars("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏ "),
            );
            resolve.enable_steady_tick(Duration::from_millis(80));
            resolve.set_message("Resolving dependencies...");
            let download = multi.add(ProgressBar::hidden());
            download.set_style(
                ProgressStyle::with_template("{prefix} [{bar:30}] {bytes}/{total_bytes} {msg}")
                    .expect("static template")
                    .progress_chars("=> "),
            );
            Bars {
                _multi: multi,
                resolve,
                download,
            }
        });
        Self {
            printer,
            bars,
            state: Mutex::new(State::default()),
        }
    }

    /// The resolver learned of another package.
    pub fn on_package_discovered(&self, count: usize) {
        let mut state = self.state.lock().expect("progress state");
        state.packages_known += count;
        if let Some(bars) = &self.bars {
            bars.resolve.set_message(format!(
                "Resolving dependencies... ({} known)",
                state.packages_known
            ));
        }
    }

    /// Resolution is over: the spinner goes away.
    pub fn finish_resolve(&self) {
        if let Some(bars) = &self.bars {
            bars.resolve.finish_and_clear();
        }
    }

    /// All downloads are over: the bar goes away.
    pub fn finish_downloads(&self) {
        if let Some(bars) = &self.bars {
            bars.download.finish_and_clear();
        }
    }

    fn redraw_download(&self, state: &State) {
        let Some(bars) = &self.bars else { return };
        if bars.download.is_hidden() && state.files_started > 0 {
            bars.download.set_draw_target(ProgressDrawTarget::stderr());
        }
        let (total, received) = state
            .fetches
            .values()
            .filter(|fetch| matches!(fetch.kind, FetchKind::File))
            .fold((0, 0), |(total, received), fetch| {
                (
                    total + fetch.total.unwrap_or(fetch.received),
                    received + fetch.received,
                )
            });
        let done_bytes = bars.download.position().max(received);
        bars.download.set_length(total.max(done_bytes));
        bars.download.set_position(received);
        bars.download.set_prefix(format!(
            "Downloading {}/{}",
            state.files_done, state.files_started
        ));
        let largest = state
            .fetches
            .values()
            .filter(|fetch| matches!(fetch.kind, FetchKind::File))
            .max_by_key(|fetch| fetch.total.unwrap_or(0))
            .map(|fetch| file_name(&fetch.url).to_string())
            .unwrap_or_default();
        bars.download.set_message(largest);
    }
}

fn file_name(url: &Url) -> &str {
    url.path_segments()
        .and_then(|mut segments| segments.next_back())
        .filter(|name| !name.is_empty())
        .unwrap_or(url.as_str())
}

impl Reporter for ProgressReporter {
    fn on_fetch_start(&self, id: FetchId, url: &Url, kind: FetchKind, total_bytes: Option<u64>) {
        let mut state = self.state.lock().expect("progress state");
        if matches!(kind, FetchKind::File) {
            state.files_started += 1;
        }
        state.fetches.insert(
            id,
            Fetch {
                url: url.clone(),
                kind,
                total: total_bytes,
                received: 0,
            },
        );
        self.redraw_download(&state);
    }

    fn on_fetch_progress(&self, id: FetchId, bytes: u64) {
        let mut state = self.state.lock().expect("progress state");
        if let Some(fetch) = state.fetches.get_mut(&id) {
            fetch.received += bytes;
        }
        self.redraw_download(&state);
    }

    fn on_fetch_done(&self, id: FetchId, duration: Duration) {
        let mut state = self.state.lock().expect("progress state");
        if let Some(fetch) = state.fetches.remove(&id) {
            if matches!(fetch.kind, FetchKind::File) {
                state.files_done += 1;
            }
            self.printer.verbose(format!(
                "fetched {} ({:?}, {} bytes) in {}",
                fetch.url,
                fetch.kind,
                fetch.received,
                elapsed(duration)
            ));
        }
        self.redraw_download(&state);
    }

    fn on_fetch_failed(&self, id: FetchId, error: &str) {
        let mut state = self.state.lock().expect("progress state");
        if let Some(fetch) = state.fetches.remove(&id) {
            if matches!(fetch.kind, FetchKind::File) {
                state.files_started = state.files_started.saturating_sub(1);
            }
            self.printer
                .verbose(format!("failed {} ({:?}): {error}", fetch.url, fetch.kind));
        }
        self.redraw_download(&state);
    }

    fn on_retry(&self, url: &Url, attempt: u32, reason: &str) {
        self.printer
            .verbose(format!("retrying {url} (attempt {attempt}): {reason}"));
    }
}
