//! Audit routes: an account's history, and the whole log exported as NDJSON.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::context::Caller;
use super::error::ApiError;
use super::openapi::{AuditLine, Envelope};
use super::page::optional_number;
use super::path::Path;
use super::success;
use crate::accounts::users::user_view;
use crate::audit::{export, history};
use crate::state::AppState;

/// Largest export page.
const MAX_EXPORT: i64 = 100_000;

/// `GET /users/{user_id}/events?after=&limit=`: the owner's user token or the private key.
#[utoipa::path(get, path = "/api/v1/users/{user_id}/events", tag = "audit", params(("user_id" = String, Path, description = "A `user_…` id"), ("after" = Option<i64>, Query, description = "The position of the last event read: the events after it"), ("limit" = Option<i64>, Query, description = "Events to return, 1 to 1000 (100)")), responses((status = 200, description = "The account's events in commit order", body = Envelope)), security(("user_token" = []), ("private_key" = [])))]
pub async fn events(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    caller.require_self_token_or_admin(&user_id)?;
    let after = optional_number(&query, "after", 0, 0..=i64::MAX)?;
    let limit = optional_number(&query, "limit", 100, 1..=history::MAX_LIMIT)?;
    let user = user_view(&state, &user_id).await?;
    let claim_id = state.claim_ids.of(&user.email);
    let keyring = state.projector.keyring();
    let events = history::history(&state.db, keyring, &user_id, &claim_id, after, limit).await?;
    Ok(success(
        StatusCode::OK,
        "Events fetched successfully.",
        events,
    ))
}

/// `GET /events?after=&limit=` with the private key: NDJSON, one event a line, in commit
/// order; resume with `after` set to the last position read.
#[utoipa::path(get, path = "/api/v1/events", tag = "audit", params(("after" = Option<i64>, Query, description = "The position of the last event read: the events after it"), ("limit" = Option<i64>, Query, description = "Events to return, 1 to 100000 (1000)")), responses((status = 200, description = "One event a line", content_type = "application/x-ndjson", body = AuditLine)), security(("private_key" = [])))]
pub async fn export_log(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let after = optional_number(&query, "after", 0, 0..=i64::MAX)?;
    let limit = optional_number(&query, "limit", 1000, 1..=MAX_EXPORT)?;
    let lines = export::ndjson(
        state.db.clone(),
        state.projector.keyring().clone(),
        after,
        limit,
    );
    let headers = [(header::CONTENT_TYPE, "application/x-ndjson")];
    Ok((headers, Body::from_stream(lines)).into_response())
}
