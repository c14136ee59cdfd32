//! `switchboard console` end to end: the real binary, stdin and stdout as the chat.

mod support;

use support::{stderr, stdout_lines, Scratch};

#[test]
fn on_defaults_it_answers_every_line_and_exits_zero_at_eof() {
    let scratch = Scratch::new();
    let output = scratch.run(
        &["console"],
        b"!ping\n#general alice: !ping\n@bob !pnig\ngood morning\n@bob !echo\n",
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert_eq!(
        stdout_lines(&output),
        vec![
            "[@console] pong",
            "[#general] pong",
            "[@bob] Unknown command `pnig`. Did you mean `!ping`?",
            "[@console] Unknown command `good`. Try `!help`.",
            "[@bob] Unknown command `echo`. Try `!help`.",
        ]
    );
    let err = stderr(&output);
    assert!(
        err.contains("no config.ini found: running on built-in defaults"),
        "{err}"
    );
    // The embedded default store was created beside the working directory.
    assert!(scratch.path().join("data/switchboard.db").exists());
}

#[test]
fn help_lists_commands_and_explains_one() {
    let scratch = Scratch::new();
    let output = scratch.run(&["console"], b"!help\n!help ping\n!help nope\n");
    assert!(output.status.success());
    let lines = stdout_lines(&output);
    assert_eq!(
        lines[0],
        "[@console] Commands: !help, !ignore, !ping, !plugins, !reload, !shutdown, !unignore, !uptime, !version. Say `!help <command>` for more."
    );
    assert_eq!(
        lines[1],
        "[@console] !ping — Answers `pong`: is the bot alive? (plugin: ping)"
    );
    assert_eq!(lines[2], "[@console] No command `nope`.");
}

#[test]
fn version_uptime_and_plugins_answer() {
    let scratch = Scratch::new();
    let output = scratch.run(&["console"], b"!version\n!uptime\n!plugins\n");
    let lines = stdout_lines(&output);
    assert_eq!(
        lines[0],
        format!(
            "[@console] switchboard runs Switchboard {}",
            env!("CARGO_PKG_VERSION")
        )
    );
    assert!(lines[1].starts_with("[@console] up "), "{}", lines[1]);
    assert!(
        lines.contains(&"[@console] ping (command; built-in): active".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"[@console] console (connector; built-in): active".to_string()),
        "{lines:?}"
    );
}

#[test]
fn logs_go_to_stderr_and_json_logs_are_json() {
    let scratch = Scratch::new();
    let output = scratch.run(&["--log-format", "json", "console"], b"!ping\n");
    assert_eq!(stdout_lines(&output), vec!["[@console] pong"]);
    let err = stderr(&output);
    let ready = err
        .lines()
        .find(|l| l.contains("switchboard ready"))
        .expect("a ready log line");
    let parsed: serde_json::Value = serde_json::from_str(ready).expect("a JSON log line");
    assert_eq!(parsed["level"], "INFO");
}

#[test]
fn non_utf8_and_overlong_lines_are_rejected_on_stderr_and_the_bot_goes_on() {
    let scratch = Scratch::new();
    scratch.write(
        "config.ini",
        "[Connector.console.main]\nmax_input_length = 64\n",
    );
    let mut input = b"caf\xe9 !ping\n".to_vec();
    input.extend(std::iter::repeat_n(b'x', 100));
    input.extend_from_slice(b"\n!ping\n");
    let output = scratch.run(&["console"], &input);
    assert!(output.status.success());
    assert_eq!(stdout_lines(&output), vec!["[@console] pong"]);
    let err = stderr(&output);
    assert!(
        err.contains("console input line rejected: not valid UTF-8"),
        "{err}"
    );
    assert!(
        err.contains("console input line rejected: longer than max_input_length"),
        "{err}"
    );
}

#[test]
fn long_replies_are_split_to_the_connector_limit() {
    let scratch = Scratch::new();
    scratch.write(
        "config.ini",
        "[Connector.console.main]\nmax_message_length = 40\n",
    );
    let output = scratch.run(&["console"], b"!help ping\n");
    let lines = stdout_lines(&output);
    assert!(lines.len() > 1, "{lines:?}");
    for line in &lines {
        let text = line.strip_prefix("[@console] ").expect("a console reply");
        assert!(text.len() <= 40, "{text:?}");
    }
    let joined: Vec<&str> = lines.iter().map(|l| &l["[@console] ".len()..]).collect();
    assert_eq!(
        joined.join(" "),
        "!ping — Answers `pong`: is the bot alive? (plugin: ping)"
    );
}

#[test]
fn ignore_is_admin_only_and_survives_a_restart() {
    let scratch = Scratch::new();
    scratch.write("config.ini", "[Connector.console.main]\nadmins = root\n");
    let first = scratch.run(
        &["console"],
        b"@bob !ignore carol\n@root !ignore bob\n@bob !ping\n",
    );
    assert_eq!(
        stdout_lines(&first),
        vec![
            "[@bob] `!ignore` is for admins only.",
            "[@root] Ignoring bob."
        ]
    );
    let second = scratch.run(
        &["console"],
        b"@bob !ping\n@carol !ping\n@root !unignore bob\n@bob !ping\n",
    );
    assert_eq!(
        stdout_lines(&second),
        vec![
            "[@carol] pong",
            "[@root] No longer ignoring bob.",
            "[@bob] pong"
        ]
    );
}

#[test]
fn an_admin_shutdown_stops_the_bot_gracefully_with_input_still_open() {
    let scratch = Scratch::new();
    scratch.write("config.ini", "[Connector.console.main]\nadmins = root\n");
    let mut session = scratch.spawn(&["console"]);
    session.say("@root !shutdown");
    assert_eq!(session.next_line(), "[@root] Shutting down.");
    let stdin_still_open = session.stdin.take();
    let (status, err) = session.finish();
    drop(stdin_still_open);
    assert!(status.success(), "{err}");
    assert!(err.contains("switchboard stopped"), "{err}");
}

#[test]
fn sigterm_and_sigint_shut_down_with_exit_zero() {
    for signal in ["TERM", "INT"] {
        let scratch = Scratch::new();
        let mut session = scratch.spawn(&["run"]);
        session.say("!ping");
        assert_eq!(session.next_line(), "[@console] pong");
        session.signal(signal);
        let (status, err) = session.finish();
        assert!(status.success(), "{signal}: {err}");
        assert!(
            err.contains(&format!("SIG{signal}: shutting down")),
            "{err}"
        );
    }
}

#[test]
fn reload_applies_a_changed_config_and_refuses_a_broken_one() {
    let scratch = Scratch::new();
    let config = "[Connector.console.main]\nadmins = root\n";
    scratch.write("config.ini", config);
    let mut session = scratch.spawn(&["console"]);
    session.say("!ping");
    assert_eq!(session.next_line(), "[@console] pong");

    scratch.write(
        "config.ini",
        &format!("[Bot]\nprefix = ?\n[Command.ping]\naliases = p\n{config}"),
    );
    session.say("@root !reload");
    assert_eq!(
        session.next_line(),
        "[@root] config reloaded: 9 commands. Changes to connectors, services and sinks take effect on restart."
    );
    session.say("?p");
    assert_eq!(session.next_line(), "[@console] pong");

    scratch.write("config.ini", &format!("[Bot]\nprefx = !\n{config}"));
    session.say("@root ?reload");
    assert_eq!(
        session.next_line(),
        "[@root] Reload refused, nothing changed:"
    );
    assert!(session
        .next_line()
        .ends_with("config.ini:2: [Bot] prefx: unknown key; did you mean `prefix`?"));
    session.say("?ping");
    assert_eq!(session.next_line(), "[@console] pong");
    let (status, _) = session.finish();
    assert!(status.success());
}

#[test]
fn a_reload_racing_the_end_of_input_still_lets_every_reply_out() {
    let scratch = Scratch::new();
    scratch.write("config.ini", "[Connector.console.main]\nadmins = root\n");
    let output = scratch.run(&["console"], b"@root !reload\n@root !ping\n");
    assert!(output.status.success(), "{}", stderr(&output));
    let lines = stdout_lines(&output);
    assert!(
        lines.first().is_some_and(|l| l.starts_with("[@root] ")),
        "{lines:?}"
    );
    assert_eq!(
        lines.last().map(String::as_str),
        Some("[@root] pong"),
        "{lines:?}"
    );
    assert!(
        !stderr(&output).contains("did not finish"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn control_characters_from_the_chat_never_reach_the_terminal() {
    let scratch = Scratch::new();
    // A user name that clears the screen, and one that rings the bell.
    let output = scratch.run(&["console"], b"@ev\x1b[2Jil !ping\n@a\x07b !ping\n");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        !output.stdout.iter().any(|b| *b == 0x1b || *b == 0x07),
        "{:?}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(
        stdout_lines(&output),
        vec!["[@ev\\x1b[2Jil] pong", "[@a\\x07b] pong"]
    );
}

#[test]
fn piped_commands_run_before_the_end_of_input_shuts_the_bot_down() {
    let scratch = Scratch::new();
    scratch.write(
        "config.ini",
        "[Connector.console.console]\nadmins = console\n",
    );
    // Twenty runs: the end of input comes while `!reload` is still running.
    for _ in 0..20 {
        let output = scratch.run(
            &["console", "--config", "config.ini"],
            b"!reload\n#general: !ping\n",
        );
        assert!(output.status.success());
        let lines = stdout_lines(&output);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].starts_with("[@console] config reloaded"),
            "{lines:?}"
        );
        assert_eq!(lines[1], "[#general] pong");
    }
}

#[test]
fn under_run_the_end_of_console_input_is_reported_and_the_bot_keeps_running() {
    use std::io::BufRead;
    let scratch = Scratch::new();
    let mut session = scratch.spawn(&["run"]);
    session.say("!ping");
    assert_eq!(session.next_line(), "[@console] pong");
    let stderr = session.child.stderr.take().expect("stderr");
    drop(session.stdin.take()); // Ctrl-D
    let (found, said) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let line = std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .find(|line| line.contains("console input ended"));
        let _ = found.send(line);
    });
    let said = said
        .recv_timeout(support::STEP)
        .expect("the bot logs within the time limit")
        .expect("a log line about the end of input");
    assert!(said.contains("the bot keeps running"), "{said}");
    // Still running: it stops on SIGTERM, as it says.
    assert!(session.child.try_wait().expect("wait").is_none());
    session.signal("TERM");
    let (status, _) = session.finish();
    assert!(status.success());
}

#[test]
fn an_at_line_naming_the_bot_addresses_the_bot() {
    let scratch = Scratch::new();
    scratch.write(
        "config.ini",
        "[Bot]\nname = Switchy\n[Connector.console.console]\n",
    );
    let output = scratch.run(
        &["console", "--config", "config.ini"],
        b"@switchy ping\n@Switchy: ping\n@bob !ping\n",
    );
    assert!(output.status.success());
    assert_eq!(
        stdout_lines(&output),
        ["[@console] pong", "[@console] pong", "[@bob] pong"]
    );
}
