//! Stored events in the shapes of earlier versions, brought to the current one before
//! anything decodes them. Every reader of the log (aggregates, views, history, export)
//! passes a row's payload through [`upcast`] with the version it was written in.
//!
//! Changing an event: give its type a new `event_version`, and add here the step that turns
//! the previous version's JSON into the new one. Old rows are never rewritten.

use serde_json::{json, Value};

/// `payload` of an event of `aggregate_type` and `event_type`, written as `version`, in the
/// shape the current code decodes.
pub fn upcast(aggregate_type: &str, event_type: &str, version: &str, payload: Value) -> Value {
    match (aggregate_type, event_type, version) {
        ("Wallet", "Credited", "1") => credited_v1(payload),
        _ => payload,
    }
}

/// Wallet `Credited` v1 → v2: `fiat` and `checkout_session` became `purchase`, which also
/// names the recorded purchase (none was recorded before version 2).
fn credited_v1(mut payload: Value) -> Value {
    if let Some(fields) = payload.get_mut("Credited").and_then(Value::as_object_mut) {
        let fiat = fields.remove("fiat").unwrap_or(json!(0));
        let session = fields.remove("checkout_session").unwrap_or(Value::Null);
        let purchase = match session {
            Value::String(session) => {
                json!({"purchase_id": null, "checkout_session": session, "fiat": fiat})
            }
            _ => Value::Null,
        };
        fields.insert("purchase".into(), purchase);
    }
    payload
}

#[cfg(test)]
mod tests {
    use super::upcast;
    use crate::{Paid, WalletEvent};
    use serde_json::json;

    #[test]
    fn a_version_1_credit_reads_as_version_2() {
        let bought = json!({"Credited": {"entry_id": "t1", "amount": 50000, "balance": 50000,
            "description": "User bought 500.0 credits for $5.0.", "fiat": 500, "checkout_session": "cs_1"}});
        let event: WalletEvent =
            serde_json::from_value(upcast("Wallet", "Credited", "1", bought)).unwrap();
        let WalletEvent::Credited { purchase, .. } = event else {
            panic!("not a credit");
        };
        let paid = Paid {
            purchase_id: None,
            checkout_session: "cs_1".into(),
            fiat: 500,
        };
        assert_eq!(purchase, Some(paid));
        let granted = json!({"Credited": {"entry_id": "t2", "amount": 1, "balance": 1,
            "description": "x", "fiat": 0, "checkout_session": null}});
        let event: WalletEvent =
            serde_json::from_value(upcast("Wallet", "Credited", "1", granted)).unwrap();
        assert!(matches!(
            event,
            WalletEvent::Credited { purchase: None, .. }
        ));
    }

    #[test]
    fn current_versions_pass_unchanged() {
        let current = json!({"Credited": {"purchase": null}});
        assert_eq!(upcast("Wallet", "Credited", "2", current.clone()), current);
    }
}
