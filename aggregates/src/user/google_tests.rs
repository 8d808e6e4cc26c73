//! Given/when/then rules of Google sign-in.

use super::otp_tests::{ada, with, Users, EXPIRES, NOW};
use super::*;

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
        api_key_id: "api_key_g".into(),
        now_ms: NOW,
    };
    // Ada never activated: whoever registered the address first keeps nothing of it.
    Users::with(())
        .given(ada())
        .when_async(sign_in("g-1"))
        .await
        .then_expect_events(vec![
            UserEvent::GoogleLinked {
                google_subject: "g-1".into(),
            },
            UserEvent::SessionClosed {
                session_id: "s0".into(),
            },
            UserEvent::PasswordCleared,
            UserEvent::ApiKeyIssued {
                key_id: "api_key_g".into(),
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
    // An active account keeps its sessions, password and key: its owner proved the address.
    Users::with(())
        .given(with(ada(), [UserEvent::Activated]))
        .when_async(sign_in("g-1"))
        .await
        .then_expect_events(vec![
            UserEvent::GoogleLinked {
                google_subject: "g-1".into(),
            },
            UserEvent::SessionOpened {
                session_id: "g1".into(),
                expires_at_ms: EXPIRES,
            },
        ]);
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
