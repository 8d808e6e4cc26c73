//! How far each reader of the log has got: the views' projector and the mail dispatcher
//! each keep a named checkpoint, a log position, in `projector_checkpoints`.

use super::Db;
use crate::with_pool;

/// Where checkpoint `name` stands.
pub async fn position(db: &Db, name: &str) -> Result<i64, sqlx::Error> {
    let sql = "SELECT position FROM projector_checkpoints WHERE name = $1";
    with_pool!(db, pool => sqlx::query_scalar(sql).bind(name).fetch_one(pool).await)
}

/// Moves checkpoint `name` forward to `position`; never back, should another reader of the
/// same name have got further.
pub async fn move_forward(db: &Db, name: &str, position: i64) -> Result<(), sqlx::Error> {
    let sql = "UPDATE projector_checkpoints SET position = $1 WHERE name = $2 AND position < $1";
    with_pool!(&db.writer(), pool => sqlx::query(sql).bind(position).bind(name).execute(pool).await.map(drop))
}

/// Events in the log past the views' checkpoint.
pub async fn projector_lag(db: &Db) -> Result<i64, sqlx::Error> {
    let sql = "SELECT COALESCE(MAX(position), 0) - \
               (SELECT position FROM projector_checkpoints WHERE name = $1) FROM events";
    with_pool!(db, pool => sqlx::query_scalar(sql).bind(crate::storage::fold::CHECKPOINT).fetch_one(pool).await)
}

/// Whether the log holds events past checkpoint `name`. Positions become visible in commit
/// order, so every event committed before this call is counted.
pub async fn behind(db: &Db, name: &str) -> Result<bool, sqlx::Error> {
    let sql = "SELECT COALESCE(MAX(position), 0) > \
               (SELECT position FROM projector_checkpoints WHERE name = $1) FROM events";
    with_pool!(db, pool => sqlx::query_scalar(sql).bind(name).fetch_one(pool).await)
}
