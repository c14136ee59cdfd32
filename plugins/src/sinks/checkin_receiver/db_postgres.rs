//! The receiver's PostgreSQL table, shared by any number of receivers. A batch is one
//! multi-row upsert in one transaction; rows are sorted by `packet_hash` so that receivers
//! writing overlapping batches take row locks in the same order, and a deadlock or
//! serialization failure is retried.

use std::collections::BTreeMap;
use std::sync::Arc;

use deadpool_postgres::Pool;
use tokio::sync::{mpsc, Mutex};
use tokio_postgres::error::SqlState;

use super::db::{answer, take_batch, updated_at_now, Pending, ReceiverDbError};
use super::validate::CheckinRecord;

/// Transactions in flight at once; each writer gathers its own batch.
const WRITERS: usize = 4;
const RETRIES: usize = 5;
/// Serialises `CREATE TABLE IF NOT EXISTS` between receivers starting together.
const SCHEMA_LOCK: i64 = 0x5357_4254_4348_0002;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS checkins (
    packet_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    message TEXT NOT NULL,
    channel TEXT NOT NULL,
    \"timestamp\" TEXT NOT NULL,
    source_bot TEXT,
    updated_at TEXT NOT NULL
)";

const UPSERT: &str = "INSERT INTO checkins
    (packet_hash, username, message, channel, \"timestamp\", source_bot, updated_at)
    SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
    ON CONFLICT (packet_hash) DO UPDATE SET
        username = excluded.username, message = excluded.message,
        channel = excluded.channel, \"timestamp\" = excluded.\"timestamp\",
        source_bot = excluded.source_bot, updated_at = excluded.updated_at";

pub(super) async fn start(
    url: &str,
    requests: mpsc::Receiver<Pending>,
) -> Result<(), ReceiverDbError> {
    let (pool, target) = switchboard_api::store::postgres::connect_pool(url, WRITERS)
        .await
        .map_err(|e| ReceiverDbError::Open {
            target: super::db::DbTarget::Postgres(url.into()).describe(),
            message: e.to_string(),
        })?;
    create_table(&pool)
        .await
        .map_err(|message| ReceiverDbError::Open {
            target: target.clone(),
            message,
        })?;
    let requests = Arc::new(Mutex::new(requests));
    for _ in 0..WRITERS {
        tokio::spawn(write_loop(pool.clone(), requests.clone()));
    }
    Ok(())
}

async fn create_table(pool: &Pool) -> Result<(), String> {
    let mut client = pool.get().await.map_err(|e| e.to_string())?;
    let pg = |e: tokio_postgres::Error| switchboard_api::store::postgres::pg_error(&e);
    let tx = client.transaction().await.map_err(pg)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SCHEMA_LOCK])
        .await
        .map_err(pg)?;
    tx.batch_execute(SCHEMA).await.map_err(pg)?;
    tx.commit().await.map_err(pg)
}

async fn write_loop(pool: Pool, requests: Arc<Mutex<mpsc::Receiver<Pending>>>) {
    loop {
        let batch = {
            let mut requests = requests.lock().await;
            let Some(first) = requests.recv().await else {
                return;
            };
            take_batch(first, &mut requests)
        };
        let outcome = write_with_retries(&pool, &batch).await;
        answer(batch, outcome);
    }
}

async fn write_with_retries(pool: &Pool, batch: &[Pending]) -> Result<(), String> {
    let rows = last_write_per_hash(batch);
    let mut attempt = 0;
    loop {
        match write_batch(pool, &rows).await {
            Ok(()) => return Ok(()),
            Err(WriteError::Retry(_)) if attempt < RETRIES => attempt += 1,
            Err(WriteError::Retry(e) | WriteError::Fatal(e)) => return Err(e),
        }
    }
}

/// One row per hash, the last one sent winning (a single upsert may not touch a row twice),
/// in hash order.
fn last_write_per_hash(batch: &[Pending]) -> Vec<&CheckinRecord> {
    let mut rows = BTreeMap::new();
    for pending in batch {
        rows.insert(pending.record.packet_hash.as_str(), &pending.record);
    }
    rows.into_values().collect()
}

enum WriteError {
    Retry(String),
    Fatal(String),
}

async fn write_batch(pool: &Pool, rows: &[&CheckinRecord]) -> Result<(), WriteError> {
    let client = pool
        .get()
        .await
        .map_err(|e| WriteError::Fatal(e.to_string()))?;
    let column =
        |f: fn(&CheckinRecord) -> &str| -> Vec<&str> { rows.iter().map(|r| f(r)).collect() };
    let now = updated_at_now();
    let updated: Vec<&str> = vec![now.as_str(); rows.len()];
    let statement = client.prepare_cached(UPSERT).await.map_err(classify)?;
    client
        .execute(
            &statement,
            &[
                &column(|r| &r.packet_hash),
                &column(|r| &r.username),
                &column(|r| &r.message),
                &column(|r| &r.channel),
                &column(|r| &r.timestamp),
                &column(|r| &r.source_bot),
                &updated,
            ],
        )
        .await
        .map_err(classify)?;
    Ok(())
}

fn classify(e: tokio_postgres::Error) -> WriteError {
    let message = switchboard_api::store::postgres::pg_error(&e);
    match e.code() {
        Some(code)
            if *code == SqlState::T_R_DEADLOCK_DETECTED
                || *code == SqlState::T_R_SERIALIZATION_FAILURE =>
        {
            WriteError::Retry(message)
        }
        _ => WriteError::Fatal(message),
    }
}
