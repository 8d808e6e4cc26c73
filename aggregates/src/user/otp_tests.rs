//! Given/when/then rules of one-time codes, activation, password change and two-factor sign-in.

use super::otp::MAX_OTP_FAILURES;
use super::*;
use cqrs_es::test::TestFramework;

type Users = TestFramework<User>;

const NOW: i64 = 1_700_000_000_000;
const EXPIRES: i64 = NOW + 600_000;

fn ada() -> Vec<UserEvent> {
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

fn opened(id: &str) -> UserEvent {
    UserEvent::SessionOpened {
        session_id: id.into(),
        expires_at_ms: EXPIRES,
    }
}

fn issued(otp_type: OtpType, mac: &str) -> UserEvent {
    UserEvent::OtpIssued {
        otp_id: format!("otp_{mac}"),
        otp_type,
        code_mac: mac.into(),
        expires_at_ms: EXPIRES,
        sent_to: "ada@example.com".into(),
    }
}

fn with(mut history: Vec<UserEvent>, more: impl IntoIterator<Item = UserEvent>) -> Vec<UserEvent> {
    history.extend(more);
    history
}

fn code(mac: &str, now_ms: i64) -> Presented {
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

fn failed(otp_type: OtpType, failures: u32) -> UserEvent {
    UserEvent::OtpFailed { otp_type, failures }
}

fn consumed(otp_type: OtpType) -> UserEvent {
    UserEvent::OtpConsumed { otp_type }
}

#[tokio::test]
async fn issuing_a_code_records_its_mac_and_the_address_it_goes_to() {
    let command = UserCommand::IssueOtp {
        otp_type: OtpType::Activation,
        otp: NewOtp {
            otp_id: "otp_m".into(),
            code_mac: "m".into(),
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
        ]);
}

fn two_factor_ada() -> Vec<UserEvent> {
    with(
        ada(),
        [
            issued(OtpType::TwoFactorAuth, "e"),
            consumed(OtpType::TwoFactorAuth),
            UserEvent::TwoFactorEnabled,
        ],
    )
}

fn login(code: Option<SecondFactor>) -> UserCommand {
    UserCommand::Login {
        password_matches: true,
        checked_hash: "old".into(),
        code,
        session: NewSession {
            session_id: "s9".into(),
            expires_at_ms: EXPIRES,
        },
        now_ms: NOW,
    }
}

#[tokio::test]
async fn enabling_two_factor_needs_a_valid_code() {
    Users::with(())
        .given(with(ada(), [issued(OtpType::TwoFactorAuth, "e")]))
        .when_async(UserCommand::EnableTwoFactor {
            code: code("e", NOW),
            totp_sealed: None,
        })
        .await
        .then_expect_events(vec![
            consumed(OtpType::TwoFactorAuth),
            UserEvent::TwoFactorEnabled,
        ]);
}

#[tokio::test]
async fn with_two_factor_on_a_sign_in_without_a_live_code_is_refused() {
    Users::with(())
        .given(two_factor_ada())
        .when_async(login(None))
        .await
        .then_expect_error(UserError::SecondFactorRequired);
    Users::with(())
        .given(two_factor_ada())
        .when_async(login(Some(SecondFactor::Emailed(code("e", NOW)))))
        .await
        .then_expect_error(UserError::SecondFactorRequired);
}

#[tokio::test]
async fn with_two_factor_on_a_wrong_code_is_counted_and_a_right_one_signs_in() {
    let history = with(two_factor_ada(), [issued(OtpType::TwoFactorAuth, "l")]);
    Users::with(())
        .given(history.clone())
        .when_async(login(Some(SecondFactor::Emailed(code("x", NOW)))))
        .await
        .then_expect_events(vec![failed(OtpType::TwoFactorAuth, 1)]);
    Users::with(())
        .given(history)
        .when_async(login(Some(SecondFactor::Emailed(code("l", NOW)))))
        .await
        .then_expect_events(vec![consumed(OtpType::TwoFactorAuth), opened("s9")]);
}

#[tokio::test]
async fn disabling_two_factor_needs_a_valid_code() {
    let history = with(two_factor_ada(), [issued(OtpType::TwoFactorAuth, "d")]);
    Users::with(())
        .given(history.clone())
        .when_async(UserCommand::DisableTwoFactor {
            code: SecondFactor::Emailed(code("d", NOW)),
        })
        .await
        .then_expect_events(vec![
            consumed(OtpType::TwoFactorAuth),
            UserEvent::TwoFactorDisabled,
        ]);
    Users::with(())
        .given(two_factor_ada())
        .when_async(UserCommand::DisableTwoFactor {
            code: SecondFactor::Emailed(code("d", NOW)),
        })
        .await
        .then_expect_error(UserError::InvalidCode);
}

fn totp_ada() -> Vec<UserEvent> {
    with(
        two_factor_ada(),
        [
            UserEvent::TotpEnrolled {
                secret_sealed: "sealed".into(),
            },
            UserEvent::TotpStepUsed { step: 100 },
        ],
    )
}

#[tokio::test]
async fn enabling_with_an_authenticator_enrols_its_sealed_secret() {
    Users::with(())
        .given(with(ada(), [issued(OtpType::TwoFactorAuth, "e")]))
        .when_async(UserCommand::EnableTwoFactor {
            code: code("e", NOW),
            totp_sealed: Some("sealed".into()),
        })
        .await
        .then_expect_events(vec![
            consumed(OtpType::TwoFactorAuth),
            UserEvent::TotpEnrolled {
                secret_sealed: "sealed".into(),
            },
            UserEvent::TwoFactorEnabled,
        ]);
}

#[tokio::test]
async fn an_authenticator_step_signs_in_once_and_never_an_earlier_one() {
    Users::with(())
        .given(totp_ada())
        .when_async(login(Some(SecondFactor::Totp {
            step: 101,
            sealed: "sealed".into(),
        })))
        .await
        .then_expect_events(vec![UserEvent::TotpStepUsed { step: 101 }, opened("s9")]);
    for step in [100, 99] {
        Users::with(())
            .given(totp_ada())
            .when_async(login(Some(SecondFactor::Totp {
                step,
                sealed: "sealed".into(),
            })))
            .await
            .then_expect_error(UserError::SecondFactorRequired);
    }
}

/// A code matched against a secret replaced meanwhile (turned off and enrolled anew) is
/// not a code of the enrolled one.
#[tokio::test]
async fn an_authenticator_step_of_a_replaced_secret_counts_for_nothing() {
    Users::with(())
        .given(totp_ada())
        .when_async(login(Some(SecondFactor::Totp {
            step: 101,
            sealed: "replaced".into(),
        })))
        .await
        .then_expect_error(UserError::SecondFactorRequired);
}

#[tokio::test]
async fn an_authenticator_code_counts_for_nothing_without_an_enrolment() {
    Users::with(())
        .given(two_factor_ada())
        .when_async(login(Some(SecondFactor::Totp {
            step: 101,
            sealed: "sealed".into(),
        })))
        .await
        .then_expect_error(UserError::SecondFactorRequired);
}

fn google_session() -> NewSession {
    NewSession {
        session_id: "g1".into(),
        expires_at_ms: EXPIRES,
    }
}

#[tokio::test]
async fn a_google_identity_registers_an_active_account_without_a_password() {
    let command = UserCommand::RegisterWithGoogle {
        email: "Ada@Example.com".into(),
        name: Some("Ada Lovelace".into()),
        google_subject: "g-123".into(),
        session: google_session(),
        api_key_id: "api_key_g".into(),
    };
    Users::with(())
        .given_no_previous_events()
        .when_async(command)
        .await
        .then_expect_events(vec![
            UserEvent::RegisteredWithGoogle {
                email: "ada@example.com".into(),
                first_name: Some("Ada Lovelace".into()),
                google_subject: "g-123".into(),
            },
            UserEvent::Activated,
            UserEvent::SessionOpened {
                session_id: "g1".into(),
                expires_at_ms: EXPIRES,
            },
            UserEvent::ApiKeyIssued {
                key_id: "api_key_g".into(),
            },
        ]);
}

#[tokio::test]
async fn a_google_sign_in_links_and_activates_an_existing_account_once() {
    let sign_in = |subject: &str| UserCommand::SignInWithGoogle {
        google_subject: subject.into(),
        session: google_session(),
        now_ms: NOW,
    };
    Users::with(())
        .given(ada())
        .when_async(sign_in("g-1"))
        .await
        .then_expect_events(vec![
            UserEvent::GoogleLinked {
                google_subject: "g-1".into(),
            },
            UserEvent::Activated,
            UserEvent::SessionOpened {
                session_id: "g1".into(),
                expires_at_ms: EXPIRES,
            },
        ]);
    let linked = with(
        ada(),
        [
            UserEvent::GoogleLinked {
                google_subject: "g-1".into(),
            },
            UserEvent::Activated,
        ],
    );
    Users::with(())
        .given(linked.clone())
        .when_async(sign_in("g-1"))
        .await
        .then_expect_events(vec![UserEvent::SessionOpened {
            session_id: "g1".into(),
            expires_at_ms: EXPIRES,
        }]);
    Users::with(())
        .given(linked)
        .when_async(sign_in("g-2"))
        .await
        .then_expect_error(UserError::GoogleMismatch);
}
