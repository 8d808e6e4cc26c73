//! One-time codes: issuing them (the mailer delivers them) and the commands they unlock —
//! activation, password change, two-factor sign-in on and off.

use clara_aggregates::{Check, NewOtp, OtpType, Presented, SecondFactor, User, UserCommand};
use clara_projections::UserView;

use crate::accounts::lookup::by_email;
use crate::accounts::users::view_after;
use crate::auth::totp::Enrolment;
use crate::commands::{Committed, Meta};
use crate::error::{AppError, Resource};
use crate::ids::new_id;
use crate::state::AppState;

/// A fresh code of `otp_type` for `user_id`: its id and MAC, never the code itself.
pub fn new_otp(state: &AppState, user_id: &str, otp_type: OtpType) -> NewOtp {
    let otp_id = new_id("otp");
    let code = state.otp.code(&otp_id);
    let now_ms = state.clock.now_ms();
    NewOtp {
        code_mac: state.otp.mac(user_id, otp_type, &code),
        issued_at_ms: now_ms,
        expires_at_ms: now_ms + state.settings.otp_expiry_ms,
        otp_id,
    }
}

/// A code as the caller presented it, for the aggregate to check.
pub fn presented(state: &AppState, user_id: &str, otp_type: OtpType, code: &str) -> Presented {
    Presented {
        code_mac: state.otp.mac(user_id, otp_type, code),
        now_ms: state.clock.now_ms(),
    }
}

/// A wrong code or second factor is recorded (the command commits) but the caller is still
/// refused.
fn refused(committed: Committed<User>) -> Result<Committed<User>, AppError> {
    match committed.refusal {
        Some(_) => Err(AppError::Unauthenticated),
        None => Ok(committed),
    }
}

/// Issues a code of `otp_type` to the owner of `email` and wakes the mailer.
pub async fn send(
    state: &AppState,
    email: &str,
    otp_type: OtpType,
    meta: &Meta,
) -> Result<(), AppError> {
    let (user_id, _) = by_email(state, email)
        .await?
        .ok_or(AppError::NotFound(Resource::User))?;
    let command = UserCommand::IssueOtp {
        otp_type,
        otp: new_otp(state, &user_id, otp_type),
    };
    state.users.execute(&user_id, command, meta).await?;
    state.mailer.nudge();
    Ok(())
}

/// Activates the owner of `email` with an ACTIVATION code.
pub async fn activate(
    state: &AppState,
    email: &str,
    code: &str,
    meta: &Meta,
) -> Result<UserView, AppError> {
    let (user_id, _) = by_email(state, email)
        .await?
        .ok_or(AppError::NotFound(Resource::User))?;
    let command = UserCommand::Activate {
        code: presented(state, &user_id, OtpType::Activation, code),
    };
    let executed = state.users.execute(&user_id, command, meta).await?;
    let executed = refused(executed)?;
    view_after(state, &user_id, executed.views).await
}

/// Sets a new password with a CHANGE_PASSWORD code; every session but `keep_session` closes.
/// `acting_user`, when a user token made the call, must own the address.
pub async fn change_password(
    state: &AppState,
    email: &str,
    password: String,
    code: &str,
    acting_user: Option<(&str, &str)>,
    meta: &Meta,
) -> Result<(), AppError> {
    let (user_id, _) = by_email(state, email)
        .await?
        .ok_or(AppError::NotFound(Resource::User))?;
    if acting_user.is_some_and(|(caller, _)| caller != user_id) {
        return Err(AppError::Forbidden);
    }
    let code = presented(state, &user_id, OtpType::ChangePassword, code);
    // Hashing costs ~15 ms of a core: a code that will fail is recorded without it.
    let user = state.users.load(&user_id).await?;
    if user.check_code(OtpType::ChangePassword, &code.code_mac, code.now_ms) != Check::Valid {
        let otp_type = OtpType::ChangePassword;
        let command = UserCommand::TryCode { otp_type, code };
        state.users.execute(&user_id, command, meta).await?;
        return Err(AppError::Unauthenticated);
    }
    let password_hash = state.passwords.hash(password).await?;
    let command = UserCommand::ChangePassword {
        code,
        password_hash,
        keep_session: acting_user.map(|(_, session)| session.to_string()),
        api_key_id: new_id("api_key"),
    };
    refused(state.users.execute(&user_id, command, meta).await?).map(drop)
}

/// A second factor as presented: with an authenticator enrolled, the step of its secret the
/// code matches (if any); otherwise an e-mailed TWO_FACTOR_AUTH code.
pub fn second_factor(state: &AppState, user_id: &str, user: &User, code: &str) -> SecondFactor {
    match user.totp_sealed() {
        Some(sealed) => SecondFactor::Totp {
            step: state.totp.matching_step(sealed, code, state.clock.now_ms()),
            sealed: sealed.to_string(),
        },
        None => SecondFactor::Emailed(presented(state, user_id, OtpType::TwoFactorAuth, code)),
    }
}

/// Turns two-factor sign-in on with an e-mailed TWO_FACTOR_AUTH code. With `authenticator`,
/// also enrols an authenticator app and returns its otpauth:// URL and secret — the only
/// time they are shown.
pub async fn enable_two_factor(
    state: &AppState,
    user_id: &str,
    code: &str,
    authenticator: bool,
    meta: &Meta,
) -> Result<Option<Enrolment>, AppError> {
    let enrolment = if authenticator {
        let email = state.users.load(user_id).await?.email().to_string();
        Some(state.totp.enrol(&email)?)
    } else {
        None
    };
    let command = UserCommand::EnableTwoFactor {
        code: presented(state, user_id, OtpType::TwoFactorAuth, code),
        totp_sealed: enrolment.as_ref().map(|e| e.sealed.clone()),
    };
    refused(state.users.execute(user_id, command, meta).await?)?;
    Ok(enrolment)
}

/// Turns two-factor sign-in off with an e-mailed or authenticator code.
pub async fn disable_two_factor(
    state: &AppState,
    user_id: &str,
    code: &str,
    meta: &Meta,
) -> Result<(), AppError> {
    let user = state.users.load(user_id).await?;
    let command = UserCommand::DisableTwoFactor {
        code: second_factor(state, user_id, &user, code),
        now_ms: state.clock.now_ms(),
    };
    refused(state.users.execute(user_id, command, meta).await?).map(drop)
}
