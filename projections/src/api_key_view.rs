//! The current API key of each user: its id and when it was issued. The token itself is
//! derived from the id when shown, never stored.

use clara_aggregates::UserEvent;
use serde::{Deserialize, Serialize};

use crate::{Recorded, View};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: String,
    pub user_id: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// Log position of the last event folded into this view.
    pub position: i64,
}

impl View for ApiKeyView {
    const TABLE: &'static str = "api_key_views";

    fn keys(&self) -> (&str, i64, i64) {
        (&self.user_id, self.created_at_ms, self.position)
    }
}

impl ApiKeyView {
    /// A key issued replaces the previous one whole.
    pub fn from_event(at: &Recorded, event: &UserEvent) -> Option<Self> {
        let UserEvent::ApiKeyIssued { key_id } = event else {
            return None;
        };
        Some(ApiKeyView {
            id: key_id.clone(),
            user_id: at.aggregate_id.clone(),
            created_at_ms: at.recorded_at_ms,
            updated_at_ms: at.recorded_at_ms,
            position: at.position,
        })
    }
}
