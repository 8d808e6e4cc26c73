//! Given/when/then rules of the User aggregate.

use super::lockout::{FIRST_LOCK_MS, MAX_FAILED_LOGINS};
use super::*;
use cqrs_es::test::TestFramework;

type Users = TestFramework<User>;

const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA";
const NOW: i64 = 1_700_000_000_000;

fn session(id: &str) -> NewSession {
    NewSession {
        session_id: id.into(),
        expires_at_ms: NOW + 1_000,
    }
}

fn register(email: &str, first: &str, last: &str) -> UserCommand {
    UserCommand::Register {
        email: email.into(),
        first_name: first.into(),
        last_name: last.into(),
        password_hash: HASH.into(),
        session: session("s0"),
        activation: NewOtp {
            otp_id: "otp_1".into(),
            code_mac: "mac".into(),
            issued_at_ms: NOW,
            expires_at_ms: NOW + 600_000,
        },
        api_key_id: "api_key_1".into(),
    }
}

fn registered(email: &str, first: &str, last: &str) -> UserEvent {
    UserEvent::Registered {
        email: email.into(),
        first_name: first.into(),
        last_name: last.into(),
        password_hash: HASH.into(),
    }
}

fn opened(id: &str) -> UserEvent {
    UserEvent::SessionOpened {
        session_id: id.into(),
        expires_at_ms: NOW + 1_000,
    }
}

fn login(password_matches: bool, now_ms: i64) -> UserCommand {
    UserCommand::Login {
        password_matches,
        checked_hash: HASH.into(),
        code: None,
        session: session("s1"),
        now_ms,
    }
}

fn failed(failures: u32, at_ms: i64, locked_until_ms: i64) -> UserEvent {
    UserEvent::LoginFailed {
        at_ms,
        failures,
        locked_until_ms,
    }
}

fn ada() -> Vec<UserEvent> {
    vec![
        registered("ada@example.com", "Ada", "Lovelace"),
        opened("s0"),
    ]
}

/// Ada after `n` wrong passwords in a row, the last at NOW.
fn ada_after_failures(n: u32) -> Vec<UserEvent> {
    let mut events = ada();
    for failures in 1..=n {
        events.push(failed(
            failures,
            NOW,
            super::lockout::lock_until(failures, NOW),
        ));
    }
    events
}

#[tokio::test]
async fn registering_title_cases_names_opens_a_session_and_issues_an_activation_code() {
    Users::with(())
        .given_no_previous_events()
        .when_async(register(" Ada@Example.com", " aDA ", "LOVELACE"))
        .await
        .then_expect_events(vec![
            registered("ada@example.com", "Ada", "Lovelace"),
            opened("s0"),
            UserEvent::OtpIssued {
                otp_id: "otp_1".into(),
                otp_type: OtpType::Activation,
                code_mac: "mac".into(),
                issued_at_ms: NOW,
                expires_at_ms: NOW + 600_000,
                sent_to: "ada@example.com".into(),
            },
            UserEvent::ApiKeyIssued {
                key_id: "api_key_1".into(),
            },
        ]);
}

#[tokio::test]
async fn a_registered_user_cannot_register_again() {
    Users::with(())
        .given(ada())
        .when_async(register("ada@example.com", "Ada", "Lovelace"))
        .await
        .then_expect_error(UserError::AlreadyRegistered);
}

#[tokio::test]
async fn commands_to_an_unregistered_user_are_refused() {
    Users::with(())
        .given_no_previous_events()
        .when_async(login(true, NOW))
        .await
        .then_expect_error(UserError::NotFound);
}

#[tokio::test]
async fn a_right_password_opens_a_session() {
    Users::with(())
        .given(ada())
        .when_async(login(true, NOW))
        .await
        .then_expect_events(vec![opened("s1")]);
}

#[tokio::test]
async fn a_password_checked_against_a_replaced_hash_counts_as_wrong() {
    let mut events = ada();
    events.push(UserEvent::PasswordChanged {
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3".into(),
    });
    Users::with(())
        .given(events)
        .when_async(login(true, NOW))
        .await
        .then_expect_events(vec![failed(1, NOW, 0)]);
}

#[tokio::test]
async fn a_wrong_password_is_recorded_with_the_running_count() {
    Users::with(())
        .given(ada_after_failures(3))
        .when_async(login(false, NOW))
        .await
        .then_expect_events(vec![failed(4, NOW, 0)]);
}

#[tokio::test]
async fn the_last_tolerated_failure_does_not_lock_and_the_next_one_does() {
    Users::with(())
        .given(ada_after_failures(MAX_FAILED_LOGINS - 2))
        .when_async(login(false, NOW))
        .await
        .then_expect_events(vec![failed(MAX_FAILED_LOGINS - 1, NOW, 0)]);
    Users::with(())
        .given(ada_after_failures(MAX_FAILED_LOGINS - 1))
        .when_async(login(false, NOW))
        .await
        .then_expect_events(vec![failed(MAX_FAILED_LOGINS, NOW, NOW + FIRST_LOCK_MS)]);
}

#[tokio::test]
async fn a_right_password_is_refused_while_locked_and_accepted_once_the_lock_ends() {
    Users::with(())
        .given(ada_after_failures(MAX_FAILED_LOGINS))
        .when_async(login(true, NOW + FIRST_LOCK_MS - 1))
        .await
        .then_expect_events(vec![UserEvent::SignInRefusedWhileLocked {
            at_ms: NOW + FIRST_LOCK_MS - 1,
        }]);
    Users::with(())
        .given(ada_after_failures(MAX_FAILED_LOGINS))
        .when_async(login(true, NOW + FIRST_LOCK_MS))
        .await
        .then_expect_events(vec![opened("s1")]);
}

fn expired(ids: &[&str]) -> UserEvent {
    UserEvent::SessionsExpired {
        session_ids: ids.iter().map(|id| id.to_string()).collect(),
    }
}

#[tokio::test]
async fn signing_in_forgets_the_sessions_expired_by_then_and_keeps_the_others() {
    let mut history = ada();
    history.push(UserEvent::SessionOpened {
        session_id: "s_later".into(),
        expires_at_ms: NOW + 5_000,
    });
    // s0 expires at NOW + 1_000 and is forgotten an hour after that, not a moment sooner.
    let forgotten_at = NOW + 1_000 + FORGET_SESSIONS_AFTER_MS;
    Users::with(())
        .given(history.clone())
        .when_async(login(true, forgotten_at - 1))
        .await
        .then_expect_events(vec![opened("s1")]);
    Users::with(())
        .given(history.clone())
        .when_async(login(true, forgotten_at))
        .await
        .then_expect_events(vec![expired(&["s0"]), opened("s1")]);
    // A forgotten session cannot be signed out of again; a live one still can.
    history.push(expired(&["s0"]));
    Users::with(())
        .given(history.clone())
        .when_async(UserCommand::Logout {
            session_id: "s0".into(),
        })
        .await
        .then_expect_error(UserError::SessionNotOpen);
    Users::with(())
        .given(history)
        .when_async(UserCommand::Logout {
            session_id: "s_later".into(),
        })
        .await
        .then_expect_events(vec![UserEvent::SessionClosed {
            session_id: "s_later".into(),
        }]);
}

#[tokio::test]
async fn a_success_resets_the_failure_count() {
    let mut history = ada_after_failures(5);
    history.push(opened("s1"));
    Users::with(())
        .given(history)
        .when_async(login(false, NOW))
        .await
        .then_expect_events(vec![failed(1, NOW, 0)]);
}

#[tokio::test]
async fn logout_closes_an_open_session_only() {
    Users::with(())
        .given(ada())
        .when_async(UserCommand::Logout {
            session_id: "s0".into(),
        })
        .await
        .then_expect_events(vec![UserEvent::SessionClosed {
            session_id: "s0".into(),
        }]);
    let mut closed = ada();
    closed.push(UserEvent::SessionClosed {
        session_id: "s0".into(),
    });
    Users::with(())
        .given(closed)
        .when_async(UserCommand::Logout {
            session_id: "s0".into(),
        })
        .await
        .then_expect_error(UserError::SessionNotOpen);
}

#[tokio::test]
async fn a_profile_update_title_cases_the_names_it_changes() {
    Users::with(())
        .given(ada())
        .when_async(UserCommand::UpdateProfile {
            first_name: Some("augusta ada".into()),
            last_name: None,
            is_dark_mode: Some(false),
        })
        .await
        .then_expect_events(vec![UserEvent::ProfileUpdated {
            first_name: Some("Augusta Ada".into()),
            last_name: None,
            is_dark_mode: Some(false),
        }]);
}

#[tokio::test]
async fn a_reset_issues_a_new_api_key() {
    Users::with(())
        .given(ada())
        .when_async(UserCommand::ResetApiKey {
            key_id: "api_key_2".into(),
        })
        .await
        .then_expect_events(vec![UserEvent::ApiKeyIssued {
            key_id: "api_key_2".into(),
        }]);
}

/// Ada with `n` open sessions, s0 (the oldest) to s{n-1}.
fn ada_with_sessions(n: usize) -> Vec<UserEvent> {
    let mut events = vec![registered("ada@example.com", "Ada", "Lovelace")];
    events.extend((0..n).map(|i| UserEvent::SessionOpened {
        session_id: format!("s{i}"),
        expires_at_ms: NOW + 1_000 + i as i64,
    }));
    events
}

#[tokio::test]
async fn opening_a_session_past_the_cap_closes_the_oldest() {
    Users::with(())
        .given(ada_with_sessions(MAX_OPEN_SESSIONS - 1))
        .when_async(login(true, NOW))
        .await
        .then_expect_events(vec![opened("s1")]);
    Users::with(())
        .given(ada_with_sessions(MAX_OPEN_SESSIONS))
        .when_async(login(true, NOW))
        .await
        .then_expect_events(vec![
            UserEvent::SessionClosed {
                session_id: "s0".into(),
            },
            opened("s1"),
        ]);
}
