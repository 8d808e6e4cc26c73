//! Given/when/then rules for giving up a registration that never completed.

use super::*;
use cqrs_es::test::TestFramework;

type Users = TestFramework<User>;

const NOW: i64 = 1_700_000_000_000;

fn session() -> NewSession {
    NewSession {
        session_id: "s0".into(),
        expires_at_ms: NOW + 1_000,
    }
}

fn register() -> UserCommand {
    UserCommand::Register {
        email: "ada@example.com".into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        password_hash: "hash".into(),
        session: session(),
        activation: NewOtp {
            otp_id: "otp_1".into(),
            code_mac: "mac".into(),
            issued_at_ms: NOW,
            expires_at_ms: NOW + 600_000,
        },
        api_key_id: "api_key_1".into(),
    }
}

fn register_with_google() -> UserCommand {
    UserCommand::RegisterWithGoogle {
        email: "ada@example.com".into(),
        name: Some("Ada".into()),
        google_subject: "g-1".into(),
        session: session(),
        api_key_id: "api_key_1".into(),
    }
}

#[tokio::test]
async fn a_registration_that_never_completed_is_abandoned() {
    Users::with(())
        .given_no_previous_events()
        .when_async(UserCommand::Abandon)
        .await
        .then_expect_events(vec![UserEvent::RegistrationAbandoned]);
}

#[tokio::test]
async fn a_completed_registration_is_never_abandoned() {
    let registered = UserEvent::Registered {
        email: "ada@example.com".into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        password_hash: "hash".into(),
    };
    Users::with(())
        .given(vec![registered])
        .when_async(UserCommand::Abandon)
        .await
        .then_expect_error(UserError::AlreadyRegistered);
}

#[tokio::test]
async fn abandoning_twice_records_it_once() {
    Users::with(())
        .given(vec![UserEvent::RegistrationAbandoned])
        .when_async(UserCommand::Abandon)
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn an_abandoned_registration_cannot_complete() {
    Users::with(())
        .given(vec![UserEvent::RegistrationAbandoned])
        .when_async(register())
        .await
        .then_expect_error(UserError::Abandoned);
}

#[tokio::test]
async fn an_abandoned_registration_cannot_complete_through_google_either() {
    Users::with(())
        .given(vec![UserEvent::RegistrationAbandoned])
        .when_async(register_with_google())
        .await
        .then_expect_error(UserError::Abandoned);
}
