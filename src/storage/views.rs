//! Reading the views that serve the GET routes. Only the projector writes them.
//!
//! Every view table has one shape — `id`, `sort_key`, `position`, `data` (the view as JSON) —
//! so one upsert and one loader serve them all.

use clara_projections::{ApiKeyView, SessionView, TransactionView, UserView, ViewSet};
use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::Db;
use crate::with_pool;

/// Every view table, emptied by a replay before the log is folded in again.
pub const VIEW_TABLES: &[&str] = &[
    "user_views",
    "session_views",
    "api_key_views",
    "transaction_views",
];

/// One row to write: id, owning user, sort key, position and the view as JSON.
pub type Row = (String, String, i64, i64, String);

/// The user view of `id`, if the user exists.
pub async fn user(db: &Db, id: &str) -> Result<Option<UserView>, sqlx::Error> {
    load(db, "user_views", id).await
}

/// The session view of `id`, if such a session was ever opened.
pub async fn session(db: &Db, id: &str) -> Result<Option<SessionView>, sqlx::Error> {
    load(db, "session_views", id).await
}

/// The current API key of user `user_id`.
pub async fn api_key(db: &Db, user_id: &str) -> Result<Option<ApiKeyView>, sqlx::Error> {
    load(db, "api_key_views", user_id).await
}

/// A page of `user_id`'s transactions, newest first.
pub async fn transactions_page(
    db: &Db,
    user_id: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<TransactionView>, sqlx::Error> {
    let sql = "SELECT data FROM transaction_views WHERE owner = $1 ORDER BY sort_key DESC, id DESC LIMIT $2 OFFSET $3";
    let rows: Vec<String> = with_pool!(db, pool => {
        sqlx::query_scalar(sql).bind(user_id).bind(limit).bind(offset).fetch_all(pool).await?
    });
    rows.iter().map(|text| decode(text)).collect()
}

/// Transaction `id`, if it belongs to `user_id`.
pub async fn transaction(
    db: &Db,
    user_id: &str,
    id: &str,
) -> Result<Option<TransactionView>, sqlx::Error> {
    let found: Option<TransactionView> = load(db, "transaction_views", id).await?;
    Ok(found.filter(|t| t.user_id == user_id))
}

/// A page of users, oldest first.
pub async fn users_page(db: &Db, limit: i64, offset: i64) -> Result<Vec<UserView>, sqlx::Error> {
    let sql = "SELECT data FROM user_views ORDER BY sort_key, id LIMIT $1 OFFSET $2";
    let rows: Vec<String> = with_pool!(db, pool => {
        sqlx::query_scalar(sql).bind(limit).bind(offset).fetch_all(pool).await?
    });
    rows.iter().map(|text| decode(text)).collect()
}

async fn load<V: DeserializeOwned>(
    db: &Db,
    table: &str,
    id: &str,
) -> Result<Option<V>, sqlx::Error> {
    let sql = format!("SELECT data FROM {table} WHERE id = $1");
    let data: Option<String> = with_pool!(db, pool => {
        sqlx::query_scalar(&sql).bind(id).fetch_optional(pool).await?
    });
    data.map(|text| decode(&text)).transpose()
}

/// Parses a stored view row; a row that does not parse is corruption, reported as such.
pub fn decode<V: DeserializeOwned>(text: &str) -> Result<V, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// The rows `set` writes, per table.
pub fn rows(set: &ViewSet) -> Result<Vec<(&'static str, Vec<Row>)>, serde_json::Error> {
    Ok(vec![
        (
            "user_views",
            rows_of(&set.users, |v| (&v.id, v.created_at_ms, v.position))?,
        ),
        (
            "session_views",
            rows_of(&set.sessions, |v| (&v.user_id, 0, v.position))?,
        ),
        (
            "api_key_views",
            rows_of(&set.api_keys, |v| (&v.user_id, v.created_at_ms, v.position))?,
        ),
        (
            "transaction_views",
            rows_of(&set.transactions, |v| (&v.user_id, v.position, v.position))?,
        ),
    ])
}

/// One row per view: its id, the owner, sort key and position `keys` gives, and its JSON.
fn rows_of<V: Serialize>(
    views: &BTreeMap<String, V>,
    keys: impl Fn(&V) -> (&String, i64, i64),
) -> Result<Vec<Row>, serde_json::Error> {
    views
        .iter()
        .map(|(id, view)| {
            let (owner, sort_key, position) = keys(view);
            Ok((
                id.clone(),
                owner.clone(),
                sort_key,
                position,
                serde_json::to_string(view)?,
            ))
        })
        .collect()
}
