//! State, commands and decisions of the Wallet aggregate.

use std::collections::BTreeSet;

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::WalletEvent;
use crate::money::MAX_MINOR;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalletCommand {
    Credit {
        entry_id: String,
        amount: i64,
        description: String,
    },
    /// Credits bought through a Stripe Checkout session: granted once per session, however
    /// often the payment is reported.
    CreditPurchase {
        entry_id: String,
        amount: i64,
        fiat: i64,
        checkout_session: String,
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
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Wallet {
    pub(super) balance: i64,
    pub(super) settled_sessions: BTreeSet<String>,
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
        fiat: i64,
        session: Option<String>,
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
            fiat,
            checkout_session: session,
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
            } => Some(self.credited(entry_id, positive(amount)?, description, 0, None)?),
            WalletCommand::CreditPurchase {
                entry_id,
                amount,
                fiat,
                checkout_session,
            } => self.credit_purchase(entry_id, amount, fiat, checkout_session)?,
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
                balance,
                checkout_session,
                ..
            } => {
                self.balance = balance;
                self.settled_sessions.extend(checkout_session);
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
