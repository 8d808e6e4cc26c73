//! State, commands and decisions of the Wallet aggregate.

use std::collections::{BTreeMap, BTreeSet};

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
    SetBalance {
        entry_id: String,
        balance: i64,
    },
    PlaceHold {
        hold_id: String,
        amount: i64,
    },
    CaptureHold {
        hold_id: String,
        entry_id: String,
        description: String,
    },
    ReleaseHold {
        hold_id: String,
    },
    /// Remember the user's Stripe customer; the first one linked stays.
    LinkStripeCustomer {
        customer_id: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalletError {
    #[error("amounts must be positive and at most MAX_MINOR")]
    InvalidAmount,
    #[error("the balance would pass MAX_MINOR")]
    BalanceTooHigh,
    #[error("the balance is too low")]
    InsufficientCredits,
    #[error("no such hold")]
    UnknownHold,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Wallet {
    pub(super) balance: i64,
    pub(super) holds: BTreeMap<String, i64>,
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

    /// What can still be spent or held: the balance less every open hold.
    pub fn available(&self) -> i64 {
        self.balance - self.holds.values().sum::<i64>()
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
        if amount > self.available() {
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
            WalletCommand::PlaceHold { hold_id, amount } => Some(self.place_hold(hold_id, amount)?),
            WalletCommand::CaptureHold {
                hold_id,
                entry_id,
                description,
            } => Some(self.capture_hold(hold_id, entry_id, description)?),
            WalletCommand::ReleaseHold { hold_id } => Some(self.release_hold(hold_id)?),
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
            WalletEvent::Debited { balance, .. } => self.balance = balance,
            WalletEvent::HoldPlaced {
                hold_id, amount, ..
            } => {
                self.holds.insert(hold_id, amount);
            }
            WalletEvent::HoldCaptured {
                hold_id, balance, ..
            } => {
                self.holds.remove(&hold_id);
                self.balance = balance;
            }
            WalletEvent::HoldReleased { hold_id, .. } => {
                self.holds.remove(&hold_id);
            }
            WalletEvent::StripeCustomerLinked { customer_id } => {
                self.stripe_customer = Some(customer_id)
            }
        }
    }
}
