//! API Key routes (View, Reset) and the admin's list of users.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use clara_projections::ApiKeyView;
use serde_json::{json, Value};

use super::context::Caller;
use super::path::Path;
use super::render::{http_date, user};
use super::success;
use crate::accounts::api_key;
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::views;

/// Largest page the list routes serve.
pub const MAX_PAGE: i64 = 100;

fn api_key_object(key: &ApiKeyView, token: &str) -> Value {
    json!({
        "created_at": http_date(key.created_at_ms),
        "id": key.id,
        "token": token,
        "updated_at": http_date(key.updated_at_ms),
        "user_id": key.user_id,
    })
}

/// `GET /users/{user_id}/api_key` with the user's own token.
pub async fn view(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require_self(&user_id)?;
    let (key, token) = api_key::current(&state, &user_id).await?;
    Ok(success(
        StatusCode::OK,
        "API key fetched successfully.",
        api_key_object(&key, &token),
    ))
}

/// `POST /users/{user_id}/api_key` with the user's own token: 201 with the new key.
pub async fn reset(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require_self(&user_id)?;
    let (key, token) = api_key::reset(&state, &user_id, &caller.meta).await?;
    Ok(success(
        StatusCode::CREATED,
        "API key reset successfully.",
        api_key_object(&key, &token),
    ))
}

/// `limit` and `offset`, both required non-negative integers, `limit` at most [`MAX_PAGE`].
pub fn page(query: &HashMap<String, String>) -> Result<(i64, i64), ApiError> {
    let number = |name: &str| {
        query
            .get(name)
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|n| *n >= 0)
    };
    match (number("limit"), number("offset")) {
        (Some(limit), Some(offset)) if limit <= MAX_PAGE => Ok((limit, offset)),
        _ => Err(ApiError::InvalidSchema),
    }
}

/// `GET /users?limit=&offset=` with the private key: users, oldest first.
pub async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let (limit, offset) = page(&query)?;
    let users = views::users_page(&state.db, limit, offset).await?;
    let data: Vec<_> = users.iter().map(user).collect();
    Ok(success(StatusCode::OK, "Users fetched successfully.", data))
}
