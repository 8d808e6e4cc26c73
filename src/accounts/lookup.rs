//! Finding an account by e-mail: the EmailClaim aggregate names its owner.

use clara_aggregates::names::normalise_email;
use clara_aggregates::User;

use crate::commands::recent::Recent;
use crate::commands::Loaded;
use crate::error::ApiError;
use crate::state::AppState;

/// Registered owners by normalised address. Once its owner is registered, an address's claim
/// can no longer be taken over, so its owner need not be read again.
#[derive(Default)]
pub struct Owners(Recent<String>);

impl Owners {
    fn get(&self, email: &str) -> Option<String> {
        self.0.get(email).map(|(_, user_id)| user_id)
    }

    fn remember(&self, email: &str, user_id: &str) {
        // Every entry is final, so all carry the same version.
        self.0.keep(email, 1, &user_id.to_string());
    }
}

/// The registered user owning `email`, with their aggregate as loaded.
pub async fn by_email(
    state: &AppState,
    email: &str,
) -> Result<Option<(String, Loaded<User>)>, ApiError> {
    let email = normalise_email(email);
    let owner = match state.owners.get(&email) {
        Some(user_id) => Some(user_id),
        None => state.claims.load(&email).await?.owner().map(str::to_string),
    };
    let Some(user_id) = owner else {
        return Ok(None);
    };
    let user = state.users.load(&user_id).await?;
    if !user.is_registered() {
        return Ok(None);
    }
    state.owners.remember(&email, &user_id);
    Ok(Some((user_id, user)))
}
