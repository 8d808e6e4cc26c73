//! Verifying the live views against a fresh fold of the log, without changing anything:
//! every row the log implies must be stored exactly so, and no other row may exist.

use std::collections::HashMap;

use super::log::count;
use super::projector::{fold_log, Projector};
use super::Db;
use crate::privacy::keys::Keyring;
use crate::with_pool;

/// What a verification found.
pub struct Verification {
    pub events: u64,
    pub position: i64,
    pub rows: usize,
    /// Table and id of every row that is missing, extra or different.
    pub differing: Vec<(String, String)>,
}

pub async fn verify(
    db: &Db,
    keyring: &Keyring,
    progress: &(dyn Fn(u64) + Sync),
) -> anyhow::Result<Verification> {
    let projector = Projector::new(db.clone(), keyring.clone());
    // Events are only ever added: the same count and checkpoint after the comparison as
    // before it mean nothing changed the views meanwhile.
    let before = (count(db).await?, projector.position().await?);
    let (set, report) = fold_log(db, keyring, Some(before.1), progress).await?;
    let mut differing = Vec::new();
    let mut rows = 0;
    for (table, expected) in set.rows()? {
        let sql = format!("SELECT id, data FROM {table}");
        let stored: Vec<(String, String)> =
            with_pool!(db, pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        let mut stored: HashMap<String, String> = stored.into_iter().collect();
        rows += expected.len();
        for row in expected {
            if stored.remove(&row.id).as_ref() != Some(&row.data) {
                differing.push((table.to_string(), row.id));
            }
        }
        differing.extend(stored.into_keys().map(|id| (table.to_string(), id)));
    }
    anyhow::ensure!(
        (count(db).await?, projector.position().await?) == before,
        "the log or the views moved on while they were being checked; run the verification again (or stop the service first)"
    );
    Ok(Verification {
        events: report.events,
        position: report.cursor.position,
        rows,
        differing,
    })
}
