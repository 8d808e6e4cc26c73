//! What the User aggregate is asked to do, with the facts the service resolved first, and the
//! typed refusals it answers with.

use super::otp::OtpType;

/// A session to open: its id and when it expires, chosen by the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub session_id: String,
    pub expires_at_ms: i64,
}

/// A code to issue: its random id, the MAC of the code, when it is issued and expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOtp {
    pub otp_id: String,
    pub code_mac: String,
    pub issued_at_ms: i64,
    pub expires_at_ms: i64,
}

/// A code presented by the caller, as the MAC the service computed of it, at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented {
    pub code_mac: String,
    pub now_ms: i64,
}

/// The second factor of a sign-in or of turning two-factor off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecondFactor {
    /// A TWO_FACTOR_AUTH code that was e-mailed; it counts only while no authenticator is
    /// enrolled.
    Emailed(Presented),
    /// An authenticator-app code checked against the secret sealed as `sealed`: the time step
    /// it matched, or `None` when it matched none. It counts only while that secret is the
    /// one enrolled.
    Totp { step: Option<u64>, sealed: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserCommand {
    /// Create the account, its first session and its activation code. The e-mail must
    /// already be claimed for this user and the password already hashed: facts the service
    /// resolves first.
    Register {
        email: String,
        first_name: String,
        last_name: String,
        password_hash: String,
        session: NewSession,
        activation: NewOtp,
        api_key_id: String,
    },
    /// Create an active account from a verified Google identity, signed in.
    RegisterWithGoogle {
        email: String,
        name: Option<String>,
        google_subject: String,
        session: NewSession,
        api_key_id: String,
    },
    /// Give up a registration that claimed an address but never completed, so that another
    /// may take the address over; refused once the account is registered. Of this and the
    /// account's own Register, whichever commits first wins.
    Abandon,
    /// Replace the API key: the previous one stops working at once.
    ResetApiKey {
        key_id: String,
    },
    /// Sign in with a verified Google identity whose e-mail is this account's: links the
    /// subject on first use and activates the account (Google verified the address). An
    /// account never activated may have been registered by someone else first: its sessions
    /// close, its password is cleared and `api_key_id` replaces its API key.
    SignInWithGoogle {
        google_subject: String,
        session: NewSession,
        api_key_id: String,
        now_ms: i64,
    },
    /// A sign-in attempt. `password_matches` is the service's verification of the password
    /// against `checked_hash`; a mismatch is recorded, not refused. With two-factor sign-in
    /// on, `code` is the second factor; a wrong one is recorded like a wrong password.
    Login {
        password_matches: bool,
        checked_hash: String,
        code: Option<SecondFactor>,
        session: NewSession,
        now_ms: i64,
    },
    Logout {
        session_id: String,
    },
    UpdateProfile {
        first_name: Option<String>,
        last_name: Option<String>,
        is_dark_mode: Option<bool>,
    },
    /// Send a code of `otp_type`, within the hourly cap on sends.
    IssueOtp {
        otp_type: OtpType,
        otp: NewOtp,
    },
    /// Present a code without using it: a wrong one is recorded, a dead one refused, a right
    /// one left live for the command that follows (so costly work waits for a right code).
    TryCode {
        otp_type: OtpType,
        code: Presented,
    },
    Activate {
        code: Presented,
    },
    /// Replace the password; every session but `keep_session` closes and `api_key_id`
    /// replaces the API key, which any session could have read.
    ChangePassword {
        code: Presented,
        password_hash: String,
        keep_session: Option<String>,
        api_key_id: String,
    },
    /// Turn two-factor sign-in on with an e-mailed code; with `totp_sealed`, also enrol an
    /// authenticator app whose secret the service generated and sealed.
    EnableTwoFactor {
        code: Presented,
        totp_sealed: Option<String>,
    },
    DisableTwoFactor {
        code: SecondFactor,
        now_ms: i64,
    },
    /// Delete the account: with the owner's DELETE_ACCOUNT `code`, or with none when the
    /// operator deletes it.
    DeleteAccount {
        code: Option<Presented>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("the user is already registered")]
    AlreadyRegistered,
    #[error("the registration was abandoned and its address taken over")]
    Abandoned,
    #[error("no such user")]
    NotFound,
    #[error("sign-in is temporarily locked after repeated failures")]
    Locked,
    #[error("the session is not open")]
    SessionNotOpen,
    #[error("the one-time code is missing, expired or used up")]
    InvalidCode,
    #[error("two-factor sign-in needs a valid code")]
    SecondFactorRequired,
    #[error("the account is linked to another Google identity")]
    GoogleMismatch,
    #[error("too many codes were sent; another may be sent in {retry_after_ms} ms")]
    TooManyCodes { retry_after_ms: i64 },
}
