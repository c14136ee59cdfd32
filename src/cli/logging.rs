//! Logs go to stderr, never stdout (stdout is the console's chat). Logging never blocks and
//! never panics: lines go through a bounded queue to a writer thread, a full queue drops lines
//! instead of waiting, and a failed write (a full disk, a pipe whose reader left) loses the line
//! instead of failing the bot. Lost lines are counted and reported once a write works again.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Lines waiting for the writer thread; past this, new lines are dropped (and counted).
const QUEUED_LINES: usize = 16_384;

/// Writes `args` and a newline to stderr; a failed write is ignored (unlike `eprintln!`, which
/// panics). For the command line's own messages: errors, warnings, summaries.
pub fn stderr_line(args: std::fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr().lock(), "{args}");
}

/// `eprintln!` that never panics.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::logging::stderr_line(format_args!($($arg)*))
    };
}
pub(crate) use say;

/// Starts logging; keep the guard until the end of `main` (dropping it flushes the queue, for
/// at most a second).
pub fn init(format: LogFormat, level: &str) -> WorkerGuard {
    let filter = filter(level);
    let dropped = Arc::new(OnceLock::new());
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(QUEUED_LINES)
        .thread_name("switchboard-log")
        .finish(LossyWriter::new(io::stderr(), dropped.clone()));
    let _ = dropped.set(writer.error_counter());
    let builder = tracing_subscriber::fmt()
        .with_max_level(LevelFilter::TRACE)
        .with_ansi(use_color())
        .with_writer(writer);
    match format {
        LogFormat::Text => builder.finish().with(filter).init(),
        LogFormat::Json => builder.json().finish().with(filter).init(),
    }
    guard
}

/// `SWITCHBOARD_LOG` when it is a valid filter, else `--log-level`, else `info`. A filter is a
/// level (`debug`) or per-module directives (`info,switchboard_runtime=debug`).
fn filter(level: &str) -> Targets {
    if let Ok(requested) = std::env::var("SWITCHBOARD_LOG") {
        match requested.parse::<Targets>() {
            Ok(filter) => return filter,
            Err(e) => say!(
                "warning: SWITCHBOARD_LOG `{requested}` is not a valid log filter ({e}); using `{level}`"
            ),
        }
    }
    level.parse().unwrap_or_else(|e| {
        say!("warning: log filter `{level}` is not valid ({e}); using `info`");
        Targets::new().with_default(LevelFilter::INFO)
    })
}

/// Colour only for a terminal, and never with `NO_COLOR` set (<https://no-color.org>).
fn use_color() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stderr().is_terminal()
}

/// A writer that never fails: a line it cannot write is counted as lost, and the next line it
/// can write is preceded by how many were lost (failed writes, and lines the full queue
/// dropped).
pub struct LossyWriter<W> {
    inner: W,
    failed: u64,
    /// The queue's count of dropped lines, set once the queue exists.
    dropped: Arc<OnceLock<ErrorCounter>>,
    dropped_reported: u64,
}

impl<W: Write> LossyWriter<W> {
    pub fn new(inner: W, dropped: Arc<OnceLock<ErrorCounter>>) -> Self {
        LossyWriter {
            inner,
            failed: 0,
            dropped,
            dropped_reported: 0,
        }
    }

    fn dropped_now(&self) -> u64 {
        self.dropped
            .get()
            .map_or(0, |counter| counter.dropped_lines() as u64)
    }

    /// Says how many lines were lost since the last report, if any; false if that failed too.
    fn report_losses(&mut self) -> bool {
        let dropped = self.dropped_now().saturating_sub(self.dropped_reported);
        let lost = self.failed + dropped;
        if lost == 0 {
            return true;
        }
        let report = format!(
            "switchboard: {lost} log line(s) were lost ({} could not be written, {dropped} dropped while the log writer was behind)\n",
            self.failed
        );
        if self.inner.write_all(report.as_bytes()).is_err() {
            return false;
        }
        self.failed = 0;
        self.dropped_reported += dropped;
        LOST_REPORTED.fetch_add(lost, Ordering::Relaxed);
        true
    }
}

/// Lost lines reported so far in this process, for tests.
static LOST_REPORTED: AtomicU64 = AtomicU64::new(0);

impl<W: Write> Write for LossyWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.report_losses() || self.inner.write_all(buf).is_err() {
            self.failed += 1;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = self.inner.flush();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails every write while `broken` is set.
    struct Flaky {
        broken: bool,
        written: Vec<u8>,
    }

    impl Write for Flaky {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.broken {
                return Err(io::Error::from(io::ErrorKind::StorageFull));
            }
            self.written.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_that_cannot_be_written_are_counted_and_reported_once_writing_works() {
        let inner = Flaky {
            broken: true,
            written: Vec::new(),
        };
        let mut writer = LossyWriter::new(inner, Arc::default());
        for _ in 0..3 {
            assert_eq!(writer.write(b"lost line\n").unwrap(), 10);
        }
        writer.inner.broken = false;
        writer.write_all(b"back\n").unwrap();
        writer.write_all(b"again\n").unwrap();
        let text = String::from_utf8(writer.inner.written.clone()).unwrap();
        assert_eq!(
            text,
            "switchboard: 3 log line(s) were lost (3 could not be written, 0 dropped while the log writer was behind)\nback\nagain\n"
        );
    }
}
