//! The newcomer's path, read from the docs themselves: README's two commands, then every sink
//! that `config.ini.example` ships turned on as the file says, and posted to with the docs' own
//! curl lines. A doc, the example or the binary drifting apart fails here.

mod support;

use std::process::Command;

use support::docs::{fenced_blocks, page};
use support::http::{free_port, wait_for_port};
use support::{Scratch, Session};

/// The `cargo run --release -- ` prefix the docs use, which the test replaces by the built binary.
const CARGO_RUN: &str = "cargo run --release -- ";

#[test]
fn readmes_first_command_runs_the_bot_on_the_defaults_and_the_second_is_what_ci_runs() {
    let readme = page("README.md");
    let commands: Vec<String> = fenced_blocks(&readme, "sh")
        .into_iter()
        .take(2)
        .map(|block| block.trim().to_owned())
        .collect();
    assert_eq!(commands.len(), 2, "README's first screen has two commands");

    // The first: the bot on the embedded defaults, answering `!help` as getting-started shows.
    let args = commands[0]
        .strip_prefix(CARGO_RUN)
        .expect("the first command runs the bot from the checkout");
    let scratch = Scratch::new();
    let mut bot = scratch.spawn(&args.split_whitespace().collect::<Vec<_>>());
    let shown = shown_answer(&page("docs/getting-started.md"), "!help");
    bot.say("!help");
    assert_eq!(bot.next_line(), shown);
    bot.signal("INT");
    let (status, log) = bot.finish();
    assert!(status.success(), "{log}");
    assert!(
        log.contains("no config.ini found: running on built-in defaults"),
        "{log}"
    );

    // The second: the test command, which CI runs (and which runs this test).
    let ci = page(".ci/run");
    assert!(
        ci.lines()
            .any(|line| line.trim_start().starts_with(&commands[1])),
        "CI runs README's test command `{}`",
        commands[1]
    );
}

/// The line a `text` block of `page` shows right after the typed line `typed`.
fn shown_answer(page: &str, typed: &str) -> String {
    fenced_blocks(page, "text")
        .iter()
        .find_map(|block| {
            let mut lines = block.lines();
            lines.find(|line| *line == typed)?;
            lines.next().map(str::to_owned)
        })
        .unwrap_or_else(|| panic!("the page shows what `{typed}` answers"))
}

/// `example` with `[section]` turned on as the file says: `enabled = false` set to `true` in a
/// section shipped off, or a section shipped commented out uncommented with its required keys.
/// `port` is set to the given one.
fn turn_on(example: &str, section: &str, port: u16) -> String {
    let header = format!("[{section}]");
    let commented = format!("# {header}");
    let mut out = String::new();
    let mut inside = None; // Some(shipped commented out) while in the section
    let mut required = false; // the comment above the next key said `Required.`
    for line in example.lines() {
        let mut line = line.to_owned();
        if line == header || line == commented {
            inside = Some(line == commented);
            line = header.clone();
        } else if line.starts_with('[') || line.starts_with("# [") || line.is_empty() {
            inside = None;
        } else if let Some(was_commented) = inside {
            let text = match was_commented {
                true => line.strip_prefix("# ").unwrap_or(&line).to_owned(),
                false => line.clone(),
            };
            if is_key(&text) {
                if text.starts_with("port = ") {
                    line = format!("port = {port}");
                } else if text == "enabled = false" {
                    line = "enabled = true".to_owned();
                } else if was_commented && required {
                    line = text;
                }
                required = false;
            } else {
                required = text.trim_end().ends_with("Required.");
            }
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// Whether `line` is `key = value` (not a comment's prose).
fn is_key(line: &str) -> bool {
    line.split_once(" = ").is_some_and(|(key, _)| {
        !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_')
    })
}

/// The docs' `sh` block that holds `marker`, pointed at `port` on loopback over plain HTTP (the
/// shipped example has no TLS), run with bash; what it prints.
fn run_docs_curl(
    page_name: &str,
    marker: &str,
    from: &str,
    port: u16,
    env: &[(&str, &str)],
) -> String {
    let block = fenced_blocks(&page(page_name), "sh")
        .into_iter()
        .find(|block| block.contains(marker))
        .unwrap_or_else(|| panic!("{page_name} has a curl line for {marker}"));
    let script = block
        .replace(from, &format!("http://127.0.0.1:{port}"))
        .replace("curl -k ", "curl -s ");
    assert!(script != block, "the block posts to {from}: {block}");
    let output = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .envs(env.iter().copied())
        .output()
        .expect("bash runs the docs' lines (curl and openssl installed by scripts/test)");
    assert!(
        output.status.success(),
        "{script}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The value the docs' `sh` block holding `marker` gives the shell variable `name`.
fn docs_variable(page_name: &str, marker: &str, name: &str) -> String {
    let block = fenced_blocks(&page(page_name), "sh")
        .into_iter()
        .find(|block| block.contains(marker))
        .unwrap_or_else(|| panic!("{page_name} has a block with {marker}"));
    let value = block
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("the block sets {name}"));
    value.trim_matches(|c| c == '"' || c == '\'').to_owned()
}

#[test]
fn every_sink_the_example_ships_works_when_turned_on_and_posted_to_as_the_docs_say() {
    let scratch = Scratch::new();
    let shared = free_port(); // the JSON sink and the GitHub webhook share one listener
    let checkins = free_port();
    let mut config =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config.ini.example"))
            .expect("config.ini.example");
    config = turn_on(&config, "Sink.jsonrpc", shared);
    config = turn_on(&config, "Sink.webhook.github", shared);
    config = turn_on(&config, "Sink.checkin_receiver", checkins);
    scratch.write("config.ini", &config);

    let github_secret = docs_variable("docs/sinks.md", "/hooks/github", "SECRET");
    let env = [
        ("GITHUB_WEBHOOK_SECRET", github_secret.as_str()),
        ("CHECKIN_API_SECRET", "checkin-secret"),
    ];

    let mut check = scratch.command(&["check-config", "--strict"]);
    check.envs(env);
    let output = check.output().expect("check-config");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(printed.contains(", 3 sinks"), "{printed}");

    let mut run = scratch.command(&["run"]);
    run.envs(env);
    let mut bot = Session::start(run);
    wait_for_port(shared);
    wait_for_port(checkins);

    // The JSON sink, with the line from docs/sinks.md.
    let answer = run_docs_curl(
        "docs/sinks.md",
        "/general -d '{\"echo\"",
        "https://127.0.0.1:9002",
        shared,
        &[],
    );
    assert_eq!(answer, "OK");
    assert_eq!(bot.next_line(), "[#general] Hello World!");

    // The GitHub webhook, signed as docs/sinks.md signs it.
    let answer = run_docs_curl(
        "docs/sinks.md",
        "/hooks/github",
        "http://127.0.0.1:8090",
        shared,
        &[],
    );
    let answer: serde_json::Value = serde_json::from_str(&answer).expect("JSON answer");
    assert_eq!(answer["status"], 202, "{answer}");
    assert_eq!(
        bot.next_line(),
        "[#dev] [octo/hello] mona pushed 1 commit(s)"
    );

    // The check-in receiver, with the line from docs/checkin.md.
    let answer = run_docs_curl(
        "docs/checkin.md",
        "/checkins -H",
        "http://127.0.0.1:9999",
        checkins,
        &[("CHECKIN_API_SECRET", "checkin-secret")],
    );
    assert_eq!(answer, "{}");

    bot.signal("INT");
    let (status, log) = bot.finish();
    assert!(status.success(), "{log}");
    assert!(
        scratch.path().join("data/checkins.db").exists(),
        "the check-in is stored next to the config: {log}"
    );
}
