//! Finding an account by e-mail: the EmailClaim aggregate names its owner.

use clara_aggregates::names::normalise_email;
use clara_aggregates::User;

use crate::commands::Loaded;
use crate::error::ApiError;
use crate::state::AppState;

/// The registered user owning `email`, with their aggregate as loaded.
pub async fn by_email(
    state: &AppState,
    email: &str,
) -> Result<Option<(String, Loaded<User>)>, ApiError> {
    let owner = state
        .claims
        .load(&normalise_email(email))
        .await?
        .owner()
        .map(str::to_string);
    let Some(user_id) = owner else {
        return Ok(None);
    };
    let user = state.users.load(&user_id).await?;
    Ok(user.is_registered().then_some((user_id, user)))
}
