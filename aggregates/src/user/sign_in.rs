//! Decisions about sessions: password and second-factor sign-in with its lockout, Google
//! sign-in, sign-out.

use cqrs_es::event_sink::EventSink;

use super::aggregate::FORGET_SESSIONS_AFTER_MS;
use super::commands::{NewSession, SecondFactor, UserError};
use super::lockout::lock_until;
use super::otp::{Check, OtpType};
use super::{User, UserEvent};

/// Sessions an account may hold open at once; opening another closes the oldest.
pub const MAX_OPEN_SESSIONS: usize = 100;

impl User {
    pub(super) async fn login(
        &mut self,
        password_ok: bool,
        code: Option<SecondFactor>,
        session: NewSession,
        now_ms: i64,
        sink: &EventSink<Self>,
    ) -> Result<(), UserError> {
        // A wrong password is recorded even while locked, so guessing never resets the lock.
        if !password_ok {
            let (failures, locked_until_ms) = self.next_failure(now_ms);
            let event = UserEvent::LoginFailed {
                at_ms: now_ms,
                failures,
                locked_until_ms,
            };
            sink.write(event, self).await;
            return Ok(());
        }
        if now_ms < self.locked_until_ms {
            // Recorded like a wrong password, at the same cost, so the time taken does not
            // tell a guesser that this password was the right one.
            let event = UserEvent::SignInRefusedWhileLocked { at_ms: now_ms };
            sink.write(event, self).await;
            return Ok(());
        }
        if self.two_factor {
            let code = code.ok_or(UserError::SecondFactorRequired)?;
            if !self.second_factor_passes(&code, sink).await {
                self.second_factor_failed(now_ms, sink).await;
                return Ok(());
            }
        }
        self.open(session, now_ms, sink).await;
        Ok(())
    }

    /// The failure count and lock after one more wrong password or second factor.
    fn next_failure(&self, now_ms: i64) -> (u32, i64) {
        let failures = self.failures.saturating_add(1);
        (failures, lock_until(failures, now_ms))
    }

    /// Records a wrong second factor, counted with wrong passwords toward the lockout.
    pub(super) async fn second_factor_failed(&mut self, now_ms: i64, sink: &EventSink<Self>) {
        let (failures, locked_until_ms) = self.next_failure(now_ms);
        let event = UserEvent::SecondFactorFailed {
            at_ms: now_ms,
            failures,
            locked_until_ms,
        };
        sink.write(event, self).await;
    }

    /// Checks a second factor. Once an authenticator is enrolled only its codes count, each
    /// time step once; before, an e-mailed TWO_FACTOR_AUTH code (a wrong one is recorded on
    /// the code too).
    pub(super) async fn second_factor_passes(
        &mut self,
        factor: &SecondFactor,
        sink: &EventSink<Self>,
    ) -> bool {
        match (factor, &self.totp_sealed) {
            (SecondFactor::Totp { step, sealed }, Some(enrolled)) => {
                let fresh = step.filter(|step| sealed == enrolled && *step > self.last_totp_step);
                let Some(step) = fresh else {
                    return false;
                };
                sink.write(UserEvent::TotpStepUsed { step }, self).await;
                true
            }
            (SecondFactor::Emailed(code), None) => {
                let check = self.check_code(OtpType::TwoFactorAuth, &code.code_mac, code.now_ms);
                self.record_check(OtpType::TwoFactorAuth, check, code.now_ms, sink)
                    .await;
                check == Check::Valid
            }
            _ => false,
        }
    }

    pub(super) async fn sign_in_with_google(
        &mut self,
        google_subject: String,
        session: NewSession,
        api_key_id: String,
        now_ms: i64,
        sink: &EventSink<Self>,
    ) -> Result<(), UserError> {
        match &self.google_subject {
            Some(linked) if *linked != google_subject => return Err(UserError::GoogleMismatch),
            Some(_) => {}
            None => {
                sink.write(UserEvent::GoogleLinked { google_subject }, self)
                    .await
            }
        }
        if !self.active {
            // Whoever registered this address before its owner proved it keeps nothing:
            // not a session, the password, nor the API key.
            let sessions: Vec<String> = self.sessions.keys().cloned().collect();
            for session_id in sessions {
                sink.write(UserEvent::SessionClosed { session_id }, self)
                    .await;
            }
            if !self.password_hash.is_empty() {
                sink.write(UserEvent::PasswordCleared, self).await;
            }
            sink.write(UserEvent::ApiKeyIssued { key_id: api_key_id }, self)
                .await;
            sink.write(UserEvent::Activated, self).await;
        }
        self.open(session, now_ms, sink).await;
        Ok(())
    }

    pub(super) async fn logout(
        &mut self,
        session_id: String,
        sink: &EventSink<Self>,
    ) -> Result<(), UserError> {
        if !self.sessions.contains_key(&session_id) {
            return Err(UserError::SessionNotOpen);
        }
        sink.write(UserEvent::SessionClosed { session_id }, self)
            .await;
        Ok(())
    }

    /// Opens `session`, first forgetting sessions long expired by `now_ms`, so that an
    /// account signing in for years holds only its live sessions, and closing the oldest
    /// beyond [`MAX_OPEN_SESSIONS`], so that no one can pile up sessions without bound.
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
        let mut by_age: Vec<(i64, String)> = self
            .sessions
            .iter()
            .map(|(id, expires_at_ms)| (*expires_at_ms, id.clone()))
            .collect();
        by_age.sort();
        let excess = (by_age.len() + 1).saturating_sub(MAX_OPEN_SESSIONS);
        for (_, session_id) in by_age.into_iter().take(excess) {
            sink.write(UserEvent::SessionClosed { session_id }, self)
                .await;
        }
        sink.write(opened(session), self).await;
    }
}

pub(super) fn opened(session: NewSession) -> UserEvent {
    UserEvent::SessionOpened {
        session_id: session.session_id,
        expires_at_ms: session.expires_at_ms,
    }
}
