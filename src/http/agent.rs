//! Agent routes: the attachment types the agent accepts, and submitting an analysis.

use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::context::Caller;
use super::error::ApiError;
use super::openapi::{AnalysisForm, Envelope};
use super::path::Path;
use super::success;
use super::tasks::task_object;
use super::upload::{read_form, MAX_CONTENT_CHARS};
use crate::agent::{attachments, tasks};
use crate::state::AppState;

/// `GET /users/{user_id}/agent/supported_attachments`: the owner's token or API key on an
/// active account, or the private key.
#[utoipa::path(get, path = "/api/v1/users/{user_id}/agent/supported_attachments", tag = "agent", params(("user_id" = String, Path, description = "A `user_…` id")), responses((status = 200, description = "Extensions by category", body = Envelope)), security(("user_token" = []), ("api_key" = []), ("private_key" = [])))]
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

/// `POST /users/{user_id}/agent/analysis`: a paid task from a multipart form; the caller,
/// the analyzer's configuration and the balance are checked before a byte of it is read.
#[utoipa::path(post, path = "/api/v1/users/{user_id}/agent/analysis", tag = "agent", params(("user_id" = String, Path, description = "A `user_…` id")), request_body(content = inline(AnalysisForm), content_type = "multipart/form-data"), responses((status = 201, description = "A PENDING task, charged", body = Envelope)), security(("user_token" = []), ("api_key" = []), ("private_key" = [])))]
pub async fn analysis(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    caller.require_active_or_admin(&state, &user_id).await?;
    tasks::admit(&state, &user_id).await?;
    let multipart = form.map_err(|_| ApiError::EmptyBody)?;
    // Forms are held in memory while read (up to 5 files at the limit each): a few at a time.
    let _reading = state.uploads.acquire().await.map_err(anyhow::Error::from)?;
    let form = read_form(multipart, state.settings.agent.max_file_bytes).await?;
    created(&state, &caller, &user_id, form.content, form.uploads).await
}

/// An analysis of a text alone (the MCP tool's), by the same rules as the form's content.
pub async fn analyse_text(
    state: &AppState,
    caller: &Caller,
    user_id: &str,
    content: String,
) -> Result<Response, ApiError> {
    caller.require_active_or_admin(state, user_id).await?;
    tasks::admit(state, user_id).await?;
    let too_long = content.chars().count() > MAX_CONTENT_CHARS;
    if content.trim().is_empty() || too_long {
        return Err(ApiError::InvalidSchema);
    }
    created(state, caller, user_id, content, Vec::new()).await
}

async fn created(
    state: &AppState,
    caller: &Caller,
    user_id: &str,
    content: String,
    uploads: Vec<tasks::Upload>,
) -> Result<Response, ApiError> {
    let task = tasks::submit(state, user_id, content, uploads, &caller.meta).await?;
    Ok(success(
        StatusCode::CREATED,
        "Task created successfully.",
        task_object(&task),
    ))
}
