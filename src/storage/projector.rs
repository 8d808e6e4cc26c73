//! The projector: folds the event log into the views, in position order, and records how far
//! it got in the same transaction as the view rows — so a view is never ahead of or silently
//! behind its checkpoint, and whatever the in-request update missed (a crash, a cancelled
//! request) is caught up by the next run.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clara_projections::{LoggedEvent, Recorded, ViewSet};
use tokio::sync::Mutex;

use super::log::{LogRecord, SELECT_AFTER};
use super::views::{self, UPSERT_USER, VIEW_TABLES};
use super::Db;
use crate::{log_record_from_row, with_pool};

const CHECKPOINT: &str = "views";
/// Events read per query.
const BATCH: i64 = 500;
/// Events folded per transaction while catching up, so one run never holds the lock for long.
const EVENTS_PER_TRANSACTION: u64 = 5_000;

pub struct Projector {
    db: Db,
    lock: Mutex<()>,
    runs_started: AtomicU64,
}

/// What one fold did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FoldReport {
    pub events: u64,
    pub views_written: u64,
    pub position: i64,
}

impl Projector {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            lock: Mutex::new(()),
            runs_started: AtomicU64::new(0),
        }
    }

    /// Folds every event committed before this call into the views. Callers that arrive while
    /// a run is in progress wait for the next one; a run that started after a caller arrived
    /// covers that caller too, so concurrent requests share runs instead of queueing one each.
    pub async fn catch_up(&self) -> anyhow::Result<FoldReport> {
        let arrived_after = self.runs_started.load(Ordering::SeqCst);
        let _guard = self.lock.lock().await;
        if self.runs_started.load(Ordering::SeqCst) > arrived_after {
            return Ok(FoldReport::default());
        }
        self.runs_started.fetch_add(1, Ordering::SeqCst);
        let mut total = FoldReport::default();
        loop {
            let report = self.fold(false, &|_| {}).await?;
            total.events += report.events;
            total.views_written += report.views_written;
            total.position = report.position;
            if report.events < EVENTS_PER_TRANSACTION {
                return Ok(total);
            }
        }
    }

    /// Empties every view and folds the whole log into them again, in one transaction: readers
    /// see the old views until the new ones are complete. `progress` gets the events done.
    pub async fn rebuild(&self, progress: &(dyn Fn(u64) + Sync)) -> anyhow::Result<FoldReport> {
        let _guard = self.lock.lock().await;
        self.runs_started.fetch_add(1, Ordering::SeqCst);
        self.fold(true, progress).await
    }

    /// Keeps the views caught up with events other processes commit, until `shutdown` fires.
    pub async fn run(&self, interval: Duration, shutdown: tokio::sync::watch::Receiver<bool>) {
        let mut shutdown = shutdown;
        loop {
            if let Err(error) = self.catch_up().await {
                tracing::error!(error = %error, "projector run failed; will retry");
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    /// The log position the views reflect.
    pub async fn position(&self) -> Result<i64, sqlx::Error> {
        let sql = self
            .db
            .sql("SELECT position FROM projector_checkpoints WHERE name = ?");
        with_pool!(&self.db, pool => sqlx::query_scalar(&sql).bind(CHECKPOINT).fetch_one(pool).await)
    }

    async fn fold(
        &self,
        reset: bool,
        progress: &(dyn Fn(u64) + Sync),
    ) -> anyhow::Result<FoldReport> {
        let db = &self.db;
        let lock_checkpoint =
            db.sql("UPDATE projector_checkpoints SET position = position WHERE name = ?");
        let read_checkpoint = db.sql("SELECT position FROM projector_checkpoints WHERE name = ?");
        let write_checkpoint =
            db.sql("UPDATE projector_checkpoints SET position = ? WHERE name = ?");
        let select_after = db.sql(SELECT_AFTER);
        let select_user = db.sql(views::SELECT_USER);
        let upsert_user = db.sql(UPSERT_USER);
        let mut report = FoldReport::default();
        with_pool!(db, pool => {
            let mut tx = pool.begin().await?;
            // Taking the row lock first serialises projectors across processes (and takes
            // SQLite's write lock before any read, so the transaction never has to upgrade).
            sqlx::query(&lock_checkpoint).bind(CHECKPOINT).execute(&mut *tx).await?;
            if reset {
                for table in VIEW_TABLES {
                    sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
                }
            } else {
                report.position = sqlx::query_scalar(&read_checkpoint)
                    .bind(CHECKPOINT).fetch_one(&mut *tx).await?;
            }
            loop {
                let rows = sqlx::query(&select_after)
                    .bind(report.position).bind(BATCH).fetch_all(&mut *tx).await?;
                if rows.is_empty() {
                    break;
                }
                let records = rows.iter().map(|row| log_record_from_row!(row))
                    .collect::<Result<Vec<LogRecord>, _>>()?;
                let decoded = decode_all(&records)?;
                let mut set = ViewSet::default();
                for (at, event) in &decoded {
                    if let Some(id) = ViewSet::user_touched_by(at, event) {
                        if set.users.contains_key(&id) {
                            continue;
                        }
                        let stored: Option<String> = sqlx::query_scalar(&select_user)
                            .bind(&id).fetch_optional(&mut *tx).await?;
                        set.users.insert(id, stored.as_deref().map(views::decode).transpose()?.unwrap_or_default());
                    }
                }
                for (at, event) in &decoded {
                    set.apply(at, event);
                }
                for (id, view) in &set.users {
                    sqlx::query(&upsert_user)
                        .bind(id).bind(&view.email).bind(view.created_at_ms).bind(view.position)
                        .bind(serde_json::to_string(view)?)
                        .execute(&mut *tx).await?;
                }
                report.views_written += set.users.len() as u64;
                report.events += records.len() as u64;
                report.position = records.last().map_or(report.position, |r| r.position);
                progress(report.events);
                if !reset && report.events >= EVENTS_PER_TRANSACTION {
                    break;
                }
            }
            sqlx::query(&write_checkpoint).bind(report.position).bind(CHECKPOINT)
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(report)
    }
}

/// Decodes a batch of log records; an event no code can read stops the projector rather than
/// being skipped, since skipping it would leave every view after it silently wrong.
fn decode_all(records: &[LogRecord]) -> anyhow::Result<Vec<(Recorded, LoggedEvent)>> {
    let mut out = Vec::with_capacity(records.len());
    for record in records {
        let event =
            LoggedEvent::decode(&record.aggregate_type, record.payload.clone()).map_err(|e| {
                anyhow::anyhow!(
                    "event at position {} ({} {}) cannot be decoded: {e}",
                    record.position,
                    record.aggregate_type,
                    record.event_type
                )
            })?;
        if let Some(event) = event {
            let at = Recorded {
                position: record.position,
                aggregate_id: record.aggregate_id.clone(),
                recorded_at_ms: record.recorded_at_ms,
            };
            out.push((at, event));
        }
    }
    Ok(out)
}
