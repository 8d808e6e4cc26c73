//! The `mail_deliveries` table: one row per mail the dispatcher has tried, so that several
//! dispatchers never send one mail twice, a crash mid-send is retried, and a failed mail
//! waits for its retry without holding up any other.

use crate::storage::Db;
use crate::with_pool;

/// A claim older than this whose mail was never marked sent is taken to have crashed: well
/// past the SMTP client's own time-out, so a slow send is never taken for a crashed one.
/// Tries a mail gets before it is given up.
pub const MAX_ATTEMPTS: i64 = 8;
/// The first retry's delay; each further one doubles, up to [`MAX_BACKOFF_MS`].
const FIRST_BACKOFF_MS: i64 = 5_000;
const MAX_BACKOFF_MS: i64 = 300_000;

pub struct Deliveries {
    db: Db,
    /// How long a claim protects a mail being sent; past it another dispatcher retakes it.
    stale_claim_ms: i64,
}

impl Deliveries {
    pub fn new(db: &Db, claim_timeout: std::time::Duration) -> Self {
        let stale_claim_ms = i64::try_from(claim_timeout.as_millis()).unwrap_or(i64::MAX);
        Self {
            db: db.writer(),
            stale_claim_ms,
        }
    }

    /// Takes the mail of the event at `position` for sending: a new one, a retry that is
    /// due, or one whose sender crashed. `Some(tries so far)` when this caller may send it.
    pub async fn claim(&self, position: i64, now: i64) -> Result<Option<i64>, sqlx::Error> {
        let db = &self.db;
        let insert = "INSERT INTO mail_deliveries (position, status, attempted_at) VALUES ($1, 'sending', $2) ON CONFLICT (position) DO NOTHING";
        // A crashed send counts as a try, so a mail that crashes its sender is given up.
        let reclaim = "UPDATE mail_deliveries SET status = 'sending', attempted_at = $1, \
             attempts = attempts + CASE WHEN status = 'sending' THEN 1 ELSE 0 END WHERE position = $2 \
             AND ((status = 'sending' AND attempted_at < $3) OR (status = 'retry' AND next_attempt_at <= $4)) \
             RETURNING attempts";
        with_pool!(db, pool => {
            if sqlx::query(insert).bind(position).bind(now).execute(pool).await?.rows_affected() == 1 {
                return Ok(Some(0));
            }
            sqlx::query_scalar(reclaim)
                .bind(now)
                .bind(position)
                .bind(now - self.stale_claim_ms)
                .bind(now)
                .fetch_optional(pool)
                .await
        })
    }

    pub async fn sent(&self, position: i64) -> Result<(), sqlx::Error> {
        let sql = "UPDATE mail_deliveries SET status = 'sent' WHERE position = $1";
        with_pool!(&self.db, pool => sqlx::query(sql).bind(position).execute(pool).await.map(drop))
    }

    /// Gives the mail up: it is not tried again.
    pub async fn failed(&self, position: i64, error: &str) -> Result<(), sqlx::Error> {
        self.set(position, "failed", None, Some(error)).await
    }

    /// Schedules another try after a delay that grows with the tries already made.
    pub async fn retry(
        &self,
        position: i64,
        attempts: i64,
        now: i64,
        error: &str,
    ) -> Result<i64, sqlx::Error> {
        let at = now + backoff_ms(attempts);
        self.set(position, "retry", Some(at), Some(error)).await?;
        Ok(at)
    }

    /// Ends a try that did not send the mail.
    async fn set(
        &self,
        position: i64,
        status: &str,
        next_attempt_at: Option<i64>,
        error: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        let sql = "UPDATE mail_deliveries SET status = $1, attempts = attempts + 1, next_attempt_at = $2, \
             last_error = $3 WHERE position = $4";
        with_pool!(&self.db, pool => sqlx::query(sql)
            .bind(status)
            .bind(next_attempt_at)
            .bind(error)
            .bind(position)
            .execute(pool)
            .await
            .map(drop))
    }

    /// Positions whose mail is due another try: a retry whose time has come, or a claim whose
    /// sender crashed; oldest first.
    pub async fn due(&self, now: i64, limit: i64) -> Result<Vec<i64>, sqlx::Error> {
        let sql = "SELECT position FROM mail_deliveries WHERE (status = 'retry' AND next_attempt_at <= $1) \
             OR (status = 'sending' AND attempted_at < $2) ORDER BY position LIMIT $3";
        with_pool!(&self.db, pool => sqlx::query_scalar(sql)
            .bind(now)
            .bind(now - self.stale_claim_ms)
            .bind(limit)
            .fetch_all(pool)
            .await)
    }
}

/// The delay before try number `attempts + 1`.
fn backoff_ms(attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.clamp(0, 16)).unwrap_or(16);
    (FIRST_BACKOFF_MS << doublings).min(MAX_BACKOFF_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_a_cap() {
        assert_eq!(backoff_ms(0), 5_000);
        assert_eq!(backoff_ms(1), 10_000);
        assert_eq!(backoff_ms(5), 160_000);
        assert_eq!(backoff_ms(6), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(60), MAX_BACKOFF_MS);
    }
}
