//! The mail dispatcher: reads the event log from its own checkpoint and sends the code of
//! every `OtpIssued` event. Each mail is claimed in `mail_deliveries` before it is sent and
//! marked after, so a crash after the event commits still delivers the mail, and a mail that
//! was sent is never sent again. A mail that cannot be sent never holds up later mail: a
//! permanent failure is recorded and skipped, a transient one retried with backoff.

use std::sync::Arc;
use std::time::Duration;

use clara_aggregates::{User, UserEvent};
use cqrs_es::Aggregate;
use tokio::sync::{Mutex, Notify};

use super::deliveries::{Deliveries, MAX_ATTEMPTS};
use super::{otp_mail, SendError, Transport};
use crate::auth::otp::OtpCodes;
use crate::clock::Clock;
use crate::privacy::keys::Keyring;
use crate::storage::cursor;
use crate::storage::log::{account_deleted, read_after, read_at, LogRecord, Reading};
use crate::storage::sealing::Opener;
use crate::storage::{checkpoints, Db};

const CHECKPOINT: &str = "mailer";
/// Log events read, and due retries taken, per step of a pass.
const BATCH: i64 = 100;

pub struct Mailer {
    db: Db,
    /// Opens the addresses the log holds sealed.
    keyring: Keyring,
    deliveries: Deliveries,
    transport: Transport,
    from: String,
    codes: Arc<OtpCodes>,
    clock: Clock,
    wake: Notify,
    lock: Mutex<()>,
}

/// What became of one mail in a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Sent,
    /// Not this dispatcher's to send now: sent already, being sent, or not yet due.
    Skipped,
    Retrying,
    Failed,
}

impl Mailer {
    pub fn new(
        db: Db,
        transport: Transport,
        from: String,
        codes: Arc<OtpCodes>,
        clock: Clock,
        claim_timeout: std::time::Duration,
        keyring: Keyring,
    ) -> Self {
        Self {
            deliveries: Deliveries::new(&db, claim_timeout),
            keyring,
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
                tracing::warn!(error = %format!("{error:#}"), "reading the mail to send failed; will retry");
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    /// Sends every mail the log asks for past the checkpoint, then every retry that is due;
    /// returns how many were sent.
    pub async fn deliver_pending(&self) -> anyhow::Result<usize> {
        let _guard = self.lock.lock().await;
        let mut sent = 0;
        let mut opener = Opener::new(&self.keyring);
        cursor::settle(&self.db).await?;
        loop {
            let after = checkpoints::position(&self.db, CHECKPOINT).await?;
            let records = read_after(&self.db, &mut opener, after, BATCH, Reading::Settled).await?;
            let Some(last) = records.last().map(LogRecord::cursor) else {
                break;
            };
            for record in &records {
                sent += usize::from(self.deliver(record).await? == Outcome::Sent);
            }
            checkpoints::move_forward(&self.db, CHECKPOINT, last).await?;
        }
        for position in self.deliveries.due(self.clock.now_ms(), BATCH).await? {
            if let Some(record) = read_at(&self.db, &mut opener, position).await? {
                sent += usize::from(self.deliver(&record).await? == Outcome::Sent);
            }
        }
        Ok(sent)
    }

    /// [`Mailer::attempt`], counted by outcome.
    async fn deliver(&self, record: &LogRecord) -> Result<Outcome, sqlx::Error> {
        let outcome = self.attempt(record).await?;
        match outcome {
            Outcome::Sent => crate::meter::mail("sent"),
            Outcome::Retrying => crate::meter::mail("retrying"),
            Outcome::Failed => crate::meter::mail("given_up"),
            Outcome::Skipped => {}
        }
        Ok(outcome)
    }

    /// Sends the mail `record` asks for, if any and if it is this dispatcher's to send.
    async fn attempt(&self, record: &LogRecord) -> Result<Outcome, sqlx::Error> {
        let Some(issued) = otp_issued(record) else {
            return Ok(Outcome::Skipped);
        };
        // A dispatcher that was behind does not mail a code to an account deleted since.
        if account_deleted(&self.db, &record.aggregate_id).await? {
            return Ok(Outcome::Skipped);
        }
        let now = self.clock.now_ms();
        let Some(attempts) = self.deliveries.claim(record.position, now).await? else {
            return Ok(Outcome::Skipped);
        };
        let position = record.position;
        if attempts >= MAX_ATTEMPTS {
            let reason = format!("gave up after {attempts} tries that crashed or failed");
            self.deliveries.failed(position, &reason).await?;
            tracing::error!(position, user_id = %record.aggregate_id, "mail given up after {attempts} tries");
            return Ok(Outcome::Failed);
        }
        let result = match self.message(issued, now) {
            Ok(message) => {
                let name = format!("{position:012}-{}", record.aggregate_id);
                self.transport.send(message, &name).await
            }
            Err(error) => Err(error),
        };
        let user_id = &record.aggregate_id;
        match result {
            Ok(()) => {
                self.deliveries.sent(position).await?;
                tracing::info!(position, user_id = %user_id, "one-time code mailed");
                Ok(Outcome::Sent)
            }
            Err(SendError::Transient(error)) if attempts + 1 < MAX_ATTEMPTS => {
                let reason = format!("{error:#}");
                let at = self
                    .deliveries
                    .retry(position, attempts, now, &reason)
                    .await?;
                tracing::warn!(position, user_id = %user_id, error = %reason, retry_in_ms = at - now, "mail not sent; will retry");
                Ok(Outcome::Retrying)
            }
            Err(SendError::Transient(error) | SendError::Permanent(error)) => {
                let reason = format!("{error:#}");
                self.deliveries.failed(position, &reason).await?;
                tracing::error!(position, user_id = %user_id, error = %reason, "mail given up");
                Ok(Outcome::Failed)
            }
        }
    }

    /// The mail carrying the code of `issued`; a code that has expired is not worth sending.
    fn message(&self, issued: Issued, now: i64) -> Result<lettre::Message, SendError> {
        let left_ms = issued.expires_at_ms - now;
        // Rounded up: a code of 10 minutes mailed a moment after it was issued says 10.
        let minutes_left = (left_ms + 59_999) / 60_000;
        if left_ms <= 0 {
            return Err(SendError::Permanent(anyhow::anyhow!(
                "the code expired before it could be sent"
            )));
        }
        let code = self.codes.code(&issued.otp_id);
        otp_mail(&issued.sent_to, issued.otp_type, &code, minutes_left)
            .build(&self.from)
            .map_err(SendError::Permanent)
    }
}

/// The facts of an `OtpIssued` event that its mail needs.
struct Issued {
    otp_id: String,
    otp_type: clara_aggregates::OtpType,
    expires_at_ms: i64,
    sent_to: String,
}

fn otp_issued(record: &LogRecord) -> Option<Issued> {
    if record.aggregate_type != User::TYPE || record.event_type != "OtpIssued" {
        return None;
    }
    match serde_json::from_value(record.payload.clone()) {
        Ok(UserEvent::OtpIssued {
            otp_id,
            otp_type,
            expires_at_ms,
            sent_to,
            ..
        }) => Some(Issued {
            otp_id,
            otp_type,
            expires_at_ms,
            sent_to,
        }),
        _ => {
            tracing::error!(
                position = record.position,
                "an OtpIssued event does not parse; its mail is skipped"
            );
            None
        }
    }
}
