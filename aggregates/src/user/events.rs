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
    /// A sign-in session began; tokens naming it are valid until it closes or expires.
    SessionOpened {
        session_id: String,
        expires_at_ms: i64,
    },
    SessionClosed {
        session_id: String,
    },
    /// A sign-in with a wrong password: `failures` in a row so far, and the time until which
    /// sign-in is refused (0 when not locked).
    LoginFailed {
        at_ms: i64,
        failures: u32,
        locked_until_ms: i64,
    },
    ProfileUpdated {
        first_name: Option<String>,
        last_name: Option<String>,
        is_dark_mode: Option<bool>,
    },
}

impl DomainEvent for UserEvent {
    fn event_type(&self) -> String {
        match self {
            UserEvent::Registered { .. } => "Registered",
            UserEvent::SessionOpened { .. } => "SessionOpened",
            UserEvent::SessionClosed { .. } => "SessionClosed",
            UserEvent::LoginFailed { .. } => "LoginFailed",
            UserEvent::ProfileUpdated { .. } => "ProfileUpdated",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
