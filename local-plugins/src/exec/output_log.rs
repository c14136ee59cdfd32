//! What an exec plugin writes outside the protocol (stderr, and stdout lines that are not
//! JSON) goes to the bot's log, within limits: each line is cut at [`SHOWN`] bytes, and at most
//! [`BURST`] lines at once and [`PER_SECOND`] a second after that are logged. The rest are
//! counted and summarised in one line, so a plugin writing junk in a loop cannot fill the disk.

use std::time::Duration;

use tokio::time::Instant;

use super::line_reader::Line;

/// The most bytes of one line the log shows.
pub const SHOWN: usize = 1024;
/// Lines logged at once before the rate applies.
pub const BURST: f64 = 50.0;
/// Lines logged a second, after the burst.
pub const PER_SECOND: f64 = 10.0;
/// How often, at most, a summary of unlogged lines is written while they keep coming.
const SUMMARY_EVERY: Duration = Duration::from_secs(10);

/// Where the output came from, as the log names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// The plugin's stderr: its own log.
    Stderr,
    /// A stdout line that is not the protocol.
    Stdout,
}

/// The log of one stream of one plugin process.
pub struct OutputLog {
    plugin: String,
    stream: Stream,
    tokens: f64,
    refilled: Instant,
    not_logged: u64,
    summarised: Instant,
}

impl OutputLog {
    /// A log for `plugin`'s `stream`, with a full burst.
    pub fn new(plugin: &str, stream: Stream) -> Self {
        let now = Instant::now();
        OutputLog {
            plugin: plugin.to_string(),
            stream,
            tokens: BURST,
            refilled: now,
            not_logged: 0,
            summarised: now,
        }
    }

    /// Logs `line`, or counts it when over the rate.
    pub fn line(&mut self, line: &Line) {
        let now = Instant::now();
        let elapsed = now.duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * PER_SECOND).min(BURST);
        self.refilled = now;
        if self.tokens < 1.0 {
            self.not_logged += 1;
            if now.duration_since(self.summarised) >= SUMMARY_EVERY {
                self.summarise(now);
            }
            return;
        }
        self.tokens -= 1.0;
        if self.not_logged > 0 {
            self.summarise(now);
        }
        let text = shown(line);
        match self.stream {
            Stream::Stderr => tracing::info!(plugin = %self.plugin, "stderr: {text}"),
            Stream::Stdout => {
                tracing::warn!(plugin = %self.plugin, "ignored a stdout line that is not the protocol: {text}")
            }
        }
    }

    /// Logs the count of lines not logged, if any (called at the end of the stream too).
    pub fn finish(&mut self) {
        if self.not_logged > 0 {
            self.summarise(Instant::now());
        }
    }

    fn summarise(&mut self, now: Instant) {
        let stream = match self.stream {
            Stream::Stderr => "stderr",
            Stream::Stdout => "non-protocol stdout",
        };
        tracing::warn!(
            plugin = %self.plugin,
            lines = self.not_logged,
            "{} line(s) of {stream} were not logged (more than {PER_SECOND} a second)",
            self.not_logged
        );
        self.not_logged = 0;
        self.summarised = now;
    }
}

/// The line as the log shows it: cut at [`SHOWN`] bytes on a character boundary, with its
/// length when cut.
pub fn shown(line: &Line) -> String {
    let (text, bytes) = match line {
        Line::Full(text) => (text.as_str(), text.len()),
        Line::TooLong { start, bytes } => (start.as_str(), *bytes),
    };
    if bytes <= SHOWN && text.len() == bytes {
        return text.to_string();
    }
    let mut end = SHOWN.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({bytes} bytes, cut)", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_is_cut_on_a_character_boundary_and_says_how_long_it_was() {
        let long = "é".repeat(1000);
        let cut = shown(&Line::Full(long));
        assert!(cut.ends_with("… (2000 bytes, cut)"), "{cut}");
        assert!(cut.len() < SHOWN + 30);
        let start = shown(&Line::TooLong {
            start: "abc".into(),
            bytes: 5_000_000,
        });
        assert_eq!(start, "abc… (5000000 bytes, cut)");
        assert_eq!(shown(&Line::Full("short".into())), "short");
    }

    #[tokio::test(start_paused = true)]
    async fn past_the_burst_lines_are_counted_then_logged_again_at_the_rate() {
        let mut log = OutputLog::new("p", Stream::Stderr);
        for _ in 0..(BURST as usize) {
            log.line(&Line::Full("x".into()));
        }
        assert_eq!(log.not_logged, 0);
        for _ in 0..1000 {
            log.line(&Line::Full("x".into()));
        }
        assert_eq!(log.not_logged, 1000);
        tokio::time::advance(Duration::from_millis(100)).await;
        // One token back: the next line is logged, after the summary of the 1000.
        log.line(&Line::Full("x".into()));
        assert_eq!(log.not_logged, 0);
        log.line(&Line::Full("x".into()));
        assert_eq!(log.not_logged, 1);
    }
}
