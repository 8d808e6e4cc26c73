//! Registration: hash the password, claim the e-mail race-free, then create the user.

use clara_aggregates::names::normalise_email;
use clara_aggregates::{EmailClaimCommand, EmailClaimError, OtpType, UserCommand};
use clara_projections::UserView;

use crate::accounts::otp::new_otp;
use crate::accounts::session::new_session;
use crate::accounts::users::view_after;
use crate::commands::{retry_on_conflict, CommitError, Meta};
use crate::error::AppError;
use crate::ids::new_id;
use crate::state::AppState;

pub struct NewUser {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub password: String,
}

/// Registers a user, signed in, and returns the view the caller will see and the session's
/// token. Of two concurrent registrations of one address, exactly one claims it; the other is
/// refused: the address is already claimed.
pub async fn register(
    state: &AppState,
    input: NewUser,
    meta: &Meta,
) -> Result<(UserView, String), AppError> {
    let password_hash = state.passwords.hash(input.password).await?;
    let email = normalise_email(&input.email);
    let user_id = new_id("user");
    retry_on_conflict(|| claim_email(state, &email, &user_id, meta)).await?;
    let (session, token) = new_session(state, &user_id);
    let command = UserCommand::Register {
        email,
        first_name: input.first_name,
        last_name: input.last_name,
        password_hash,
        session,
        activation: new_otp(state, &user_id, OtpType::Activation),
        api_key_id: new_id("api_key"),
    };
    let account = state.users.fresh(&user_id);
    let executed = state.users.execute_on(account, command, meta).await?;
    state.mailer.nudge();
    Ok((view_after(state, &user_id, executed.views).await?, token))
}

/// Claims `email` for `user_id`. The first try assumes nothing about a current owner. Only
/// when the address is taken, by a claim old enough that its registration should have
/// completed long ago, is the owner's registration given up and the address taken over: a
/// registration that crashed between claiming and registering would otherwise hold it for
/// good.
pub(crate) async fn claim_email(
    state: &AppState,
    email: &str,
    user_id: &str,
    meta: &Meta,
) -> Result<(), AppError> {
    let claim = |owner_abandoned| EmailClaimCommand::Claim {
        user_id: user_id.to_string(),
        owner_abandoned,
        now_ms: state.clock.now_ms(),
    };
    let claim_id = state.claim_ids.of(email);
    let taken = match state
        .claims
        .execute_once(&claim_id, claim(false), meta)
        .await
    {
        Err(CommitError::Domain(taken @ EmailClaimError::AlreadyClaimed)) => taken,
        first => return first.map(drop).map_err(AppError::from),
    };
    let current = state.claims.load(&claim_id).await?;
    let owner = match current.owner() {
        Some(owner) if current.is_stale(state.clock.now_ms()) => owner.to_string(),
        _ => return Err(taken.into()),
    };
    // Refused if the owner has registered: of this and the owner's own Register, whichever
    // commits first wins, so a registration that was only slow is never overtaken.
    state
        .users
        .execute(&owner, UserCommand::Abandon, meta)
        .await?;
    state
        .claims
        .execute_once(&claim_id, claim(true), meta)
        .await?;
    Ok(())
}
