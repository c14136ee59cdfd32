//! Standard input as a stream of bounded lines, read on a thread of its own so that a blocked
//! read never holds up the async runtime or its shutdown.

use std::io::{BufRead, Read};

use tokio::sync::mpsc;

#[derive(Debug, PartialEq, Eq)]
pub enum InputLine {
    Text(String),
    /// The line was longer than allowed; its length in bytes. It was discarded.
    TooLong(usize),
    /// The line was not UTF-8. It was discarded.
    NotUtf8,
}

/// Reads `input` line by line until EOF; the channel closes at EOF.
pub fn spawn_reader<R: Read + Send + 'static>(
    input: R,
    max_bytes: usize,
) -> mpsc::Receiver<InputLine> {
    let (tx, rx) = mpsc::channel(64);
    std::thread::Builder::new()
        .name("console-stdin".into())
        .spawn(move || {
            let mut reader = std::io::BufReader::new(input);
            while let Some(line) = next_line(&mut reader, max_bytes) {
                if tx.blocking_send(line).is_err() {
                    break;
                }
            }
        })
        .map_err(|e| tracing::error!("cannot start the console reader: {e}"))
        .ok();
    rx
}

/// The next line of `reader`, held up to `max_bytes`; `None` at EOF.
pub fn next_line(reader: &mut impl BufRead, max_bytes: usize) -> Option<InputLine> {
    let mut line = Vec::new();
    let mut length = 0usize;
    let mut overflowed = false;
    loop {
        let buffer = match reader.fill_buf() {
            Ok(buffer) => buffer,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::error!("reading the console failed: {e}");
                return None;
            }
        };
        if buffer.is_empty() {
            // EOF: a last line without a newline still counts.
            return (length > 0).then(|| finish(line, length, overflowed));
        }
        let (chunk, done) = match buffer.iter().position(|b| *b == b'\n') {
            Some(end) => (&buffer[..end], Some(end + 1)),
            None => (buffer, None),
        };
        length += chunk.len();
        if length > max_bytes {
            overflowed = true;
            line.clear();
        } else {
            line.extend_from_slice(chunk);
        }
        let consumed = done.unwrap_or(buffer.len());
        reader.consume(consumed);
        if done.is_some() {
            return Some(finish(line, length.max(1), overflowed));
        }
    }
}

fn finish(mut line: Vec<u8>, length: usize, overflowed: bool) -> InputLine {
    if overflowed {
        return InputLine::TooLong(length);
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    match String::from_utf8(line) {
        Ok(text) => InputLine::Text(text),
        Err(_) => InputLine::NotUtf8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<InputLine> {
        let mut reader = std::io::BufReader::with_capacity(4, input);
        std::iter::from_fn(|| next_line(&mut reader, max)).collect()
    }

    #[test]
    fn lines_split_on_newlines_and_the_last_may_lack_one() {
        assert_eq!(
            lines(b"!ping\r\n\n#general a: b\nlast", 100),
            vec![
                InputLine::Text("!ping".into()),
                InputLine::Text("".into()),
                InputLine::Text("#general a: b".into()),
                InputLine::Text("last".into()),
            ]
        );
    }

    #[test]
    fn an_overlong_line_is_dropped_whole_and_the_next_line_still_read() {
        let mut input = vec![b'x'; 50];
        input.extend_from_slice(b"\n!ping\n");
        assert_eq!(
            lines(&input, 10),
            vec![InputLine::TooLong(50), InputLine::Text("!ping".into())]
        );
    }

    #[test]
    fn a_non_utf8_line_is_reported_and_the_next_line_still_read() {
        assert_eq!(
            lines(b"caf\xe9\n!ping\n", 100),
            vec![InputLine::NotUtf8, InputLine::Text("!ping".into())]
        );
    }
}
