//! Health, Version and the Prometheus metrics.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::ApiError;
use super::openapi::Envelope;
use super::success;
use crate::state::AppState;

/// 200 when the database answers, 503 in the envelope when it does not.
/// `GET /metrics`: Prometheus text, no auth; the projector's lag is measured as it is asked.
pub async fn metrics(State(state): State<AppState>) -> Response {
    if let Ok(lag) = crate::storage::checkpoints::projector_lag(&state.db).await {
        crate::meter::projector_lag(lag);
    }
    let text = crate::meter::handle().render();
    let content_type = [(header::CONTENT_TYPE, "text/plain; version=0.0.4")];
    (content_type, text).into_response()
}

#[utoipa::path(get, path = "/api/v1/health", tag = "system", responses((status = 200, description = "The service and its database answer", body = Envelope)), security(()))]
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

#[utoipa::path(get, path = "/api/v1/version", tag = "system", responses((status = 200, description = "The running version", body = Envelope)), security(()))]
pub async fn version() -> Response {
    success(
        StatusCode::OK,
        "Version check successful.",
        json!({"version": env!("CARGO_PKG_VERSION")}),
    )
}
