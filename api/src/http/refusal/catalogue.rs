//! Every refusal the intake, the listener and the built-in sinks answer with, each declared
//! once: the same failure answers the same status and reason in every sink. The table in
//! `docs/sinks.md` lists them.

use crate::define_refusal;
use crate::http::signing::{BearerError, SignatureError};

use super::Refusal;

// The intake ----------------------------------------------------------------------------------

define_refusal! {
    /// `max_concurrent` requests are already running.
    #[refusal(status = SERVICE_UNAVAILABLE, reason = "busy")]
    pub struct Busy => "too many requests at once; retry shortly";

    /// The client is not in the sink's `allow_from`.
    #[refusal(status = FORBIDDEN, reason = "forbidden")]
    pub struct Forbidden => "this address may not use this sink";

    /// Reading and handling the request took longer than `request_timeout`.
    #[refusal(status = REQUEST_TIMEOUT, reason = "timeout")]
    pub struct TimedOut => "the request took too long";

    /// The body is larger than `max_body_size` (declared or as it arrived).
    #[refusal(status = PAYLOAD_TOO_LARGE, reason = "too_large")]
    pub struct TooLarge {
        /// The largest body the sink takes, in bytes.
        limit: usize,
    } => "the body is larger than {limit} bytes";

    /// The body could not be read (a broken chunked encoding, say).
    #[refusal(status = BAD_REQUEST, reason = "unreadable_body")]
    pub struct UnreadableBody {
        /// What went wrong.
        detail: String,
    } => "the body could not be read: {detail}";
}

// The listener: requests no route takes -------------------------------------------------------

define_refusal! {
    /// No route answers this path.
    #[refusal(status = NOT_FOUND, reason = "not_found")]
    pub struct NotFound => "no sink answers this path";

    /// A route answers this path, but with another method.
    #[refusal(status = METHOD_NOT_ALLOWED, reason = "method_not_allowed")]
    pub struct MethodNotAllowed => "this path takes another method";

    /// A server that answers every request itself (the check-in receiver) does not know the
    /// method at all.
    #[refusal(status = NOT_IMPLEMENTED, reason = "not_implemented")]
    pub struct NotImplemented => "this method is not implemented";

    /// The request could not be read at all.
    #[refusal(status = BAD_REQUEST, reason = "bad_request")]
    pub struct BadRequest => "the request could not be read";
}

impl warp::reject::Reject for MethodNotAllowed {}

// Who is calling ------------------------------------------------------------------------------

define_refusal! {
    /// A bearer token (`Authorization: Bearer <token>`) is missing, malformed or not valid.
    #[refusal(status = UNAUTHORIZED, reason = "unauthorized")]
    pub struct Unauthorized {
        /// Which of the three.
        problem: BearerError,
    } => "{problem}";

    /// A signature scheme's header is missing.
    #[refusal(status = UNAUTHORIZED, reason = "missing_signature")]
    pub struct MissingSignature {
        /// The header, lower case.
        header: &'static str,
    } => "the {header} header is missing";

    /// A signature is malformed or matches no secret.
    #[refusal(status = UNAUTHORIZED, reason = "bad_signature")]
    pub struct BadSignature {
        /// Which of the two.
        problem: SignatureError,
    } => "{problem}";

    /// A signed timestamp is outside the tolerance.
    #[refusal(status = UNAUTHORIZED, reason = "stale_timestamp")]
    pub struct StaleTimestamp => "the timestamp is outside the allowed tolerance";
}

impl From<BearerError> for Refusal {
    fn from(problem: BearerError) -> Refusal {
        Unauthorized { problem }.into()
    }
}

impl From<SignatureError> for Refusal {
    fn from(problem: SignatureError) -> Refusal {
        match problem {
            SignatureError::MissingHeader(header) => MissingSignature { header }.into(),
            SignatureError::Stale => StaleTimestamp.into(),
            SignatureError::Malformed(_) | SignatureError::Mismatch => {
                BadSignature { problem }.into()
            }
        }
    }
}

// What the body says --------------------------------------------------------------------------

define_refusal! {
    /// The body is not JSON.
    #[refusal(status = BAD_REQUEST, reason = "bad_json")]
    pub struct BadJson {
        /// The parser's complaint.
        detail: String,
    } => "the body is not JSON: {detail}";

    /// The body is JSON but cannot become a message (a wrong type, a missing field).
    #[refusal(status = BAD_REQUEST, reason = "bad_payload")]
    pub struct BadPayload {
        /// What is wrong with it.
        detail: String,
    } => "{detail}";

    /// The body gives nothing to send.
    #[refusal(status = BAD_REQUEST, reason = "empty_message")]
    pub struct EmptyMessage {
        /// What would make it a message.
        hint: String,
    } => "nothing to send: {hint}";

    /// The path names no conversation, or not one that can be (a control character in it).
    #[refusal(status = BAD_REQUEST, reason = "bad_conversation")]
    pub struct BadConversation {
        /// What is wrong with it.
        detail: String,
    } => "{detail}";
}

// What became of it ---------------------------------------------------------------------------

define_refusal! {
    /// The message was neither sent nor stored, and will not be posted.
    #[refusal(status = SERVICE_UNAVAILABLE, reason = "not_delivered")]
    pub struct NotDelivered {
        /// Why.
        detail: String,
    } => "{detail}";

    /// Something on the server's side failed (the check-in receiver's database); the log says
    /// what.
    #[refusal(status = INTERNAL_SERVER_ERROR, reason = "internal_error")]
    pub struct InternalError => "the request could not be completed; the server's log says why";
}

// A local plugin's routes ---------------------------------------------------------------------

define_refusal! {
    /// The plugin answered the request with an error of its own.
    #[refusal(status = INTERNAL_SERVER_ERROR, reason = "plugin_error")]
    pub struct PluginError {
        /// The plugin's error.
        detail: String,
    } => "{detail}";

    /// The plugin's answer is not an HTTP response.
    #[refusal(status = BAD_GATEWAY, reason = "bad_plugin_answer")]
    pub struct BadPluginAnswer {
        /// What is wrong with it.
        detail: String,
    } => "{detail}";

    /// A native plugin panicked or hung and takes no more calls.
    #[refusal(status = SERVICE_UNAVAILABLE, reason = "plugin_faulted")]
    pub struct PluginFaulted {
        /// What happened.
        detail: String,
    } => "{detail}";

    /// An exec plugin is restarting or did not answer in time.
    #[refusal(status = SERVICE_UNAVAILABLE, reason = "plugin_unavailable")]
    pub struct PluginUnavailable {
        /// What happened.
        detail: String,
    } => "{detail}";
}
