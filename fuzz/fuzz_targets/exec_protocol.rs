//! What an exec plugin writes on stdout: bytes split into bounded lines (`BoundedLines`, as the
//! host reads the protocol and stderr), the first line read as the hello, every later one as
//! an answer or a host call (`Incoming`), and each line as the log would show it (`shown`).
//!
//! Invariants: the reader splits exactly as a plain split on `\n` would, a line over the bound
//! keeping its first bytes and its full length; what the log shows of a line is at most
//! `SHOWN` bytes of it plus a short note, and a short valid line is shown as it is.

#![no_main]

use libfuzzer_sys::fuzz_target;
use switchboard_fuzz::{block_on, model_lines};
use switchboard_local_plugins::fuzzing::{shown, BoundedLines, Hello, Incoming, Line, SHOWN};

/// (read buffer size, longest line): lines arriving in many pieces, and bounds hit on and
/// around every length.
const READERS: [(usize, usize); 5] = [(1, 4096), (2, 0), (3, 1), (5, 8), (64, 16)];

fuzz_target!(|data: &[u8]| {
    for (capacity, max) in READERS {
        let lines = read_all(data, capacity, max);
        let expected: Vec<Line> = model_lines(data)
            .into_iter()
            .map(|line| expected_line(line, max))
            .collect();
        assert_eq!(lines, expected, "buffer {capacity}, max {max}");
        for line in &lines {
            check_shown(line);
        }
    }
    let lines = read_all(data, 8 * 1024, 1 << 20);
    for (index, line) in lines.iter().enumerate() {
        let Line::Full(text) = line else {
            continue;
        };
        if index == 0 {
            if let Ok(hello) = serde_json::from_str::<Hello>(text) {
                let _ = format!("{hello:?}");
            }
        }
        if let Ok(incoming) = serde_json::from_str::<Incoming>(text) {
            let _ = format!("{incoming:?}");
        }
    }
});

fn read_all(data: &[u8], capacity: usize, max: usize) -> Vec<Line> {
    let reader = tokio::io::BufReader::with_capacity(capacity, data);
    let mut lines = BoundedLines::new(reader, max);
    let mut out = Vec::new();
    while let Some(line) = block_on(lines.next_line()).expect("reading bytes in memory") {
        out.push(line);
    }
    out
}

fn expected_line(line: &[u8], max: usize) -> Line {
    if line.len() > max {
        return Line::TooLong {
            start: String::from_utf8_lossy(&line[..max]).into_owned(),
            bytes: line.len(),
        };
    }
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Line::Full(String::from_utf8_lossy(line).into_owned())
}

fn check_shown(line: &Line) {
    let text = shown(line);
    let (start, bytes) = match line {
        Line::Full(text) => (text, text.len()),
        Line::TooLong { start, bytes } => (start, *bytes),
    };
    if bytes <= SHOWN && start.len() == bytes {
        assert_eq!(&text, start);
    } else {
        let note = format!("… ({bytes} bytes, cut)");
        let cut = text.strip_suffix(&note).expect("a cut line says so");
        assert!(cut.len() <= SHOWN, "{} bytes shown", cut.len());
        assert!(start.starts_with(cut), "the start of the line");
    }
}
