//! The projector: runs the views' fold (see `fold`) until the views reflect the whole log.
//! Commands fold their own events as they append them; the projector catches up what they
//! leave: a backlog longer than one batch, events of other processes, or written by hand.
//! It also rebuilds every view from the log, for `clara replay`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clara_projections::ViewSet;
use tokio::sync::Mutex;

use super::conn::Conn;
use super::fold::{self, fold_pending, BATCH, CHECKPOINT};
use super::log::read_after;
use super::sealing::Opener;
use super::{checkpoints, Db};
use crate::privacy::keys::Keyring;
use crate::with_pool;

pub struct Projector {
    db: Db,
    keyring: Keyring,
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
    pub fn new(db: Db, keyring: Keyring) -> Self {
        Self {
            db,
            keyring,
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
            let position = checkpoints::position(&self.db, CHECKPOINT).await?;
            return Ok(FoldReport {
                position,
                ..FoldReport::default()
            });
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
            // The checkpoint row lock serialises this with commits and other processes'
            // projectors: each batch is folded once.
            let folded = with_pool!(&self.db.writer(), pool => {
                let mut tx = pool.begin().await?;
                let folded = fold_pending(&mut *tx, &self.keyring, &[], BATCH).await?;
                tx.commit().await?;
                folded
            });
            let Some(folded) = folded else {
                return Ok(total);
            };
            total.events += folded.events as u64;
            total.views_written += folded.views.len() as u64;
            total.position = folded.position;
            if (folded.events as i64) < BATCH {
                // A short batch was the end of the log when it was read.
                return Ok(total);
            }
        }
    }

    /// Folds the whole log into fresh views and swaps them in with one transaction: readers
    /// see the old views until the new ones are complete. `progress` gets the events done.
    pub async fn rebuild(&self, progress: &(dyn Fn(u64) + Sync)) -> anyhow::Result<FoldReport> {
        let _guard = self.lock.lock().await;
        self.runs_started.fetch_add(1, Ordering::SeqCst);
        let (set, mut report) = fold_log(&self.db, &self.keyring, None, progress).await?;
        self.replace(&set, report.position).await?;
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

    /// The key ring that opens the personal data of the log it reads.
    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    /// The log position the views reflect.
    pub async fn position(&self) -> Result<i64, sqlx::Error> {
        checkpoints::position(&self.db, CHECKPOINT).await
    }

    /// Replaces every view by `set` and sets the checkpoint to `position`, in one transaction.
    async fn replace(&self, set: &ViewSet, position: i64) -> anyhow::Result<()> {
        with_pool!(&self.db.writer(), pool => {
            let mut tx = pool.begin().await?;
            tx.reset(CHECKPOINT, position, &ViewSet::TABLES).await?;
            fold::write(&mut *tx, set).await?;
            tx.commit().await?;
        });
        Ok(())
    }
}

/// Folds the log from its start (up to position `upto`, when given) into fresh views held
/// in memory.
pub(crate) async fn fold_log(
    db: &Db,
    keyring: &Keyring,
    upto: Option<i64>,
    progress: &(dyn Fn(u64) + Sync),
) -> anyhow::Result<(ViewSet, FoldReport)> {
    let mut set = ViewSet::default();
    let mut report = FoldReport::default();
    let mut opener = Opener::new(keyring);
    loop {
        let mut records = read_after(db, &mut opener, report.position, BATCH).await?;
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
