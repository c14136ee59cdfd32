//! Lines from a plugin's stdout or stderr with a bound on what is held: a line longer than the
//! bound is kept only up to it, and its length is still counted, so a plugin that writes a
//! 50 MB line costs the bot the bound, not 50 MB.

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// One line, without its `\n` (and `\r`), decoded as UTF-8 with invalid bytes replaced.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// The whole line.
    Full(String),
    /// A line over the bound: its first bytes, and how many it had in all.
    TooLong {
        /// The start of the line, up to the bound.
        start: String,
        /// The line's length in bytes.
        bytes: usize,
    },
}

/// Reads lines of at most `max` bytes from `reader`. Cancel-safe: what was read of a line
/// stays here until the line is complete.
pub struct BoundedLines<R> {
    reader: R,
    max: usize,
    start: Vec<u8>,
    bytes: usize,
}

impl<R: AsyncBufRead + Unpin> BoundedLines<R> {
    /// Lines of `reader`, each held up to `max` bytes.
    pub fn new(reader: R, max: usize) -> Self {
        BoundedLines {
            reader,
            max,
            start: Vec::new(),
            bytes: 0,
        }
    }

    /// The next line; `None` at the end of the stream.
    pub async fn next_line(&mut self) -> std::io::Result<Option<Line>> {
        loop {
            let available = self.reader.fill_buf().await?;
            if available.is_empty() {
                return Ok((self.bytes > 0).then(|| self.take()));
            }
            let newline = available.iter().position(|&b| b == b'\n');
            let part = &available[..newline.unwrap_or(available.len())];
            let room = self.max.saturating_sub(self.start.len());
            self.start.extend_from_slice(&part[..part.len().min(room)]);
            self.bytes += part.len();
            let used = newline.map_or(available.len(), |at| at + 1);
            self.reader.consume(used);
            if newline.is_some() {
                return Ok(Some(self.take()));
            }
        }
    }

    fn take(&mut self) -> Line {
        let bytes = std::mem::take(&mut self.bytes);
        let mut start = std::mem::take(&mut self.start);
        if start.last() == Some(&b'\r') && bytes <= self.max {
            start.pop();
        }
        let text = String::from_utf8_lossy(&start).into_owned();
        if bytes > self.max {
            Line::TooLong { start: text, bytes }
        } else {
            Line::Full(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn all(input: &[u8], max: usize) -> Vec<Line> {
        // A small buffer, so lines arrive in many pieces.
        let reader = tokio::io::BufReader::with_capacity(4, input);
        let mut lines = BoundedLines::new(reader, max);
        let mut out = Vec::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            out.push(line);
        }
        out
    }

    #[tokio::test]
    async fn lines_are_split_on_newlines_and_a_last_line_without_one_counts() {
        assert_eq!(
            all(b"one\r\ntwo\n\nthree", 100).await,
            vec![
                Line::Full("one".into()),
                Line::Full("two".into()),
                Line::Full(String::new()),
                Line::Full("three".into())
            ]
        );
    }

    #[tokio::test]
    async fn a_line_over_the_bound_keeps_its_start_and_its_length() {
        let mut input = vec![b'x'; 1000];
        input.extend_from_slice(b"\nnext\n");
        assert_eq!(
            all(&input, 10).await,
            vec![
                Line::TooLong {
                    start: "xxxxxxxxxx".into(),
                    bytes: 1000
                },
                Line::Full("next".into())
            ]
        );
    }

    #[tokio::test]
    async fn invalid_utf8_is_replaced_not_an_error() {
        assert_eq!(
            all(b"caf\xe9\n", 100).await,
            vec![Line::Full("caf\u{fffd}".into())]
        );
    }
}
