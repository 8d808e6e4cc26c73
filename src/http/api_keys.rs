//! API Key routes: View and Reset.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use clara_projections::ApiKeyView;
use serde_json::{json, Value};

use super::context::Caller;
use super::error::ApiError;
use super::openapi::Envelope;
use super::path::Path;
use super::render::http_date;
use super::success;
use crate::accounts::api_key;
use crate::state::AppState;

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
#[utoipa::path(get, path = "/api/v1/users/{user_id}/api_key", tag = "api keys", params(("user_id" = String, Path, description = "A `user_…` id")), responses((status = 200, description = "The API key", body = Envelope)), security(("user_token" = [])))]
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
#[utoipa::path(post, path = "/api/v1/users/{user_id}/api_key", tag = "api keys", params(("user_id" = String, Path, description = "A `user_…` id")), responses((status = 201, description = "A new API key; the old one stops working", body = Envelope)), security(("user_token" = [])))]
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
