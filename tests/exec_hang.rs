//! An exec plugin that leaves a call unanswered past `call_timeout` is killed and restarted:
//! the caller gets an error, calls pending on the process too, the plugin is listed as faulted
//! while it restarts and as active once a new process answers.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use support::local::drop_hangs;
use support::{Scratch, Session, STEP};
use switchboard_api::config::Config;
use switchboard_api::Plugin;
use switchboard_local_plugins::{discover, CallError, LocalSet};
use switchboard_plugin_sdk::{CommandRequest, Request};
use switchboard_runtime::registry::PluginState;
use switchboard_testing::TestBot;

/// The `hangs` line of `!plugins`; the rest of the listing is read up to a `!ping`'s pong.
fn listed_state(session: &mut Session) -> String {
    session.say("!plugins");
    session.say("!ping");
    let mut found = None;
    loop {
        let line = session.next_line();
        if line == "[@console] pong" {
            return found.expect("the listing names the plugin `hangs`");
        }
        if line.starts_with("[@console] hangs (") {
            found = Some(line);
        }
    }
}

/// Lists the plugins until the `hangs` line passes `wanted`, failing the test after [`STEP`].
fn wait_until_listed(session: &mut Session, wanted: impl Fn(&str) -> bool) {
    let started = Instant::now();
    loop {
        let state = listed_state(session);
        if wanted(&state) {
            return;
        }
        assert!(started.elapsed() < STEP, "still listed as {state}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_hung_exec_plugin_is_killed_listed_as_restarting_and_a_new_process_answers() {
    let scratch = Scratch::new();
    let dir = drop_hangs(&scratch.path().join("local/plugins"));
    // Starting (the hello) may take 20 s; one call 500 ms.
    scratch.write(
        "config.ini",
        "[Plugins]\ncall_timeout = 20s\n[Plugin.hangs]\ncall_timeout = 500ms\n",
    );
    let mut session = scratch.spawn(&["console"]);
    session.say("!pid");
    let first = session.next_line();
    assert!(first.starts_with("[@console] pid "), "{first}");
    assert!(listed_state(&mut session).ends_with("): active"));

    let asked = Instant::now();
    session.say("!hang");
    assert_eq!(
        session.next_line(),
        "[@console] Sorry, `!hang` failed; the details are in the bot's log."
    );
    assert!(asked.elapsed() >= Duration::from_millis(500));
    // The new process waits for `go` before its hello: the plugin is restarting now.
    let restarting = listed_state(&mut session);
    assert!(
        restarting.ends_with("): faulted: did not answer within 500ms (killed); restarting"),
        "{restarting}"
    );

    std::fs::write(dir.join("go"), "").expect("go");
    // Once the new process has said hello it is listed active again (a call sent before that
    // would have to wait for the hello within its 500 ms, which a loaded machine may not give).
    wait_until_listed(&mut session, |state| state.ends_with("): active"));
    session.say("!pid");
    let second = session.next_line();
    assert!(second.starts_with("[@console] pid "), "{second}");
    assert_ne!(first, second, "a new process answers");

    let (status, err) = session.finish();
    assert!(status.success());
    assert!(
        err.contains("exec plugin did not answer within 500ms: killing its process"),
        "{err}"
    );
    assert!(err.contains("exec plugin restarted"), "{err}");
}

fn command(name: &str) -> Request {
    Request::Command(CommandRequest {
        command: name.into(),
        keyword: name.into(),
        args: String::new(),
        sender: "alice".into(),
        connector: "test".into(),
        channel: None,
        sender_is_admin: false,
        prefix: "!".into(),
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_pending_on_a_hung_process_get_an_error_and_the_next_process_answers() {
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = drop_hangs(&temp.path().join("plugins"));
    std::fs::write(dir.join("go"), "").expect("go");
    let text = format!("[Plugins]\nlocal_dir = {}\n", temp.path().display());
    let config = Config::from_text(temp.path().join("config.ini"), &text).expect("config");
    let set = discover(&config, &LocalSet::default()).await;
    assert!(set.failures.is_empty(), "{:?}", set.failures);
    let plugins: Vec<Arc<dyn Plugin>> = set.plugins.iter().map(|(_, p)| p.clone()).collect();
    let bot = TestBot::with_config(plugins, &text)
        .await
        .unwrap_or_else(|e| panic!("the test bot did not start: {e}"));
    let ctx = bot.context();
    let backend = set.loaded().next().expect("the plugin").backend.clone();
    let timeout = Duration::from_millis(300);
    let state = || {
        ctx.plugins()
            .iter()
            .find(|p| p.name == "hangs")
            .map(|p| p.state.clone())
    };

    let first = backend.call(command("pid"), ctx, timeout).await;
    let first = first.expect("the first process answers")["reply"].clone();
    let started = Instant::now();
    // The process reads `hang` first and never answers; `pid` waits behind it in its input.
    let (hung, behind) = tokio::join!(
        backend.call(command("hang"), ctx, timeout),
        backend.call(command("pid"), ctx, Duration::from_secs(10)),
    );
    assert_eq!(
        hung,
        Err(CallError::Unavailable(
            "the plugin did not answer within 300ms; its process is restarted".into()
        ))
    );
    assert_eq!(
        behind,
        Err(CallError::Unavailable(
            "the plugin process stopped (killed) before answering".into()
        ))
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the pending call did not wait for its own timeout"
    );

    let deadline = Instant::now() + support::STEP;
    let second = loop {
        match backend
            .call(command("pid"), ctx, Duration::from_secs(5))
            .await
        {
            Ok(answer) => break answer["reply"].clone(),
            Err(e) => assert!(Instant::now() < deadline, "no new process answered: {e}"),
        }
    };
    assert_ne!(first, second, "a new process answers");
    assert_eq!(state(), Some(PluginState::Active));
}

#[test]
fn an_exec_plugin_that_dies_while_idle_is_listed_as_restarting_at_once() {
    let scratch = Scratch::new();
    let dir = drop_hangs(&scratch.path().join("local/plugins"));
    scratch.write("config.ini", "[Plugins]\ncall_timeout = 20s\n");
    let mut session = scratch.spawn(&["console"]);
    assert!(listed_state(&mut session).ends_with("): active"));
    // No call has reached the plugin: its process dies while idle.
    let pid = std::fs::read_to_string(dir.join("first.pid")).expect("the plugin's pid");
    let killed = std::process::Command::new("kill")
        .args(["-9", pid.trim()])
        .status()
        .expect("kill");
    assert!(killed.success());
    // The restarted process waits for `go`: until then the plugin is listed as restarting.
    wait_until_listed(&mut session, |state| {
        state.contains("): faulted: ") && state.ends_with("; restarting")
    });
    std::fs::write(dir.join("go"), "").expect("go");
    wait_until_listed(&mut session, |state| state.ends_with("): active"));
    let (status, err) = session.finish();
    assert!(status.success(), "{err}");
}
