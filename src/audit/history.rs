//! An account's history: the events of its user and wallet, of its tasks, and of the
//! e-mail claims that name it, in log order (see `storage::cursor`), a page at a time.

use super::record::{AuditEvent, COLUMNS};
use crate::privacy::keys::Keyring;
use crate::storage::cursor::{self, AFTER, ORDER};
use crate::storage::sealing::{open_in, Opener};
use crate::storage::Db;
use crate::with_pool;

/// Largest page of history.
pub const MAX_LIMIT: i64 = 1000;

/// Up to `limit` events of account `user_id` (whose address's claim is `claim_id`) after
/// `after`.
/// Each branch reads its aggregates through the log's primary key, so an account's page
/// costs its own events, not the whole log's.
pub async fn history(
    db: &Db,
    keyring: &Keyring,
    user_id: &str,
    claim_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<AuditEvent>, sqlx::Error> {
    let columns = |prefix: &str| {
        COLUMNS
            .split(", ")
            .map(|c| format!("{prefix}{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (plain, joined) = (columns(""), columns("e."));
    let (at, settled) = cursor::resume(db, after).await?;
    // `position` is also a column of task_views; `xact_id` is only the log's.
    let past_joined = format!("(e.xact_id, e.position) > ($1, $2){settled}");
    let past = format!("{AFTER}{settled}");
    let sql = format!(
        "SELECT * FROM (\
           SELECT {plain} FROM events WHERE aggregate_type = 'User' AND aggregate_id = $3 AND {past} \
           UNION ALL SELECT {plain} FROM events WHERE aggregate_type = 'Wallet' AND aggregate_id = $3 AND {past} \
           UNION ALL SELECT {joined} FROM task_views t JOIN events e ON e.aggregate_type = 'Task' AND e.aggregate_id = t.id \
             WHERE t.owner = $3 AND {past_joined} \
           UNION ALL SELECT {plain} FROM events WHERE aggregate_type = 'EmailClaim' AND aggregate_id = $4 \
             AND {past} AND CAST(payload AS TEXT) LIKE $5\
         ) AS account {ORDER} LIMIT $6"
    );
    // User ids are random and unique: a claim naming this one names this account.
    let names_user = format!("%{user_id}%");
    let mut events: Vec<AuditEvent> = with_pool!(db, pool => {
        let rows = sqlx::query(&sql)
            .bind(at.xact_id)
            .bind(at.position)
            .bind(user_id)
            .bind(claim_id)
            .bind(&names_user)
            .bind(limit)
            .fetch_all(pool)
            .await?;
        rows.iter().map(AuditEvent::from_row).collect::<Result<_, _>>()?
    });
    let fields = events.iter_mut().flat_map(|event| event.data.values_mut());
    open_in(db, &mut Opener::new(keyring), fields.collect()).await?;
    Ok(events)
}
