//! Running one exec plugin: start it, read its hello, pass calls by id, serve its host calls,
//! and restart it with exponential backoff when it exits or leaves a call unanswered past its
//! timeout (it is killed then). Pending calls get an error; while the process is down the
//! plugin is listed as faulted, and as active again once a new process said hello.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::Value;
use switchboard_plugin_sdk::{Declarations, Request};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::{CancellationToken, DropGuard};

use super::host::host_call;
use super::line_reader::{BoundedLines, Line};
use super::output_log::{OutputLog, Stream, SHOWN};
use super::protocol::{Hello, Incoming, Outgoing, PROTOCOL_VERSION};
use crate::backend::{Backend, CallError};
use switchboard_api::context::Context;

/// The longest stdout line the protocol takes; a plugin that writes a longer one is faulted
/// and restarted (and the bot holds no more of it than this).
pub const MAX_PROTOCOL_LINE: usize = 1 << 20;

/// A run that lasted this long resets the backoff.
const STABLE_RUN: Duration = Duration::from_secs(30);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// How much longer than its timeout a caller waits, so the supervisor's answer (which kills the
/// process) normally arrives first.
const ANSWER_GRACE: Duration = Duration::from_millis(250);

#[derive(Debug, Clone)]
pub struct ExecSpec {
    pub name: String,
    /// The plugin's folder: the working directory, and where a relative command is found.
    pub dir: PathBuf,
    pub command: String,
    pub args: Vec<String>,
    /// How long the hello may take.
    pub start_timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("cannot start `{command}`: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("sent no hello line within {0:?}")]
    HelloTimeout(Duration),
    #[error("exited before its hello line")]
    NoHello,
    #[error("its hello line is not valid: {0}")]
    BadHello(String),
    #[error("speaks protocol {found}, the host speaks {expected}")]
    Protocol { found: u32, expected: u32 },
}

type Answer = oneshot::Sender<Result<Value, CallError>>;

struct Call {
    request: Request,
    ctx: Context,
    answer: Answer,
    timeout: Duration,
    deadline: tokio::time::Instant,
}

/// A call the process has been sent and not answered yet.
struct Pending {
    answer: Answer,
    timeout: Duration,
    deadline: tokio::time::Instant,
}

pub struct ExecBackend {
    declarations: Declarations,
    calls: mpsc::Sender<Call>,
    /// The bot's context, once the bot runs: the supervisor reports restarts through it.
    attached: Arc<OnceLock<Context>>,
    stop: CancellationToken,
    /// Stops the process when the backend is dropped, if nothing stopped it before.
    _stop_on_drop: DropGuard,
}

impl ExecBackend {
    /// Starts the process and waits for its hello; then keeps it running in the background.
    pub async fn start(spec: ExecSpec) -> Result<Self, ExecError> {
        let running = launch(&spec).await?;
        let declarations = running.declarations.clone();
        let (calls, inbox) = mpsc::channel(256);
        let stop = CancellationToken::new();
        let attached = Arc::new(OnceLock::new());
        tokio::spawn(supervise(
            spec,
            running,
            inbox,
            attached.clone(),
            stop.clone(),
        ));
        Ok(ExecBackend {
            declarations,
            calls,
            attached,
            _stop_on_drop: stop.clone().drop_guard(),
            stop,
        })
    }
}

#[async_trait]
impl Backend for ExecBackend {
    fn declarations(&self) -> &Declarations {
        &self.declarations
    }

    fn kind(&self) -> &'static str {
        "exec"
    }

    fn stop(&self) {
        self.stop.cancel();
    }

    fn attach(&self, ctx: &Context) {
        let _ = self.attached.set(ctx.clone());
    }

    async fn call(
        &self,
        request: Request,
        ctx: &Context,
        timeout: Duration,
    ) -> Result<Value, CallError> {
        let (answer, answered) = oneshot::channel();
        let deadline = tokio::time::Instant::now() + timeout;
        let call = Call {
            request,
            ctx: ctx.clone(),
            answer,
            timeout,
            deadline,
        };
        self.calls
            .send(call)
            .await
            .map_err(|_| CallError::Unavailable("the plugin process has stopped".into()))?;
        match tokio::time::timeout_at(deadline + ANSWER_GRACE, answered).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(CallError::Unavailable(
                "the plugin process has stopped".into(),
            )),
            Err(_) => Err(CallError::Unavailable(format!(
                "the plugin did not answer within {timeout:?}"
            ))),
        }
    }
}

struct Running {
    child: Child,
    stdin: ChildStdin,
    stdout: BoundedLines<BufReader<ChildStdout>>,
    declarations: Declarations,
}

async fn launch(spec: &ExecSpec) -> Result<Running, ExecError> {
    let program = if spec.command.contains('/') {
        spec.dir.join(&spec.command)
    } else {
        PathBuf::from(&spec.command)
    };
    let mut child = Command::new(&program)
        .args(&spec.args)
        .current_dir(&spec.dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| ExecError::Spawn {
            command: spec.command.clone(),
            source,
        })?;
    let (Some(stdin), Some(stdout), Some(stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(ExecError::NoHello);
    };
    let name = spec.name.clone();
    tokio::spawn(async move {
        // Only the start of a long stderr line is kept: the log shows no more of it.
        let mut lines = BoundedLines::new(BufReader::new(stderr), SHOWN);
        let mut log = OutputLog::new(&name, Stream::Stderr);
        while let Ok(Some(line)) = lines.next_line().await {
            log.line(&line);
        }
        log.finish();
    });
    let mut stdout = BoundedLines::new(BufReader::new(stdout), MAX_PROTOCOL_LINE);
    let line = match tokio::time::timeout(spec.start_timeout, stdout.next_line())
        .await
        .map_err(|_| ExecError::HelloTimeout(spec.start_timeout))?
        .map_err(|e| ExecError::BadHello(e.to_string()))?
        .ok_or(ExecError::NoHello)?
    {
        Line::Full(line) => line,
        Line::TooLong { bytes, .. } => {
            return Err(ExecError::BadHello(format!(
                "a line of {bytes} bytes, over the protocol's {MAX_PROTOCOL_LINE}"
            )))
        }
    };
    let hello: Hello =
        serde_json::from_str(&line).map_err(|e| ExecError::BadHello(e.to_string()))?;
    if hello.protocol != PROTOCOL_VERSION {
        return Err(ExecError::Protocol {
            found: hello.protocol,
            expected: PROTOCOL_VERSION,
        });
    }
    Ok(Running {
        child,
        stdin,
        stdout,
        declarations: hello.declarations,
    })
}

/// 0 for the first restart (a one-off crash costs nothing), then 250 ms doubling to 30 s.
fn backoff(failures: u32) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    Duration::from_millis(250)
        .saturating_mul(1 << (failures - 1).min(16))
        .min(MAX_BACKOFF)
}

async fn supervise(
    spec: ExecSpec,
    first: Running,
    mut inbox: mpsc::Receiver<Call>,
    attached: Arc<OnceLock<Context>>,
    stop: CancellationToken,
) {
    let mut next = Some(first);
    let mut failures = 0u32;
    // From the bot once it runs, or else from the first call.
    let mut ctx: Option<Context> = None;
    loop {
        if ctx.is_none() {
            ctx = attached.get().cloned();
        }
        let running = match next.take() {
            Some(running) => running,
            None => match launch(&spec).await {
                Ok(running) => {
                    tracing::info!(plugin = %spec.name, "exec plugin restarted");
                    if let Some(ctx) = &ctx {
                        ctx.mark_active(&spec.name);
                    }
                    running
                }
                Err(e) => {
                    failures += 1;
                    let delay = backoff(failures);
                    tracing::error!(plugin = %spec.name, error = %e, "exec plugin did not restart; retrying in {delay:?}");
                    if let Some(ctx) = &ctx {
                        let why = format!("did not restart: {e}; retrying in {delay:?}");
                        ctx.mark_faulted(&spec.name, &why);
                    }
                    if !wait_refusing(delay, &mut inbox, &stop).await {
                        return;
                    }
                    continue;
                }
            },
        };
        let started = Instant::now();
        let Some(why) = serve(&spec.name, running, &mut inbox, &mut ctx, &stop).await else {
            return;
        };
        if ctx.is_none() {
            ctx = attached.get().cloned();
        }
        if started.elapsed() >= STABLE_RUN {
            failures = 0;
        }
        let delay = backoff(failures);
        failures += 1;
        tracing::error!(plugin = %spec.name, "exec plugin {why}; restarting in {delay:?}");
        if let Some(ctx) = &ctx {
            ctx.mark_faulted(&spec.name, &format!("{why}; restarting"));
        }
        if !wait_refusing(delay, &mut inbox, &stop).await {
            return;
        }
    }
}

/// Waits out a backoff, answering calls that arrive meanwhile. False when told to stop.
async fn wait_refusing(
    delay: Duration,
    inbox: &mut mpsc::Receiver<Call>,
    stop: &CancellationToken,
) -> bool {
    if delay.is_zero() {
        return !stop.is_cancelled();
    }
    let until = tokio::time::sleep(delay);
    tokio::pin!(until);
    loop {
        tokio::select! {
            biased;
            _ = &mut until => return true,
            _ = stop.cancelled() => return false,
            call = inbox.recv() => match call {
                Some(call) => {
                    let _ = call.answer.send(Err(CallError::Unavailable(
                        "the plugin is restarting; try again shortly".into(),
                    )));
                }
                None => return false,
            },
        }
    }
}

/// Why a process stopped being served.
enum Exit {
    /// It closed a pipe: it is exiting, or has.
    Closed(String),
    /// It left calls unanswered past their timeout: it is killed.
    Hung(Vec<Pending>),
}

/// Serves one process until it exits or hangs (`Some(why)`) or the plugin is stopped (`None`).
async fn serve(
    name: &str,
    mut running: Running,
    inbox: &mut mpsc::Receiver<Call>,
    ctx: &mut Option<Context>,
    stop: &CancellationToken,
) -> Option<String> {
    let mut pending: HashMap<u64, Pending> = HashMap::new();
    let mut next_id = 0u64;
    let mut junk = OutputLog::new(name, Stream::Stdout);
    let exit = loop {
        let first_deadline = pending.values().map(|p| p.deadline).min();
        tokio::select! {
            _ = stop.cancelled() => {
                junk.finish();
                let _ = running.child.kill().await;
                return None;
            }
            _ = sleep_until(first_deadline), if first_deadline.is_some() => {
                let now = tokio::time::Instant::now();
                let late: Vec<u64> = pending.iter().filter(|(_, p)| p.deadline <= now).map(|(id, _)| *id).collect();
                break Exit::Hung(late.iter().filter_map(|id| pending.remove(id)).collect());
            }
            call = inbox.recv() => {
                let Some(call) = call else {
                    junk.finish();
                    let _ = running.child.kill().await;
                    return None;
                };
                *ctx = Some(call.ctx);
                if call.deadline <= tokio::time::Instant::now() {
                    // It waited out its time in the queue (a restart was slow): the process
                    // never saw it, so it is not to blame.
                    let _ = call.answer.send(Err(CallError::Unavailable(format!(
                        "the plugin did not answer within {:?}",
                        call.timeout
                    ))));
                    continue;
                }
                next_id += 1;
                let line = match serde_json::to_string(&Outgoing { id: next_id, request: &call.request }) {
                    Ok(line) => line,
                    Err(e) => {
                        let _ = call.answer.send(Err(CallError::Plugin(format!("cannot encode the request: {e}"))));
                        continue;
                    }
                };
                pending.insert(next_id, Pending { answer: call.answer, timeout: call.timeout, deadline: call.deadline });
                if write_line(&mut running.stdin, &line).await.is_err() {
                    break Exit::Closed("closed its stdin".to_string());
                }
            }
            line = running.stdout.next_line() => match line {
                Ok(Some(Line::Full(line))) => handle_line(name, &line, &mut pending, &mut running.stdin, ctx.as_ref(), &mut junk).await,
                Ok(Some(Line::TooLong { bytes, .. })) => {
                    let _ = running.child.kill().await;
                    break Exit::Closed(format!("wrote a stdout line of {bytes} bytes, over the protocol's {MAX_PROTOCOL_LINE}"));
                }
                Ok(None) | Err(_) => break Exit::Closed("closed its stdout".to_string()),
            },
        }
    };
    junk.finish();
    let (why, status) = match exit {
        Exit::Closed(why) => {
            let status =
                match tokio::time::timeout(Duration::from_secs(2), running.child.wait()).await {
                    Ok(Ok(status)) => status.to_string(),
                    _ => {
                        let _ = running.child.kill().await;
                        "killed".to_string()
                    }
                };
            (why, status)
        }
        Exit::Hung(late) => {
            let longest = late.iter().map(|p| p.timeout).max().unwrap_or_default();
            let why = format!("did not answer within {longest:?}");
            tracing::error!(plugin = %name, "exec plugin {why}: killing its process");
            let _ = running.child.kill().await;
            // Listed as faulted before anyone hears of the timeout.
            if let Some(ctx) = ctx.as_ref() {
                ctx.mark_faulted(name, &format!("{why} (killed); restarting"));
            }
            for call in late {
                let _ = call.answer.send(Err(CallError::Unavailable(format!(
                    "the plugin did not answer within {:?}; its process is restarted",
                    call.timeout
                ))));
            }
            (why, "killed".to_string())
        }
    };
    for (_, call) in pending.drain() {
        let _ = call.answer.send(Err(CallError::Unavailable(format!(
            "the plugin process stopped ({status}) before answering"
        ))));
    }
    Some(format!("{why} ({status})"))
}

/// Sleeps until `deadline`; forever without one (the branch is disabled then anyway).
async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

async fn write_line(stdin: &mut ChildStdin, line: &str) -> std::io::Result<()> {
    stdin.write_all(line.as_bytes()).await?;
    stdin.write_all(b"\n").await?;
    stdin.flush().await
}

async fn handle_line(
    name: &str,
    line: &str,
    pending: &mut HashMap<u64, Pending>,
    stdin: &mut ChildStdin,
    ctx: Option<&Context>,
    junk: &mut OutputLog,
) {
    let incoming = match serde_json::from_str::<Incoming>(line) {
        Ok(incoming) => incoming,
        Err(_) => {
            junk.line(&Line::Full(line.to_string()));
            return;
        }
    };
    match incoming {
        Incoming::Answer { id, result, error } => {
            if let Some(Pending { answer, .. }) = pending.remove(&id) {
                let outcome = match (result, error) {
                    (_, Some(error)) => Err(CallError::Plugin(error)),
                    (Some(result), None) => Ok(result),
                    (None, None) => Ok(Value::Object(Default::default())),
                };
                let _ = answer.send(outcome);
            }
        }
        Incoming::Host(call) => {
            if let Some((reference, outcome)) = host_call(name, call, ctx).await {
                let reply = match outcome {
                    Ok(result) => serde_json::json!({"ref": reference, "result": result}),
                    Err(error) => serde_json::json!({"ref": reference, "error": error}),
                };
                if write_line(stdin, &reply.to_string()).await.is_err() {
                    tracing::warn!(plugin = %name, "could not answer a host call");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_free_once_then_doubles_to_a_cap() {
        assert_eq!(backoff(0), Duration::ZERO);
        assert_eq!(backoff(1), Duration::from_millis(250));
        assert_eq!(backoff(3), Duration::from_secs(1));
        assert_eq!(backoff(40), MAX_BACKOFF);
    }
}
