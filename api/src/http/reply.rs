//! JSON answers: every refusal is `{"status": N, "reason": "...", "message": "..."}`, and
//! anything no sink answers (unknown path, wrong method) gets the same shape.

use std::convert::Infallible;

use warp::http::StatusCode;
use warp::reply::Response;
use warp::Reply;

/// A request a sink or the intake refused, with a machine-readable reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    /// A stable word for counters and clients, e.g. `bad_signature`.
    pub reason: &'static str,
    /// A sentence for the human reading the response; never a secret.
    pub message: String,
}

impl Refusal {
    pub fn new(status: StatusCode, reason: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            status,
            reason,
            message: message.into(),
        }
    }

    pub fn bad_request(reason: &'static str, message: impl Into<String>) -> Self {
        Refusal::new(StatusCode::BAD_REQUEST, reason, message)
    }

    pub fn into_response(self) -> Response {
        json_error(self.status, self.reason, &self.message)
    }
}

/// A JSON body `{"status", "reason", "message"}` with that status.
pub fn json_error(status: StatusCode, reason: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "status": status.as_u16(),
        "reason": reason,
        "message": message,
    });
    warp::reply::with_status(warp::reply::json(&body), status).into_response()
}

/// A JSON body with status 2xx.
pub fn json_ok(status: StatusCode, body: &serde_json::Value) -> Response {
    warp::reply::with_status(warp::reply::json(body), status).into_response()
}

/// The method a route exists for but the request did not use.
#[derive(Debug)]
pub struct MethodNotAllowed;

impl warp::reject::Reject for MethodNotAllowed {}

/// What a listener answers when no sink takes the request.
pub async fn unmatched(rejection: warp::Rejection) -> Result<Response, Infallible> {
    let (status, reason, message) = if rejection.is_not_found() {
        (
            StatusCode::NOT_FOUND,
            "not_found",
            "no sink answers this path",
        )
    } else if rejection.find::<MethodNotAllowed>().is_some()
        || rejection.find::<warp::reject::MethodNotAllowed>().is_some()
    {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this path takes another method",
        )
    } else {
        (
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the request could not be read",
        )
    };
    Ok(json_error(status, reason, message))
}
