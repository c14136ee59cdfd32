//! Local plugins end to end: the real binary with real built libraries and real child processes
//! dropped into `local/plugins/`.

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use support::drop_in::{drop_exec_example, drop_native, plugins};
use support::local::{cc_library, drop_exec_fixture, hello_c, repo};
use support::{stderr, stdout_lines, Scratch, Session};

/// Asks until `expect` holds for the answer, at most [`support::STEP`]: for effects of a
/// signal, which is handled beside the chat rather than in order with it.
fn ask_until(session: &mut Session, line: &str, expect: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + support::STEP;
    loop {
        session.say(line);
        let answer = session.next_line();
        if expect(&answer) || Instant::now() > deadline {
            return answer;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_native_example_greets_reads_its_config_and_keeps_a_count() {
    let scratch = Scratch::new();
    drop_native(&scratch, "hello-native");
    scratch.write("config.ini", "[Plugin.hello]\ngreeting = Howdy\n");
    let output = scratch.run(
        &["console"],
        b"!hello\n#general alice: !hi bob\n!help hello\n!ping\n",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout_lines(&output),
        vec![
            "[@console] Howdy, console!",
            "[#general] Howdy, bob!",
            "[@console] !hello [name] — Greets you, or whoever you name. (aliases: !hi; plugin: hello)",
            "[@console] pong",
        ]
    );
    let err = stderr(&output);
    assert!(
        err.contains("greeted bob (greeting #2)"),
        "the plugin's log: {err}"
    );
}

#[test]
fn loading_native_plugins_leaves_nothing_in_the_temporary_folder() {
    let scratch = Scratch::new();
    drop_native(&scratch, "hello-native");
    let mut session = scratch.spawn(&["console"]);
    let pid = session.child.id();
    session.say("!hello");
    assert_eq!(session.next_line(), "[@console] Hello, console!");
    let (status, _) = session.finish();
    assert!(status.success());
    let prefix = format!("switchboard-plugins-{pid}");
    let left: Vec<String> = std::fs::read_dir(std::env::temp_dir())
        .expect("temp dir")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(&prefix))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn the_c_example_loads_and_answers() {
    let scratch = Scratch::new();
    hello_c(&plugins(&scratch).join("libhello_c.so"), None);
    let output = scratch.run(&["console"], b"!hello-c\n!hello-c zoe\n");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout_lines(&output),
        vec![
            "[@console] Hello from C, console!",
            "[@console] Hello from C, zoe!"
        ]
    );
    assert!(stderr(&output).contains("log from C: greeting someone"));
}

#[test]
fn the_exec_example_rolls_dice_and_explains_bad_input() {
    let scratch = Scratch::new();
    drop_exec_example(&scratch);
    let output = scratch.run(&["console"], b"!roll 3d6\n!dice\n!roll lots\n");
    assert!(output.status.success(), "{}", stderr(&output));
    let lines = stdout_lines(&output);
    assert_eq!(lines.len(), 3, "{lines:?}");
    let total: u32 = lines[0]
        .rsplit("= ")
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("a total in {}", lines[0]));
    assert!(
        lines[0].starts_with("[@console] 3d6: ") && (3..=18).contains(&total),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("[@console] 1d6: "), "{}", lines[1]);
    assert_eq!(
        lines[2],
        "[@console] Say it like `2d6` (up to 99 dice, 2 to 9999 sides), not `lots`."
    );
    assert!(
        stderr(&output).contains("console rolled 3d6"),
        "the plugin's log line"
    );
}

#[test]
fn a_local_ping_is_refused_whole_and_the_built_in_ping_answers() {
    let scratch = Scratch::new();
    hello_c(&plugins(&scratch).join("libping.so"), Some("ping"));
    hello_c(&plugins(&scratch).join("libwave.so"), Some("wave"));

    let output = scratch.run(&["console"], b"!ping\n!wave\n");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout_lines(&output),
        vec!["[@console] pong", "[@console] Hello from C, console!"]
    );

    let listing = scratch.run(&["plugins", "--json"], b"");
    assert!(listing.status.success(), "{}", stderr(&listing));
    let rows: serde_json::Value = serde_json::from_slice(&listing.stdout).expect("JSON");
    let local_ping = rows
        .as_array()
        .and_then(|rows| {
            rows.iter().find(|r| {
                r["source"]
                    .as_str()
                    .is_some_and(|s| s.ends_with("libping.so"))
            })
        })
        .expect("the local ping is listed");
    assert_eq!(local_ping["state"], "rejected");
    let reason = local_ping["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("command keyword `ping` is claimed by plugin `ping` (built-in; command `ping`) and by plugin `ping` (local: ")
            && reason.contains("libping.so; command `ping`)"),
        "{reason}"
    );

    let strict = scratch.run(&["console", "--strict"], b"!ping\n");
    assert_eq!(strict.status.code(), Some(1));
    assert!(
        stderr(&strict).contains("--strict: a local plugin was refused: ping (local: "),
        "{}",
        stderr(&strict)
    );
    let check = scratch.run(&["check-config", "--strict"], b"");
    assert_eq!(check.status.code(), Some(1));
    assert!(
        stderr(&check).contains("warning: local plugin refused: ping"),
        "{}",
        stderr(&check)
    );
}

#[test]
fn a_wrong_abi_and_a_library_that_is_no_plugin_are_reported_and_the_bot_answers() {
    let scratch = Scratch::new();
    let fixtures = repo().join("tests/fixtures/c");
    cc_library(
        &fixtures.join("wrong_abi.c"),
        &plugins(&scratch).join("future.so"),
        &[],
    );
    cc_library(
        &fixtures.join("not_a_plugin.c"),
        &plugins(&scratch).join("libadd.so"),
        &[],
    );
    std::fs::create_dir_all(plugins(&scratch).join("half-done")).expect("folder");
    scratch.write(
        "local/plugins/chatty/plugin.toml",
        "name = \"chatty\"\ncommand = \"python3\"\nargs = [\"-c\", \"print('hi there')\"]\n",
    );
    scratch.write(
        "local/plugins/missing/plugin.toml",
        "name = \"missing\"\ncommand = \"./no-such-program\"\n",
    );

    let output = scratch.run(&["console"], b"!ping\n");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout_lines(&output), vec!["[@console] pong"]);

    let listing = scratch.run(&["plugins"], b"");
    let table = String::from_utf8_lossy(&listing.stdout).into_owned();
    for expected in [
        "rejected: ABI version 99 differs from the host's 1; rebuild the plugin against this SDK",
        "rejected: not a Switchboard plugin: it exports no `switchboard_plugin_entry_v1`",
        "rejected: a plugin folder needs a plugin.toml",
        "rejected: its hello line is not valid: expected value at line 1 column 1",
        "rejected: cannot start `./no-such-program`: No such file or directory",
    ] {
        assert!(table.contains(expected), "`{expected}` in:\n{table}");
    }
    let check = scratch.run(&["check-config"], b"");
    assert!(
        check.status.success(),
        "a refused plugin is a warning without --strict"
    );
    assert!(
        stderr(&check).contains("future.so): ABI version 99"),
        "{}",
        stderr(&check)
    );
}

#[test]
fn a_panicking_plugin_is_faulted_and_the_bot_keeps_answering() {
    let scratch = Scratch::new();
    drop_native(&scratch, "faulty-native");
    let output = scratch.run(&["console"], b"!boom\n!ping\n!fine\n!plugins\n");
    assert!(output.status.success(), "{}", stderr(&output));
    let lines = stdout_lines(&output);
    assert_eq!(
        lines[0],
        "[@console] Sorry, `!boom` failed; the details are in the bot's log."
    );
    assert_eq!(lines[1], "[@console] pong");
    assert_eq!(
        lines[2],
        "[@console] Sorry, `!fine` failed; the details are in the bot's log."
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("[@console] faulty (command; local: ")
                && l.ends_with("faulted: panicked: boom went the plugin")),
        "{lines:?}"
    );
}

#[test]
fn a_hanging_plugin_times_out_is_faulted_and_does_not_hold_up_the_bot() {
    let scratch = Scratch::new();
    drop_native(&scratch, "faulty-native");
    scratch.write("config.ini", "[Plugins]\ncall_timeout = 500ms\n");
    let output = scratch.run(&["console"], b"!hang\n!ping\n!plugins\n");
    assert!(output.status.success(), "{}", stderr(&output));
    let lines = stdout_lines(&output);
    assert_eq!(
        lines[0],
        "[@console] Sorry, `!hang` failed; the details are in the bot's log."
    );
    assert_eq!(lines[1], "[@console] pong");
    assert!(
        lines.iter().any(|l| l.contains("faulty (command; local: ")
            && l.ends_with("faulted: did not answer within 500ms")),
        "{lines:?}"
    );
}

#[test]
fn an_exec_plugin_that_crashes_is_restarted_and_pending_calls_get_an_error() {
    let scratch = Scratch::new();
    drop_exec_fixture(&plugins(&scratch), "crashy");

    let mut session = scratch.spawn(&["console"]);
    session.say("!pid");
    let first = session.next_line();
    assert!(first.starts_with("[@console] pid "), "{first}");
    session.say("!crash");
    assert_eq!(
        session.next_line(),
        "[@console] Sorry, `!crash` failed; the details are in the bot's log."
    );
    // The first restart is immediate: the next call waits for the new process and is answered.
    session.say("!pid");
    let second = session.next_line();
    assert!(second.starts_with("[@console] pid "), "{second}");
    assert_ne!(first, second, "a new process answers");
    let (status, err) = session.finish();
    assert!(status.success());
    assert!(
        err.contains("stderr: crashing on purpose"),
        "the plugin's stderr is logged: {err}"
    );
    assert!(err.contains("exec plugin restarted"), "{err}");
}

#[test]
fn reload_adds_and_removes_plugins_by_command_and_by_sighup() {
    let scratch = Scratch::new();
    scratch.write("config.ini", "[Connector.console.main]\nadmins = root\n");
    plugins(&scratch);
    let mut session = scratch.spawn(&["console"]);
    session.say("!hello-c");
    let unknown = session.next_line();
    assert!(
        unknown.starts_with("[@console] Unknown command `hello-c`."),
        "{unknown}"
    );

    hello_c(&plugins(&scratch).join("libhello_c.so"), None);
    drop_exec_example(&scratch);
    session.say("@root !reload");
    assert_eq!(
        session.next_line(),
        "[@root] config reloaded: 11 commands; local plugins added dice, hello-c. Changes to connectors, services and sinks take effect on restart."
    );
    session.say("!hello-c");
    assert_eq!(session.next_line(), "[@console] Hello from C, console!");
    session.say("!roll 1d2");
    let roll = session.next_line();
    assert!(
        roll == "[@console] 1d2: 1" || roll == "[@console] 1d2: 2",
        "{roll}"
    );

    std::fs::remove_file(plugins(&scratch).join("libhello_c.so")).expect("remove");
    session.signal("HUP");
    let gone = ask_until(&mut session, "!hello-c", |a| a.contains("Unknown command"));
    assert!(
        gone.starts_with("[@console] Unknown command `hello-c`."),
        "{gone}"
    );
    session.say("!roll x");
    assert_eq!(
        session.next_line(),
        "[@console] Say it like `2d6` (up to 99 dice, 2 to 9999 sides), not `x`."
    );
    let (status, _) = session.finish();
    assert!(status.success());
}

#[test]
fn a_reload_that_would_collide_is_refused_whole() {
    let scratch = Scratch::new();
    scratch.write("config.ini", "[Connector.console.main]\nadmins = root\n");
    hello_c(&plugins(&scratch).join("libhello_c.so"), None);
    let mut session = scratch.spawn(&["console"]);
    session.say("!hello-c");
    assert_eq!(session.next_line(), "[@console] Hello from C, console!");

    // Two new plugins: one fine, one whose command collides with the built-in `version`.
    drop_exec_example(&scratch);
    hello_c(&plugins(&scratch).join("libversion.so"), Some("version"));
    session.say("@root !reload");
    let refused = session.next_line();
    assert!(
        refused.starts_with("[@root] Reload refused, nothing changed:"),
        "{refused}"
    );
    let reason = session.next_line();
    assert!(
        reason.starts_with("[@root] version (local: ")
            && reason
                .contains("command keyword `version` is claimed by plugin `version` (built-in"),
        "{reason}"
    );
    session.say("!roll");
    assert_eq!(
        session.next_line(),
        "[@console] Unknown command `roll`. Try `!help`.",
        "the fine one was not added either"
    );
    session.say("!hello-c");
    assert_eq!(session.next_line(), "[@console] Hello from C, console!");
    let (status, _) = session.finish();
    assert!(status.success());
}

#[test]
fn a_plugin_section_is_checked_and_enabled_false_leaves_the_plugin_out() {
    let scratch = Scratch::new();
    drop_native(&scratch, "hello-native");
    drop_exec_example(&scratch);
    scratch.write("config.ini", "[Plugin.hello]\ngretting = Howdy\n");
    let check = scratch.run(&["check-config"], b"");
    assert_eq!(check.status.code(), Some(1));
    assert!(
        stderr(&check).contains("[Plugin.hello] gretting: unknown key; did you mean `greeting`?"),
        "{}",
        stderr(&check)
    );

    scratch.write(
        "config.ini",
        "[Plugin.hello]\nenabled = false\ngretting = Howdy\n[Plugin.dice]\nenabled = false\n",
    );
    let output = scratch.run(&["console"], b"!hello\n!roll\n!ping\n");
    assert!(output.status.success(), "{}", stderr(&output));
    let lines = stdout_lines(&output);
    assert!(
        lines[0].starts_with("[@console] Unknown command `hello`."),
        "{lines:?}"
    );
    assert!(
        lines[1].starts_with("[@console] Unknown command `roll`."),
        "{lines:?}"
    );
    assert_eq!(lines[2], "[@console] pong");
}

#[cfg(target_os = "linux")]
#[test]
fn reload_stops_the_process_of_an_exec_plugin_it_removes() {
    let scratch = Scratch::new();
    scratch.write("config.ini", "[Connector.console.main]\nadmins = root\n");
    let dir = drop_exec_fixture(&plugins(&scratch), "crashy");
    let mut session = scratch.spawn(&["console"]);
    session.say("!pid");
    let answer = session.next_line();
    let pid = answer
        .strip_prefix("[@console] pid ")
        .unwrap_or_else(|| panic!("{answer}"))
        .to_string();
    let proc_dir = PathBuf::from("/proc").join(&pid);
    assert!(proc_dir.exists());

    std::fs::remove_dir_all(&dir).expect("remove");
    session.say("@root !reload");
    let summary = session.next_line();
    assert!(
        summary.contains("local plugins removed crashy"),
        "{summary}"
    );
    let deadline = Instant::now() + support::STEP;
    while proc_dir.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !proc_dir.exists(),
        "process {pid} still runs after its plugin was removed"
    );
    let (status, _) = session.finish();
    assert!(status.success());
}

#[test]
fn a_native_plugin_route_is_served_on_its_configured_port() {
    use support::http::{client, free_port, json_of, wait_for_port};
    let scratch = Scratch::new();
    drop_native(&scratch, "hello-native");
    let port = free_port();
    scratch.write(
        "config.ini",
        &format!("[Plugin.hello]\ngreeting = Howdy\nport = {port}\n"),
    );
    let mut session = scratch.spawn(&["console"]);
    wait_for_port(port);
    let url = format!("http://127.0.0.1:{port}/hello");
    let (status, body) = json_of(
        client()
            .post(&url)
            .json(&serde_json::json!({"name": "ann"}))
            .send()
            .expect("POST /hello"),
    );
    assert_eq!(
        (status, body),
        (200, serde_json::json!({"greeting": "Howdy, ann!"}))
    );
    let (status, body) = json_of(
        client()
            .post(&url)
            .body("nope")
            .send()
            .expect("POST /hello"),
    );
    assert_eq!(status, 400);
    assert_eq!(body["error"], "send a JSON body with a `name`");
    session.say("!ping");
    assert_eq!(session.next_line(), "[@console] pong");
    let (status, _) = session.finish();
    assert!(status.success());
}

#[test]
fn a_flooding_exec_plugin_cannot_flood_the_log_and_an_overlong_protocol_line_faults_it() {
    let scratch = Scratch::new();
    drop_exec_fixture(&plugins(&scratch), "flood");

    let mut session = scratch.spawn(&["console"]);
    session.say("!flood");
    assert_eq!(session.next_line(), "[@console] flooded");
    session.say("!bigline");
    assert_eq!(
        session.next_line(),
        "[@console] Sorry, `!bigline` failed; the details are in the bot's log."
    );
    // Restarted: it answers again.
    session.say("!flood");
    assert_eq!(session.next_line(), "[@console] flooded");
    let (status, err) = session.finish();
    assert!(status.success());

    let lines: Vec<&str> = err.lines().collect();
    // 2 × 40,000 junk lines and two 5 MB lines: at most the bursts and the summaries are logged.
    let from_plugin = lines.iter().filter(|l| l.contains("junk on")).count();
    assert!(
        from_plugin <= 4 * 50 + 20,
        "{from_plugin} junk lines logged"
    );
    assert!(
        err.contains("line(s) of stderr were not logged")
            && err.contains("line(s) of non-protocol stdout were not logged"),
        "the unlogged lines are summarised"
    );
    let longest = lines.iter().map(|l| l.len()).max().unwrap_or(0);
    assert!(longest < 2048, "a log line of {longest} bytes");
    assert!(
        err.contains("(5000000 bytes, cut)"),
        "the long line is cut and says so"
    );
    assert!(
        err.contains("wrote a stdout line of 2097152 bytes, over the protocol's 1048576"),
        "the overlong protocol line is why it was restarted"
    );
}
