//! Given/when/then rules of one-time codes, activation, password change and two-factor sign-in.

use super::otp::{CODE_WINDOW_MS, MAX_OTP_FAILURES};
use super::*;
use cqrs_es::test::TestFramework;

pub(super) type Users = TestFramework<User>;

pub(super) const NOW: i64 = 1_700_000_000_000;
pub(super) const EXPIRES: i64 = NOW + 600_000;

pub(super) fn ada() -> Vec<UserEvent> {
    vec![
        UserEvent::Registered {
            email: "ada@example.com".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            password_hash: "old".into(),
        },
        opened("s0"),
    ]
}

pub(super) fn opened(id: &str) -> UserEvent {
    UserEvent::SessionOpened {
        session_id: id.into(),
        expires_at_ms: EXPIRES,
    }
}

pub(super) fn issued(otp_type: OtpType, mac: &str) -> UserEvent {
    UserEvent::OtpIssued {
        otp_id: format!("otp_{mac}"),
        otp_type,
        code_mac: mac.into(),
        issued_at_ms: NOW,
        expires_at_ms: EXPIRES,
        sent_to: "ada@example.com".into(),
    }
}

pub(super) fn with(
    mut history: Vec<UserEvent>,
    more: impl IntoIterator<Item = UserEvent>,
) -> Vec<UserEvent> {
    history.extend(more);
    history
}

pub(super) fn code(mac: &str, now_ms: i64) -> Presented {
    Presented {
        code_mac: mac.into(),
        now_ms,
    }
}

fn activate(mac: &str, now_ms: i64) -> UserCommand {
    UserCommand::Activate {
        code: code(mac, now_ms),
    }
}

pub(super) fn failed(otp_type: OtpType, failures: u32) -> UserEvent {
    UserEvent::OtpFailed {
        otp_type,
        failures,
        at_ms: NOW,
    }
}

pub(super) fn consumed(otp_type: OtpType) -> UserEvent {
    UserEvent::OtpConsumed { otp_type }
}

#[tokio::test]
async fn issuing_a_code_records_its_mac_and_the_address_it_goes_to() {
    let command = UserCommand::IssueOtp {
        otp_type: OtpType::Activation,
        otp: NewOtp {
            otp_id: "otp_m".into(),
            code_mac: "m".into(),
            issued_at_ms: NOW,
            expires_at_ms: EXPIRES,
        },
    };
    Users::with(())
        .given(ada())
        .when_async(command)
        .await
        .then_expect_events(vec![issued(OtpType::Activation, "m")]);
}

#[tokio::test]
async fn the_right_code_in_time_activates_and_is_consumed() {
    Users::with(())
        .given(with(ada(), [issued(OtpType::Activation, "m")]))
        .when_async(activate("m", EXPIRES - 1))
        .await
        .then_expect_events(vec![consumed(OtpType::Activation), UserEvent::Activated]);
}

#[tokio::test]
async fn an_expired_code_is_refused_without_a_trace() {
    Users::with(())
        .given(with(ada(), [issued(OtpType::Activation, "m")]))
        .when_async(activate("m", EXPIRES))
        .await
        .then_expect_error(UserError::InvalidCode);
}

#[tokio::test]
async fn a_wrong_code_is_counted() {
    Users::with(())
        .given(with(
            ada(),
            [
                issued(OtpType::Activation, "m"),
                failed(OtpType::Activation, 1),
            ],
        ))
        .when_async(activate("x", NOW))
        .await
        .then_expect_events(vec![failed(OtpType::Activation, 2)]);
}

#[tokio::test]
async fn the_right_code_still_works_after_the_last_tolerated_wrong_try() {
    let tries = (1..MAX_OTP_FAILURES).map(|n| failed(OtpType::Activation, n));
    Users::with(())
        .given(with(with(ada(), [issued(OtpType::Activation, "m")]), tries))
        .when_async(activate("m", NOW))
        .await
        .then_expect_events(vec![consumed(OtpType::Activation), UserEvent::Activated]);
}

#[tokio::test]
async fn after_five_wrong_tries_even_the_right_code_is_refused() {
    let tries = (1..=MAX_OTP_FAILURES).map(|n| failed(OtpType::Activation, n));
    Users::with(())
        .given(with(with(ada(), [issued(OtpType::Activation, "m")]), tries))
        .when_async(activate("m", NOW))
        .await
        .then_expect_error(UserError::InvalidCode);
}

#[tokio::test]
async fn a_new_code_replaces_the_old_and_a_used_code_is_gone() {
    Users::with(())
        .given(with(
            ada(),
            [
                issued(OtpType::Activation, "old"),
                issued(OtpType::Activation, "new"),
            ],
        ))
        .when_async(activate("old", NOW))
        .await
        .then_expect_events(vec![failed(OtpType::Activation, 1)]);
    Users::with(())
        .given(with(
            ada(),
            [
                issued(OtpType::Activation, "m"),
                consumed(OtpType::Activation),
            ],
        ))
        .when_async(activate("m", NOW))
        .await
        .then_expect_error(UserError::InvalidCode);
}

#[tokio::test]
async fn a_code_of_another_type_does_not_count() {
    Users::with(())
        .given(with(ada(), [issued(OtpType::TwoFactorAuth, "m")]))
        .when_async(activate("m", NOW))
        .await
        .then_expect_error(UserError::InvalidCode);
}

#[tokio::test]
async fn a_password_change_closes_every_session_but_the_callers() {
    let command = UserCommand::ChangePassword {
        code: code("m", NOW),
        password_hash: "new".into(),
        keep_session: Some("s1".into()),
        api_key_id: "api_key_2".into(),
    };
    Users::with(())
        .given(with(
            ada(),
            [
                opened("s1"),
                opened("s2"),
                issued(OtpType::ChangePassword, "m"),
            ],
        ))
        .when_async(command)
        .await
        .then_expect_events(vec![
            consumed(OtpType::ChangePassword),
            UserEvent::PasswordChanged {
                password_hash: "new".into(),
            },
            UserEvent::SessionClosed {
                session_id: "s0".into(),
            },
            UserEvent::SessionClosed {
                session_id: "s2".into(),
            },
            UserEvent::ApiKeyIssued {
                key_id: "api_key_2".into(),
            },
        ]);
}

fn issue(mac: &str, at_ms: i64) -> UserCommand {
    UserCommand::IssueOtp {
        otp_type: OtpType::ChangePassword,
        otp: NewOtp {
            otp_id: format!("otp_{mac}"),
            code_mac: mac.into(),
            issued_at_ms: at_ms,
            expires_at_ms: at_ms + 600_000,
        },
    }
}

fn issued_at(mac: &str, at_ms: i64) -> UserEvent {
    UserEvent::OtpIssued {
        otp_id: format!("otp_{mac}"),
        otp_type: OtpType::ChangePassword,
        code_mac: mac.into(),
        issued_at_ms: at_ms,
        expires_at_ms: at_ms + 600_000,
        sent_to: "ada@example.com".into(),
    }
}

#[tokio::test]
async fn at_most_five_codes_of_a_type_are_sent_per_hour() {
    let sent: Vec<UserEvent> = (0..4).map(|i| issued_at("c", NOW + i)).collect();
    Users::with(())
        .given(with(ada(), sent.clone()))
        .when_async(issue("d", NOW + 10))
        .await
        .then_expect_events(vec![issued_at("d", NOW + 10)]);
    let five = with(ada(), with(sent, [issued_at("d", NOW + 10)]));
    Users::with(())
        .given(five.clone())
        .when_async(issue("e", NOW + 20))
        .await
        .then_expect_error(UserError::TooManyCodes {
            retry_after_ms: CODE_WINDOW_MS - 20,
        });
    // Another type has its own budget; the oldest send ageing out frees one.
    Users::with(())
        .given(five.clone())
        .when_async(UserCommand::IssueOtp {
            otp_type: OtpType::Activation,
            otp: NewOtp {
                otp_id: "otp_a".into(),
                code_mac: "a".into(),
                issued_at_ms: NOW + 20,
                expires_at_ms: EXPIRES,
            },
        })
        .await
        .then_expect_events(vec![UserEvent::OtpIssued {
            otp_id: "otp_a".into(),
            otp_type: OtpType::Activation,
            code_mac: "a".into(),
            issued_at_ms: NOW + 20,
            expires_at_ms: EXPIRES,
            sent_to: "ada@example.com".into(),
        }]);
    Users::with(())
        .given(five)
        .when_async(issue("e", NOW + CODE_WINDOW_MS))
        .await
        .then_expect_events(vec![issued_at("e", NOW + CODE_WINDOW_MS)]);
}

fn wrong_try(failures: u32, at_ms: i64) -> UserEvent {
    UserEvent::OtpFailed {
        otp_type: OtpType::ChangePassword,
        failures,
        at_ms,
    }
}

#[tokio::test]
async fn resending_does_not_buy_fresh_guesses_within_the_hour() {
    // Two codes, each tried wrong five times: ten wrong tries this hour.
    let mut history = ada();
    for (i, mac) in ["c", "d"].into_iter().enumerate() {
        history.push(issued_at(mac, NOW + i as i64));
        history.extend((1..=MAX_OTP_FAILURES).map(|n| wrong_try(n, NOW + i as i64)));
    }
    history.push(issued_at("e", NOW + 5));
    let change = |at_ms: i64| UserCommand::ChangePassword {
        code: code("e", at_ms),
        password_hash: "new".into(),
        keep_session: None,
        api_key_id: "api_key_2".into(),
    };
    Users::with(())
        .given(history.clone())
        .when_async(change(NOW + 6))
        .await
        .then_expect_error(UserError::InvalidCode);
    // Nine wrong tries leave the tenth to the right code.
    let nine = history
        .iter()
        .filter(
            |e| !matches!(e, UserEvent::OtpFailed { failures: 5, at_ms, .. } if *at_ms == NOW + 1),
        )
        .cloned()
        .collect::<Vec<_>>();
    Users::with(())
        .given(nine)
        .when_async(change(NOW + 6))
        .await
        .then_expect_events(vec![
            consumed(OtpType::ChangePassword),
            UserEvent::PasswordChanged {
                password_hash: "new".into(),
            },
            UserEvent::SessionClosed {
                session_id: "s0".into(),
            },
            UserEvent::ApiKeyIssued {
                key_id: "api_key_2".into(),
            },
        ]);
    // Once the hour has passed since the tries, a code may be tried again.
    history.push(issued_at("f", NOW + CODE_WINDOW_MS + 1));
    Users::with(())
        .given(history)
        .when_async(UserCommand::ChangePassword {
            code: code("f", NOW + CODE_WINDOW_MS + 2),
            password_hash: "new".into(),
            keep_session: Some("s0".into()),
            api_key_id: "api_key_2".into(),
        })
        .await
        .then_expect_events(vec![
            consumed(OtpType::ChangePassword),
            UserEvent::PasswordChanged {
                password_hash: "new".into(),
            },
            UserEvent::ApiKeyIssued {
                key_id: "api_key_2".into(),
            },
        ]);
}

#[tokio::test]
async fn trying_a_code_records_a_wrong_one_and_leaves_a_right_one_live() {
    let history = with(ada(), [issued(OtpType::ChangePassword, "m")]);
    let try_code = |mac: &str| UserCommand::TryCode {
        otp_type: OtpType::ChangePassword,
        code: code(mac, NOW),
    };
    Users::with(())
        .given(history.clone())
        .when_async(try_code("m"))
        .await
        .then_expect_events(vec![]);
    Users::with(())
        .given(history)
        .when_async(try_code("x"))
        .await
        .then_expect_events(vec![failed(OtpType::ChangePassword, 1)]);
    Users::with(())
        .given(ada())
        .when_async(try_code("m"))
        .await
        .then_expect_error(UserError::InvalidCode);
}
