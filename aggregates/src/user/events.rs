//! Events of the User aggregate: a permanent contract, versioned, never renamed.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserEvent {
    /// The account was created, inactive. `password_hash` is an argon2id PHC string, never the
    /// password itself.
    Registered {
        email: String,
        first_name: String,
        last_name: String,
        password_hash: String,
    },
}

impl DomainEvent for UserEvent {
    fn event_type(&self) -> String {
        match self {
            UserEvent::Registered { .. } => "Registered".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
