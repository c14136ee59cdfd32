//! Submitting pending check-ins to the API: one POST per check-in with a bearer key.
//! 2xx → delivered; 429, 5xx or a network error → one retry after a pause, then left pending
//! for the next flush; any other 4xx → failed, with its status.

use std::time::Duration;

use reqwest::StatusCode;

use super::config::ApiSettings;
use super::store::{CheckinStore, Status, StoredCheckin};
use switchboard_api::StoreError;

#[derive(Debug, Clone, Copy)]
pub struct FlushPolicy {
    pub timeout: Duration,
    pub retry_after: Duration,
}

impl Default for FlushPolicy {
    fn default() -> Self {
        FlushPolicy {
            timeout: Duration::from_secs(10),
            retry_after: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FlushReport {
    pub delivered: usize,
    pub failed: usize,
    /// Still pending after the retry; tried again at the next flush.
    pub pending: usize,
}

impl std::fmt::Display for FlushReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} delivered, {} failed, {} still pending",
            self.delivered, self.failed, self.pending
        )?;
        if self.failed > 0 {
            // A refusal is not retried by itself: it needs the operator (a wrong key, say).
            f.write_str(" (fix the cause, then `switchboard checkin retry --failed`)")?;
        }
        Ok(())
    }
}

enum Attempt {
    Delivered,
    Retry(String),
    Rejected(StatusCode),
}

/// Submits every pending check-in. Each outcome is saved as soon as it is known.
pub async fn flush(
    store: &CheckinStore,
    client: &reqwest::Client,
    api: &ApiSettings,
    policy: FlushPolicy,
) -> Result<FlushReport, StoreError> {
    let rows = store.with_status(Status::Pending).await?;
    submit(store, client, api, policy, rows).await
}

/// Submits the check-ins the API refused once more (back to pending first, so a crash meanwhile
/// leaves them to the next flush), with the pending ones unless `only_failed`.
pub async fn retry_failed(
    store: &CheckinStore,
    client: &reqwest::Client,
    api: &ApiSettings,
    policy: FlushPolicy,
    only_failed: bool,
) -> Result<FlushReport, StoreError> {
    let mut rows = Vec::new();
    for mut row in store.with_status(Status::Failed).await? {
        row.status = Status::Pending;
        row.http_status = None;
        store.save(&row).await?;
        rows.push(row);
    }
    if !only_failed {
        let mut pending = store.with_status(Status::Pending).await?;
        pending.retain(|p| {
            !rows
                .iter()
                .any(|r| r.checkin.packet_hash == p.checkin.packet_hash)
        });
        rows.extend(pending);
    }
    submit(store, client, api, policy, rows).await
}

/// One attempt at each of `rows`, and one retry after a pause for those that may be retried.
async fn submit(
    store: &CheckinStore,
    client: &reqwest::Client,
    api: &ApiSettings,
    policy: FlushPolicy,
    rows: Vec<StoredCheckin>,
) -> Result<FlushReport, StoreError> {
    let mut report = FlushReport::default();
    let mut retry = Vec::new();
    for row in rows {
        if let Some(row) = settle(store, client, api, policy, row, &mut report).await? {
            retry.push(row);
        }
    }
    if !retry.is_empty() {
        tokio::time::sleep(policy.retry_after).await;
    }
    for row in retry {
        if settle(store, client, api, policy, row, &mut report)
            .await?
            .is_some()
        {
            report.pending += 1;
        }
    }
    Ok(report)
}

/// Makes one attempt, saves and counts its outcome; returns the row when it may be retried.
async fn settle(
    store: &CheckinStore,
    client: &reqwest::Client,
    api: &ApiSettings,
    policy: FlushPolicy,
    mut row: StoredCheckin,
    report: &mut FlushReport,
) -> Result<Option<StoredCheckin>, StoreError> {
    row.attempts += 1;
    let again = match attempt(client, api, policy, &row).await {
        Attempt::Delivered => {
            row.status = Status::Delivered;
            row.last_error = None;
            row.http_status = None;
            report.delivered += 1;
            false
        }
        Attempt::Rejected(status) => {
            row.status = Status::Failed;
            row.http_status = Some(status.as_u16());
            row.last_error = Some(format!("refused with {status}"));
            report.failed += 1;
            tracing::warn!(packet_hash = %row.checkin.packet_hash, %status, "the check-in API refused a check-in; it is marked failed");
            false
        }
        Attempt::Retry(why) => {
            tracing::warn!(packet_hash = %row.checkin.packet_hash, error = %why, "check-in not delivered");
            row.last_error = Some(why);
            true
        }
    };
    store.save(&row).await?;
    Ok(again.then_some(row))
}

async fn attempt(
    client: &reqwest::Client,
    api: &ApiSettings,
    policy: FlushPolicy,
    row: &StoredCheckin,
) -> Attempt {
    let c = &row.checkin;
    let body = serde_json::json!({
        "packet_hash": c.packet_hash,
        "username": c.username,
        "message": c.message,
        "channel": c.channel,
        "timestamp": c.timestamp,
        "source_bot": c.source_bot,
    });
    let sent = client
        .post(api.url.clone())
        .bearer_auth(&api.key.0)
        .json(&body)
        .timeout(policy.timeout)
        .send()
        .await;
    match sent {
        Err(e) => Attempt::Retry(format!("request failed: {}", e.without_url())),
        Ok(response) => {
            let status = response.status();
            if status.is_success() {
                Attempt::Delivered
            } else if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                Attempt::Retry(format!("answered {status}"))
            } else {
                Attempt::Rejected(status)
            }
        }
    }
}
