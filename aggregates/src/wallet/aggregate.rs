//! State, commands and decisions of the Wallet aggregate.

use std::collections::{BTreeMap, BTreeSet};

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{Paid, WalletEvent};
use crate::money::MAX_MINOR;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalletCommand {
    Credit {
        entry_id: String,
        amount: i64,
        description: String,
    },
    /// A Checkout session opened to buy `credits` for `fiat` cents, recorded before the
    /// buyer is sent to pay.
    RecordPurchase {
        purchase_id: String,
        credits: i64,
        fiat: i64,
        checkout_session: String,
    },
    /// The payment of a recorded purchase: credits it once, however often it is reported,
    /// and only if `paid` is the recorded price.
    CreditPurchase {
        entry_id: String,
        checkout_session: String,
        paid: i64,
    },
    Debit {
        entry_id: String,
        amount: i64,
        description: String,
    },
    /// The operator sets the balance: the difference is recorded as a credit or a debit.
    SetBalance { entry_id: String, balance: i64 },
    /// An agent analysis paid up front, committed together with the task's creation.
    ChargeTask {
        task_id: String,
        entry_id: String,
        amount: i64,
    },
    /// A failed analysis given back, committed together with the task's failure (which can
    /// happen only once, so neither can this).
    RefundTask {
        task_id: String,
        entry_id: String,
        amount: i64,
    },
    /// Remember the user's Stripe customer; the first one linked stays.
    LinkStripeCustomer { customer_id: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalletError {
    #[error("amounts must be positive and at most MAX_MINOR")]
    InvalidAmount,
    #[error("the balance would pass MAX_MINOR")]
    BalanceTooHigh,
    #[error("the balance is too low")]
    InsufficientCredits,
    #[error("no purchase was recorded for this Checkout session")]
    UnknownPurchase,
    #[error("the amount paid is not the recorded price")]
    PaidAmountMismatch,
}

/// A purchase waiting for its payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Recorded {
    pub(super) purchase_id: String,
    pub(super) credits: i64,
    pub(super) fiat: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Wallet {
    pub(super) balance: i64,
    pub(super) settled_sessions: BTreeSet<String>,
    /// Purchases recorded and not yet paid, by Checkout session.
    #[serde(default)]
    pub(super) purchases: BTreeMap<String, Recorded>,
    pub(super) stripe_customer: Option<String>,
}

impl Wallet {
    pub fn balance(&self) -> i64 {
        self.balance
    }

    pub fn stripe_customer(&self) -> Option<&str> {
        self.stripe_customer.as_deref()
    }

    pub(super) fn credited(
        &self,
        entry_id: String,
        amount: i64,
        description: String,
        purchase: Option<Paid>,
    ) -> Result<WalletEvent, WalletError> {
        let balance = self
            .balance
            .checked_add(amount)
            .filter(|balance| *balance <= MAX_MINOR)
            .ok_or(WalletError::BalanceTooHigh)?;
        Ok(WalletEvent::Credited {
            entry_id,
            amount,
            balance,
            description,
            purchase,
        })
    }

    pub(super) fn debited(
        &self,
        entry_id: String,
        amount: i64,
        description: String,
    ) -> Result<WalletEvent, WalletError> {
        if amount > self.balance {
            return Err(WalletError::InsufficientCredits);
        }
        Ok(WalletEvent::Debited {
            entry_id,
            amount,
            balance: self.balance - amount,
            description,
        })
    }
}

/// An amount to credit, debit or hold: positive and within [`MAX_MINOR`].
pub(super) fn positive(amount: i64) -> Result<i64, WalletError> {
    if (1..=MAX_MINOR).contains(&amount) {
        Ok(amount)
    } else {
        Err(WalletError::InvalidAmount)
    }
}

impl Aggregate for Wallet {
    const TYPE: &'static str = "Wallet";
    type Command = WalletCommand;
    type Event = WalletEvent;
    type Error = WalletError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let event = match command {
            WalletCommand::Credit {
                entry_id,
                amount,
                description,
            } => Some(self.credited(entry_id, positive(amount)?, description, None)?),
            WalletCommand::RecordPurchase {
                purchase_id,
                credits,
                fiat,
                checkout_session,
            } => self.record_purchase(purchase_id, credits, fiat, checkout_session)?,
            WalletCommand::CreditPurchase {
                entry_id,
                checkout_session,
                paid,
            } => self.credit_purchase(entry_id, checkout_session, paid)?,
            WalletCommand::Debit {
                entry_id,
                amount,
                description,
            } => Some(self.debited(entry_id, positive(amount)?, description)?),
            WalletCommand::SetBalance { entry_id, balance } => {
                self.set_balance(entry_id, balance)?
            }
            WalletCommand::ChargeTask {
                task_id,
                entry_id,
                amount,
            } => Some(self.charge_task(task_id, entry_id, amount)?),
            WalletCommand::RefundTask {
                task_id,
                entry_id,
                amount,
            } => Some(self.refund_task(task_id, entry_id, amount)?),
            WalletCommand::LinkStripeCustomer { customer_id } => {
                let linked = self.stripe_customer.is_some();
                (!linked).then_some(WalletEvent::StripeCustomerLinked { customer_id })
            }
        };
        if let Some(event) = event {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            WalletEvent::Credited {
                balance, purchase, ..
            } => {
                self.balance = balance;
                if let Some(paid) = purchase {
                    self.purchases.remove(&paid.checkout_session);
                    self.settled_sessions.insert(paid.checkout_session);
                }
            }
            WalletEvent::PurchaseRecorded {
                purchase_id,
                credits,
                fiat,
                checkout_session,
            } => {
                let recorded = Recorded {
                    purchase_id,
                    credits,
                    fiat,
                };
                self.purchases.insert(checkout_session, recorded);
            }
            WalletEvent::Debited { balance, .. }
            | WalletEvent::TaskCharged { balance, .. }
            | WalletEvent::TaskRefunded { balance, .. } => self.balance = balance,
            WalletEvent::StripeCustomerLinked { customer_id } => {
                self.stripe_customer = Some(customer_id)
            }
        }
    }
}
