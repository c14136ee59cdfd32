//! `CheckinStore`: every accepted check-in, written to the bot's store the moment it is
//! heard, with its delivery state. Nothing is deleted; a delivered check-in is marked so.

use std::sync::Arc;

use switchboard_api::{ScopedStore, Store, StoreError};

use super::parse::Checkin;

/// The store scope check-ins live in (shared by the service, `!checkins` and the CLI).
pub const SCOPE: &str = "checkin";

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Not yet accepted by the API (or no API is configured).
    Pending,
    Delivered,
    /// Refused by the API with a 4xx other than 429; not retried.
    Failed,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Delivered => "delivered",
            Status::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredCheckin {
    #[serde(flatten)]
    pub checkin: Checkin,
    pub status: Status,
    /// POSTs made so far.
    #[serde(default)]
    pub attempts: u32,
    /// The last failure: an HTTP status or a network error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
}

#[derive(Clone)]
pub struct CheckinStore {
    scope: ScopedStore,
}

impl CheckinStore {
    pub fn new(store: Arc<dyn Store>) -> CheckinStore {
        CheckinStore {
            scope: ScopedStore::new(store, SCOPE),
        }
    }

    /// Stores a check-in heard for the first time; `false` when its packet hash is known.
    pub async fn record(&self, checkin: &Checkin) -> Result<bool, StoreError> {
        if self.scope.get(&checkin.packet_hash).await?.is_some() {
            return Ok(false);
        }
        self.save(&StoredCheckin {
            checkin: checkin.clone(),
            status: Status::Pending,
            attempts: 0,
            last_error: None,
            http_status: None,
        })
        .await?;
        Ok(true)
    }

    pub async fn save(&self, stored: &StoredCheckin) -> Result<(), StoreError> {
        let json = serde_json::to_string(stored)
            .map_err(|e| StoreError::backend("encoding a check-in", e))?;
        self.scope.put(&stored.checkin.packet_hash, &json).await
    }

    /// Every check-in, oldest first. A row that does not decode is reported and skipped.
    pub async fn all(&self) -> Result<Vec<StoredCheckin>, StoreError> {
        let mut rows: Vec<StoredCheckin> = Vec::new();
        for (key, value) in self.scope.list().await? {
            match serde_json::from_str(&value) {
                Ok(row) => rows.push(row),
                Err(e) => {
                    tracing::warn!(packet_hash = %key, error = %e, "an unreadable check-in row was skipped")
                }
            }
        }
        rows.sort_by(|a, b| {
            (a.checkin.day.as_str(), a.checkin.timestamp.as_str())
                .cmp(&(b.checkin.day.as_str(), b.checkin.timestamp.as_str()))
        });
        Ok(rows)
    }

    pub async fn with_status(&self, status: Status) -> Result<Vec<StoredCheckin>, StoreError> {
        let mut rows = self.all().await?;
        rows.retain(|r| r.status == status);
        Ok(rows)
    }
}
