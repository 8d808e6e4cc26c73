//! Reading the views that serve the GET routes; only the fold writes them.

use clara_projections::{ApiKeyView, SessionView, TaskView, TransactionView, UserView, View};

use serde::de::DeserializeOwned;

use super::Db;
use crate::with_pool;

/// The user view of `id`, if the user exists.
pub async fn user(db: &Db, id: &str) -> Result<Option<UserView>, sqlx::Error> {
    load::<UserView>(db, id).await
}

/// The session view of `id`, if such a session was ever opened.
pub async fn session(db: &Db, id: &str) -> Result<Option<SessionView>, sqlx::Error> {
    load::<SessionView>(db, id).await
}

/// The current API key of user `user_id`.
pub async fn api_key(db: &Db, user_id: &str) -> Result<Option<ApiKeyView>, sqlx::Error> {
    load::<ApiKeyView>(db, user_id).await
}

/// The credential view `id` and the user view of `owner`, read in one round trip: what a
/// request with a user token or an API key needs before it can answer.
pub async fn credential_and_owner<V: View>(
    db: &Db,
    id: &str,
    owner: &str,
) -> Result<Option<(V, Option<UserView>)>, sqlx::Error> {
    let sql = format!(
        "SELECT c.data, u.data FROM {} c LEFT JOIN user_views u ON u.id = $2 WHERE c.id = $1",
        V::TABLE
    );
    let row: Option<(String, Option<String>)> = with_pool!(db, pool => {
        sqlx::query_as(&sql).bind(id).bind(owner).fetch_optional(pool).await?
    });
    row.map(|(credential, user)| {
        Ok((
            decode(&credential)?,
            user.as_deref().map(decode).transpose()?,
        ))
    })
    .transpose()
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
    let found = load::<TransactionView>(db, id).await?;
    Ok(found.filter(|t| t.user_id == user_id))
}

/// A page of `user_id`'s tasks, newest first.
pub async fn tasks_page(
    db: &Db,
    user_id: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<TaskView>, sqlx::Error> {
    let sql = "SELECT data FROM task_views WHERE owner = $1 ORDER BY sort_key DESC, id DESC LIMIT $2 OFFSET $3";
    let rows: Vec<String> = with_pool!(db, pool => {
        sqlx::query_scalar(sql).bind(user_id).bind(limit).bind(offset).fetch_all(pool).await?
    });
    rows.iter().map(|text| decode(text)).collect()
}

/// Task `id`, if it belongs to `user_id`.
pub async fn task(db: &Db, user_id: &str, id: &str) -> Result<Option<TaskView>, sqlx::Error> {
    let found = load::<TaskView>(db, id).await?;
    Ok(found.filter(|t| t.user_id == user_id))
}

/// Up to `limit` tasks due to a worker at `now_ms`, longest due first.
pub async fn due_tasks(db: &Db, now_ms: i64, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    let sql = "SELECT id FROM task_queue WHERE sort_key <= $1 ORDER BY sort_key, id LIMIT $2";
    Ok(with_pool!(db, pool => {
        sqlx::query_scalar(sql).bind(now_ms).bind(limit).fetch_all(pool).await?
    }))
}

/// A page of users, oldest first.
pub async fn users_page(db: &Db, limit: i64, offset: i64) -> Result<Vec<UserView>, sqlx::Error> {
    let sql = "SELECT data FROM user_views ORDER BY sort_key, id LIMIT $1 OFFSET $2";
    let rows: Vec<String> = with_pool!(db, pool => {
        sqlx::query_scalar(sql).bind(limit).bind(offset).fetch_all(pool).await?
    });
    rows.iter().map(|text| decode(text)).collect()
}

async fn load<V: View>(db: &Db, id: &str) -> Result<Option<V>, sqlx::Error> {
    let sql = format!("SELECT data FROM {} WHERE id = $1", V::TABLE);
    let data: Option<String> = with_pool!(db, pool => {
        sqlx::query_scalar(&sql).bind(id).fetch_optional(pool).await?
    });
    data.map(|text| decode(&text)).transpose()
}

/// Parses a stored view row; a row that does not parse is corruption, reported as such.
fn decode<V: DeserializeOwned>(text: &str) -> Result<V, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}
