//! Given/when/then rules of account deletion.

use super::otp_tests::{ada, code, consumed, failed, issued, with, Users, EXPIRES, NOW};
use super::*;
use cqrs_es::Aggregate;

fn delete(mac: Option<&str>, now_ms: i64) -> UserCommand {
    UserCommand::DeleteAccount {
        code: mac.map(|mac| code(mac, now_ms)),
    }
}

fn deleted() -> Vec<UserEvent> {
    with(ada(), [UserEvent::AccountDeleted])
}

#[tokio::test]
async fn the_owners_right_code_deletes_the_account() {
    Users::with(())
        .given(with(ada(), [issued(OtpType::DeleteAccount, "m")]))
        .when_async(delete(Some("m"), EXPIRES - 1))
        .await
        .then_expect_events(vec![
            consumed(OtpType::DeleteAccount),
            UserEvent::AccountDeleted,
        ]);
}

#[tokio::test]
async fn a_wrong_code_is_counted_and_deletes_nothing() {
    Users::with(())
        .given(with(ada(), [issued(OtpType::DeleteAccount, "m")]))
        .when_async(delete(Some("x"), NOW))
        .await
        .then_expect_events(vec![failed(OtpType::DeleteAccount, 1)]);
}

#[tokio::test]
async fn an_expired_code_or_one_of_another_type_is_refused() {
    Users::with(())
        .given(with(ada(), [issued(OtpType::DeleteAccount, "m")]))
        .when_async(delete(Some("m"), EXPIRES))
        .await
        .then_expect_error(UserError::InvalidCode);
    Users::with(())
        .given(with(ada(), [issued(OtpType::ChangePassword, "m")]))
        .when_async(delete(Some("m"), NOW))
        .await
        .then_expect_error(UserError::InvalidCode);
}

#[tokio::test]
async fn the_operator_deletes_without_a_code() {
    Users::with(())
        .given(ada())
        .when_async(delete(None, NOW))
        .await
        .then_expect_events(vec![UserEvent::AccountDeleted]);
}

#[tokio::test]
async fn a_deleted_account_is_gone_for_every_command_and_keeps_nothing() {
    Users::with(())
        .given(deleted())
        .when_async(delete(None, NOW))
        .await
        .then_expect_error(UserError::NotFound);
    Users::with(())
        .given(deleted())
        .when_async(UserCommand::Logout {
            session_id: "s0".into(),
        })
        .await
        .then_expect_error(UserError::NotFound);
    let mut user = User::default();
    for event in deleted() {
        user.apply(event);
    }
    assert!(!user.is_registered());
    assert_eq!(user.email(), "");
    assert_eq!(user.password_hash(), "");
}

#[tokio::test]
async fn a_deleted_account_is_never_registered_again() {
    let register = UserCommand::Register {
        email: "ada@example.com".into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
        password_hash: "h".into(),
        session: NewSession {
            session_id: "s1".into(),
            expires_at_ms: EXPIRES,
        },
        activation: NewOtp {
            otp_id: "otp_1".into(),
            code_mac: "m".into(),
            issued_at_ms: NOW,
            expires_at_ms: EXPIRES,
        },
        api_key_id: "api_key_1".into(),
    };
    Users::with(())
        .given(deleted())
        .when_async(register)
        .await
        .then_expect_error(UserError::AlreadyRegistered);
}
