//! Reading the event log in commit order, across every aggregate.

use serde_json::Value;

use super::conn::Conn;
pub use super::conn::LogRecord;
use super::Db;
use crate::with_pool;

/// Up to `limit` events after `position`, oldest first.
pub async fn read_after(db: &Db, position: i64, limit: i64) -> Result<Vec<LogRecord>, sqlx::Error> {
    with_pool!(db, pool => pool.acquire().await?.read_after(position, limit).await)
}

/// The events of several aggregates after a sequence each, in one read: for each
/// `(aggregate_type, aggregate_id, after)`, its events numbered above `after`, as
/// `(aggregate_type, aggregate_id, sequence, payload)`, oldest first.
pub async fn events_after_each(
    db: &Db,
    wanted: &[(&str, &str, usize)],
) -> Result<Vec<(String, String, usize, Value)>, sqlx::Error> {
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let conditions: Vec<String> = (0..wanted.len())
        .map(|i| {
            let n = 3 * i;
            format!(
                "(aggregate_type = ${} AND aggregate_id = ${} AND sequence > ${})",
                n + 1,
                n + 2,
                n + 3
            )
        })
        .collect();
    let sql = format!(
        "SELECT aggregate_type, aggregate_id, sequence, payload FROM events WHERE {} \
         ORDER BY aggregate_type, aggregate_id, sequence",
        conditions.join(" OR ")
    );
    let rows: Vec<(String, String, i64, Value)> = with_pool!(db, pool => {
        let mut query = sqlx::query_as(&sql);
        for (aggregate_type, aggregate_id, after) in wanted {
            let after = i64::try_from(*after).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            query = query.bind(*aggregate_type).bind(*aggregate_id).bind(after);
        }
        query.fetch_all(pool).await?
    });
    rows.into_iter()
        .map(|(aggregate_type, aggregate_id, sequence, payload)| {
            let sequence =
                usize::try_from(sequence).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            Ok((aggregate_type, aggregate_id, sequence, payload))
        })
        .collect()
}
