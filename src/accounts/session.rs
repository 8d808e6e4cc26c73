//! Sign-in and sign-out: sessions on the User aggregate and the tokens that name them.

use clara_aggregates::names::normalise_email;
use clara_aggregates::{NewSession, UserCommand};
use clara_projections::UserView;

use crate::auth::token::issue_user_token;
use crate::clock::now_ms;
use crate::commands::Meta;
use crate::error::{ApiError, Resource};
use crate::ids::new_id;
use crate::state::AppState;
use crate::storage::views;

/// A new session for `user_id` and the token that names it.
pub fn new_session(state: &AppState, user_id: &str) -> (NewSession, String) {
    let now = now_ms();
    let session = NewSession {
        session_id: new_id("session"),
        expires_at_ms: now + state.settings.session_expiry_ms,
    };
    let token = issue_user_token(
        &state.secrets.jwt_secret,
        user_id,
        &session.session_id,
        now,
        session.expires_at_ms,
    );
    (session, token)
}

/// Signs in with e-mail and password. Unknown e-mail, wrong password and a locked account
/// all answer 401 after the same hashing work; every wrong password is recorded.
pub async fn login(
    state: &AppState,
    email: &str,
    password: String,
    meta: &Meta,
) -> Result<(UserView, String), ApiError> {
    let email = normalise_email(email);
    let owner = state.claims.load(&email).await?.owner().map(str::to_string);
    let mut account = None;
    if let Some(user_id) = owner {
        let user = state.users.load(&user_id).await?;
        if user.is_registered() {
            account = Some((user_id, user.password_hash().to_string()));
        }
    }
    let matches = state
        .passwords
        .verify(password, account.as_ref().map(|(_, hash)| hash.clone()))
        .await?;
    let Some((user_id, _)) = account else {
        return Err(ApiError::Unauthorized);
    };
    let (session, token) = new_session(state, &user_id);
    let command = UserCommand::Login {
        password_matches: matches,
        session,
        now_ms: now_ms(),
    };
    state.users.execute(&user_id, command, meta).await?;
    if !matches {
        return Err(ApiError::Unauthorized);
    }
    Ok((user_view(state, &user_id).await?, token))
}

/// Closes the caller's session: its token stops working at once.
pub async fn logout(
    state: &AppState,
    user_id: &str,
    session_id: &str,
    meta: &Meta,
) -> Result<(), ApiError> {
    let command = UserCommand::Logout {
        session_id: session_id.to_string(),
    };
    state.users.execute(user_id, command, meta).await
}

/// The user view after a command; its absence means the user does not exist.
pub async fn user_view(state: &AppState, user_id: &str) -> Result<UserView, ApiError> {
    views::user(&state.db, user_id)
        .await?
        .ok_or(ApiError::NotFound(Resource::User))
}
