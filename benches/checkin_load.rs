//! Load script for the check-in receiver, loopback only, bounded in time (about a minute).
//!
//!     cargo bench --bench checkin_load [-- --seconds 5 --connections 32 --rounds 3 --postgres]
//!
//! With the same load generator (N keep-alive HTTP/1.1 connections, each POSTing check-ins
//! with unique packet hashes back to back; see `support/http1_load.rs`) it measures, in
//! rounds that take turns so that other work on the machine moves every phase alike:
//!   1. a bare warp endpoint (reads the body, answers 201 `{}`), in its own process;
//!   2. `switchboard checkin-receiver` on SQLite (release build of the real binary), with
//!      `CHECKIN_SQLITE_SYNC=full` (fsync before each group commit is answered, the default)
//!      and `=normal` (written to the OS: safe against kill -9, not against power loss).
//!
//! Then, once per mode, each receiver is killed with SIGKILL under load: every packet hash
//! answered 201 must be in the database afterwards (acknowledged check-ins lost must be 0;
//! exit 1 otherwise). With `--postgres`, the same against a throwaway PostgreSQL cluster.
//!
//! It prints requests/s, p50/p99, each round's share of the bare endpoint's rate, and the
//! median share per mode.

#[path = "support/http1_load.rs"]
mod http1_load;

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use http1_load::Outcome;

const BARE_ENV: &str = "SWITCHBOARD_BENCH_BARE_WARP";
/// Load generator threads, as `wrk -t2` on this 2-core machine.
const GENERATOR_THREADS: usize = 2;
const MODES: [&str; 2] = ["full", "normal"];

fn main() {
    if std::env::var_os(BARE_ENV).is_some() {
        return bare_warp_server();
    }
    let args: Vec<String> = std::env::args().collect();
    let option = |name: &str, default: u64| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let seconds = option("--seconds", 5).clamp(1, 60);
    let connections = option("--connections", 32).clamp(1, 512) as usize;
    let rounds = option("--rounds", 3).clamp(1, 20) as usize;
    let postgres = args.iter().any(|a| a == "--postgres");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(
        Duration::from_secs(seconds),
        connections,
        rounds,
        postgres,
    ));
}

async fn run(duration: Duration, connections: usize, rounds: usize, postgres: bool) {
    let dir = tempfile::tempdir().expect("temp dir");
    println!(
        "checkin_load: {connections} connections, {}s per phase, {rounds} rounds, loopback",
        duration.as_secs()
    );

    let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); MODES.len()];
    let mut last_bare = 0.0;
    for round in 1..=rounds {
        let mut bare = Server::start(bare_command());
        let bare_result = load(&bare.url, connections, duration, "B").await;
        bare.kill9();
        print(&bare_result, &format!("round {round}: bare warp endpoint"));
        last_bare = bare_result.per_second();
        for (mode, sync) in MODES.iter().enumerate() {
            let db = dir.path().join(format!("checkins-{sync}-{round}.db"));
            let mut receiver = Server::start(receiver_command(&db, sync));
            let result = load(&receiver.url, connections, duration, "R").await;
            receiver.kill9();
            let ratio = result.per_second() / bare_result.per_second().max(1.0);
            print(
                &result,
                &format!("round {round}: checkin-receiver (SQLite, CHECKIN_SQLITE_SYNC={sync})"),
            );
            println!(
                "  ratio to bare warp: {:.1}%; rows stored: {} (201s: {})",
                100.0 * ratio,
                count_rows(&db),
                result.acked.len()
            );
            ratios[mode].push(ratio);
        }
    }
    for (mode, sync) in MODES.iter().enumerate() {
        let mut all = ratios[mode].clone();
        all.sort_by(f64::total_cmp);
        println!(
            "median ratio to bare warp, CHECKIN_SQLITE_SYNC={sync}: {:.1}% over {rounds} rounds (target >= 40%)",
            100.0 * all[all.len() / 2]
        );
    }

    let mut lost_total = 0;
    for sync in MODES {
        let db = dir.path().join(format!("killed-{sync}.db"));
        let killed = killed_under_load(receiver_command(&db, sync), connections, duration).await;
        lost_total += report_lost(
            &format!("CHECKIN_SQLITE_SYNC={sync}"),
            &killed,
            &stored_hashes(&db),
        );
    }
    if postgres {
        lost_total += postgres_phase(duration, connections, last_bare).await;
    }
    if lost_total > 0 {
        std::process::exit(1);
    }
}

/// The receiver on a throwaway PostgreSQL cluster (fsync on, synchronous_commit on).
async fn postgres_phase(duration: Duration, connections: usize, bare_per_second: f64) -> usize {
    let pg = switchboard_testing::TestPostgres::start();
    let url = pg.database().await;
    let mut receiver = Server::start(postgres_receiver_command(&url));
    let result = load(&receiver.url, connections, duration, "P").await;
    receiver.kill9();
    print(&result, "checkin-receiver (PostgreSQL)");
    println!(
        "  ratio to bare warp: {:.1}%; rows stored: {} (201s: {})",
        100.0 * result.per_second() / bare_per_second.max(1.0),
        postgres_hashes(&url).await.len(),
        result.acked.len()
    );
    let url = pg.database().await;
    let killed = killed_under_load(postgres_receiver_command(&url), connections, duration).await;
    report_lost("PostgreSQL", &killed, &postgres_hashes(&url).await)
}

/// Starts a receiver, loads it, and kills it with SIGKILL while the load goes on; returns
/// what the load saw acknowledged.
async fn killed_under_load(command: Command, connections: usize, duration: Duration) -> Outcome {
    let mut receiver = Server::start(command);
    let url = receiver.url.clone();
    let loader =
        tokio::spawn(async move { load(&url, connections, Duration::from_secs(30), "K").await });
    tokio::time::sleep(duration.min(Duration::from_secs(2))).await;
    receiver.kill9();
    loader.await.expect("load task")
}

/// Prints and returns how many acknowledged check-ins are not among the `stored` hashes.
fn report_lost(label: &str, killed: &Outcome, stored: &HashSet<String>) -> usize {
    let lost = killed.acked.iter().filter(|h| !stored.contains(*h)).count();
    println!(
        "{label}, kill -9 under load: {} acknowledged (201), {} rows in the database, {lost} acknowledged check-ins lost",
        killed.acked.len(),
        stored.len()
    );
    lost
}

fn postgres_receiver_command(url: &str) -> Command {
    let mut command = receiver_command(std::path::Path::new("unused.db"), "full");
    command.env("CHECKIN_DATABASE_URL", url);
    command
}

async fn postgres_hashes(url: &str) -> HashSet<String> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect to the benchmark database");
    tokio::spawn(connection);
    client
        .query("SELECT packet_hash FROM checkins", &[])
        .await
        .expect("query")
        .into_iter()
        .map(|row| row.get(0))
        .collect()
}

struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(mut command: Command) -> Server {
        use std::io::BufRead;
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start server");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the server's first line");
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .to_string();
        Server { child, url }
    }

    fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn receiver_command(db: &std::path::Path, sync: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    command
        .arg("checkin-receiver")
        .env("CHECKIN_API_SECRET", "s3cret")
        .env("CHECKIN_PORT", "0")
        .env_remove("CHECKIN_DATABASE_URL")
        .env("CHECKIN_DB_PATH", db)
        .env("CHECKIN_SQLITE_SYNC", sync)
        .env("SWITCHBOARD_LOG", "warn");
    command
}

fn bare_command() -> Command {
    let mut command = Command::new(std::env::current_exe().expect("own path"));
    command.env(BARE_ENV, "1");
    command
}

/// The baseline: warp reading a body of the same size and answering 201 `{}`.
fn bare_warp_server() {
    use warp::Filter;
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let route = warp::post().and(warp::body::bytes()).map(|_body: Bytes| {
            warp::reply::with_status(
                warp::reply::with_header("{}", "content-type", "application/json"),
                warp::http::StatusCode::CREATED,
            )
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        println!(
            "bare warp listening on http://{}",
            listener.local_addr().expect("addr")
        );
        warp::serve(route).incoming(listener).run().await;
    });
}

fn print(outcome: &Outcome, name: &str) {
    println!(
        "{name}: {:.0} requests/s answered 201 ({} in {:.1}s), p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms, {} errors",
        outcome.per_second(),
        outcome.acked.len(),
        outcome.elapsed.as_secs_f64(),
        outcome.percentile(0.50).as_secs_f64() * 1e3,
        outcome.percentile(0.99).as_secs_f64() * 1e3,
        outcome.percentile(0.999).as_secs_f64() * 1e3,
        outcome.percentile(1.0).as_secs_f64() * 1e3,
        outcome.errors
    );
}

/// 16 uppercase hex digits, like a real packet hash: spread over the whole key space, so every
/// check-in lands on its own page of the index (sequential hashes would share a few). Distinct
/// for every (stream, connection, sequence) since the mix is a bijection.
fn packet_hash(stream: u64, connection: usize, n: u64) -> String {
    let mut x = (stream << 56) ^ ((connection as u64) << 40) ^ n;
    // splitmix64's finalizer.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^= x >> 31;
    format!("{x:016X}")
}

/// Drives `connections` keep-alive connections for `duration` (or until the server goes
/// away), each POSTing check-ins whose packet hashes are drawn from `tag`'s own stream.
async fn load(url: &str, connections: usize, duration: Duration, tag: &str) -> Outcome {
    let addr: std::net::SocketAddr = url
        .trim_start_matches("http://")
        .parse()
        .expect("the server's address");
    let stream = tag
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let make = move |c: usize, n: u64, out: &mut Vec<u8>| {
        let hash = packet_hash(stream, c, n);
        let body = format!(
            r##"{{"packet_hash":"{hash}","username":"HOWL","message":"check in","channel":"#meshmonday","timestamp":"2025-03-03T14:30:00-07:00","source_bot":"load"}}"##
        );
        http1_load::post_json(
            out,
            "/checkins",
            &[("Authorization", "Bearer s3cret")],
            body.as_bytes(),
        );
        hash
    };
    tokio::task::spawn_blocking(move || {
        http1_load::run(addr, connections, GENERATOR_THREADS, duration, make)
    })
    .await
    .expect("load generator")
}

fn count_rows(db: &std::path::Path) -> i64 {
    rusqlite::Connection::open(db)
        .and_then(|c| c.query_row("SELECT count(*) FROM checkins", [], |r| r.get(0)))
        .unwrap_or(-1)
}

fn stored_hashes(db: &std::path::Path) -> HashSet<String> {
    let conn = rusqlite::Connection::open(db).expect("open the receiver's database");
    let mut stmt = conn
        .prepare("SELECT packet_hash FROM checkins")
        .expect("query");
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .expect("rows")
        .map(|r| r.expect("row"))
        .collect();
    rows
}
