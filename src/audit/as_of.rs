//! A user as they were at an instant: their user and wallet events up to it, folded by the
//! same projection code that keeps the live view.

use clara_projections::{LoggedEvent, Recorded, UserView, ViewSet};
use sqlx::Row;

use crate::error::AppError;
use crate::privacy::keys::Keyring;
use crate::storage::sealing::{fields_of, open_in, Opener};
use crate::storage::Db;
use crate::with_pool;

/// User `user_id` as of `at_ms`; none if the account did not exist yet.
pub async fn user_as_of(
    db: &Db,
    keyring: &Keyring,
    user_id: &str,
    at_ms: i64,
) -> Result<Option<UserView>, AppError> {
    let sql = "SELECT position, aggregate_type, event_type, event_version, payload, recorded_at \
        FROM events WHERE aggregate_type IN ('User', 'Wallet') AND aggregate_id = $1 \
        AND recorded_at <= $2 ORDER BY position";
    let mut views = ViewSet::default();
    let mut opener = Opener::new(keyring);
    with_pool!(db, pool => {
        let rows = sqlx::query(sql).bind(user_id).bind(at_ms).fetch_all(pool).await?;
        for row in &rows {
            let aggregate: String = row.try_get("aggregate_type")?;
            let kind: String = row.try_get("event_type")?;
            let version: String = row.try_get("event_version")?;
            let mut payload = row.try_get("payload")?;
            open_in(db, &mut opener, fields_of([&mut payload])).await?;
            let event = LoggedEvent::decode(&aggregate, &kind, &version, payload)
                .map_err(|e| AppError::Internal(e.into()))?;
            let at = Recorded {
                position: row.try_get("position")?,
                aggregate_id: user_id.to_string(),
                recorded_at_ms: row.try_get("recorded_at")?,
            };
            if let Some(event) = event {
                views.apply(&at, &event);
            }
        }
    });
    // A wallet credited before its user registered is no user yet.
    Ok(views
        .users
        .remove(user_id)
        .filter(|user| !user.email.is_empty()))
}
