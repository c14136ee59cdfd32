//! A message a sink accepted (2xx) survives kill -9: the bot is killed while its connector is
//! still working through accepted messages, and the next start delivers the rest.

mod support;

use support::http::{free_port, post_echoes, wait_for_port};
use support::Scratch;

#[test]
fn messages_accepted_before_a_kill_9_are_delivered_after_the_restart() {
    let scratch = Scratch::new();
    let port = free_port();
    // One message a second, so most accepted messages are still waiting at the kill.
    let config = scratch.write(
        "config.ini",
        &format!("[Connector.console.main]\nrate_limit = 1\nrate_burst = 1\n[Sink.jsonrpc]\nport = {port}\nconnector = main\n"),
    );
    let config = config.to_str().unwrap();
    let mut first = scratch.spawn(&["console", "--config", config]);
    wait_for_port(port);
    let sent: Vec<String> = (1..=5).map(|n| format!("accepted {n}")).collect();
    post_echoes(port, &sent);
    let mut seen = vec![first.next_line()];
    first.child.kill().unwrap(); // SIGKILL: no graceful shutdown, no flush.
    let _ = first.child.wait();
    while let Ok(line) = first.stdout.try_recv() {
        seen.push(line);
    }
    assert!(
        seen.len() < sent.len(),
        "the kill came too late to test anything: {seen:?}"
    );

    let mut second = scratch.spawn(&["console", "--config", config]);
    wait_for_port(port);
    // At least once: what was printed before the kill may come again, nothing is missing.
    while sent
        .iter()
        .any(|text| !seen.contains(&format!("[#general] {text}")))
    {
        seen.push(second.next_line());
    }
    let (status, _) = second.finish();
    assert!(status.success());
}
