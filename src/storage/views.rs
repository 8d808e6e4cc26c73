//! Reading the views that serve the GET routes. Only the projector writes them.

use clara_projections::UserView;

use super::Db;
use crate::with_pool;

pub const SELECT_USER: &str = "SELECT data FROM user_views WHERE id = ?";
/// Rows written per upsert statement.
pub const UPSERT_CHUNK: usize = 100;

/// An upsert of `rows` user views; bind id, email, created_at, position and data per row.
pub fn upsert_users(rows: usize) -> String {
    let values = vec!["(?, ?, ?, ?, ?)"; rows].join(", ");
    format!(
        "INSERT INTO user_views (id, email, created_at, position, data) VALUES {values} \
         ON CONFLICT (id) DO UPDATE SET email = excluded.email, created_at = excluded.created_at, \
         position = excluded.position, data = excluded.data"
    )
}
/// Every view table, emptied by a replay before the log is folded in again.
pub const VIEW_TABLES: &[&str] = &["user_views"];

/// The user view of `id`, if the user exists.
pub async fn user(db: &Db, id: &str) -> Result<Option<UserView>, sqlx::Error> {
    let sql = db.sql(SELECT_USER);
    let data: Option<String> = with_pool!(db, pool => {
        sqlx::query_scalar(&sql).bind(id).fetch_optional(pool).await?
    });
    data.map(|text| decode(&text)).transpose()
}

/// The stored user views among `ids`; a missing one is a fresh default.
pub async fn users(db: &Db, ids: Vec<String>) -> Result<Vec<(String, UserView)>, sqlx::Error> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let view = user(db, &id).await?.unwrap_or_default();
        out.push((id, view));
    }
    Ok(out)
}

/// Parses a stored view row; a row that does not parse is corruption, reported as such.
pub fn decode(text: &str) -> Result<UserView, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}
