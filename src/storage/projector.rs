//! The projector: folds into the views the events their writer left (a command folds its
//! own as it appends them): events written by hand, or left by an older release. It also
//! rebuilds every view from the log, for `clara replay`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clara_projections::ViewSet;
use tokio::sync::Mutex;

use super::conn::{Conn, LogRecord, Reading};
use super::cursor::{self, Cursor};
pub use super::fold::FoldReport;
use super::fold::{self, fold_left, BATCH, CHECKPOINT};
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

impl Projector {
    pub fn new(db: Db, keyring: Keyring) -> Self {
        Self {
            db,
            keyring,
            lock: Mutex::new(()),
            runs_started: AtomicU64::new(0),
        }
    }

    /// Folds every event left to fold that committed before this call into the views.
    /// Callers that arrive while a run is in progress wait for the next one; a run that
    /// started after a caller arrived covers that caller too, so concurrent callers share
    /// runs instead of queueing one each.
    pub async fn catch_up(&self) -> anyhow::Result<FoldReport> {
        cursor::settle(&self.db).await?;
        // A read-only look first: most calls find nothing.
        if !checkpoints::left_to_fold(&self.db).await? {
            return Ok(FoldReport {
                cursor: self.position().await?,
                ..FoldReport::default()
            });
        }
        let arrived_after = self.runs_started.load(Ordering::SeqCst);
        let _guard = self.lock.lock().await;
        if self.runs_started.load(Ordering::SeqCst) > arrived_after {
            return Ok(FoldReport::default());
        }
        self.runs_started.fetch_add(1, Ordering::SeqCst);
        let mut total = FoldReport::default();
        loop {
            // The checkpoint row lock serialises this with other processes' projectors:
            // each batch is folded once.
            let folded = with_pool!(&self.db.writer(), pool => {
                let mut tx = pool.begin().await?;
                let folded = fold_left(&mut *tx, &self.keyring, BATCH).await?;
                tx.commit().await?;
                folded
            });
            total.events += folded.events;
            total.views_written += folded.views_written;
            total.cursor = folded.cursor;
            if (folded.events as i64) < BATCH {
                // A short batch was the end of what was left when it was read.
                return Ok(total);
            }
        }
    }

    /// Folds the whole log into fresh views and swaps them in with one transaction: readers
    /// see the old views until the new ones are complete. Appends wait meanwhile (each folds
    /// its own events into the views, which this replaces). `progress` gets the events done.
    pub async fn rebuild(&self, progress: &(dyn Fn(u64) + Sync)) -> anyhow::Result<FoldReport> {
        let _guard = self.lock.lock().await;
        self.runs_started.fetch_add(1, Ordering::SeqCst);
        with_pool!(&self.db.writer(), pool => {
            let mut tx = pool.begin_with(self.db.begin_writing()).await?;
            tx.exclude_appends().await?;
            // Read through the other connections: on SQLite this one is the only writer.
            let (set, mut report) = fold_log(&self.db, &self.keyring, None, progress).await?;
            tx.reset(CHECKPOINT, report.cursor, &ViewSet::TABLES).await?;
            fold::write(&mut *tx, &set).await?;
            tx.commit().await?;
            report.views_written = set.len() as u64;
            Ok(report)
        })
    }

    /// Keeps the views caught up with events left to fold, until `shutdown` fires.
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

    /// Where the views' checkpoint stands.
    pub async fn position(&self) -> Result<Cursor, sqlx::Error> {
        checkpoints::position(&self.db, CHECKPOINT).await
    }
}

/// Folds the log from its start into fresh views held in memory. With `upto`, only what the
/// live views hold: the events their writers folded, and the others up to the checkpoint
/// `upto`.
pub(crate) async fn fold_log(
    db: &Db,
    keyring: &Keyring,
    upto: Option<Cursor>,
    progress: &(dyn Fn(u64) + Sync),
) -> anyhow::Result<(ViewSet, FoldReport)> {
    let mut set = ViewSet::default();
    let mut report = FoldReport::default();
    let mut opener = Opener::new(keyring);
    let held =
        |record: &LogRecord| upto.is_none_or(|upto| record.folded || record.cursor() <= upto);
    loop {
        let mut records = read_after(db, &mut opener, report.cursor, BATCH, Reading::All).await?;
        let Some(last) = records.last().map(LogRecord::cursor) else {
            return Ok((set, report));
        };
        records.retain(held);
        for (at, event) in &fold::decode_all(&records)? {
            set.apply(at, event);
        }
        report.events += records.len() as u64;
        report.cursor = last;
        progress(report.events);
    }
}
