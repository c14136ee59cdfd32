//! Messages stranded in the outbox: a bot renamed in `[Bot] name` still sends what it queued
//! under its former name (SQLite adopts at start; PostgreSQL warns and `outbox retry --from`
//! moves), and `switchboard outbox list|retry|drop` show and settle what is waiting.

mod support;

use std::sync::Arc;

use serde_json::Value;
use support::http::{free_port, post_echoes, wait_for_port};
use support::{stderr, stdout_lines, without_colours, Scratch};
use switchboard_api::Store;
use switchboard_runtime::delivery::outbox_scope;
use switchboard_runtime::{PostgresStore, SqliteStore};

const DB: &str = "data/switchboard.db";

fn config(name: &str, store: &str) -> String {
    format!("[Bot]\nname = {name}\n{store}\n[Connector.console.main]\n")
}

/// Writes outbox rows as a bot named `bot` leaves them: (id, text); `None` text for an
/// unreadable row.
fn seed(store: Arc<dyn Store>, bot: &str, rows: &[(&str, Option<&str>)]) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        for (id, text) in rows {
            let value = match text {
                Some(text) => {
                    serde_json::json!({"connector": "main", "channel": "#general", "text": text})
                        .to_string()
                }
                None => "{not json".to_string(),
            };
            store
                .put(&outbox_scope(bot), id, &value)
                .await
                .expect("seed row");
        }
    });
}

fn sqlite(scratch: &Scratch) -> Arc<dyn Store> {
    Arc::new(SqliteStore::open(scratch.path().join(DB)).expect("open the store"))
}

fn outbox(scratch: &Scratch, args: &[&str]) -> std::process::Output {
    let mut all = vec!["outbox"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--config", "config.ini"]);
    scratch.run(&all, b"")
}

fn json_of(output: &std::process::Output) -> Value {
    assert!(output.status.success(), "{}", stderr(output));
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

fn ids(list: &Value) -> Vec<String> {
    list["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["id"].as_str().expect("id").to_string())
        .collect()
}

const ID1: &str = "01796300000000000001-000001";
const ID2: &str = "01796300000000000002-000002";
const ID3: &str = "01796300000000000003-000003";

#[test]
fn a_message_queued_under_a_former_name_is_sent_after_the_rename() {
    let scratch = Scratch::new();
    let port = free_port();
    // One message a second, so most accepted messages are still waiting at the kill.
    let sections = format!(
        "[Connector.console.main]\nrate_limit = 1\nrate_burst = 1\n[Sink.jsonrpc]\nport = {port}\nconnector = main\n"
    );
    scratch.write("config.ini", &format!("[Bot]\nname = alpha\n{sections}"));
    let mut first = scratch.spawn(&["console", "--config", "config.ini"]);
    wait_for_port(port);
    let sent: Vec<String> = (1..=4).map(|n| format!("queued {n}")).collect();
    post_echoes(port, &sent);
    let mut seen = vec![first.next_line()];
    first.child.kill().unwrap(); // SIGKILL: the rest stays in the outbox of "alpha".
    let _ = first.child.wait();
    while let Ok(line) = first.stdout.try_recv() {
        seen.push(line);
    }
    let stranded: Vec<&String> = sent
        .iter()
        .filter(|text| !seen.contains(&format!("[#general] {text}")))
        .collect();
    assert!(!stranded.is_empty(), "the kill came too late: {seen:?}");
    let waiting = json_of(&outbox(&scratch, &["list", "--bot", "alpha", "--json"]));
    assert_eq!(ids(&waiting).len(), stranded.len(), "{waiting}");

    scratch.write("config.ini", &format!("[Bot]\nname = beta\n{sections}"));
    let mut second = scratch.spawn(&["console", "--config", "config.ini"]);
    let mut again = Vec::new();
    while stranded
        .iter()
        .any(|text| !again.contains(&format!("[#general] {text}")))
    {
        again.push(second.next_line());
    }
    let (status, err) = second.finish();
    assert!(status.success(), "{err}");
    let err = without_colours(&err);
    assert!(
        err.contains(&format!(
            "adopted {} queued message{} of the bot formerly named \"alpha\"",
            stranded.len(),
            if stranded.len() == 1 { "" } else { "s" }
        )),
        "{err}"
    );
    for text in &stranded {
        let line = format!("[#general] {text}");
        assert_eq!(again.iter().filter(|l| **l == line).count(), 1, "{again:?}");
    }
    let left = json_of(&outbox(&scratch, &["list", "--all-bots", "--json"]));
    assert!(ids(&left).is_empty(), "{left}");
}

#[test]
fn list_shows_each_message_on_one_line_and_names_other_bot_names() {
    let scratch = Scratch::new();
    scratch.write("config.ini", &config("beta", ""));
    seed(
        sqlite(&scratch),
        "beta",
        &[
            (ID1, Some("line one\nline two \u{1b}[2J\u{7}")),
            (ID2, None),
        ],
    );
    seed(sqlite(&scratch), "alpha", &[(ID3, Some("from alpha"))]);

    let output = outbox(&scratch, &["list"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let lines = stdout_lines(&output);
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines[0].starts_with("ID "), "{lines:?}");
    assert!(
        lines[1].starts_with(ID1)
            && lines[1].contains("main")
            && lines[1].contains("#general")
            && lines[1].contains("waiting")
            && lines[1].ends_with("line one line two \\x1b[2J\\x07"),
        "{lines:?}"
    );
    assert!(
        lines[2].starts_with(ID2) && lines[2].contains("unreadable"),
        "{lines:?}"
    );
    assert_eq!(
        lines[3],
        "bot \"alpha\" has 1 message waiting; to send it as \"beta\": switchboard outbox retry --from \"alpha\" --all"
    );
    assert!(
        !output.stdout.contains(&0x1b),
        "no raw escape reaches the terminal"
    );

    let list = json_of(&outbox(&scratch, &["list", "--json"]));
    assert_eq!(list["bot"], "beta");
    assert_eq!(ids(&list), vec![ID1, ID2]);
    let first = &list["messages"][0];
    assert_eq!(first["bot"], "beta");
    assert_eq!(first["connector"], "main");
    assert_eq!(first["target"], "#general");
    assert_eq!(first["state"], "waiting");
    assert!(first["age_secs"].as_u64().is_some(), "{first}");
    assert_eq!(list["messages"][1]["state"], "unreadable");
    assert_eq!(
        list["other_bots"],
        serde_json::json!([{"bot": "alpha", "messages": 1}])
    );

    let all = json_of(&outbox(&scratch, &["list", "--all-bots", "--json"]));
    assert_eq!(ids(&all), vec![ID3, ID1, ID2]);
    let alpha = json_of(&outbox(&scratch, &["list", "--bot", "alpha", "--json"]));
    assert_eq!(ids(&alpha), vec![ID3]);
}

#[test]
fn retry_from_a_former_name_moves_the_messages_to_this_bot() {
    let scratch = Scratch::new();
    scratch.write("config.ini", &config("beta", ""));
    seed(
        sqlite(&scratch),
        "alpha",
        &[(ID1, Some("one")), (ID2, Some("two")), (ID3, Some("three"))],
    );

    let output = outbox(&scratch, &["retry", "--from", "alpha", ID2]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout_lines(&output),
        vec![
            "moved 1 message from the outbox of bot \"alpha\" to bot \"beta\": sent at its next start".to_string(),
            format!("  {ID2}"),
        ]
    );
    let moved = json_of(&outbox(
        &scratch,
        &["retry", "--from", "alpha", "--all", "--json"],
    ));
    assert_eq!(
        moved,
        serde_json::json!({"action": "retry", "bot": "beta", "from": "alpha", "ids": [ID1, ID3], "moved": 2})
    );
    let beta = json_of(&outbox(&scratch, &["list", "--json"]));
    assert_eq!(ids(&beta), vec![ID1, ID2, ID3]);
    let alpha = json_of(&outbox(&scratch, &["list", "--bot", "alpha", "--json"]));
    assert!(ids(&alpha).is_empty());

    let own = json_of(&outbox(&scratch, &["retry", ID1, "--json"]));
    assert_eq!(
        own,
        serde_json::json!({"action": "retry", "bot": "beta", "from": "beta", "ids": [ID1], "moved": 0})
    );
}

#[test]
fn drop_removes_by_id_or_all_and_an_unknown_id_changes_nothing() {
    let scratch = Scratch::new();
    scratch.write("config.ini", &config("beta", ""));
    seed(
        sqlite(&scratch),
        "beta",
        &[(ID1, Some("one")), (ID2, None), (ID3, Some("three"))],
    );
    seed(sqlite(&scratch), "alpha", &[(ID1, Some("alpha's"))]);

    for args in [
        &["drop", ID1, "no-such-id"][..],
        &["retry", "no-such-id"][..],
        &["retry", "--from", "alpha", ID2][..],
    ] {
        let output = outbox(&scratch, args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(
            stderr(&output).starts_with("error: no message "),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    assert_eq!(
        ids(&json_of(&outbox(&scratch, &["list", "--json"]))).len(),
        3
    );

    let output = outbox(&scratch, &["drop", ID2]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout_lines(&output),
        vec![
            "dropped 1 message from the outbox of bot \"beta\"".to_string(),
            format!("  {ID2}")
        ]
    );
    let dropped = json_of(&outbox(&scratch, &["drop", "--all", "--json"]));
    assert_eq!(
        dropped,
        serde_json::json!({"action": "drop", "bot": "beta", "ids": [ID1, ID3]})
    );
    assert!(ids(&json_of(&outbox(&scratch, &["list", "--json"]))).is_empty());
    let alpha = json_of(&outbox(
        &scratch,
        &["drop", "--bot", "alpha", "--all", "--json"],
    ));
    assert_eq!(alpha["ids"], serde_json::json!([ID1]));

    let usage = outbox(&scratch, &["drop"]);
    assert_eq!(usage.status.code(), Some(2), "neither ids nor --all");
}

#[test]
fn a_renamed_bot_on_postgres_warns_and_sends_once_its_former_names_messages_are_moved() {
    let pg = switchboard_testing::TestPostgres::start();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let url = runtime.block_on(pg.database());
    let store: Arc<dyn Store> = Arc::new(
        runtime
            .block_on(PostgresStore::connect(&url))
            .expect("connect"),
    );
    drop(runtime);
    seed(
        store,
        "alpha",
        &[(ID1, Some("stranded one")), (ID2, Some("stranded two"))],
    );
    let scratch = Scratch::new();
    scratch.write(
        "config.ini",
        &config("beta", &format!("[Store]\ndatabase_url = {url}\n")),
    );

    // Another bot may own "alpha" on a shared database: the start only says so.
    let output = scratch.run(&["console", "--config", "config.ini"], b"");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout_lines(&output).is_empty(), "nothing sent: {output:?}");
    let err = without_colours(&stderr(&output));
    assert!(
        err.contains("WARN")
            && err.contains("\"alpha\" (2)")
            && err.contains("switchboard outbox retry --from \"alpha\" --all"),
        "{err}"
    );
    let alpha = json_of(&outbox(&scratch, &["list", "--bot", "alpha", "--json"]));
    assert_eq!(ids(&alpha), vec![ID1, ID2]);

    let moved = json_of(&outbox(
        &scratch,
        &["retry", "--from", "alpha", "--all", "--json"],
    ));
    assert_eq!(moved["moved"], 2);
    let mut bot = scratch.spawn(&["console", "--config", "config.ini"]);
    assert_eq!(bot.next_line(), "[#general] stranded one");
    assert_eq!(bot.next_line(), "[#general] stranded two");
    let (status, err) = bot.finish();
    assert!(status.success(), "{err}");
    let left = json_of(&outbox(&scratch, &["list", "--all-bots", "--json"]));
    assert!(ids(&left).is_empty(), "{left}");
}
