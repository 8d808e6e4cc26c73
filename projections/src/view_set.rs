//! A batch of views being folded forward: the storage layer loads the rows a batch touches,
//! lets this fold the events in, then writes back what changed.

use std::collections::BTreeMap;

use clara_aggregates::UserEvent;

use crate::{LoggedEvent, Recorded, UserView};

#[derive(Debug, Default)]
pub struct ViewSet {
    /// User views by user id, as loaded plus every change folded in since.
    pub users: BTreeMap<String, UserView>,
}

impl ViewSet {
    /// The user views storage must load before folding `batch`: those changed by the batch
    /// whose first event in it does not create them afresh.
    pub fn users_to_load(batch: &[(Recorded, LoggedEvent)]) -> Vec<String> {
        let mut seen = std::collections::BTreeSet::new();
        let mut load = Vec::new();
        for (at, event) in batch {
            let LoggedEvent::User(event) = event else {
                continue;
            };
            if seen.insert(at.aggregate_id.as_str())
                && !matches!(event, UserEvent::Registered { .. })
            {
                load.push(at.aggregate_id.clone());
            }
        }
        load
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

#[cfg(test)]
mod tests {
    use super::*;
    use clara_aggregates::EmailClaimEvent;

    fn at(id: &str) -> Recorded {
        Recorded {
            position: 1,
            aggregate_id: id.into(),
            recorded_at_ms: 0,
        }
    }

    fn registered() -> LoggedEvent {
        LoggedEvent::User(UserEvent::Registered {
            email: "a@b.co".into(),
            first_name: "A".into(),
            last_name: "B".into(),
            password_hash: "h".into(),
        })
    }

    #[test]
    fn views_created_in_the_batch_are_not_loaded_and_claims_touch_no_view() {
        let claim = LoggedEvent::EmailClaim(EmailClaimEvent::Claimed {
            user_id: "u1".into(),
            at_ms: 0,
        });
        let batch = vec![
            (at("a@b.co"), claim),
            (at("u1"), registered()),
            (at("u1"), registered()),
        ];
        assert!(ViewSet::users_to_load(&batch).is_empty());
    }
}
