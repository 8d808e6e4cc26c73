//! How far each reader of the log has got: the views' projector and the mail dispatcher
//! each keep a named checkpoint, a place in the log (see `cursor`), in
//! `projector_checkpoints`.

use super::cursor::{settled, Cursor};
use super::fold::CHECKPOINT;
use super::Db;
use crate::with_pool;

/// Where checkpoint `name` stands.
pub async fn position(db: &Db, name: &str) -> Result<Cursor, sqlx::Error> {
    let sql = "SELECT xact_id, position FROM projector_checkpoints WHERE name = $1";
    let (xact_id, position) =
        with_pool!(db, pool => sqlx::query_as(sql).bind(name).fetch_one(pool).await?);
    Ok(Cursor { xact_id, position })
}

/// Moves checkpoint `name` forward to `to`; never back, should another reader of the same
/// name have got further.
pub async fn move_forward(db: &Db, name: &str, to: Cursor) -> Result<(), sqlx::Error> {
    let sql = "UPDATE projector_checkpoints SET xact_id = $1, position = $2 \
        WHERE name = $3 AND (xact_id, position) < ($1, $2)";
    with_pool!(&db.writer(), pool => sqlx::query(sql).bind(to.xact_id).bind(to.position).bind(name).execute(pool).await.map(drop))
}

/// The events past the views' checkpoint that their writer left for the projector to fold
/// (`only`: a further condition).
fn left_sql(what: &str, only: &str) -> String {
    format!(
        "SELECT {what} FROM events WHERE NOT folded AND (xact_id, position) > \
         (SELECT xact_id, position FROM projector_checkpoints WHERE name = $1){only}"
    )
}

/// How many events the projector has left to fold.
pub async fn projector_lag(db: &Db) -> Result<i64, sqlx::Error> {
    let sql = left_sql("COUNT(*)", "");
    with_pool!(db, pool => sqlx::query_scalar(&sql).bind(CHECKPOINT).fetch_one(pool).await)
}

/// Whether the projector has events left to fold that it can fold now (see `cursor`).
pub async fn left_to_fold(db: &Db) -> Result<bool, sqlx::Error> {
    let sql = format!("SELECT EXISTS ({})", left_sql("1", settled(db)));
    with_pool!(db, pool => sqlx::query_scalar(&sql).bind(CHECKPOINT).fetch_one(pool).await)
}
