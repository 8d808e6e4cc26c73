//! Decisions gated by one-time codes: sending them within the hourly caps, and activation,
//! password change and two-factor sign-in on and off.

use cqrs_es::event_sink::EventSink;

use super::commands::{NewOtp, Presented, SecondFactor, UserError};
use super::otp::{Check, OtpType};
use super::{User, UserEvent};

impl User {
    pub(super) fn issued(&self, otp_type: OtpType, otp: NewOtp) -> UserEvent {
        UserEvent::OtpIssued {
            otp_id: otp.otp_id,
            otp_type,
            code_mac: otp.code_mac,
            issued_at_ms: otp.issued_at_ms,
            expires_at_ms: otp.expires_at_ms,
            sent_to: self.email.clone(),
        }
    }

    pub(super) async fn issue_otp(
        &mut self,
        otp_type: OtpType,
        otp: NewOtp,
        sink: &EventSink<Self>,
    ) -> Result<(), UserError> {
        let history = self
            .code_history
            .get(&otp_type)
            .cloned()
            .unwrap_or_default();
        history
            .may_send(otp.issued_at_ms)
            .map_err(|retry_after_ms| UserError::TooManyCodes { retry_after_ms })?;
        sink.write(self.issued(otp_type, otp), self).await;
        Ok(())
    }

    /// Records what presenting a code amounted to: a right one is used up, a wrong one
    /// counted (on the code and toward the hourly cap), a dead one leaves no trace.
    pub(super) async fn record_check(
        &mut self,
        otp_type: OtpType,
        check: Check,
        at_ms: i64,
        sink: &EventSink<Self>,
    ) {
        match check {
            Check::Valid => sink.write(UserEvent::OtpConsumed { otp_type }, self).await,
            Check::Wrong => {
                let failures = self.otps.get(&otp_type).map_or(0, |otp| otp.failures) + 1;
                let event = UserEvent::OtpFailed {
                    otp_type,
                    failures,
                    at_ms,
                };
                sink.write(event, self).await;
            }
            Check::Dead => {}
        }
    }

    /// Presents a code of `otp_type`: `Ok(true)` when right (and used up), `Ok(false)` when
    /// wrong (and recorded), refused when missing, expired or out of tries.
    async fn verify(
        &mut self,
        otp_type: OtpType,
        code: &Presented,
        sink: &EventSink<Self>,
    ) -> Result<bool, UserError> {
        let check = self.check_code(otp_type, &code.code_mac, code.now_ms);
        self.record_check(otp_type, check, code.now_ms, sink).await;
        match check {
            Check::Dead => Err(UserError::InvalidCode),
            Check::Wrong => Ok(false),
            Check::Valid => Ok(true),
        }
    }

    pub(super) async fn try_code(
        &mut self,
        otp_type: OtpType,
        code: &Presented,
        sink: &EventSink<Self>,
    ) -> Result<(), UserError> {
        match self.check_code(otp_type, &code.code_mac, code.now_ms) {
            Check::Valid => Ok(()),
            Check::Wrong => {
                self.record_check(otp_type, Check::Wrong, code.now_ms, sink)
                    .await;
                Ok(())
            }
            Check::Dead => Err(UserError::InvalidCode),
        }
    }

    pub(super) async fn activate(
        &mut self,
        code: &Presented,
        sink: &EventSink<Self>,
    ) -> Result<(), UserError> {
        if self.verify(OtpType::Activation, code, sink).await? && !self.active {
            sink.write(UserEvent::Activated, self).await;
        }
        Ok(())
    }

    pub(super) async fn change_password(
        &mut self,
        code: &Presented,
        password_hash: String,
        keep_session: Option<String>,
        api_key_id: String,
        sink: &EventSink<Self>,
    ) -> Result<(), UserError> {
        if !self.verify(OtpType::ChangePassword, code, sink).await? {
            return Ok(());
        }
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
        sink.write(UserEvent::ApiKeyIssued { key_id: api_key_id }, self)
            .await;
        Ok(())
    }

    /// Deletes the account; with `code` (the owner's), only when it is right. A wrong code
    /// is recorded and deletes nothing.
    pub(super) async fn delete_account(
        &mut self,
        code: Option<&Presented>,
        sink: &EventSink<Self>,
    ) -> Result<(), UserError> {
        if let Some(code) = code {
            if !self.verify(OtpType::DeleteAccount, code, sink).await? {
                return Ok(());
            }
        }
        sink.write(UserEvent::AccountDeleted, self).await;
        Ok(())
    }

    pub(super) async fn enable_two_factor(
        &mut self,
        code: &Presented,
        totp_sealed: Option<String>,
        sink: &EventSink<Self>,
    ) -> Result<(), UserError> {
        // With an authenticator enrolled, an e-mailed code passes nothing, not even a new
        // enrolment that would replace it: turning 2FA off takes the authenticator first.
        if self.totp_sealed.is_some() {
            return Err(UserError::InvalidCode);
        }
        if !self.verify(OtpType::TwoFactorAuth, code, sink).await? {
            return Ok(());
        }
        if let Some(secret_sealed) = totp_sealed {
            sink.write(UserEvent::TotpEnrolled { secret_sealed }, self)
                .await;
        }
        if !self.two_factor {
            sink.write(UserEvent::TwoFactorEnabled, self).await;
        }
        Ok(())
    }

    /// Turning two-factor off takes the same second factor as signing in, and a wrong one
    /// counts toward the same lockout.
    pub(super) async fn disable_two_factor(
        &mut self,
        code: &SecondFactor,
        now_ms: i64,
        sink: &EventSink<Self>,
    ) -> Result<(), UserError> {
        if now_ms < self.locked_until_ms {
            return Err(UserError::Locked);
        }
        if !self.second_factor_passes(code, sink).await {
            self.second_factor_failed(now_ms, sink).await;
            return Ok(());
        }
        if self.two_factor {
            sink.write(UserEvent::TwoFactorDisabled, self).await;
        }
        Ok(())
    }
}
