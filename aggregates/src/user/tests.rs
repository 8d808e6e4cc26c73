//! Given/when/then rules of the User aggregate.

use super::*;
use cqrs_es::test::TestFramework;

type Users = TestFramework<User>;

fn register(email: &str, first: &str, last: &str) -> UserCommand {
    UserCommand::Register {
        email: email.into(),
        first_name: first.into(),
        last_name: last.into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
    }
}

fn registered(email: &str, first: &str, last: &str) -> UserEvent {
    UserEvent::Registered {
        email: email.into(),
        first_name: first.into(),
        last_name: last.into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
    }
}

#[tokio::test]
async fn registering_title_cases_names_and_normalises_the_email() {
    Users::with(())
        .given_no_previous_events()
        .when_async(register(" Ada@Example.com", " aDA ", "LOVELACE"))
        .await
        .then_expect_events(vec![registered("ada@example.com", "Ada", "Lovelace")]);
}

#[tokio::test]
async fn a_registered_user_cannot_register_again() {
    Users::with(())
        .given(vec![registered("ada@example.com", "Ada", "Lovelace")])
        .when_async(register("ada@example.com", "Ada", "Lovelace"))
        .await
        .then_expect_error(UserError::AlreadyRegistered);
}
