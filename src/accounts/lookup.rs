//! Finding an account by e-mail: the EmailClaim aggregate names its owner.

use clara_aggregates::User;

use crate::commands::Loaded;
use crate::error::AppError;
use crate::state::AppState;

/// The registered user owning `email`, with their aggregate as loaded. Text that cannot
/// be an address (a NUL, say, which PostgreSQL refuses) owns nothing, and never reaches the
/// store. Addresses are not held to registration's syntax here: Google vouches for some
/// that it would refuse.
pub async fn by_email(
    state: &AppState,
    email: &str,
) -> Result<Option<(String, Loaded<User>)>, AppError> {
    if email.len() > 254 || email.chars().any(char::is_control) {
        return Ok(None);
    }
    let owner = state
        .claims
        .load(&state.claim_ids.of(email))
        .await?
        .owner()
        .map(str::to_string);
    owned_by(state, owner).await
}

/// The account of `owner`, if there is one and it is registered.
async fn owned_by(
    state: &AppState,
    owner: Option<String>,
) -> Result<Option<(String, Loaded<User>)>, AppError> {
    let Some(user_id) = owner else {
        return Ok(None);
    };
    let user = state.users.load(&user_id).await?;
    Ok(registered(user_id, user))
}

fn registered(user_id: String, user: Loaded<User>) -> Option<(String, Loaded<User>)> {
    user.is_registered().then_some((user_id, user))
}
