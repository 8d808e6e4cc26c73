//! One record of the event log, decoded into the domain event it carries.

use clara_aggregates::upcast::upcast;
use clara_aggregates::{
    EmailClaim, EmailClaimEvent, Task, TaskEvent, User, UserEvent, Wallet, WalletEvent,
};
use cqrs_es::Aggregate;

/// Where and when an event sits in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub position: i64,
    pub aggregate_id: String,
    pub recorded_at_ms: i64,
}

/// A domain event of any aggregate, as read back from the log.
#[derive(Debug, Clone, PartialEq)]
pub enum LoggedEvent {
    User(UserEvent),
    EmailClaim(EmailClaimEvent),
    Wallet(WalletEvent),
    Task(TaskEvent),
}

impl LoggedEvent {
    /// Decodes a stored payload of `event_type` written as `version`, upcast first to the
    /// current shape. `Ok(None)` means an aggregate type no view knows about.
    pub fn decode(
        aggregate_type: &str,
        event_type: &str,
        version: &str,
        payload: serde_json::Value,
    ) -> Result<Option<Self>, serde_json::Error> {
        let payload = upcast(aggregate_type, event_type, version, payload);
        Ok(match aggregate_type {
            User::TYPE => Some(Self::User(serde_json::from_value(payload)?)),
            EmailClaim::TYPE => Some(Self::EmailClaim(serde_json::from_value(payload)?)),
            Wallet::TYPE => Some(Self::Wallet(serde_json::from_value(payload)?)),
            Task::TYPE => Some(Self::Task(serde_json::from_value(payload)?)),
            _ => None,
        })
    }
}
