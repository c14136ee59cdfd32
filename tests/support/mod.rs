//! Running the real `switchboard` binary in a scratch folder.

#![allow(dead_code)]

pub mod docs;
pub mod drop_in;
pub mod http;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub mod local;

pub const BIN: &str = env!("CARGO_BIN_EXE_switchboard");

/// The longest any one step may take before a test fails instead of hanging.
pub const STEP: Duration = Duration::from_secs(30);

pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("parent dir");
        }
        std::fs::write(&path, text).expect("write file");
        path
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BIN);
        command
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("SWITCHBOARD_LOG");
        command
    }

    /// Runs to completion with `input` on stdin.
    pub fn run(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = self.start(args);
        let mut stdin = child.stdin.take().expect("stdin");
        // A process may exit without reading its input (a refused start): that is no error.
        if let Err(e) = stdin.write_all(input) {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
        }
        drop(stdin);
        wait_output(child)
    }

    /// Starts the binary with stdin kept open, for interactive tests.
    pub fn spawn(&self, args: &[&str]) -> Session {
        Session::start(self.command(args))
    }

    fn start(&self, args: &[&str]) -> Child {
        piped(self.command(args))
    }
}

/// Starts `command` with stdin, stdout and stderr piped.
fn piped(mut command: Command) -> Child {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start switchboard")
}

fn lines_of(stdout: ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for the process to exit, failing the test after [`STEP`].
pub fn wait_output(child: Child) -> Output {
    let (tx, rx) = mpsc::channel();
    let pid = child.id();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(STEP) {
        Ok(output) => output.expect("process output"),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("switchboard did not exit within {STEP:?}");
        }
    }
}

pub struct Session {
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub stdout: mpsc::Receiver<String>,
}

impl Session {
    /// Starts `command` (e.g. from [`Scratch::command`] with extra environment) with stdin open.
    pub fn start(command: Command) -> Session {
        let mut child = piped(command);
        let stdin = child.stdin.take();
        let stdout = lines_of(child.stdout.take().expect("stdout"));
        Session {
            child,
            stdin,
            stdout,
        }
    }

    pub fn say(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        writeln!(stdin, "{line}").expect("write line");
        stdin.flush().expect("flush");
    }

    /// The next line the bot prints.
    pub fn next_line(&mut self) -> String {
        self.stdout
            .recv_timeout(STEP)
            .expect("a line from the bot within the time limit")
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits for exit; returns the exit status and what was on stderr.
    pub fn finish(mut self) -> (std::process::ExitStatus, String) {
        drop(self.stdin.take());
        let deadline = Instant::now() + STEP;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                let mut stderr = String::new();
                if let Some(mut err) = self.child.stderr.take() {
                    std::io::Read::read_to_string(&mut err, &mut stderr).expect("stderr");
                }
                return (status, stderr);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("switchboard did not exit within {STEP:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The log text without its terminal colour codes.
pub fn without_colours(text: &str) -> String {
    let mut plain = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            chars.by_ref().find(|&c| c == 'm');
        } else {
            plain.push(c);
        }
    }
    plain
}

pub fn stdout_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A `switchboard checkin-receiver` on a free loopback port, killed on drop.
pub struct ReceiverProcess {
    pub child: Child,
    pub url: String,
}

impl ReceiverProcess {
    /// Starts the receiver with these extra environment variables (CHECKIN_API_SECRET is
    /// `s3cret` unless given) and waits for its "listening on" line.
    pub fn start(scratch: &Scratch, env: &[(&str, &str)]) -> ReceiverProcess {
        let mut command = scratch.command(&["checkin-receiver"]);
        command
            .env("CHECKIN_API_SECRET", "s3cret")
            .env("CHECKIN_PORT", "0")
            .env_remove("CHECKIN_DATABASE_URL")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("start checkin-receiver");
        let lines = lines_of(child.stdout.take().expect("stdout"));
        let line = match lines.recv_timeout(STEP) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let output = child.wait_with_output().expect("receiver output");
                panic!("the receiver did not start: {}", stderr(&output));
            }
        };
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://") || w.starts_with("https://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .to_string();
        ReceiverProcess { child, url }
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ReceiverProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Polls `condition` until it holds, failing the test after [`STEP`].
pub fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + STEP;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "timed out after {STEP:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}
