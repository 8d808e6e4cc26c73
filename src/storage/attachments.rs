//! Which stored attachments belong to one person only: what deleting their account deletes.

use clara_aggregates::TaskEvent;

use super::Db;
use crate::with_pool;

const OWN_TASKS_CREATED: &str =
    "SELECT e.payload FROM events e JOIN task_views t ON t.id = e.aggregate_id \
    WHERE e.aggregate_type = 'Task' AND e.event_type = 'Created' AND t.owner = $1";
// Attachments are kept once per content: another person may have sent the same file.
const CREATED_BY_OTHERS_WITH: &str = "SELECT count(*) FROM events WHERE aggregate_type = 'Task' \
    AND event_type = 'Created' AND CAST(payload AS TEXT) LIKE $1 \
    AND aggregate_id NOT IN (SELECT id FROM task_views WHERE owner = $2)";

/// The SHA-256 of every attachment of `user_id`'s tasks that no other task mentions.
pub async fn only_of(db: &Db, user_id: &str) -> Result<Vec<String>, sqlx::Error> {
    let payloads: Vec<serde_json::Value> = with_pool!(db, pool => {
        sqlx::query_scalar(OWN_TASKS_CREATED).bind(user_id).fetch_all(pool).await?
    });
    let mut hashes: Vec<String> = payloads
        .into_iter()
        .filter_map(|payload| serde_json::from_value::<TaskEvent>(payload).ok())
        .flat_map(|event| match event {
            TaskEvent::Created { attachments, .. } => attachments,
            _ => Vec::new(),
        })
        .map(|attachment| attachment.sha256)
        .collect();
    hashes.sort();
    hashes.dedup();
    let mut only = Vec::with_capacity(hashes.len());
    for sha256 in hashes {
        // A hash is hex only: nothing in it means anything to LIKE.
        let pattern = format!("%{sha256}%");
        let others: i64 = with_pool!(db, pool => {
            sqlx::query_scalar(CREATED_BY_OTHERS_WITH).bind(&pattern).bind(user_id).fetch_one(pool).await?
        });
        if others == 0 {
            only.push(sha256);
        }
    }
    Ok(only)
}
