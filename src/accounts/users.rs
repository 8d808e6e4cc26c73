//! Reading the user object: as a command's own transaction folded it, or as stored.

use clara_projections::{UserView, ViewSet};

use crate::error::{AppError, Resource};
use crate::state::AppState;
use crate::storage::views;

/// The user view after a command whose own transaction folded `views`: as folded there,
/// saving a read, or else as stored.
pub async fn view_after(
    state: &AppState,
    user_id: &str,
    views: Option<ViewSet>,
) -> Result<UserView, AppError> {
    match views.and_then(|mut views| views.users.remove(user_id)) {
        Some(view) => Ok(view),
        None => user_view(state, user_id).await,
    }
}

/// The user view as stored; its absence means the user does not exist.
pub async fn user_view(state: &AppState, user_id: &str) -> Result<UserView, AppError> {
    views::user(&state.db, user_id)
        .await?
        .ok_or(AppError::NotFound(Resource::User))
}
