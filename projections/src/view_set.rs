//! A batch of views being folded forward: the storage layer loads the rows a batch touches,
//! lets this fold the events in, then writes back what changed.

use std::collections::BTreeMap;

use crate::{LoggedEvent, Recorded, UserView};

#[derive(Debug, Default)]
pub struct ViewSet {
    /// User views by user id, as loaded plus every change folded in since.
    pub users: BTreeMap<String, UserView>,
}

impl ViewSet {
    /// The ids of the user views an event changes, so storage can load them first.
    pub fn user_touched_by(at: &Recorded, event: &LoggedEvent) -> Option<String> {
        match event {
            LoggedEvent::User(_) => Some(at.aggregate_id.clone()),
            LoggedEvent::EmailClaim(_) => None,
        }
    }

    pub fn apply(&mut self, at: &Recorded, event: &LoggedEvent) {
        match event {
            LoggedEvent::User(event) => self
                .users
                .entry(at.aggregate_id.clone())
                .or_default()
                .apply(at, event),
            // Claims only guard uniqueness; no view shows them.
            LoggedEvent::EmailClaim(_) => {}
        }
    }
}
