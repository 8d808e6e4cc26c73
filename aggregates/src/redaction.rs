//! What history and export may show of an event. Each event type declares, next to its
//! definition, every field it has and whether that field is shown or redacted; a field
//! without a decision is redacted, and a test of each aggregate fails until it has one.

use serde_json::{Map, Value};

/// Whether a field of an event is shown in history and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Kept,
    /// A person's data (address, names, Google subject, what they asked the agent): sealed in
    /// the log under that person's own key, shown while the key lives and as `"[erased]"`
    /// once their account is deleted and the key destroyed.
    Personal,
    /// Secrets and what derives them (hashes, code MACs, sealed TOTP secrets): shown as
    /// `"[redacted]"`.
    Redacted,
}

/// Every field of every event of one aggregate: `(event type, field, decision)`.
pub trait Redaction {
    const FIELDS: &'static [(&'static str, &'static str, Shown)];
}

pub const REDACTED: &str = "[redacted]";

/// The fields of `payload` (an event as stored, `{"<type>": {fields}}` or `"<type>"`) as
/// history shows them, for an aggregate whose decisions are `fields`.
pub fn shown(
    fields: &[(&str, &str, Shown)],
    event_type: &str,
    payload: Value,
) -> Map<String, Value> {
    let Value::Object(mut outer) = payload else {
        return Map::new();
    };
    let Some(Value::Object(inner)) = outer.remove(event_type) else {
        return Map::new();
    };
    inner
        .into_iter()
        .map(|(name, value)| {
            let kept = fields.iter().any(|(kind, field, shown)| {
                *kind == event_type && *field == name && *shown != Shown::Redacted
            });
            let value = if kept {
                value
            } else {
                Value::String(REDACTED.into())
            };
            (name, value)
        })
        .collect()
}

/// The personal fields of events of `event_type`, by the decisions `fields`.
pub fn personal<'a>(
    fields: &'a [(&'a str, &'a str, Shown)],
    event_type: &'a str,
) -> impl Iterator<Item = &'a str> + 'a {
    fields
        .iter()
        .filter(move |(kind, _, shown)| *kind == event_type && *shown == Shown::Personal)
        .map(|(_, field, _)| *field)
}

/// The decisions of an aggregate type's events; none for a type this code does not know
/// (whose fields are then all redacted, and none sealed).
pub fn decisions(aggregate_type: &str) -> &'static [(&'static str, &'static str, Shown)] {
    use crate::{
        EmailClaim, EmailClaimEvent, Task, TaskEvent, User, UserEvent, Wallet, WalletEvent,
    };
    use cqrs_es::Aggregate;
    match aggregate_type {
        User::TYPE => UserEvent::FIELDS,
        Wallet::TYPE => WalletEvent::FIELDS,
        Task::TYPE => TaskEvent::FIELDS,
        EmailClaim::TYPE => EmailClaimEvent::FIELDS,
        _ => &[],
    }
}

/// Test support: the fields of `sample` (an event serialised) that `fields` makes no
/// decision about.
#[cfg(test)]
pub fn undecided(fields: &[(&str, &str, Shown)], event_type: &str, sample: &Value) -> Vec<String> {
    let inner = sample.get(event_type).and_then(Value::as_object);
    inner
        .into_iter()
        .flat_map(|inner| inner.keys())
        .filter(|name| {
            !fields
                .iter()
                .any(|(kind, field, _)| *kind == event_type && field == name)
        })
        .map(|name| format!("{event_type}.{name}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EmailClaimEvent, TaskEvent, UserEvent, WalletEvent};
    use cqrs_es::DomainEvent;
    use serde::Serialize;
    use serde_json::json;
    use strum::IntoEnumIterator;

    /// The fields of every variant of `E` with no decision, and decisions naming no field.
    fn gaps<E: IntoEnumIterator + DomainEvent + Serialize + Redaction>() -> Vec<String> {
        let mut gaps = Vec::new();
        let mut seen = Vec::new();
        for event in E::iter() {
            let kind = event.event_type();
            let sample = serde_json::to_value(&event).unwrap();
            gaps.extend(undecided(E::FIELDS, &kind, &sample));
            if let Some(fields) = sample.get(&kind).and_then(Value::as_object) {
                seen.extend(fields.keys().map(|f| format!("{kind}.{f}")));
            }
        }
        let stale = E::FIELDS
            .iter()
            .map(|(kind, field, _)| format!("{kind}.{field}"))
            .filter(|decided| !seen.contains(decided))
            .map(|decided| format!("{decided} (no such field)"));
        gaps.extend(stale);
        gaps
    }

    /// The events of `E` whose personal fields, read as `"[erased]"`, no longer decode.
    fn undecodable_when_erased<E>() -> Vec<String>
    where
        E: IntoEnumIterator + DomainEvent + Serialize + serde::de::DeserializeOwned + Redaction,
    {
        let mut broken = Vec::new();
        for event in E::iter() {
            let kind = event.event_type();
            let mut sample = serde_json::to_value(&event).unwrap();
            for field in personal(E::FIELDS, &kind) {
                sample[&kind][field] = Value::String("[erased]".into());
            }
            if serde_json::from_value::<E>(sample).is_err() {
                broken.push(kind);
            }
        }
        broken
    }

    #[test]
    fn erased_personal_fields_still_decode_so_replay_never_stops_on_them() {
        let mut broken = undecodable_when_erased::<UserEvent>();
        broken.extend(undecodable_when_erased::<WalletEvent>());
        broken.extend(undecodable_when_erased::<TaskEvent>());
        broken.extend(undecodable_when_erased::<EmailClaimEvent>());
        assert!(
            broken.is_empty(),
            "only text fields may be personal: {broken:?}"
        );
    }

    #[test]
    fn every_field_of_every_event_has_a_redaction_decision() {
        let mut missing = gaps::<UserEvent>();
        missing.extend(gaps::<WalletEvent>());
        missing.extend(gaps::<TaskEvent>());
        missing.extend(gaps::<EmailClaimEvent>());
        assert!(
            missing.is_empty(),
            "decide whether history shows: {missing:?}"
        );
    }

    const FIELDS: &[(&str, &str, Shown)] = &[
        ("Changed", "name", Shown::Kept),
        ("Changed", "hash", Shown::Redacted),
    ];

    #[test]
    fn kept_fields_show_and_the_rest_are_redacted() {
        let payload = json!({"Changed": {"name": "a", "hash": "h", "new_field": "x"}});
        let shown = shown(FIELDS, "Changed", payload);
        assert_eq!(
            Value::Object(shown),
            json!({"name": "a", "hash": "[redacted]", "new_field": "[redacted]"})
        );
        assert!(super::shown(FIELDS, "Activated", json!("Activated")).is_empty());
    }
}
