//! Transactions: one per ledger entry of a wallet, as the Transactions routes show them.

use clara_aggregates::WalletEvent;
use serde::{Deserialize, Serialize};

use crate::{Recorded, View};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionView {
    pub id: String,
    pub user_id: String,
    /// `CREDIT` or `DEBIT`.
    pub kind: String,
    pub description: String,
    /// Hundredths of a credit, always positive.
    pub value_in_credits: i64,
    /// US cents paid, 0 unless bought.
    pub value_in_fiat: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// Log position of the event this entry is.
    pub position: i64,
}

impl View for TransactionView {
    const TABLE: &'static str = "transaction_views";

    /// A user's entries are listed in log order.
    fn keys(&self) -> (&str, i64, i64) {
        (&self.user_id, self.position, self.position)
    }
}

impl TransactionView {
    /// The ledger entry an event is, if it is one.
    pub fn from_event(at: &Recorded, event: &WalletEvent) -> Option<Self> {
        let (id, kind, amount, fiat, description) = match event {
            WalletEvent::Credited {
                entry_id,
                amount,
                purchase,
                description,
                ..
            } => {
                let fiat = purchase.as_ref().map_or(0, |paid| paid.fiat);
                (entry_id, "CREDIT", amount, fiat, description)
            }
            WalletEvent::TaskRefunded {
                entry_id,
                amount,
                description,
                ..
            } => (entry_id, "CREDIT", amount, 0, description),
            WalletEvent::Debited {
                entry_id,
                amount,
                description,
                ..
            }
            | WalletEvent::TaskCharged {
                entry_id,
                amount,
                description,
                ..
            } => (entry_id, "DEBIT", amount, 0, description),
            WalletEvent::StripeCustomerLinked { .. } | WalletEvent::PurchaseRecorded { .. } => {
                return None
            }
        };
        Some(TransactionView {
            id: id.clone(),
            user_id: at.aggregate_id.clone(),
            kind: kind.to_string(),
            description: description.clone(),
            value_in_credits: *amount,
            value_in_fiat: fiat,
            created_at_ms: at.recorded_at_ms,
            updated_at_ms: at.recorded_at_ms,
            position: at.position,
        })
    }
}
