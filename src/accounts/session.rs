//! Sign-in and sign-out: sessions on the User aggregate and the tokens that name them.

use clara_aggregates::{FailedAttempt, NewSession, UserCommand};
use clara_projections::UserView;

use crate::accounts::lookup::by_email;
use crate::accounts::otp::second_factor;
use crate::accounts::users::view_after;
use crate::auth::token::issue_user_token;
use crate::commands::Meta;
use crate::error::AppError;
use crate::ids::new_id;
use crate::state::AppState;

/// A new session for `user_id` and the token that names it.
pub fn new_session(state: &AppState, user_id: &str) -> (NewSession, String) {
    let now = state.clock.now_ms();
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

/// Signs in with e-mail and password (and a TWO_FACTOR_AUTH code when two-factor sign-in
/// is on). Unknown e-mail, wrong password and a locked account all answer 401 after the same
/// hashing work; every wrong password and wrong code is recorded.
pub async fn login(
    state: &AppState,
    email: &str,
    password: String,
    code: Option<&str>,
    meta: &Meta,
) -> Result<(UserView, String), AppError> {
    let account = by_email(state, email).await?;
    let hash = account
        .as_ref()
        .map(|(_, user)| user.password_hash().to_string());
    let matches = state.passwords.verify(password, hash.clone()).await?;
    let Some((user_id, user)) = account else {
        return Err(AppError::Unauthenticated);
    };
    let (session, token) = new_session(state, &user_id);
    let command = UserCommand::Login {
        password_matches: matches,
        checked_hash: hash.unwrap_or_default(),
        code: code.map(|code| second_factor(state, &user_id, &user, code)),
        session,
        now_ms: state.clock.now_ms(),
    };
    let executed = state.users.execute_on(user, command, meta).await?;
    match executed.refusal {
        // The password was right (the aggregate checks it first) but the second factor not.
        Some(FailedAttempt::WrongSecondFactor) => Err(AppError::SecondFactorRequired),
        // A wrong password, or one checked against a hash replaced meanwhile.
        Some(_) => Err(AppError::Unauthenticated),
        None => Ok((view_after(state, &user_id, executed.views).await?, token)),
    }
}

/// Closes the caller's session: its token stops working at once.
pub async fn logout(
    state: &AppState,
    user_id: &str,
    session_id: &str,
    meta: &Meta,
) -> Result<(), AppError> {
    let command = UserCommand::Logout {
        session_id: session_id.to_string(),
    };
    state.users.execute(user_id, command, meta).await?;
    Ok(())
}
