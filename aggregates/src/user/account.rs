//! Decisions that create, give up or edit an account.

use cqrs_es::event_sink::EventSink;

use super::commands::{NewOtp, NewSession, UserError};
use super::otp::OtpType;
use super::sign_in::opened;
use super::{User, UserEvent};
use crate::names::{normalise_email, title_case};

impl User {
    /// Whether Register may create this account: not yet registered, nor deleted, nor given
    /// up.
    fn registrable(&self) -> Result<(), UserError> {
        if self.registered || self.deleted {
            return Err(UserError::AlreadyRegistered);
        }
        if self.abandoned {
            return Err(UserError::Abandoned);
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn register(
        &mut self,
        email: String,
        (first_name, last_name): (String, String),
        password_hash: String,
        session: NewSession,
        activation: NewOtp,
        api_key_id: String,
        sink: &EventSink<Self>,
    ) -> Result<(), UserError> {
        self.registrable()?;
        let event = UserEvent::Registered {
            email: normalise_email(&email),
            first_name: title_case(first_name.trim()),
            last_name: title_case(last_name.trim()),
            password_hash,
        };
        sink.write(event, self).await;
        sink.write(opened(session), self).await;
        sink.write(self.issued(OtpType::Activation, activation), self)
            .await;
        sink.write(UserEvent::ApiKeyIssued { key_id: api_key_id }, self)
            .await;
        Ok(())
    }

    pub(super) async fn register_with_google(
        &mut self,
        email: String,
        name: Option<String>,
        google_subject: String,
        session: NewSession,
        api_key_id: String,
        sink: &EventSink<Self>,
    ) -> Result<(), UserError> {
        self.registrable()?;
        let first_name = name.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
        let event = UserEvent::RegisteredWithGoogle {
            email: normalise_email(&email),
            first_name,
            google_subject,
        };
        sink.write(event, self).await;
        sink.write(UserEvent::Activated, self).await;
        sink.write(opened(session), self).await;
        sink.write(UserEvent::ApiKeyIssued { key_id: api_key_id }, self)
            .await;
        Ok(())
    }

    pub(super) async fn abandon(&mut self, sink: &EventSink<Self>) -> Result<(), UserError> {
        if self.registered {
            return Err(UserError::AlreadyRegistered);
        }
        if !self.abandoned {
            sink.write(UserEvent::RegistrationAbandoned, self).await;
        }
        Ok(())
    }

    pub(super) async fn update_profile(
        &mut self,
        first_name: Option<String>,
        last_name: Option<String>,
        is_dark_mode: Option<bool>,
        sink: &EventSink<Self>,
    ) -> Result<(), UserError> {
        let event = UserEvent::ProfileUpdated {
            first_name: first_name.map(|n| title_case(n.trim())),
            last_name: last_name.map(|n| title_case(n.trim())),
            is_dark_mode,
        };
        sink.write(event, self).await;
        Ok(())
    }
}
