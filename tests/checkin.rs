//! Check-ins end to end with the real binary: heard in `switchboard console`, listed with
//! `switchboard checkin list`, delivered by `switchboard checkin flush` to a running
//! `switchboard checkin-receiver`, and surviving a kill -9 of the bot in between.

mod support;

use std::path::Path;

use support::{stderr, stdout_lines, wait_for, ReceiverProcess, Scratch, Session};

const LINE: &str = "#meshmonday HOWL: check in";

fn bot_config(scratch: &Scratch, name: &str, receiver: &ReceiverProcess) {
    scratch.write(
        "config.ini",
        &format!(
            "[Bot]\nname = {name}\ntimezone = UTC\n\n[Connector.console.console]\n\n\
             [CheckIn]\ncheck_in_days = daily\napi_url = {}/checkins\napi_key = s3cret\n",
            receiver.url
        ),
    );
}

fn list_json(scratch: &Scratch, filter: &[&str]) -> Vec<serde_json::Value> {
    let mut args = vec!["checkin", "list", "--json", "--config", "config.ini"];
    args.extend_from_slice(filter);
    let output = scratch.run(&args, b"");
    assert!(output.status.success(), "checkin list: {}", stderr(&output));
    serde_json::from_slice::<serde_json::Value>(&output.stdout)
        .expect("checkin list --json prints JSON")
        .as_array()
        .cloned()
        .expect("an array")
}

/// Starts the console bot, says the check-in line and waits until the store has it.
fn hear_check_in(scratch: &Scratch) -> Session {
    let mut bot = scratch.spawn(&["console", "--config", "config.ini"]);
    bot.say(LINE);
    wait_for("the check-in in `checkin list`", || {
        !list_json(scratch, &["--pending"]).is_empty()
    });
    bot
}

fn receiver_rows(db: &Path) -> Vec<(String, String, String)> {
    let conn = rusqlite::Connection::open(db).expect("receiver database");
    let mut stmt = conn
        .prepare("SELECT packet_hash, username, source_bot FROM checkins ORDER BY packet_hash")
        .expect("query");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect()
}

#[test]
fn a_check_in_goes_from_the_console_to_the_receiver_once_even_from_two_bots() {
    let server = Scratch::new();
    let receiver = ReceiverProcess::start(&server, &[("CHECKIN_DB_PATH", "run/checkins.db")]);
    let db = server.path().join("run/checkins.db");

    let first = Scratch::new();
    bot_config(&first, "bot1", &receiver);
    let bot = hear_check_in(&first);
    let listed = list_json(&first, &[]);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["username"], "HOWL");
    assert_eq!(listed[0]["message"], "check in");
    assert_eq!(listed[0]["channel"], "#meshmonday");
    assert_eq!(listed[0]["status"], "pending");
    let hash = listed[0]["packet_hash"].as_str().unwrap().to_string();
    assert_eq!(hash.len(), 16);
    let table = first.run(&["checkin", "list", "--config", "config.ini"], b"");
    let table = stdout_lines(&table);
    assert!(table[0].starts_with("STATUS"), "{table:?}");
    assert!(
        table[1].starts_with("pending") && table[1].contains("HOWL") && table[1].contains(&hash),
        "{table:?}"
    );

    let flushed = first.run(&["checkin", "flush", "--config", "config.ini"], b"");
    assert!(flushed.status.success(), "flush: {}", stderr(&flushed));
    assert_eq!(
        stdout_lines(&flushed),
        ["checkin flush: 1 delivered, 0 failed, 0 still pending"]
    );
    assert_eq!(
        receiver_rows(&db),
        [(hash.clone(), "HOWL".into(), "bot1".into())]
    );
    assert_eq!(
        list_json(&first, &["--pending"]),
        Vec::<serde_json::Value>::new()
    );
    assert_eq!(list_json(&first, &[])[0]["status"], "delivered");
    let (status, err) = bot.finish();
    assert!(status.success(), "{err}");

    // A second bot hears the same check-in: the same packet hash, still one row.
    let second = Scratch::new();
    bot_config(&second, "bot2", &receiver);
    let bot = hear_check_in(&second);
    assert_eq!(list_json(&second, &[])[0]["packet_hash"], hash.as_str());
    let flushed = second.run(&["checkin", "flush", "--config", "config.ini"], b"");
    assert!(flushed.status.success(), "flush: {}", stderr(&flushed));
    assert_eq!(receiver_rows(&db).len(), 1);
    assert_eq!(receiver_rows(&db)[0].0, hash);
    let (status, err) = bot.finish();
    assert!(status.success(), "{err}");
}

#[test]
fn a_check_in_survives_kill_9_of_the_bot_before_the_flush() {
    let server = Scratch::new();
    let receiver = ReceiverProcess::start(&server, &[("CHECKIN_DB_PATH", "checkins.db")]);
    let scratch = Scratch::new();
    bot_config(&scratch, "bot1", &receiver);
    let mut bot = hear_check_in(&scratch);
    bot.child.kill().expect("kill -9");
    bot.child.wait().expect("reaped");

    // Restarted, the bot starts on the same store; the check-in is still pending.
    let mut restarted = scratch.spawn(&["console", "--config", "config.ini"]);
    restarted.say("!checkins");
    let reply = restarted.next_line();
    assert_eq!(reply, "[@console] 1 check-in on #meshmonday today: HOWL");
    assert_eq!(list_json(&scratch, &["--pending"]).len(), 1);
    let flushed = scratch.run(&["checkin", "flush", "--config", "config.ini"], b"");
    assert!(flushed.status.success(), "flush: {}", stderr(&flushed));
    assert_eq!(receiver_rows(&server.path().join("checkins.db")).len(), 1);
    let (status, err) = restarted.finish();
    assert!(status.success(), "{err}");
}

#[test]
fn flush_without_an_api_url_says_so() {
    let scratch = Scratch::new();
    scratch.write("config.ini", "[CheckIn]\n");
    let output = scratch.run(&["checkin", "flush", "--config", "config.ini"], b"");
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("api_url is not set"),
        "{}",
        stderr(&output)
    );
    let output = scratch.run(&["checkin", "list", "--config", "config.ini"], b"");
    assert_eq!(stdout_lines(&output), ["no check-ins"]);
}

#[test]
fn a_bad_timezone_is_a_config_error_with_file_and_line() {
    let scratch = Scratch::new();
    scratch.write("config.ini", "[Bot]\ntimezone = America/Denvr\n");
    let output = scratch.run(&["check-config", "--config", "config.ini"], b"");
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(
        err.contains("config.ini:2") && err.contains("America/Denvr"),
        "{err}"
    );
}

#[test]
fn two_bots_sharing_a_postgres_store_record_one_check_in() {
    let pg = switchboard_testing::TestPostgres::start();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let url = runtime.block_on(pg.database());
    let config = format!(
        "[Bot]\ntimezone = UTC\n\n[Store]\ndatabase_url = {url}\n\n[Connector.console.console]\n\n\
         [CheckIn]\ncheck_in_days = daily\n"
    );
    let first = Scratch::new();
    first.write("config.ini", &config);
    let bot = hear_check_in(&first);
    let (status, err) = bot.finish();
    assert!(status.success(), "{err}");

    let second = Scratch::new();
    second.write("config.ini", &config);
    let mut bot = second.spawn(&["console", "--config", "config.ini"]);
    bot.say(LINE);
    bot.say("!checkins");
    assert_eq!(
        bot.next_line(),
        "[@console] 1 check-in on #meshmonday today: HOWL"
    );
    let (status, err) = bot.finish();
    assert!(status.success(), "{err}");
    assert_eq!(list_json(&second, &[]).len(), 1);
    // Neither bot wrote a SQLite store.
    assert!(!first.path().join("data/switchboard.db").exists());
}

#[test]
fn an_unreachable_database_url_is_a_clear_error_without_the_password() {
    let scratch = Scratch::new();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    scratch.write(
        "config.ini",
        &format!("[Store]\ndatabase_url = postgres://bot:hunter2@127.0.0.1:{port}/switchboard\n"),
    );
    let output = scratch.run(&["checkin", "list", "--config", "config.ini"], b"");
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(
        err.contains(&format!(
            "cannot connect to postgres://127.0.0.1:{port}/switchboard"
        )),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn the_bot_serves_the_receiver_as_a_sink_and_its_own_flush_lands_there() {
    use support::http::{client, free_port, json_of, wait_for_port};
    let port = free_port();
    let scratch = Scratch::new();
    scratch.write(
        "config.ini",
        &format!(
            "[Bot]\ntimezone = UTC\n\n[Connector.console.console]\n\n\
             [CheckIn]\ncheck_in_days = daily\napi_url = http://127.0.0.1:{port}/checkins\napi_key = s3cret\n\n\
             [Sink.checkin_receiver]\nport = {port}\nsecret = s3cret\ndb_path = received.db\n"
        ),
    );
    let bot = hear_check_in(&scratch);
    wait_for_port(port);
    let health = client()
        .get(format!("http://127.0.0.1:{port}/checkins"))
        .send()
        .expect("health check");
    assert_eq!(json_of(health), (200, serde_json::json!({"status": "ok"})));

    let flushed = scratch.run(&["checkin", "flush", "--config", "config.ini"], b"");
    assert!(flushed.status.success(), "flush: {}", stderr(&flushed));
    let rows = receiver_rows(&scratch.path().join("received.db"));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1, "HOWL");
    let (status, err) = bot.finish();
    assert!(status.success(), "{err}");
}

#[test]
fn a_bot_that_was_down_at_flush_time_flushes_when_it_starts() {
    let server = Scratch::new();
    let receiver = ReceiverProcess::start(&server, &[("CHECKIN_DB_PATH", "checkins.db")]);
    let scratch = Scratch::new();
    bot_config(&scratch, "bot1", &receiver);
    let bot = hear_check_in(&scratch);
    let (status, err) = bot.finish();
    assert!(status.success(), "{err}");

    // Make the stored check-in two days old: its daily flush went by while the bot was down.
    let store =
        rusqlite::Connection::open(scratch.path().join("data/switchboard.db")).expect("bot store");
    let (key, value): (String, String) = store
        .query_row(
            "SELECT key, value FROM kv WHERE scope = 'checkin'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("the stored check-in");
    let mut row: serde_json::Value = serde_json::from_str(&value).expect("a JSON row");
    let two_days_ago = chrono::Utc::now() - chrono::Duration::days(2);
    row["timestamp"] = two_days_ago.to_rfc3339().into();
    store
        .execute(
            "UPDATE kv SET value = ?1 WHERE scope = 'checkin' AND key = ?2",
            rusqlite::params![row.to_string(), key],
        )
        .expect("update");
    drop(store);

    let restarted = scratch.spawn(&["console", "--config", "config.ini"]);
    let db = server.path().join("checkins.db");
    wait_for("the overdue check-in at the receiver", || {
        db.exists() && receiver_rows(&db).len() == 1
    });
    assert_eq!(
        list_json(&scratch, &["--pending"]),
        Vec::<serde_json::Value>::new()
    );
    let (status, err) = restarted.finish();
    assert!(status.success(), "{err}");
    assert!(
        err.contains("missed their flush while the bot was down"),
        "{err}"
    );
}

/// A check-in said before shutdown is stored: the collector hands over what it heard before its
/// stop instead of being cut off with events still queued for it.
#[test]
fn every_check_in_piped_into_the_console_is_stored_run_after_run() {
    const CHECK_INS: usize = 1000;
    let input: String = (0..CHECK_INS)
        .map(|n| format!("#meshmonday user{n}: check in\n"))
        .collect();
    for run in 1..=20 {
        let scratch = Scratch::new();
        scratch.write(
            "config.ini",
            "[Bot]\ntimezone = UTC\n\n[Connector.console.console]\n\n\
             [CheckIn]\ncheck_in_days = daily\n",
        );
        let output = scratch.run(&["console", "--config", "config.ini"], input.as_bytes());
        assert!(output.status.success(), "run {run}: {}", stderr(&output));
        assert_eq!(list_json(&scratch, &[]).len(), CHECK_INS, "run {run}");
    }
}

#[test]
fn a_check_in_refused_for_a_wrong_key_is_retried_once_the_key_is_fixed() {
    let server = Scratch::new();
    let receiver = ReceiverProcess::start(&server, &[("CHECKIN_DB_PATH", "checkins.db")]);
    let scratch = Scratch::new();
    bot_config(&scratch, "bot1", &receiver);
    let config = std::fs::read_to_string(scratch.path().join("config.ini")).unwrap();
    scratch.write(
        "config.ini",
        &config.replace("api_key = s3cret", "api_key = wrong"),
    );
    let bot = hear_check_in(&scratch);
    let (status, err) = bot.finish();
    assert!(status.success(), "{err}");

    // 401: failed, and the summary says how to retry it.
    let flushed = scratch.run(&["checkin", "flush", "--config", "config.ini"], b"");
    assert!(!flushed.status.success());
    assert_eq!(
        stdout_lines(&flushed),
        ["checkin flush: 0 delivered, 1 failed, 0 still pending (fix the cause, then `switchboard checkin retry --failed`)"]
    );
    assert_eq!(list_json(&scratch, &["--failed"]).len(), 1);
    // A plain flush does not send it again.
    let again = scratch.run(&["checkin", "flush", "--config", "config.ini"], b"");
    assert_eq!(
        stdout_lines(&again),
        ["checkin flush: 0 delivered, 0 failed, 0 still pending"]
    );

    // The key fixed, `retry --failed` delivers it.
    scratch.write("config.ini", &config);
    let retried = scratch.run(
        &["checkin", "retry", "--failed", "--config", "config.ini"],
        b"",
    );
    assert!(retried.status.success(), "retry: {}", stderr(&retried));
    assert_eq!(
        stdout_lines(&retried),
        ["checkin retry: 1 delivered, 0 failed, 0 still pending"]
    );
    assert!(list_json(&scratch, &["--failed"]).is_empty());
    assert_eq!(receiver_rows(&server.path().join("checkins.db")).len(), 1);
}

#[test]
fn checkins_on_a_day_that_is_not_a_check_in_day_names_the_next_one() {
    use chrono::{Datelike, Duration, Utc};
    let scratch = Scratch::new();
    // Every day but today (in UTC, the bot's zone here) is a check-in day.
    let today = Utc::now().date_naive();
    let tomorrow = today + Duration::days(1);
    let others: Vec<String> = (1..7)
        .map(|n| (today + Duration::days(n)).weekday().to_string())
        .collect();
    scratch.write(
        "config.ini",
        &format!(
            "[Bot]\ntimezone = UTC\n[Connector.console.console]\n[CheckIn]\ncheck_in_days = {}\n",
            others.join(", ")
        ),
    );
    let mut bot = scratch.spawn(&["console", "--config", "config.ini"]);
    bot.say("!checkins");
    let reply = bot.next_line();
    // (Unless the day turned at midnight meanwhile.)
    if Utc::now().date_naive() == today {
        assert_eq!(
            reply,
            format!(
                "[@console] Today ({}) is not a check-in day on #meshmonday; the next one is {}.",
                today.format("%A"),
                tomorrow.format("%A %Y-%m-%d")
            )
        );
    }
    let (status, err) = bot.finish();
    assert!(status.success(), "{err}");
}
