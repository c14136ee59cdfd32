//! Load on loopback: signed Standard Webhooks requests through the real runtime (listener,
//! intake, HMAC verification, idempotency key in SQLite, template, outbound queue, a connector)
//! beside a bare warp endpoint in the same run. Requests/s and latency percentiles for both;
//! the sink should reach at least half the bare endpoint's rate.
//!
//! `cargo bench --bench sink_load` (options: `-- --requests N --concurrency C --rounds R`). The
//! two endpoints take turns, R rounds each, since other work on the machine moves both numbers.
//! Loopback only, bounded in count and in time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use switchboard_api::config::{Config, ConfigError};
use switchboard_api::http::signing::{sign_standard_webhooks, Secret};
use switchboard_api::{
    async_trait, Connector, ConnectorError, ConnectorIo, Outbound, Plugin, PluginBuilder, Source,
};
use switchboard_runtime::bot::{self as runtime, BotOptions};
use warp::Filter;

// The same allocator as the switchboard binary, for the sink and the bare endpoint alike.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// No phase runs longer than this, whatever the request count.
const PHASE_LIMIT: Duration = Duration::from_secs(60);

/// A connector that counts what it is given and prints nothing.
struct Counting(Arc<AtomicU64>);

#[async_trait]
impl Connector for Counting {
    fn name(&self) -> &str {
        "bench"
    }
    fn kind(&self) -> &str {
        "bench"
    }
    async fn run(&self, io: ConnectorIo) -> Result<(), ConnectorError> {
        io.intake_stopped().cancelled().await;
        Ok(())
    }
    async fn send(&self, _: &Outbound) -> Result<(), ConnectorError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

struct CountingPlugin(Arc<AtomicU64>);

impl Plugin for CountingPlugin {
    fn name(&self) -> &str {
        "bench-connector"
    }
    fn build(&self, builder: &mut PluginBuilder<'_>) -> Result<(), ConfigError> {
        builder.add_connector(Counting(self.0.clone()));
        Ok(())
    }
}

struct Request {
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

fn signed_requests(count: usize, batch: &str) -> Vec<Request> {
    let key = Secret::standard_webhooks(SECRET).expect("secret");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    (0..count)
        .map(|n| {
            let id = format!("msg_{batch}_{n}");
            let body = format!(r#"{{"type":"order.paid","data":{{"id":"{n}","total":"12.50"}}}}"#)
                .into_bytes();
            let signature = sign_standard_webhooks(&key, &id, now, &body);
            Request {
                headers: vec![
                    ("webhook-id", id),
                    ("webhook-timestamp", now.to_string()),
                    ("webhook-signature", signature),
                ],
                body,
            }
        })
        .collect()
}

struct Stats {
    ok: usize,
    failed: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// CPU time of the whole process (load generator and server) during the phase.
    cpu: Duration,
}

impl Stats {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }
    /// CPU µs per answered request: steadier than requests/s on a busy machine.
    fn cpu_per_request(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / self.ok.max(1) as f64
    }
    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[index]
    }
}

async fn load(url: String, requests: Arc<Vec<Request>>, concurrency: usize) -> Stats {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .expect("client");
    let next = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + PHASE_LIMIT;
    let started = Instant::now();
    let cpu_before = process_cpu();
    let workers = (0..concurrency).map(|_| {
        let (client, url, requests, next) =
            (client.clone(), url.clone(), requests.clone(), next.clone());
        tokio::spawn(async move {
            let (mut ok, mut failed, mut latencies) = (0, 0, Vec::new());
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed) as usize;
                if n >= requests.len() || Instant::now() > deadline {
                    break;
                }
                let request = &requests[n];
                let mut builder = client.post(&url).body(request.body.clone());
                for (name, value) in &request.headers {
                    builder = builder.header(*name, value);
                }
                let sent = Instant::now();
                match builder.send().await {
                    Ok(r) if r.status().as_u16() == 202 => {
                        let _ = r.bytes().await;
                        latencies.push(sent.elapsed());
                        ok += 1;
                    }
                    _ => failed += 1,
                }
            }
            (ok, failed, latencies)
        })
    });
    let mut stats = Stats {
        ok: 0,
        failed: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
        cpu: Duration::ZERO,
    };
    for worker in futures_join(workers.collect()).await {
        stats.ok += worker.0;
        stats.failed += worker.1;
        stats.latencies.extend(worker.2);
    }
    stats.elapsed = started.elapsed();
    stats.cpu = process_cpu().saturating_sub(cpu_before);
    stats.latencies.sort();
    stats
}

/// User and system CPU time of this process so far (Linux `/proc/self/stat`, 100 Hz ticks).
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|v| v.parse::<u64>().ok()))
        .sum();
    Duration::from_millis(ticks * 10)
}

async fn futures_join(
    handles: Vec<tokio::task::JoinHandle<(usize, usize, Vec<Duration>)>>,
) -> Vec<(usize, usize, Vec<Duration>)> {
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap_or_default());
    }
    out
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn report(label: &str, stats: &Stats) {
    println!(
        "{label:<28} {:>7} ok {:>4} failed {:>9.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   {:>5.1} µs CPU/request",
        stats.ok,
        stats.failed,
        stats.rate(),
        stats.percentile(0.50).as_secs_f64() * 1e3,
        stats.percentile(0.99).as_secs_f64() * 1e3,
        stats.cpu_per_request(),
    );
}

fn main() {
    // `cargo bench` passes `--bench`; anything else (e.g. `cargo test --benches`) gets a quick run.
    let full = std::env::args().any(|a| a == "--bench");
    let count = arg("--requests", if full { 20_000 } else { 200 });
    let concurrency = arg("--concurrency", 32);
    let rounds = arg("--rounds", 3).max(1);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async move {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let config_text = format!(
            "[Store]\nsqlite_path = {}\n\n[Sink.webhook.bench]\nport = {port}\npath = /hooks/bench\nverify = standard-webhooks\nsecrets = {SECRET}\nmax_concurrent = 1024\ntemplate = order {{{{ data.id }}}} paid: {{{{ data.total }}}}\nconnector = bench\ntarget = #orders\n",
            dir.path().join("bench.db").display()
        );
        let config_path = dir.path().join("config.ini");
        std::fs::write(&config_path, config_text).expect("write config");
        let delivered = Arc::new(AtomicU64::new(0));
        let mut plugins: Vec<(Source, Arc<dyn Plugin>)> = switchboard_plugins::builtins()
            .into_iter()
            .map(|p| (Source::Builtin, p))
            .collect();
        plugins.push((Source::Builtin, Arc::new(CountingPlugin(delivered.clone()))));
        let options = BotOptions {
            version: "bench".into(),
            strict: false,
            load_config: Arc::new(move || Config::load(Some(&config_path))),
            store: None,
        };
        tokio::spawn(async move {
            if let Err(e) = runtime::run(plugins, options).await {
                eprintln!("the bot did not start: {e}");
                std::process::exit(1);
            }
        });

        let bare_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind bare");
        let bare_port = bare_listener.local_addr().expect("bare addr").port();
        let bare = warp::post()
            .and(warp::path!("hooks" / "bare"))
            .and(warp::body::bytes())
            .map(|_| warp::reply::with_status("{}", warp::http::StatusCode::ACCEPTED));
        tokio::spawn(warp::serve(bare).incoming(bare_listener).run());

        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(Instant::now() < deadline, "the sink did not start listening");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        println!(
            "{count} requests per endpoint per round, {rounds} rounds, {concurrency} concurrent connections, loopback"
        );
        let bare_url = format!("http://127.0.0.1:{bare_port}/hooks/bare");
        let sink_url = format!("http://127.0.0.1:{port}/hooks/bench");
        load(bare_url.clone(), Arc::new(signed_requests(200, "warmup")), concurrency).await;
        let mut ratios = Vec::new();
        let mut failed = 0;
        for round in 1..=rounds {
            // Fresh delivery ids each round, so the sink delivers every request.
            let requests = Arc::new(signed_requests(count, &format!("r{round}")));
            let bare_stats = load(bare_url.clone(), requests.clone(), concurrency).await;
            report(&format!("round {round}: bare warp endpoint"), &bare_stats);
            let before = delivered.load(Ordering::Relaxed);
            let sink_stats = load(sink_url.clone(), requests, concurrency).await;
            report(&format!("round {round}: signed webhook sink"), &sink_stats);
            // Wait for the connector to get every accepted message before the next phase.
            let wait = Instant::now() + Duration::from_secs(30);
            while delivered.load(Ordering::Relaxed) - before < sink_stats.ok as u64
                && Instant::now() < wait
            {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            let got = delivered.load(Ordering::Relaxed) - before;
            let ratio = sink_stats.rate() / bare_stats.rate().max(1.0);
            println!(
                "round {round}: delivered to the connector {got} of {} accepted; sink/bare = {:.0}%",
                sink_stats.ok,
                ratio * 100.0
            );
            failed += sink_stats.failed + bare_stats.failed + (sink_stats.ok - got as usize);
            ratios.push(ratio);
        }
        ratios.sort_by(f64::total_cmp);
        println!(
            "median sink/bare over {rounds} rounds: {:.0}% (target >= 50%)",
            ratios[ratios.len() / 2] * 100.0
        );
        std::process::exit(if failed == 0 { 0 } else { 1 });
    });
}
