//! Health and Version.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::error::ApiError;
use super::success;
use crate::state::AppState;

/// 200 when the database answers, 503 in the envelope when it does not.
pub async fn health(State(state): State<AppState>) -> Result<Response, ApiError> {
    state
        .db
        .ping()
        .await
        .map_err(|e| ApiError::Unavailable(format!("database ping failed: {e}")))?;
    Ok(success(
        StatusCode::OK,
        "Health check successful.",
        json!({"service": "clara", "status": "healthy"}),
    ))
}

pub async fn version() -> Response {
    success(
        StatusCode::OK,
        "Version check successful.",
        json!({"version": env!("CARGO_PKG_VERSION")}),
    )
}
