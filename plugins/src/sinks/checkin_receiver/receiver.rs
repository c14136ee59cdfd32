//! What the receiver's routes do with a request that passed the intake: the health check, and
//! a check-in's bearer check, validation and storage.

use switchboard_api::http::signing::Secret;
use switchboard_api::http::{Answer, HandlerResult, SinkRequest};
use warp::http::StatusCode;

use super::db::{DbTarget, ReceiverDb, ReceiverDbError};
use super::validate::{parse_checkin, CheckinRecord};
use super::wire;

type AcceptHook = Box<dyn Fn(&CheckinRecord) + Send + Sync>;

/// What the routes need: the secret and the database (opened now or on first use).
pub struct Receiver {
    secret: Secret,
    db: tokio::sync::OnceCell<ReceiverDb>,
    target: DbTarget,
    on_accept: Option<AcceptHook>,
}

impl Receiver {
    /// A receiver writing to `db`, already open.
    pub fn new(secret: Secret, db: ReceiverDb, target: DbTarget) -> Receiver {
        Receiver {
            secret,
            db: tokio::sync::OnceCell::new_with(Some(db)),
            target,
            on_accept: None,
        }
    }

    /// Opens the database on the first check-in (and again after a failed attempt).
    pub fn lazy(secret: Secret, target: DbTarget) -> Receiver {
        Receiver {
            secret,
            db: tokio::sync::OnceCell::new(),
            target,
            on_accept: None,
        }
    }

    /// Called with every check-in once it is stored.
    pub fn on_accept(mut self, hook: impl Fn(&CheckinRecord) + Send + Sync + 'static) -> Self {
        self.on_accept = Some(Box::new(hook));
        self
    }

    async fn db(&self) -> Result<&ReceiverDb, ReceiverDbError> {
        self.db
            .get_or_try_init(|| ReceiverDb::open(&self.target))
            .await
    }

    /// `GET /` or `GET /checkins`: the health check, without auth.
    pub(super) fn health(&self) -> HandlerResult {
        Ok(Answer::Answered(wire::json(
            StatusCode::OK,
            r#"{"status":"ok"}"#,
        )))
    }

    /// The bearer secret clients send (checked by the intake, from the request's head).
    pub(super) fn secret(&self) -> &Secret {
        &self.secret
    }

    /// `POST /` or `POST /checkins`, its bearer token checked by the intake: the body, then
    /// the upsert; `201 {}` once the row is durable.
    pub(super) async fn post(&self, request: SinkRequest) -> HandlerResult {
        let record = parse_checkin(&request.body).map_err(wire::bad_body)?;
        let db = self.db().await.map_err(|e| {
            tracing::error!(error = %e, "the check-in database is unavailable");
            wire::internal_error()
        })?;
        // Kept only where it is needed after the record has gone to the writer.
        let for_hook = self.on_accept.as_ref().map(|hook| (hook, record.clone()));
        let packet_hash = record.packet_hash.clone();
        db.upsert(record).await.map_err(|e| {
            tracing::error!(error = %e, %packet_hash, "check-in not stored");
            wire::internal_error()
        })?;
        if let Some((hook, record)) = for_hook {
            hook(&record);
        }
        Ok(Answer::Accepted(wire::json(StatusCode::CREATED, "{}")))
    }
}
