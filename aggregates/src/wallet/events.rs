//! Events of the Wallet aggregate. Amounts are minor units; each entry states the balance it
//! leaves, so a view never has to add anything up.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use crate::redaction::{Redaction, Shown};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(strum::EnumIter))]
pub enum WalletEvent {
    /// Credits added; `purchase` is the payment that bought them, absent for other credits.
    /// Version 2: version 1 had `fiat` and `checkout_session` fields instead of `purchase`
    /// (see `crate::upcast`).
    Credited {
        entry_id: String,
        amount: i64,
        balance: i64,
        description: String,
        purchase: Option<Paid>,
    },
    /// A Checkout session was opened to buy `credits` for `fiat` US cents; its payment
    /// credits them once.
    PurchaseRecorded {
        purchase_id: String,
        credits: i64,
        fiat: i64,
        checkout_session: String,
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

/// The payment behind a credit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paid {
    /// None for credits bought before purchases were recorded.
    pub purchase_id: Option<String>,
    pub checkout_session: String,
    /// US cents paid.
    pub fiat: i64,
}

impl DomainEvent for WalletEvent {
    fn event_type(&self) -> String {
        match self {
            WalletEvent::Credited { .. } => "Credited",
            WalletEvent::PurchaseRecorded { .. } => "PurchaseRecorded",
            WalletEvent::Debited { .. } => "Debited",
            WalletEvent::TaskCharged { .. } => "TaskCharged",
            WalletEvent::TaskRefunded { .. } => "TaskRefunded",
            WalletEvent::StripeCustomerLinked { .. } => "StripeCustomerLinked",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        match self {
            WalletEvent::Credited { .. } => "2",
            _ => "1",
        }
        .to_string()
    }
}

/// The ledger holds no secret: every field is shown.
impl Redaction for WalletEvent {
    const FIELDS: &'static [(&'static str, &'static str, Shown)] = &[
        ("Credited", "entry_id", Shown::Kept),
        ("Credited", "amount", Shown::Kept),
        ("Credited", "balance", Shown::Kept),
        ("Credited", "description", Shown::Kept),
        ("Credited", "purchase", Shown::Kept),
        ("PurchaseRecorded", "purchase_id", Shown::Kept),
        ("PurchaseRecorded", "credits", Shown::Kept),
        ("PurchaseRecorded", "fiat", Shown::Kept),
        ("PurchaseRecorded", "checkout_session", Shown::Kept),
        ("Debited", "entry_id", Shown::Kept),
        ("Debited", "amount", Shown::Kept),
        ("Debited", "balance", Shown::Kept),
        ("Debited", "description", Shown::Kept),
        ("TaskCharged", "task_id", Shown::Kept),
        ("TaskCharged", "entry_id", Shown::Kept),
        ("TaskCharged", "amount", Shown::Kept),
        ("TaskCharged", "balance", Shown::Kept),
        ("TaskCharged", "description", Shown::Kept),
        ("TaskRefunded", "task_id", Shown::Kept),
        ("TaskRefunded", "entry_id", Shown::Kept),
        ("TaskRefunded", "amount", Shown::Kept),
        ("TaskRefunded", "balance", Shown::Kept),
        ("TaskRefunded", "description", Shown::Kept),
        ("StripeCustomerLinked", "customer_id", Shown::Kept),
    ];
}
