//! Events of the Wallet aggregate. Amounts are minor units; each entry states the balance it
//! leaves, so a view never has to add anything up.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WalletEvent {
    /// Credits added. `checkout_session` names the Stripe Checkout session paid for them, and
    /// `fiat` the cents paid; both absent for other credits.
    Credited {
        entry_id: String,
        amount: i64,
        balance: i64,
        description: String,
        fiat: i64,
        checkout_session: Option<String>,
    },
    Debited {
        entry_id: String,
        amount: i64,
        balance: i64,
        description: String,
    },
    /// An agent analysis paid for; committed with the task it pays for.
    TaskCharged {
        task_id: String,
        entry_id: String,
        amount: i64,
        balance: i64,
        description: String,
    },
    /// A failed analysis's charge given back.
    TaskRefunded {
        task_id: String,
        entry_id: String,
        amount: i64,
        balance: i64,
        description: String,
    },
    /// The user's Stripe customer, created when first needed, kept for every later payment.
    StripeCustomerLinked { customer_id: String },
}

impl DomainEvent for WalletEvent {
    fn event_type(&self) -> String {
        match self {
            WalletEvent::Credited { .. } => "Credited",
            WalletEvent::Debited { .. } => "Debited",
            WalletEvent::TaskCharged { .. } => "TaskCharged",
            WalletEvent::TaskRefunded { .. } => "TaskRefunded",
            WalletEvent::StripeCustomerLinked { .. } => "StripeCustomerLinked",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
