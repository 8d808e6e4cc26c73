//! State, commands and decisions of the User aggregate.

use std::collections::BTreeMap;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::lockout::lock_until;
use super::otp::{Check, LiveOtp, OtpType};
use super::UserEvent;
use crate::names::{normalise_email, title_case};

/// A session to open: its id and when it expires, chosen by the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub session_id: String,
    pub expires_at_ms: i64,
}

/// A code to issue: its random id, the MAC of the code, and its expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOtp {
    pub otp_id: String,
    pub code_mac: String,
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
    /// A TWO_FACTOR_AUTH code that was e-mailed.
    Emailed(Presented),
    /// An authenticator-app code the service found valid for this time step of the
    /// secret sealed as `sealed`; it counts only while that secret is the one enrolled.
    Totp { step: u64, sealed: String },
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
    /// subject on first use and activates the account (Google verified the address).
    SignInWithGoogle {
        google_subject: String,
        session: NewSession,
        now_ms: i64,
    },
    /// A sign-in attempt. `password_matches` is the service's verification of the password
    /// against `checked_hash`; a mismatch is recorded, not refused. With two-factor
    /// sign-in on, `code` must be a live TWO_FACTOR_AUTH code.
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
    IssueOtp {
        otp_type: OtpType,
        otp: NewOtp,
    },
    Activate {
        code: Presented,
    },
    /// Replace the password; every session but `keep_session` closes.
    ChangePassword {
        code: Presented,
        password_hash: String,
        keep_session: Option<String>,
    },
    /// Turn two-factor sign-in on with an e-mailed code; with `totp_sealed`, also enrol an
    /// authenticator app whose secret the service generated and sealed.
    EnableTwoFactor {
        code: Presented,
        totp_sealed: Option<String>,
    },
    DisableTwoFactor {
        code: SecondFactor,
    },
}

/// How long past its expiry a session is forgotten: processes whose clocks differ by less
/// all agree by then that it is over.
pub const FORGET_SESSIONS_AFTER_MS: i64 = 3_600_000;

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
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct User {
    registered: bool,
    #[serde(default)]
    abandoned: bool,
    email: String,
    password_hash: String,
    active: bool,
    two_factor: bool,
    /// Open sessions and when each expires.
    sessions: BTreeMap<String, i64>,
    failures: u32,
    locked_until_ms: i64,
    otps: BTreeMap<OtpType, LiveOtp>,
    totp_sealed: Option<String>,
    last_totp_step: u64,
    google_subject: Option<String>,
}

impl User {
    pub fn is_registered(&self) -> bool {
        self.registered
    }

    /// Whether Register may create this account: not yet registered, nor given up.
    fn registrable(&self) -> Result<(), UserError> {
        if self.registered {
            return Err(UserError::AlreadyRegistered);
        }
        if self.abandoned {
            return Err(UserError::Abandoned);
        }
        Ok(())
    }

    pub fn email(&self) -> &str {
        &self.email
    }

    /// The argon2id PHC string to verify a password against.
    pub fn password_hash(&self) -> &str {
        &self.password_hash
    }

    pub fn is_two_factor_enabled(&self) -> bool {
        self.two_factor
    }

    /// The sealed authenticator-app secret, when one is enrolled.
    pub fn totp_sealed(&self) -> Option<&str> {
        self.totp_sealed.as_deref()
    }

    /// Checks a second factor: an e-mailed code as [`User::verify`] does; an authenticator
    /// step only once and only after the last one used.
    async fn verify_second(
        &mut self,
        factor: &SecondFactor,
        sink: &EventSink<Self>,
    ) -> Result<bool, UserError> {
        match factor {
            SecondFactor::Emailed(code) => self.verify(OtpType::TwoFactorAuth, code, sink).await,
            SecondFactor::Totp { step, sealed } => {
                let enrolled = self.totp_sealed.as_ref() == Some(sealed);
                if !enrolled || *step <= self.last_totp_step {
                    return Err(UserError::InvalidCode);
                }
                sink.write(UserEvent::TotpStepUsed { step: *step }, self)
                    .await;
                Ok(true)
            }
        }
    }

    /// Checks a presented code of `otp_type`: a wrong one is recorded and `Ok(false)`; a
    /// missing, expired or used-up one is refused.
    async fn verify(
        &mut self,
        otp_type: OtpType,
        code: &Presented,
        sink: &EventSink<Self>,
    ) -> Result<bool, UserError> {
        let check = self
            .otps
            .get(&otp_type)
            .map_or(Check::Dead, |otp| otp.check(&code.code_mac, code.now_ms));
        match check {
            Check::Dead => Err(UserError::InvalidCode),
            Check::Wrong => {
                let failures = self.otps.get(&otp_type).map_or(0, |otp| otp.failures) + 1;
                sink.write(UserEvent::OtpFailed { otp_type, failures }, self)
                    .await;
                Ok(false)
            }
            Check::Valid => {
                sink.write(UserEvent::OtpConsumed { otp_type }, self).await;
                Ok(true)
            }
        }
    }

    fn issue(&self, otp_type: OtpType, otp: NewOtp) -> UserEvent {
        UserEvent::OtpIssued {
            otp_id: otp.otp_id,
            otp_type,
            code_mac: otp.code_mac,
            expires_at_ms: otp.expires_at_ms,
            sent_to: self.email.clone(),
        }
    }

    async fn login(
        &mut self,
        password_matches: bool,
        checked_hash: &str,
        code: Option<SecondFactor>,
        session: NewSession,
        now_ms: i64,
        sink: &EventSink<Self>,
    ) -> Result<(), UserError> {
        // A password checked against a hash that has since been replaced says nothing about
        // the current one: the password changed while it was being checked.
        if !password_matches || checked_hash != self.password_hash {
            let failures = self.failures + 1;
            let locked_until_ms = lock_until(failures, now_ms);
            let event = UserEvent::LoginFailed {
                at_ms: now_ms,
                failures,
                locked_until_ms,
            };
            sink.write(event, self).await;
            return Ok(());
        }
        if now_ms < self.locked_until_ms {
            return Err(UserError::Locked);
        }
        if self.two_factor {
            let code = code.ok_or(UserError::SecondFactorRequired)?;
            let passed = self
                .verify_second(&code, sink)
                .await
                .map_err(|_| UserError::SecondFactorRequired)?;
            if !passed {
                return Ok(());
            }
        }
        self.open(session, now_ms, sink).await;
        Ok(())
    }

    /// Opens `session`, first forgetting sessions long expired by `now_ms`, so that an
    /// account signing in for years holds only its live sessions.
    async fn open(&mut self, session: NewSession, now_ms: i64, sink: &EventSink<Self>) {
        let session_ids: Vec<String> = self
            .sessions
            .iter()
            .filter(|(_, expires_at_ms)| **expires_at_ms + FORGET_SESSIONS_AFTER_MS <= now_ms)
            .map(|(id, _)| id.clone())
            .collect();
        if !session_ids.is_empty() {
            sink.write(UserEvent::SessionsExpired { session_ids }, self)
                .await;
        }
        sink.write(open(session), self).await;
    }
}

impl Aggregate for User {
    const TYPE: &'static str = "User";
    type Command = UserCommand;
    type Event = UserEvent;
    type Error = UserError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        if let UserCommand::Register {
            email,
            first_name,
            last_name,
            password_hash,
            session,
            activation,
            api_key_id,
        } = command
        {
            self.registrable()?;
            let event = UserEvent::Registered {
                email: normalise_email(&email),
                first_name: title_case(first_name.trim()),
                last_name: title_case(last_name.trim()),
                password_hash,
            };
            sink.write(event, self).await;
            sink.write(open(session), self).await;
            sink.write(self.issue(OtpType::Activation, activation), self)
                .await;
            sink.write(UserEvent::ApiKeyIssued { key_id: api_key_id }, self)
                .await;
            return Ok(());
        }
        if let UserCommand::RegisterWithGoogle {
            email,
            name,
            google_subject,
            session,
            api_key_id,
        } = command
        {
            self.registrable()?;
            let first_name = name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
            let event = UserEvent::RegisteredWithGoogle {
                email: normalise_email(&email),
                first_name,
                google_subject,
            };
            sink.write(event, self).await;
            sink.write(UserEvent::Activated, self).await;
            sink.write(open(session), self).await;
            sink.write(UserEvent::ApiKeyIssued { key_id: api_key_id }, self)
                .await;
            return Ok(());
        }
        if let UserCommand::Abandon = command {
            if self.registered {
                return Err(UserError::AlreadyRegistered);
            }
            if !self.abandoned {
                sink.write(UserEvent::RegistrationAbandoned, self).await;
            }
            return Ok(());
        }
        if !self.registered {
            return Err(UserError::NotFound);
        }
        match command {
            UserCommand::Register { .. }
            | UserCommand::RegisterWithGoogle { .. }
            | UserCommand::Abandon => {
                unreachable!("handled above")
            }
            UserCommand::SignInWithGoogle {
                google_subject,
                session,
                now_ms,
            } => {
                match &self.google_subject {
                    Some(linked) if *linked != google_subject => {
                        return Err(UserError::GoogleMismatch)
                    }
                    Some(_) => {}
                    None => {
                        sink.write(UserEvent::GoogleLinked { google_subject }, self)
                            .await
                    }
                }
                if !self.active {
                    sink.write(UserEvent::Activated, self).await;
                }
                self.open(session, now_ms, sink).await;
            }
            UserCommand::Login {
                password_matches,
                checked_hash,
                code,
                session,
                now_ms,
            } => {
                self.login(password_matches, &checked_hash, code, session, now_ms, sink)
                    .await?;
            }
            UserCommand::ResetApiKey { key_id } => {
                sink.write(UserEvent::ApiKeyIssued { key_id }, self).await;
            }
            UserCommand::Logout { session_id } => {
                if !self.sessions.contains_key(&session_id) {
                    return Err(UserError::SessionNotOpen);
                }
                sink.write(UserEvent::SessionClosed { session_id }, self)
                    .await;
            }
            UserCommand::UpdateProfile {
                first_name,
                last_name,
                is_dark_mode,
            } => {
                let event = UserEvent::ProfileUpdated {
                    first_name: first_name.map(|n| title_case(n.trim())),
                    last_name: last_name.map(|n| title_case(n.trim())),
                    is_dark_mode,
                };
                sink.write(event, self).await;
            }
            UserCommand::IssueOtp { otp_type, otp } => {
                sink.write(self.issue(otp_type, otp), self).await;
            }
            UserCommand::Activate { code } => {
                if self.verify(OtpType::Activation, &code, sink).await? && !self.active {
                    sink.write(UserEvent::Activated, self).await;
                }
            }
            UserCommand::ChangePassword {
                code,
                password_hash,
                keep_session,
            } => {
                if self.verify(OtpType::ChangePassword, &code, sink).await? {
                    sink.write(UserEvent::PasswordChanged { password_hash }, self)
                        .await;
                    let others: Vec<String> = self
                        .sessions
                        .keys()
                        .filter(|s| Some(*s) != keep_session.as_ref())
                        .cloned()
                        .collect();
                    for session_id in others {
                        sink.write(UserEvent::SessionClosed { session_id }, self)
                            .await;
                    }
                }
            }
            UserCommand::EnableTwoFactor { code, totp_sealed } => {
                if self.verify(OtpType::TwoFactorAuth, &code, sink).await? {
                    if let Some(secret_sealed) = totp_sealed {
                        sink.write(UserEvent::TotpEnrolled { secret_sealed }, self)
                            .await;
                    }
                    if !self.two_factor {
                        sink.write(UserEvent::TwoFactorEnabled, self).await;
                    }
                }
            }
            UserCommand::DisableTwoFactor { code } => {
                if self.verify_second(&code, sink).await? && self.two_factor {
                    sink.write(UserEvent::TwoFactorDisabled, self).await;
                }
            }
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            UserEvent::Registered {
                email,
                password_hash,
                ..
            } => {
                self.registered = true;
                self.email = email;
                self.password_hash = password_hash;
            }
            UserEvent::RegisteredWithGoogle {
                email,
                google_subject,
                ..
            } => {
                self.registered = true;
                self.email = email;
                self.google_subject = Some(google_subject);
            }
            UserEvent::RegistrationAbandoned => self.abandoned = true,
            UserEvent::GoogleLinked { google_subject } => {
                self.google_subject = Some(google_subject)
            }
            UserEvent::ApiKeyIssued { .. } => {}
            UserEvent::SessionOpened {
                session_id,
                expires_at_ms,
            } => {
                self.sessions.insert(session_id, expires_at_ms);
                self.failures = 0;
                self.locked_until_ms = 0;
            }
            UserEvent::SessionClosed { session_id } => {
                self.sessions.remove(&session_id);
            }
            UserEvent::SessionsExpired { session_ids } => {
                for session_id in session_ids {
                    self.sessions.remove(&session_id);
                }
            }
            UserEvent::LoginFailed {
                failures,
                locked_until_ms,
                ..
            } => {
                self.failures = failures;
                self.locked_until_ms = locked_until_ms;
            }
            UserEvent::ProfileUpdated { .. } => {}
            UserEvent::OtpIssued {
                otp_type,
                code_mac,
                expires_at_ms,
                ..
            } => {
                self.otps.insert(
                    otp_type,
                    LiveOtp {
                        code_mac,
                        expires_at_ms,
                        failures: 0,
                    },
                );
            }
            UserEvent::OtpFailed { otp_type, failures } => {
                if let Some(otp) = self.otps.get_mut(&otp_type) {
                    otp.failures = failures;
                }
            }
            UserEvent::OtpConsumed { otp_type } => {
                self.otps.remove(&otp_type);
            }
            UserEvent::Activated => self.active = true,
            UserEvent::PasswordChanged { password_hash } => self.password_hash = password_hash,
            UserEvent::TwoFactorEnabled => self.two_factor = true,
            UserEvent::TwoFactorDisabled => {
                self.two_factor = false;
                self.totp_sealed = None;
            }
            UserEvent::TotpEnrolled { secret_sealed } => self.totp_sealed = Some(secret_sealed),
            UserEvent::TotpStepUsed { step } => self.last_totp_step = step,
        }
    }
}

fn open(session: NewSession) -> UserEvent {
    UserEvent::SessionOpened {
        session_id: session.session_id,
        expires_at_ms: session.expires_at_ms,
    }
}
