//! State of the User aggregate, how its events change it, and which decision each command
//! goes to.

use std::collections::BTreeMap;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::commands::{UserCommand, UserError};
use super::otp::{Check, CodeHistory, LiveOtp, OtpType};
use super::UserEvent;

/// How long past its expiry a session is forgotten: processes whose clocks differ by less
/// all agree by then that it is over.
pub const FORGET_SESSIONS_AFTER_MS: i64 = 3_600_000;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct User {
    pub(super) registered: bool,
    #[serde(default)]
    pub(super) abandoned: bool,
    /// Deleted: never registered again, and nothing of the person kept.
    #[serde(default)]
    pub(super) deleted: bool,
    pub(super) email: String,
    pub(super) password_hash: String,
    pub(super) active: bool,
    pub(super) two_factor: bool,
    /// Open sessions and when each expires.
    pub(super) sessions: BTreeMap<String, i64>,
    /// Wrong passwords and second factors in a row, and until when sign-in is refused.
    pub(super) failures: u32,
    pub(super) locked_until_ms: i64,
    pub(super) otps: BTreeMap<OtpType, LiveOtp>,
    #[serde(default)]
    pub(super) code_history: BTreeMap<OtpType, CodeHistory>,
    pub(super) totp_sealed: Option<String>,
    pub(super) last_totp_step: u64,
    pub(super) google_subject: Option<String>,
}

impl User {
    pub fn is_registered(&self) -> bool {
        self.registered
    }

    pub fn email(&self) -> &str {
        &self.email
    }

    /// The argon2id PHC string to verify a password against; empty when there is none.
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

    /// What presenting `code_mac` as a code of `otp_type` at `now_ms` would amount to, without
    /// recording anything: lets the service skip costly work for a code that will fail.
    pub fn check_code(&self, otp_type: OtpType, code_mac: &str, now_ms: i64) -> Check {
        let exhausted = self
            .code_history
            .get(&otp_type)
            .is_some_and(|history| history.tries_exhausted(now_ms));
        match self.otps.get(&otp_type) {
            Some(otp) if !exhausted => otp.check(code_mac, now_ms),
            _ => Check::Dead,
        }
    }

    /// Commands other than the registering ones need a registered account.
    fn existing(&mut self) -> Result<&mut Self, UserError> {
        if self.registered {
            Ok(self)
        } else {
            Err(UserError::NotFound)
        }
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
        match command {
            UserCommand::Register {
                email,
                first_name,
                last_name,
                password_hash,
                session,
                activation,
                api_key_id,
            } => {
                let names = (first_name, last_name);
                self.register(
                    email,
                    names,
                    password_hash,
                    session,
                    activation,
                    api_key_id,
                    sink,
                )
                .await
            }
            UserCommand::RegisterWithGoogle {
                email,
                name,
                google_subject,
                session,
                api_key_id,
            } => {
                self.register_with_google(email, name, google_subject, session, api_key_id, sink)
                    .await
            }
            UserCommand::Abandon => self.abandon(sink).await,
            UserCommand::SignInWithGoogle {
                google_subject,
                session,
                api_key_id,
                now_ms,
            } => {
                self.existing()?
                    .sign_in_with_google(google_subject, session, api_key_id, now_ms, sink)
                    .await
            }
            UserCommand::Login {
                password_matches,
                checked_hash,
                code,
                session,
                now_ms,
            } => {
                let password_ok = password_matches && checked_hash == self.password_hash;
                self.existing()?
                    .login(password_ok, code, session, now_ms, sink)
                    .await
            }
            UserCommand::ResetApiKey { key_id } => {
                self.existing()?;
                sink.write(UserEvent::ApiKeyIssued { key_id }, self).await;
                Ok(())
            }
            UserCommand::Logout { session_id } => self.existing()?.logout(session_id, sink).await,
            UserCommand::UpdateProfile {
                first_name,
                last_name,
                is_dark_mode,
            } => {
                self.existing()?
                    .update_profile(first_name, last_name, is_dark_mode, sink)
                    .await
            }
            UserCommand::IssueOtp { otp_type, otp } => {
                self.existing()?.issue_otp(otp_type, otp, sink).await
            }
            UserCommand::TryCode { otp_type, code } => {
                self.existing()?.try_code(otp_type, &code, sink).await
            }
            UserCommand::Activate { code } => self.existing()?.activate(&code, sink).await,
            UserCommand::ChangePassword {
                code,
                password_hash,
                keep_session,
                api_key_id,
            } => {
                self.existing()?
                    .change_password(&code, password_hash, keep_session, api_key_id, sink)
                    .await
            }
            UserCommand::EnableTwoFactor { code, totp_sealed } => {
                self.existing()?
                    .enable_two_factor(&code, totp_sealed, sink)
                    .await
            }
            UserCommand::DeleteAccount { code } => {
                self.existing()?.delete_account(code.as_ref(), sink).await
            }
            UserCommand::DisableTwoFactor { code, now_ms } => {
                self.existing()?
                    .disable_two_factor(&code, now_ms, sink)
                    .await
            }
        }
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
            UserEvent::ApiKeyIssued { .. }
            | UserEvent::ProfileUpdated { .. }
            | UserEvent::SignInRefusedWhileLocked { .. } => {}
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
            }
            | UserEvent::SecondFactorFailed {
                failures,
                locked_until_ms,
                ..
            } => {
                self.failures = failures;
                self.locked_until_ms = locked_until_ms;
            }
            UserEvent::OtpIssued {
                otp_type,
                code_mac,
                issued_at_ms,
                expires_at_ms,
                ..
            } => {
                let otp = LiveOtp {
                    code_mac,
                    expires_at_ms,
                    failures: 0,
                };
                self.otps.insert(otp_type, otp);
                let history = self.code_history.entry(otp_type).or_default();
                history.record_send(issued_at_ms);
            }
            UserEvent::OtpFailed {
                otp_type,
                failures,
                at_ms,
            } => {
                if let Some(otp) = self.otps.get_mut(&otp_type) {
                    otp.failures = failures;
                }
                let history = self.code_history.entry(otp_type).or_default();
                history.record_failure(at_ms);
            }
            UserEvent::OtpConsumed { otp_type } => {
                self.otps.remove(&otp_type);
            }
            UserEvent::Activated => self.active = true,
            UserEvent::PasswordChanged { password_hash } => self.password_hash = password_hash,
            UserEvent::PasswordCleared => self.password_hash.clear(),
            UserEvent::TwoFactorEnabled => self.two_factor = true,
            UserEvent::TwoFactorDisabled => {
                self.two_factor = false;
                self.totp_sealed = None;
            }
            UserEvent::TotpEnrolled { secret_sealed } => self.totp_sealed = Some(secret_sealed),
            UserEvent::TotpStepUsed { step } => self.last_totp_step = step,
            UserEvent::AccountDeleted => {
                *self = User {
                    deleted: true,
                    ..User::default()
                }
            }
        }
    }
}
