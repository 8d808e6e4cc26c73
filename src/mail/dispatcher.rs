//! The mail dispatcher: reads the event log from its own checkpoint and sends the code of
//! every `OtpIssued` event. Each delivery is claimed in `mail_deliveries` before it is sent
//! and marked sent after, so a crash after the event commits still delivers the mail on
//! restart, and a delivery that completed is never repeated. The checkpoint never passes an
//! event whose mail has not been sent.

use std::sync::Arc;
use std::time::Duration;

use clara_aggregates::{User, UserEvent};
use cqrs_es::Aggregate;
use tokio::sync::{Mutex, Notify};

use super::{otp_mail, Transport};
use crate::auth::otp::OtpCodes;
use crate::clock::Clock;
use crate::storage::log::{read_after, LogRecord};
use crate::storage::Db;
use crate::with_pool;

const CHECKPOINT: &str = "mailer";
/// A claim older than this whose mail was never marked sent is taken to have crashed.
const STALE_CLAIM_MS: i64 = 60_000;

pub struct Mailer {
    db: Db,
    transport: Transport,
    from: String,
    codes: Arc<OtpCodes>,
    clock: Clock,
    wake: Notify,
    lock: Mutex<()>,
}

impl Mailer {
    pub fn new(
        db: Db,
        transport: Transport,
        from: String,
        codes: Arc<OtpCodes>,
        clock: Clock,
    ) -> Self {
        Self {
            db,
            transport,
            from,
            codes,
            clock,
            wake: Notify::new(),
            lock: Mutex::new(()),
        }
    }

    /// Asks the running dispatcher to look at the log now rather than at its next tick.
    pub fn nudge(&self) {
        self.wake.notify_one();
    }

    /// Delivers pending mail whenever nudged, and at least every `interval`, until shutdown.
    pub async fn run(&self, interval: Duration, mut shutdown: tokio::sync::watch::Receiver<bool>) {
        loop {
            if let Err(error) = self.deliver_pending().await {
                tracing::warn!(error = %format!("{error:#}"), "mail delivery failed; will retry");
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    /// Sends every mail the log asks for past the checkpoint; returns how many were sent.
    pub async fn deliver_pending(&self) -> anyhow::Result<usize> {
        let _guard = self.lock.lock().await;
        let mut sent = 0;
        loop {
            let checkpoint = self.checkpoint().await?;
            let records = read_after(&self.db, checkpoint, 100).await?;
            if records.is_empty() {
                return Ok(sent);
            }
            for record in &records {
                if let Some(message) = self.message_for(record)? {
                    match self.deliver(record, message).await? {
                        Delivery::Sent => sent += 1,
                        Delivery::AlreadySent => {}
                        Delivery::Pending => return Ok(sent),
                    }
                }
                self.advance(record.position).await?;
            }
        }
    }

    /// The mail an event asks for: the code of a live `OtpIssued`, nothing otherwise.
    fn message_for(&self, record: &LogRecord) -> anyhow::Result<Option<lettre::Message>> {
        if record.aggregate_type != User::TYPE || record.event_type != "OtpIssued" {
            return Ok(None);
        }
        let UserEvent::OtpIssued {
            otp_id,
            otp_type,
            expires_at_ms,
            sent_to,
            ..
        } = serde_json::from_value(record.payload.clone())?
        else {
            return Ok(None);
        };
        let minutes_left = (expires_at_ms - self.clock.now_ms()) / 60_000;
        if minutes_left < 1 {
            // Sending a code that has already expired would only confuse its reader.
            return Ok(None);
        }
        let code = self.codes.code(&otp_id);
        otp_mail(&sent_to, otp_type, &code, minutes_left)
            .build(&self.from)
            .map(Some)
    }

    async fn deliver(
        &self,
        record: &LogRecord,
        message: lettre::Message,
    ) -> anyhow::Result<Delivery> {
        let now = self.clock.now_ms();
        let db = self.db.writer();
        let claim = db.sql("INSERT INTO mail_deliveries (position, status, attempted_at) VALUES (?, 'sending', ?) ON CONFLICT (position) DO NOTHING");
        let reclaim = db.sql("UPDATE mail_deliveries SET attempted_at = ? WHERE position = ? AND status = 'sending' AND attempted_at < ?");
        let status = db.sql("SELECT status FROM mail_deliveries WHERE position = ?");
        let claimed = with_pool!(&db, pool => {
            let fresh = sqlx::query(&claim).bind(record.position).bind(now).execute(pool).await?.rows_affected() == 1;
            fresh || sqlx::query(&reclaim).bind(now).bind(record.position).bind(now - STALE_CLAIM_MS)
                .execute(pool).await?.rows_affected() == 1
        });
        if !claimed {
            let current: String = with_pool!(&db, pool => sqlx::query_scalar(&status).bind(record.position).fetch_one(pool).await?);
            return Ok(if current == "sent" {
                Delivery::AlreadySent
            } else {
                Delivery::Pending
            });
        }
        let name = format!("{:012}-{}", record.position, record.aggregate_id);
        match self.transport.send(message, &name).await {
            Ok(()) => {
                let done = db.sql("UPDATE mail_deliveries SET status = 'sent' WHERE position = ?");
                with_pool!(&db, pool => sqlx::query(&done).bind(record.position).execute(pool).await?.rows_affected());
                tracing::info!(position = record.position, user_id = %record.aggregate_id, "one-time code mailed");
                Ok(Delivery::Sent)
            }
            Err(error) => {
                let release =
                    db.sql("DELETE FROM mail_deliveries WHERE position = ? AND status = 'sending'");
                with_pool!(&db, pool => sqlx::query(&release).bind(record.position).execute(pool).await?.rows_affected());
                Err(error)
            }
        }
    }

    async fn checkpoint(&self) -> Result<i64, sqlx::Error> {
        let sql = self
            .db
            .sql("SELECT position FROM projector_checkpoints WHERE name = ?");
        with_pool!(&self.db, pool => sqlx::query_scalar(&sql).bind(CHECKPOINT).fetch_one(pool).await)
    }

    async fn advance(&self, position: i64) -> Result<(), sqlx::Error> {
        let db = self.db.writer();
        let sql =
            db.sql("UPDATE projector_checkpoints SET position = ? WHERE name = ? AND position < ?");
        with_pool!(&db, pool => sqlx::query(&sql).bind(position).bind(CHECKPOINT).bind(position).execute(pool).await?.rows_affected());
        Ok(())
    }
}

enum Delivery {
    Sent,
    AlreadySent,
    /// Another dispatcher is sending it: leave it and the checkpoint where they are.
    Pending,
}
