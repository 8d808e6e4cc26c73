//! User routes: View.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::context::Caller;
use super::{render, success};
use crate::error::{ApiError, Resource};
use crate::state::AppState;
use crate::storage::views;

/// `GET /users/{user_id}`: 200 with the user, 404 when there is no such user.
pub async fn view(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require_private()?;
    let view = views::user(&state.db, &user_id)
        .await?
        .ok_or(ApiError::NotFound(Resource::User))?;
    Ok(success(
        StatusCode::OK,
        "User fetched successfully.",
        render::user(&view),
    ))
}
