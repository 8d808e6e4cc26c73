//! One-time rewrites of a log written before personal data was kept out of it: each e-mail
//! claim keyed by its address in clear is moved to its hashed claim id, events and snapshot
//! alike, in one transaction; and personal values in clear are sealed (`storage::reseal`).
//! Run at every start; once done, they find nothing to do.

use super::claim_ids::ClaimIds;
use crate::secrets::Secrets;
use crate::storage::reseal::seal_log;
use crate::storage::sealing::check_master_key;
use crate::storage::Db;
use crate::with_pool;

/// Both rewrites, once `DATA_KEY` is known to be the database's; returns how many claims
/// moved and how many events were sealed.
pub async fn upgrade_log(db: &Db, secrets: &Secrets) -> anyhow::Result<(usize, usize)> {
    check_master_key(db, &secrets.keyring()).await?;
    let moved = hash_claim_ids(db, &ClaimIds::new(&secrets.data_key)).await?;
    let sealed = seal_log(db, &secrets.keyring()).await?;
    Ok((moved, sealed))
}

// An address holds an `@` and a hashed id never does (`@` means nothing to LIKE).
const CLEAR_CLAIMS: &str = "SELECT DISTINCT aggregate_id FROM events \
    WHERE aggregate_type = 'EmailClaim' AND aggregate_id LIKE '%@%'";

/// Moves every claim still keyed by an address to its claim id; returns how many moved.
pub async fn hash_claim_ids(db: &Db, ids: &ClaimIds) -> anyhow::Result<usize> {
    let moved = with_pool!(&db.writer(), pool => {
        let mut tx = pool.begin().await?;
        let clear: Vec<String> = sqlx::query_scalar(CLEAR_CLAIMS).fetch_all(&mut *tx).await?;
        for address in clear.iter().filter(|id| ClaimIds::is_clear(id)) {
            let id = ids.of(address);
            for table in ["events", "aggregate_snapshots"] {
                let sql = format!("UPDATE {table} SET aggregate_id = $1 \
                    WHERE aggregate_type = 'EmailClaim' AND aggregate_id = $2");
                sqlx::query(&sql).bind(&id).bind(address).execute(&mut *tx).await?;
            }
        }
        tx.commit().await?;
        clear.len()
    });
    if moved > 0 {
        tracing::info!(
            claims = moved,
            "e-mail claims moved from addresses to hashed ids"
        );
    }
    Ok(moved)
}
