//! JSON answers: every refusal is `{"status": N, "reason": "...", "message": "..."}` (see
//! [`Refusal`](super::Refusal)), and anything no sink answers (unknown path, wrong method) gets
//! the same shape.

use std::convert::Infallible;

use warp::http::StatusCode;
use warp::reply::Response;
use warp::Reply;

use super::refusal::catalogue::{BadRequest, MethodNotAllowed, NotFound};
use super::refusal::Refusal;

/// A JSON body `{"status", "reason", "message"}` with that status.
pub(crate) fn json_error(status: StatusCode, reason: &str, message: &str) -> Response {
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

/// What a listener answers when no sink takes the request: [`NotFound`], [`MethodNotAllowed`]
/// or [`BadRequest`].
pub async fn unmatched(rejection: warp::Rejection) -> Result<Response, Infallible> {
    let refusal: Refusal = if rejection.is_not_found() {
        NotFound.into()
    } else if rejection.find::<MethodNotAllowed>().is_some()
        || rejection.find::<warp::reject::MethodNotAllowed>().is_some()
    {
        MethodNotAllowed.into()
    } else {
        BadRequest.into()
    };
    Ok(refusal.into_response())
}
