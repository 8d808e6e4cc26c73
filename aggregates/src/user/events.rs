//! Events of the User aggregate: a permanent contract, versioned, never renamed.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::otp::OtpType;
use crate::redaction::{Redaction, Shown};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(strum::EnumIter))]
pub enum UserEvent {
    /// The account was created, inactive. `password_hash` is an argon2id PHC string, never the
    /// password itself.
    Registered {
        email: String,
        first_name: String,
        last_name: String,
        password_hash: String,
    },
    /// The account was created, already active, by signing in with Google: no password, and
    /// the Google subject it is linked to.
    RegisteredWithGoogle {
        email: String,
        first_name: Option<String>,
        google_subject: String,
    },
    /// The registration that claimed this account's address never completed: found more
    /// than a minute later, it was given up so that another could take the address over.
    /// The account can no longer be registered.
    RegistrationAbandoned,
    /// An existing account was linked to a Google subject.
    GoogleLinked {
        google_subject: String,
    },
    /// An API key was issued (at registration, or by a reset that retires the previous one).
    /// Only its id is kept: the token is derived from it, never stored.
    ApiKeyIssued {
        key_id: String,
    },
    /// A sign-in session began; tokens naming it are valid until it closes or expires.
    SessionOpened {
        session_id: String,
        expires_at_ms: i64,
    },
    SessionClosed {
        session_id: String,
    },
    /// Sessions past their expiry, forgotten by the account when it next signed in. Their
    /// tokens had already stopped working when they expired.
    SessionsExpired {
        session_ids: Vec<String>,
    },
    /// A sign-in with a wrong password: `failures` in a row so far, and the time until which
    /// sign-in is refused (0 when not locked).
    LoginFailed {
        at_ms: i64,
        failures: u32,
        locked_until_ms: i64,
    },
    /// A sign-in with the right password but a wrong, missing-from-the-log or expired
    /// second-factor code: counted with wrong passwords toward the same lockout.
    SecondFactorFailed {
        at_ms: i64,
        failures: u32,
        locked_until_ms: i64,
    },
    /// A sign-in while the account was locked: refused whatever the password, and recorded
    /// so that a right password costs what a wrong one does.
    SignInRefusedWhileLocked {
        at_ms: i64,
    },
    /// The password was removed: the account signs in through Google until a new one is set
    /// with a CHANGE_PASSWORD code.
    PasswordCleared,
    ProfileUpdated {
        first_name: Option<String>,
        last_name: Option<String>,
        is_dark_mode: Option<bool>,
    },
    /// A one-time code was issued to `sent_to`, replacing any live code of its type. Only a
    /// MAC of the code is kept; `otp_id` lets the mailer derive the code to send.
    OtpIssued {
        otp_id: String,
        otp_type: OtpType,
        code_mac: String,
        /// 0 in events recorded before the hourly caps existed.
        #[serde(default)]
        issued_at_ms: i64,
        expires_at_ms: i64,
        sent_to: String,
    },
    /// A wrong code was presented: `failures` wrong tries of this code so far.
    OtpFailed {
        otp_type: OtpType,
        failures: u32,
        /// 0 in events recorded before the hourly caps existed.
        #[serde(default)]
        at_ms: i64,
    },
    OtpConsumed {
        otp_type: OtpType,
    },
    Activated,
    /// The password was replaced (argon2id PHC string).
    PasswordChanged {
        password_hash: String,
    },
    TwoFactorEnabled,
    TwoFactorDisabled,
    /// An authenticator-app secret was enrolled, sealed (encrypted) with a server key.
    TotpEnrolled {
        secret_sealed: String,
    },
    /// The account was deleted, by its owner with a DELETE_ACCOUNT code or by the operator:
    /// its sessions and API key stop working, its address is free to register again, and
    /// every view forgets the person. The log keeps the account's events.
    AccountDeleted,
    /// An authenticator code of this 30-second step was accepted; no code of it or an
    /// earlier step is accepted again.
    TotpStepUsed {
        step: u64,
    },
}

/// A refused attempt that a command recorded rather than refused outright, so that it
/// counts: the command succeeds, its caller does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedAttempt {
    WrongPassword,
    WrongCode,
    WrongSecondFactor,
}

impl FailedAttempt {
    /// The refused attempt among a command's events, if any; a wrong e-mailed second factor
    /// is also a wrong code, and counts as the former.
    pub fn among(events: &[UserEvent]) -> Option<Self> {
        events
            .iter()
            .filter_map(|event| match event {
                UserEvent::SecondFactorFailed { .. } => Some(FailedAttempt::WrongSecondFactor),
                UserEvent::LoginFailed { .. } | UserEvent::SignInRefusedWhileLocked { .. } => {
                    Some(FailedAttempt::WrongPassword)
                }
                UserEvent::OtpFailed { .. } => Some(FailedAttempt::WrongCode),
                _ => None,
            })
            .min_by_key(|attempt| match attempt {
                FailedAttempt::WrongSecondFactor => 0,
                FailedAttempt::WrongPassword => 1,
                FailedAttempt::WrongCode => 2,
            })
    }
}

impl DomainEvent for UserEvent {
    fn event_type(&self) -> String {
        match self {
            UserEvent::Registered { .. } => "Registered",
            UserEvent::RegisteredWithGoogle { .. } => "RegisteredWithGoogle",
            UserEvent::RegistrationAbandoned => "RegistrationAbandoned",
            UserEvent::GoogleLinked { .. } => "GoogleLinked",
            UserEvent::ApiKeyIssued { .. } => "ApiKeyIssued",
            UserEvent::SessionOpened { .. } => "SessionOpened",
            UserEvent::SessionClosed { .. } => "SessionClosed",
            UserEvent::SessionsExpired { .. } => "SessionsExpired",
            UserEvent::LoginFailed { .. } => "LoginFailed",
            UserEvent::SecondFactorFailed { .. } => "SecondFactorFailed",
            UserEvent::SignInRefusedWhileLocked { .. } => "SignInRefusedWhileLocked",
            UserEvent::PasswordCleared => "PasswordCleared",
            UserEvent::ProfileUpdated { .. } => "ProfileUpdated",
            UserEvent::OtpIssued { .. } => "OtpIssued",
            UserEvent::OtpFailed { .. } => "OtpFailed",
            UserEvent::OtpConsumed { .. } => "OtpConsumed",
            UserEvent::Activated => "Activated",
            UserEvent::PasswordChanged { .. } => "PasswordChanged",
            UserEvent::TwoFactorEnabled => "TwoFactorEnabled",
            UserEvent::TwoFactorDisabled => "TwoFactorDisabled",
            UserEvent::TotpEnrolled { .. } => "TotpEnrolled",
            UserEvent::TotpStepUsed { .. } => "TotpStepUsed",
            UserEvent::AccountDeleted => "AccountDeleted",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}

/// What history and export show of each field. The code's id derives the code with a
/// server key, so it is as secret as the code's MAC.
impl Redaction for UserEvent {
    const FIELDS: &'static [(&'static str, &'static str, Shown)] = &[
        ("Registered", "email", Shown::Personal),
        ("Registered", "first_name", Shown::Personal),
        ("Registered", "last_name", Shown::Personal),
        ("Registered", "password_hash", Shown::Redacted),
        ("RegisteredWithGoogle", "email", Shown::Personal),
        ("RegisteredWithGoogle", "first_name", Shown::Personal),
        ("RegisteredWithGoogle", "google_subject", Shown::Personal),
        ("GoogleLinked", "google_subject", Shown::Personal),
        ("ApiKeyIssued", "key_id", Shown::Kept),
        ("SessionOpened", "session_id", Shown::Kept),
        ("SessionOpened", "expires_at_ms", Shown::Kept),
        ("SessionClosed", "session_id", Shown::Kept),
        ("SessionsExpired", "session_ids", Shown::Kept),
        ("LoginFailed", "at_ms", Shown::Kept),
        ("LoginFailed", "failures", Shown::Kept),
        ("LoginFailed", "locked_until_ms", Shown::Kept),
        ("SecondFactorFailed", "at_ms", Shown::Kept),
        ("SecondFactorFailed", "failures", Shown::Kept),
        ("SecondFactorFailed", "locked_until_ms", Shown::Kept),
        ("SignInRefusedWhileLocked", "at_ms", Shown::Kept),
        ("ProfileUpdated", "first_name", Shown::Personal),
        ("ProfileUpdated", "last_name", Shown::Personal),
        ("ProfileUpdated", "is_dark_mode", Shown::Kept),
        ("OtpIssued", "otp_id", Shown::Redacted),
        ("OtpIssued", "otp_type", Shown::Kept),
        ("OtpIssued", "code_mac", Shown::Redacted),
        ("OtpIssued", "issued_at_ms", Shown::Kept),
        ("OtpIssued", "expires_at_ms", Shown::Kept),
        ("OtpIssued", "sent_to", Shown::Personal),
        ("OtpFailed", "otp_type", Shown::Kept),
        ("OtpFailed", "failures", Shown::Kept),
        ("OtpFailed", "at_ms", Shown::Kept),
        ("OtpConsumed", "otp_type", Shown::Kept),
        ("PasswordChanged", "password_hash", Shown::Redacted),
        ("TotpEnrolled", "secret_sealed", Shown::Redacted),
        ("TotpStepUsed", "step", Shown::Kept),
    ];
}
