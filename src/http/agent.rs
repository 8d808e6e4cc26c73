//! Agent routes: the attachment types the agent accepts.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::context::Caller;
use super::error::ApiError;
use super::path::Path;
use super::success;
use crate::agent::attachments;
use crate::state::AppState;

/// `GET /users/{user_id}/agent/supported_attachments`: the owner's token or API key on an
/// active account, or the private key.
pub async fn supported_attachments(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require_active_or_admin(&state, &user_id).await?;
    Ok(success(
        StatusCode::OK,
        "Supported attachments fetched successfully.",
        attachments::supported(),
    ))
}
