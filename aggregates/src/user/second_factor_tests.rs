//! Given/when/then rules of the second factor: e-mailed codes, authenticator apps, and how
//! wrong ones count toward the sign-in lockout.

use super::otp_tests::{ada, code, consumed, failed, issued, opened, with, Users, EXPIRES, NOW};
use super::*;

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

fn second_factor_failed(failures: u32) -> UserEvent {
    UserEvent::SecondFactorFailed {
        at_ms: NOW,
        failures,
        locked_until_ms: super::lockout::lock_until(failures, NOW),
    }
}

#[tokio::test]
async fn with_two_factor_on_a_sign_in_without_a_code_asks_for_one() {
    Users::with(())
        .given(two_factor_ada())
        .when_async(login(None))
        .await
        .then_expect_error(UserError::SecondFactorRequired);
}

#[tokio::test]
async fn with_two_factor_on_a_code_that_is_not_live_counts_toward_the_lockout() {
    Users::with(())
        .given(two_factor_ada())
        .when_async(login(Some(SecondFactor::Emailed(code("e", NOW)))))
        .await
        .then_expect_events(vec![second_factor_failed(1)]);
}

#[tokio::test]
async fn with_two_factor_on_a_wrong_code_is_counted_and_a_right_one_signs_in() {
    let history = with(two_factor_ada(), [issued(OtpType::TwoFactorAuth, "l")]);
    Users::with(())
        .given(history.clone())
        .when_async(login(Some(SecondFactor::Emailed(code("x", NOW)))))
        .await
        .then_expect_events(vec![
            failed(OtpType::TwoFactorAuth, 1),
            second_factor_failed(1),
        ]);
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
            now_ms: NOW,
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
            now_ms: NOW,
        })
        .await
        .then_expect_events(vec![second_factor_failed(1)]);
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
            step: Some(101),
            sealed: "sealed".into(),
        })))
        .await
        .then_expect_events(vec![UserEvent::TotpStepUsed { step: 101 }, opened("s9")]);
    for step in [100, 99] {
        Users::with(())
            .given(totp_ada())
            .when_async(login(Some(SecondFactor::Totp {
                step: Some(step),
                sealed: "sealed".into(),
            })))
            .await
            .then_expect_events(vec![second_factor_failed(1)]);
    }
}

/// A code matched against a secret replaced meanwhile (turned off and enrolled anew) is
/// not a code of the enrolled one.
#[tokio::test]
async fn an_authenticator_step_of_a_replaced_secret_counts_for_nothing() {
    Users::with(())
        .given(totp_ada())
        .when_async(login(Some(SecondFactor::Totp {
            step: Some(101),
            sealed: "replaced".into(),
        })))
        .await
        .then_expect_events(vec![second_factor_failed(1)]);
}

#[tokio::test]
async fn an_authenticator_code_counts_for_nothing_without_an_enrolment() {
    Users::with(())
        .given(two_factor_ada())
        .when_async(login(Some(SecondFactor::Totp {
            step: Some(101),
            sealed: "sealed".into(),
        })))
        .await
        .then_expect_events(vec![second_factor_failed(1)]);
}

#[tokio::test]
async fn once_an_authenticator_is_enrolled_an_emailed_code_counts_as_wrong() {
    let history = with(totp_ada(), [issued(OtpType::TwoFactorAuth, "m")]);
    Users::with(())
        .given(history.clone())
        .when_async(login(Some(SecondFactor::Emailed(code("m", NOW)))))
        .await
        .then_expect_events(vec![second_factor_failed(1)]);
    Users::with(())
        .given(history)
        .when_async(UserCommand::DisableTwoFactor {
            code: SecondFactor::Emailed(code("m", NOW)),
            now_ms: NOW,
        })
        .await
        .then_expect_events(vec![second_factor_failed(1)]);
}

#[tokio::test]
async fn an_authenticator_code_matching_no_step_counts_as_wrong() {
    Users::with(())
        .given(totp_ada())
        .when_async(login(Some(SecondFactor::Totp {
            step: None,
            sealed: "sealed".into(),
        })))
        .await
        .then_expect_events(vec![second_factor_failed(1)]);
}

/// Ada with an authenticator after `n` wrong codes, the last at NOW.
fn totp_ada_after_wrong_codes(n: u32) -> Vec<UserEvent> {
    with(totp_ada(), (1..=n).map(second_factor_failed))
}

#[tokio::test]
async fn wrong_second_factors_lock_sign_in_like_wrong_passwords() {
    let limit = super::lockout::MAX_FAILED_LOGINS;
    let wrong = || {
        login(Some(SecondFactor::Totp {
            step: None,
            sealed: "sealed".into(),
        }))
    };
    let right = || {
        login(Some(SecondFactor::Totp {
            step: Some(101),
            sealed: "sealed".into(),
        }))
    };
    // One short of the limit, the right code still signs in.
    Users::with(())
        .given(totp_ada_after_wrong_codes(limit - 1))
        .when_async(right())
        .await
        .then_expect_events(vec![UserEvent::TotpStepUsed { step: 101 }, opened("s9")]);
    Users::with(())
        .given(totp_ada_after_wrong_codes(limit - 1))
        .when_async(wrong())
        .await
        .then_expect_events(vec![second_factor_failed(limit)]);
    // At the limit, even the right password and code are refused until the lock ends.
    Users::with(())
        .given(totp_ada_after_wrong_codes(limit))
        .when_async(right())
        .await
        .then_expect_events(vec![UserEvent::SignInRefusedWhileLocked { at_ms: NOW }]);
    Users::with(())
        .given(totp_ada_after_wrong_codes(limit))
        .when_async(UserCommand::DisableTwoFactor {
            code: SecondFactor::Totp {
                step: Some(101),
                sealed: "sealed".into(),
            },
            now_ms: NOW,
        })
        .await
        .then_expect_error(UserError::Locked);
}

#[tokio::test]
async fn an_emailed_code_cannot_replace_an_enrolled_authenticator() {
    Users::with(())
        .given(with(totp_ada(), [issued(OtpType::TwoFactorAuth, "m")]))
        .when_async(UserCommand::EnableTwoFactor {
            code: code("m", NOW),
            totp_sealed: Some("attackers".into()),
        })
        .await
        .then_expect_error(UserError::InvalidCode);
}
