//! The projector: folds the event log into the views, in position order, and records how far
//! it got in the same transaction as the view rows — so a view is never ahead of or silently
//! behind its checkpoint. Commands fold their own events as they append them (see `append`);
//! the projector catches up what they leave: a backlog longer than one batch, events written
//! by an older process or by hand.
//!
//! Events and the views they change are read before the write transaction begins, so the
//! write holds SQLite's single writer only for the writes. The write commits only if the
//! checkpoint is still where the reads started; a projector in another process that got there
//! first makes this one read again rather than fold the same events twice.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clara_projections::ViewSet;
use tokio::sync::Mutex;

use super::conn::Conn;
use super::log::read_after;
use super::settle::Settle;
use super::views::VIEW_TABLES;
use super::Db;
use super::{checkpoints, fold};
use crate::with_pool;

pub(crate) const CHECKPOINT: &str = "views";
/// Events folded per write transaction.
pub const BATCH: i64 = 500;

pub struct Projector {
    db: Db,
    lock: Mutex<()>,
    runs_started: AtomicU64,
}

/// What a run did.
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
        // A read-only look first: most calls find nothing new.
        if !checkpoints::behind(&self.db, CHECKPOINT).await? {
            return Ok(FoldReport::default());
        }
        self.catch_up_after_write().await
    }

    /// [`Projector::catch_up`] for a caller that has just committed events, and so knows the
    /// log is ahead of the views.
    pub async fn catch_up_after_write(&self) -> anyhow::Result<FoldReport> {
        let arrived_after = self.runs_started.load(Ordering::SeqCst);
        let _guard = self.lock.lock().await;
        if self.runs_started.load(Ordering::SeqCst) > arrived_after {
            return Ok(FoldReport::default());
        }
        self.runs_started.fetch_add(1, Ordering::SeqCst);
        let mut total = FoldReport::default();
        loop {
            let (checkpoint, records, set) = with_pool!(&self.db, pool => {
                let mut conn = pool.acquire().await?;
                let checkpoint = conn.checkpoint(CHECKPOINT).await?;
                let records = conn.read_after(checkpoint, BATCH).await?;
                let set = fold::fold(&mut *conn, &fold::decode_all(&records)?).await?;
                (checkpoint, records, set)
            });
            let Some(last) = records.last().map(|r| r.position) else {
                return Ok(total);
            };
            if self.write(&set, Some(checkpoint), last).await? {
                total.events += records.len() as u64;
                total.views_written += set.len() as u64;
                total.position = last;
                if (records.len() as i64) < BATCH {
                    // A short batch was the end of the log when it was read.
                    return Ok(total);
                }
            }
        }
    }

    /// Folds the whole log into fresh views and swaps them in with one transaction: readers
    /// see the old views until the new ones are complete. `progress` gets the events done.
    pub async fn rebuild(&self, progress: &(dyn Fn(u64) + Sync)) -> anyhow::Result<FoldReport> {
        let _guard = self.lock.lock().await;
        self.runs_started.fetch_add(1, Ordering::SeqCst);
        let (set, mut report) = fold_log(&self.db, None, progress).await?;
        self.write(&set, None, report.position).await?;
        report.views_written = set.len() as u64;
        Ok(report)
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
        checkpoints::position(&self.db, CHECKPOINT).await
    }

    /// Writes `set` and moves the checkpoint to `position`, in one transaction. With
    /// `expected`, only if the checkpoint is still there (false when another projector moved
    /// it first); without, every view is replaced by `set`.
    async fn write(
        &self,
        set: &ViewSet,
        expected: Option<i64>,
        position: i64,
    ) -> anyhow::Result<bool> {
        with_pool!(&self.db.writer(), pool => {
            let mut tx = pool.begin().await?;
            // An append settling its own events reads the views in the statement that moves
            // the checkpoint, so it must never find this write half-way; appends take the
            // same lock first.
            tx.exclude_appends().await?;
            // The checkpoint row is written next: its row lock serialises projectors across
            // processes before any view row is touched.
            match expected {
                Some(expected) => {
                    if !tx.advance_checkpoint(CHECKPOINT, expected, position).await? {
                        tx.rollback().await?;
                        return Ok(false);
                    }
                }
                None => tx.reset(CHECKPOINT, position, VIEW_TABLES).await?,
            }
            fold::write(&mut *tx, set).await?;
            tx.commit().await?;
        });
        Ok(true)
    }
}

/// Folds the log from its start (up to position `upto`, when given) into fresh views held
/// in memory.
pub(crate) async fn fold_log(
    db: &Db,
    upto: Option<i64>,
    progress: &(dyn Fn(u64) + Sync),
) -> anyhow::Result<(ViewSet, FoldReport)> {
    let mut set = ViewSet::default();
    let mut report = FoldReport::default();
    loop {
        let mut records = read_after(db, report.position, BATCH).await?;
        records.retain(|r| upto.is_none_or(|upto| r.position <= upto));
        let Some(last) = records.last().map(|r| r.position) else {
            return Ok((set, report));
        };
        for (at, event) in &fold::decode_all(&records)? {
            set.apply(at, event);
        }
        report.events += records.len() as u64;
        report.position = last;
        progress(report.events);
    }
}
