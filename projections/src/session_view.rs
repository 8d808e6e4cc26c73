//! Sign-in sessions, so a token can be checked against whether its session is still open.

use clara_aggregates::UserEvent;
use serde::{Deserialize, Serialize};

use crate::{Recorded, View};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: String,
    pub user_id: String,
    pub expires_at_ms: i64,
    pub open: bool,
    /// Log position of the last event folded into this view.
    pub position: i64,
}

impl View for SessionView {
    const TABLE: &'static str = "session_views";

    fn keys(&self) -> (&str, i64, i64) {
        (&self.user_id, 0, self.position)
    }
}

impl SessionView {
    /// The session an event concerns, if any.
    pub fn id_of(event: &UserEvent) -> Option<&str> {
        match event {
            UserEvent::SessionOpened { session_id, .. }
            | UserEvent::SessionClosed { session_id } => Some(session_id),
            _ => None,
        }
    }

    pub fn apply(&mut self, at: &Recorded, event: &UserEvent) {
        match event {
            UserEvent::SessionOpened {
                session_id,
                expires_at_ms,
            } => {
                *self = SessionView {
                    id: session_id.clone(),
                    user_id: at.aggregate_id.clone(),
                    expires_at_ms: *expires_at_ms,
                    open: true,
                    position: at.position,
                };
            }
            UserEvent::SessionClosed { .. } => {
                self.open = false;
                self.position = at.position;
            }
            _ => {}
        }
    }

    /// Whether a token naming this session may be used at `now_ms` by `user_id`.
    pub fn admits(&self, user_id: &str, now_ms: i64) -> bool {
        self.open && self.user_id == user_id && now_ms < self.expires_at_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_admits_its_user_until_it_closes_or_expires() {
        let at = |position| Recorded {
            position,
            aggregate_id: "user_1".into(),
            recorded_at_ms: 0,
        };
        let mut view = SessionView::default();
        view.apply(
            &at(1),
            &UserEvent::SessionOpened {
                session_id: "s".into(),
                expires_at_ms: 100,
            },
        );
        assert!(view.admits("user_1", 99));
        assert!(!view.admits("user_1", 100));
        assert!(!view.admits("user_2", 50));
        view.apply(
            &at(2),
            &UserEvent::SessionClosed {
                session_id: "s".into(),
            },
        );
        assert!(!view.admits("user_1", 50));
        assert_eq!(view.position, 2);
    }
}
