//! State, commands and decisions of the User aggregate.

use std::collections::BTreeSet;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::lockout::lock_until;
use super::UserEvent;
use crate::names::{normalise_email, title_case};

/// A session to open: its id and when it expires, chosen by the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub session_id: String,
    pub expires_at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserCommand {
    /// Create the account and its first session. The e-mail must already be claimed for this
    /// user and the password already hashed: facts the service resolves first.
    Register {
        email: String,
        first_name: String,
        last_name: String,
        password_hash: String,
        session: NewSession,
    },
    /// A sign-in attempt. `password_matches` is the service's verification of the password
    /// against this user's hash; a mismatch is recorded, not refused.
    Login {
        password_matches: bool,
        session: NewSession,
        now_ms: i64,
    },
    Logout {
        session_id: String,
    },
    UpdateProfile {
        first_name: Option<String>,
        last_name: Option<String>,
        is_dark_mode: Option<bool>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    #[error("the user is already registered")]
    AlreadyRegistered,
    #[error("no such user")]
    NotFound,
    #[error("sign-in is temporarily locked after repeated failures")]
    Locked,
    #[error("the session is not open")]
    SessionNotOpen,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct User {
    registered: bool,
    email: String,
    password_hash: String,
    sessions: BTreeSet<String>,
    failures: u32,
    locked_until_ms: i64,
}

impl User {
    pub fn is_registered(&self) -> bool {
        self.registered
    }

    pub fn email(&self) -> &str {
        &self.email
    }

    /// The argon2id PHC string to verify a password against.
    pub fn password_hash(&self) -> &str {
        &self.password_hash
    }

    /// Wrong passwords in a row since the last successful sign-in.
    pub fn failed_logins(&self) -> u32 {
        self.failures
    }

    pub fn has_open_session(&self, session_id: &str) -> bool {
        self.sessions.contains(session_id)
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
        if let UserCommand::Register {
            email,
            first_name,
            last_name,
            password_hash,
            session,
        } = command
        {
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
            sink.write(open(session), self).await;
            return Ok(());
        }
        if !self.registered {
            return Err(UserError::NotFound);
        }
        match command {
            UserCommand::Register { .. } => unreachable!("handled above"),
            UserCommand::Login {
                password_matches,
                session,
                now_ms,
            } => {
                if !password_matches {
                    let failures = self.failures + 1;
                    let event = UserEvent::LoginFailed {
                        at_ms: now_ms,
                        failures,
                        locked_until_ms: lock_until(failures, now_ms),
                    };
                    sink.write(event, self).await;
                    return Ok(());
                }
                if now_ms < self.locked_until_ms {
                    return Err(UserError::Locked);
                }
                sink.write(open(session), self).await;
            }
            UserCommand::Logout { session_id } => {
                if !self.sessions.contains(&session_id) {
                    return Err(UserError::SessionNotOpen);
                }
                sink.write(UserEvent::SessionClosed { session_id }, self)
                    .await;
            }
            UserCommand::UpdateProfile {
                first_name,
                last_name,
                is_dark_mode,
            } => {
                let event = UserEvent::ProfileUpdated {
                    first_name: first_name.map(|n| title_case(n.trim())),
                    last_name: last_name.map(|n| title_case(n.trim())),
                    is_dark_mode,
                };
                sink.write(event, self).await;
            }
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            UserEvent::Registered {
                email,
                password_hash,
                ..
            } => {
                self.registered = true;
                self.email = email;
                self.password_hash = password_hash;
            }
            UserEvent::SessionOpened { session_id, .. } => {
                self.sessions.insert(session_id);
                self.failures = 0;
                self.locked_until_ms = 0;
            }
            UserEvent::SessionClosed { session_id } => {
                self.sessions.remove(&session_id);
            }
            UserEvent::LoginFailed {
                failures,
                locked_until_ms,
                ..
            } => {
                self.failures = failures;
                self.locked_until_ms = locked_until_ms;
            }
            UserEvent::ProfileUpdated { .. } => {}
        }
    }
}

fn open(session: NewSession) -> UserEvent {
    UserEvent::SessionOpened {
        session_id: session.session_id,
        expires_at_ms: session.expires_at_ms,
    }
}
