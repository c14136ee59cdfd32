//! Logging never stops the bot: stderr on a full disk, a pipe whose reader left, and a pipe
//! nobody reads all leave the chat on stdout working; colour codes only reach a terminal.

mod support;

use std::fs::File;
use std::io::{Read, Write};
use std::process::{Child, Stdio};
use std::sync::mpsc;

use support::{wait_output, Scratch, STEP};

/// Pings the console bot `count` times with debug logging and returns how many pongs came back.
fn pongs(scratch: &Scratch, stderr: Stdio, count: usize) -> (Child, usize) {
    let mut child = scratch
        .command(&["console", "--log-level", "trace"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("start switchboard");
    let mut stdin = child.stdin.take().expect("stdin");
    let input: String = (0..count).map(|_| "!ping\n").collect();
    stdin.write_all(input.as_bytes()).expect("write stdin");
    drop(stdin);
    let mut out = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut out)
        .expect("read stdout");
    let pongs = out.lines().filter(|l| *l == "[@console] pong").count();
    (child, pongs)
}

#[test]
fn the_bot_answers_and_exits_cleanly_with_stderr_on_a_full_disk() {
    let scratch = Scratch::new();
    let full = File::options()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let (child, pongs) = pongs(&scratch, Stdio::from(full), 3);
    let output = wait_output(child);
    assert_eq!(pongs, 3);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

#[test]
fn the_bot_goes_on_when_its_log_reader_leaves() {
    let scratch = Scratch::new();
    let mut child = scratch
        .command(&["console", "--log-level", "trace"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start switchboard");
    // The reader leaves before the bot has logged anything: every write gets EPIPE.
    drop(child.stderr.take());
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"!ping\n!ping\n").expect("write stdin");
    drop(stdin);
    let output = wait_output(child);
    let pongs = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| *l == "[@console] pong")
        .count();
    assert_eq!(pongs, 2);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

#[test]
fn a_log_reader_that_stops_reading_does_not_hold_up_the_bot() {
    const CHECK_INS: usize = 1000;
    let scratch = Scratch::new();
    scratch.write(
        "config.ini",
        "[Bot]\ntimezone = UTC\n\n[Connector.console.console]\n\n[CheckIn]\ncheck_in_days = daily\n",
    );
    let mut child = scratch
        .command(&["console", "--config", "config.ini"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start switchboard");
    // Each stored check-in logs a line: far more than a pipe holds (64 KiB), and nobody reads
    // stderr until the bot has exited.
    let mut input: String = (0..CHECK_INS)
        .map(|n| format!("#meshmonday user{n}: check in\n"))
        .collect();
    input.push_str("!ping\n");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input.as_bytes()).expect("write stdin");
    drop(stdin);
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut out = String::new();
        let _ = { stdout }.read_to_string(&mut out);
        let _ = tx.send(out);
    });
    let out = rx
        .recv_timeout(STEP)
        .expect("the bot exits although nobody reads its log");
    assert!(out.lines().any(|l| l == "[@console] pong"), "{out}");
    let output = wait_output(child);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stderr.len() >= 60 * 1024,
        "the test must fill the pipe: {} bytes",
        output.stderr.len()
    );
    let listed = scratch.run(
        &["checkin", "list", "--json", "--config", "config.ini"],
        b"",
    );
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    assert_eq!(listed.as_array().map(Vec::len), Some(CHECK_INS));
}

#[test]
fn a_log_in_a_file_or_pipe_has_no_colour_codes() {
    let scratch = Scratch::new();
    let output = scratch.run(&["console"], b"!ping\n");
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("switchboard ready"), "{log}");
    assert!(!log.contains('\u{1b}'), "colour codes in a pipe: {log:?}");
}

/// The log lines of a console run with `--log-level level` and `SWITCHBOARD_LOG` as given.
fn log_with(level: &str, env: Option<&str>) -> String {
    let scratch = Scratch::new();
    let mut command = scratch.command(&["--log-level", level, "console"]);
    if let Some(env) = env {
        command.env("SWITCHBOARD_LOG", env);
    }
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start switchboard");
    String::from_utf8_lossy(&wait_output(child).stderr).into_owned()
}

#[test]
fn the_log_filter_is_switchboard_log_then_log_level_then_info() {
    let debug = " DEBUG switchboard_runtime::store::sqlite: store migrated";
    assert!(log_with("debug", None).contains(debug));
    assert!(!log_with("info", None).contains(debug));
    // SWITCHBOARD_LOG wins, also per module.
    assert!(log_with("info", Some("info,switchboard_runtime=debug")).contains(debug));
    assert!(!log_with("debug", Some("info")).contains(debug));
    // An invalid SWITCHBOARD_LOG falls back to --log-level, and says so.
    let log = log_with("debug", Some("x=bogus"));
    assert!(log.contains(debug), "{log}");
    assert!(
        log.contains("warning: SWITCHBOARD_LOG `x=bogus` is not a valid log filter"),
        "{log}"
    );
    // An invalid --log-level falls back to info.
    let log = log_with("x=bogus", None);
    assert!(
        log.contains("warning: log filter `x=bogus` is not valid"),
        "{log}"
    );
    assert!(log.contains(" INFO ") && !log.contains(debug), "{log}");
}
