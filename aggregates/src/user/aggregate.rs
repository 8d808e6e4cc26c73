//! State, commands and decisions of the User aggregate.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::UserEvent;
use crate::names::{normalise_email, title_case};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserCommand {
    /// Create the account. The e-mail must already be claimed for this user and the password
    /// already hashed: both are facts the service resolves before building the command.
    Register {
        email: String,
        first_name: String,
        last_name: String,
        password_hash: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("the user is already registered")]
    AlreadyRegistered,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct User {
    registered: bool,
    email: String,
}

impl User {
    pub fn is_registered(&self) -> bool {
        self.registered
    }

    pub fn email(&self) -> &str {
        &self.email
    }
}

impl Aggregate for User {
    const TYPE: &'static str = "User";
    type Command = UserCommand;
    type Event = UserEvent;
    type Error = UserError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        match command {
            UserCommand::Register {
                email,
                first_name,
                last_name,
                password_hash,
            } => {
                if self.registered {
                    return Err(UserError::AlreadyRegistered);
                }
                let event = UserEvent::Registered {
                    email: normalise_email(&email),
                    first_name: title_case(first_name.trim()),
                    last_name: title_case(last_name.trim()),
                    password_hash,
                };
                sink.write(event, self).await;
                Ok(())
            }
        }
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            UserEvent::Registered { email, .. } => {
                self.registered = true;
                self.email = email;
            }
        }
    }
}
