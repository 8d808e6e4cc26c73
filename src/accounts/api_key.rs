//! API keys: the current key of a user, shown with its derived token, and its reset.

use clara_aggregates::UserCommand;
use clara_projections::ApiKeyView;

use crate::auth::token::api_key_token;
use crate::commands::Meta;
use crate::error::{AppError, Resource};
use crate::ids::new_id;
use crate::state::AppState;
use crate::storage::views;

/// The user's current key and its token.
pub async fn current(state: &AppState, user_id: &str) -> Result<(ApiKeyView, String), AppError> {
    let key = views::api_key(&state.db, user_id)
        .await?
        .ok_or(AppError::NotFound(Resource::ApiKey))?;
    let token = api_key_token(&state.secrets.jwt_secret, user_id, &key.id);
    Ok((key, token))
}

/// Issues a new key; the previous token is refused from the moment this returns.
pub async fn reset(
    state: &AppState,
    user_id: &str,
    meta: &Meta,
) -> Result<(ApiKeyView, String), AppError> {
    let command = UserCommand::ResetApiKey {
        key_id: new_id("api_key"),
    };
    state.users.execute(user_id, command, meta).await?;
    current(state, user_id).await
}
