//! A closed-loop HTTP/1.1 load generator shaped like wrk: a few OS threads, each running its
//! share of keep-alive connections on its own single-threaded event loop, each connection
//! sending its next request as soon as the previous answer is read. The generator's own cost
//! per request stays small, so what is measured is the server.

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What one request is: its request line, headers and body, made for request `n` of a
/// connection. The returned tag (for example a packet hash) is kept for every 2xx answer.
pub trait RequestMaker: Fn(usize, u64, &mut Vec<u8>) -> String + Send + Sync + 'static {}
impl<F: Fn(usize, u64, &mut Vec<u8>) -> String + Send + Sync + 'static> RequestMaker for F {}

#[derive(Default)]
pub struct Outcome {
    pub elapsed: Duration,
    /// Sorted; one per 2xx answer.
    pub latencies: Vec<Duration>,
    /// The tag of every request answered 2xx.
    pub acked: Vec<String>,
    /// Non-2xx answers and broken connections.
    pub errors: usize,
}

impl Outcome {
    pub fn per_second(&self) -> f64 {
        self.acked.len() as f64 / self.elapsed.as_secs_f64().max(1e-3)
    }

    fn absorb(&mut self, part: Outcome) {
        self.latencies.extend(part.latencies);
        self.acked.extend(part.acked);
        self.errors += part.errors;
    }

    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let index = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[index]
    }
}

/// Drives `connections` connections over `threads` threads for `duration`, or until the
/// server goes away (a connection that breaks stops).
pub fn run(
    addr: SocketAddr,
    connections: usize,
    threads: usize,
    duration: Duration,
    make: impl RequestMaker,
) -> Outcome {
    let make = std::sync::Arc::new(make);
    let started = Instant::now();
    let threads = threads.clamp(1, connections.max(1));
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let make = make.clone();
            let own: Vec<usize> = (t..connections).step_by(threads).collect();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("load generator runtime");
                runtime.block_on(async move {
                    let tasks: Vec<_> = own
                        .into_iter()
                        .map(|c| {
                            let make = make.clone();
                            tokio::spawn(connection(addr, c, started + duration, make))
                        })
                        .collect();
                    let mut outcome = Outcome::default();
                    for task in tasks {
                        outcome.absorb(task.await.unwrap_or_default());
                    }
                    outcome
                })
            })
        })
        .collect();
    let mut outcome = Outcome::default();
    for worker in workers {
        outcome.absorb(worker.join().expect("load generator thread"));
    }
    outcome.elapsed = started.elapsed().min(duration);
    outcome.latencies.sort();
    outcome
}

async fn connection<F: RequestMaker>(
    addr: SocketAddr,
    c: usize,
    deadline: Instant,
    make: std::sync::Arc<F>,
) -> Outcome {
    let mut outcome = Outcome::default();
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
        outcome.errors = 1;
        return outcome;
    };
    let _ = stream.set_nodelay(true);
    let mut request = Vec::with_capacity(512);
    let mut response = Vec::with_capacity(512);
    let mut n = 0u64;
    while Instant::now() < deadline {
        n += 1;
        request.clear();
        let tag = make(c, n, &mut request);
        let sent = Instant::now();
        if stream.write_all(&request).await.is_err() {
            outcome.errors += 1;
            break;
        }
        match read_response(&mut stream, &mut response).await {
            Some(status) if (200..300).contains(&status) => {
                outcome.latencies.push(sent.elapsed());
                outcome.acked.push(tag);
            }
            Some(_) => outcome.errors += 1,
            None => {
                outcome.errors += 1;
                break;
            }
        }
    }
    outcome
}

/// Reads one response (headers and a `Content-Length` body); its status, or `None` when the
/// connection broke.
async fn read_response(stream: &mut tokio::net::TcpStream, buffer: &mut Vec<u8>) -> Option<u16> {
    buffer.clear();
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut parsed = httparse::Response::new(&mut headers);
        if let httparse::Status::Complete(head) = parsed.parse(buffer).ok()? {
            let status = parsed.code?;
            let length: usize = parsed
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())
                .unwrap_or(0);
            while buffer.len() < head + length {
                read_more(stream, buffer).await?;
            }
            return Some(status);
        }
        read_more(stream, buffer).await?;
    }
}

async fn read_more(stream: &mut tokio::net::TcpStream, buffer: &mut Vec<u8>) -> Option<()> {
    let mut chunk = [0u8; 4096];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => None,
        Ok(n) => {
            buffer.extend_from_slice(&chunk[..n]);
            Some(())
        }
    }
}

/// Writes a POST with a JSON body into `out`.
pub fn post_json(out: &mut Vec<u8>, path: &str, headers: &[(&str, &str)], body: &[u8]) {
    let _ = write!(out, "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (name, value) in headers {
        let _ = write!(out, "{name}: {value}\r\n");
    }
    let _ = write!(
        out,
        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    out.extend_from_slice(body);
}
