//! Each native plugin gets one worker thread: calls are serialised (C plugins need not be
//! thread-safe), run off the async runtime, and a call that hangs holds only that thread.
//! A plain thread rather than `spawn_blocking`, so a hung plugin never delays the bot's exit.
//!
//! Both sides spin briefly before they sleep: waking a parked thread costs tens of microseconds
//! on an idle machine, several times a whole call, so back-to-back calls stay on awake threads.
#![allow(unsafe_code)] // calls through the checked descriptor's function pointers

use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::Value;
use switchboard_plugin_sdk::abi::{Buffer, Bytes, PluginDescriptor, STATUS_OK, STATUS_PANIC};
use switchboard_plugin_sdk::{Declarations, Request};
use tokio::sync::oneshot;

use super::host_api::{host_api, with_scope, CallScope};
use super::loader::{LoadError, NativeLibrary};
use crate::backend::{Backend, CallError};
use switchboard_api::context::Context;

/// A status and the bytes the plugin filled (already copied and given back to it).
type Answer = (i32, Vec<u8>);

/// How long a side polls for the other before it parks: longer than a typical call, short
/// enough that an idle plugin costs no CPU.
const SPIN: Duration = Duration::from_micros(50);

enum Job {
    Init(oneshot::Sender<Answer>),
    Call {
        request: Vec<u8>,
        scope: CallScope,
        answer: oneshot::Sender<Answer>,
    },
}

pub struct NativeBackend {
    declarations: Declarations,
    jobs: mpsc::Sender<Job>,
    /// Why the plugin stopped taking calls, once it has.
    fault: Mutex<Option<String>>,
}

impl NativeBackend {
    /// Starts the worker and calls the plugin's `init`, waiting at most `timeout`.
    pub async fn start(library: NativeLibrary, timeout: Duration) -> Result<Self, LoadError> {
        let (jobs, inbox) = mpsc::channel();
        let descriptor = library.descriptor;
        let name = library.name.clone();
        std::thread::Builder::new()
            .name(format!("plugin-{name}"))
            .spawn(move || work(descriptor, &name, inbox))
            .map_err(|e| LoadError::Init(format!("cannot start the worker thread: {e}")))?;
        let (answer, answered) = oneshot::channel();
        jobs.send(Job::Init(answer))
            .map_err(|_| LoadError::Init("the worker thread stopped".into()))?;
        let (status, bytes) = tokio::time::timeout(timeout, answered)
            .await
            .map_err(|_| LoadError::InitTimeout(timeout))?
            .map_err(|_| LoadError::Init("the worker thread stopped".into()))?;
        if status != STATUS_OK {
            return Err(LoadError::Init(describe(status, &bytes)));
        }
        let declarations =
            serde_json::from_slice(&bytes).map_err(|e| LoadError::Declarations(e.to_string()))?;
        Ok(NativeBackend {
            declarations,
            jobs,
            fault: Mutex::new(None),
        })
    }

    fn faulted(&self, why: String) -> CallError {
        if let Ok(mut fault) = self.fault.lock() {
            fault.get_or_insert(why.clone());
        }
        CallError::Fault(why)
    }
}

fn describe(status: i32, bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if status == STATUS_PANIC {
        format!("panicked: {text}")
    } else {
        text.into_owned()
    }
}

#[async_trait]
impl Backend for NativeBackend {
    fn declarations(&self) -> &Declarations {
        &self.declarations
    }

    fn kind(&self) -> &'static str {
        "native"
    }

    async fn call(
        &self,
        request: Request,
        ctx: &Context,
        timeout: Duration,
    ) -> Result<Value, CallError> {
        if let Some(why) = self.fault.lock().ok().and_then(|f| f.clone()) {
            return Err(CallError::Unavailable(format!(
                "the plugin is faulted ({why})"
            )));
        }
        let request = serde_json::to_vec(&request)
            .map_err(|e| CallError::Plugin(format!("cannot encode the request: {e}")))?;
        let (answer, answered) = oneshot::channel();
        let job = Job::Call {
            request,
            scope: CallScope {
                ctx: ctx.clone(),
                runtime: tokio::runtime::Handle::current(),
            },
            answer,
        };
        if self.jobs.send(job).is_err() {
            return Err(self.faulted("its worker thread stopped".into()));
        }
        let answered = match spin_for_answer(answered) {
            Ok(answer) => Ok(Ok(answer)),
            Err(answered) => tokio::time::timeout(timeout, answered).await,
        };
        let (status, bytes) = match answered {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => return Err(self.faulted("its worker thread stopped".into())),
            Err(_) => return Err(self.faulted(format!("did not answer within {timeout:?}"))),
        };
        match status {
            STATUS_OK => serde_json::from_slice(&bytes)
                .map_err(|e| self.faulted(format!("answered something that is not JSON: {e}"))),
            STATUS_PANIC => Err(self.faulted(describe(status, &bytes))),
            _ => Err(CallError::Plugin(describe(status, &bytes))),
        }
    }
}

/// The answer if it comes within [`SPIN`], else the receiver to await.
fn spin_for_answer(
    mut answered: oneshot::Receiver<Answer>,
) -> Result<Answer, oneshot::Receiver<Answer>> {
    let deadline = Instant::now() + SPIN;
    loop {
        match answered.try_recv() {
            Ok(answer) => return Ok(answer),
            Err(oneshot::error::TryRecvError::Closed) => return Err(answered),
            Err(oneshot::error::TryRecvError::Empty) if Instant::now() >= deadline => {
                return Err(answered)
            }
            Err(oneshot::error::TryRecvError::Empty) => std::hint::spin_loop(),
        }
    }
}

/// The next job, polling for [`SPIN`] before blocking; `None` once the backend is gone.
fn next_job(inbox: &mpsc::Receiver<Job>) -> Option<Job> {
    let deadline = Instant::now() + SPIN;
    loop {
        match inbox.try_recv() {
            Ok(job) => return Some(job),
            Err(mpsc::TryRecvError::Disconnected) => return None,
            Err(mpsc::TryRecvError::Empty) if Instant::now() >= deadline => {
                return inbox.recv().ok()
            }
            Err(mpsc::TryRecvError::Empty) => std::hint::spin_loop(),
        }
    }
}

fn work(descriptor: &'static PluginDescriptor, name: &str, inbox: mpsc::Receiver<Job>) {
    // `load` checked that all three functions are present.
    let (Some(init), Some(call), Some(free)) =
        (descriptor.init, descriptor.call, descriptor.free_buffer)
    else {
        return;
    };
    let take = |out: Buffer| -> Vec<u8> {
        let bytes = if out.ptr.is_null() {
            Vec::new()
        } else {
            // SAFETY: the plugin filled ptr/len and keeps them valid until free_buffer.
            unsafe { std::slice::from_raw_parts(out.ptr, out.len) }.to_vec()
        };
        // SAFETY: a buffer the plugin filled, given back once.
        unsafe { free(out) };
        bytes
    };
    while let Some(job) = next_job(&inbox) {
        match job {
            Job::Init(answer) => {
                let host = host_api(name);
                let mut out = Buffer::EMPTY;
                // SAFETY: checked descriptor; the host table is leaked, valid forever.
                let status = unsafe { init(host, &mut out) };
                let _ = answer.send((status, take(out)));
            }
            Job::Call {
                request,
                scope,
                answer,
            } => {
                let mut out = Buffer::EMPTY;
                let lent = Bytes {
                    ptr: request.as_ptr(),
                    len: request.len(),
                };
                // SAFETY: checked descriptor; the request outlives the call.
                let status = with_scope(Some(scope), || unsafe { call(lent, &mut out) });
                let _ = answer.send((status, take(out)));
            }
        }
    }
}
