//! The Wallet's decisions that take more than a line: purchases credited once per Checkout
//! session, the operator setting a balance, and
//! the agent's charges and refunds.

use super::aggregate::{positive, Wallet, WalletError};
use super::{Paid, WalletEvent};
use crate::money::{format_minor, MAX_MINOR};

impl Wallet {
    /// A purchase about to be paid; nothing when its session is already recorded.
    pub(super) fn record_purchase(
        &self,
        purchase_id: String,
        credits: i64,
        fiat: i64,
        checkout_session: String,
    ) -> Result<Option<WalletEvent>, WalletError> {
        let (credits, fiat) = (positive(credits)?, positive(fiat)?);
        let known = self.purchases.contains_key(&checkout_session)
            || self.settled_sessions.contains(&checkout_session);
        Ok((!known).then_some(WalletEvent::PurchaseRecorded {
            purchase_id,
            credits,
            fiat,
            checkout_session,
        }))
    }

    /// The credits of the purchase recorded for `checkout_session`, once `paid` (cents) is
    /// its price; nothing when the session was credited already.
    pub(super) fn credit_purchase(
        &self,
        entry_id: String,
        checkout_session: String,
        paid: i64,
    ) -> Result<Option<WalletEvent>, WalletError> {
        if self.settled_sessions.contains(&checkout_session) {
            return Ok(None);
        }
        let recorded = self
            .purchases
            .get(&checkout_session)
            .ok_or(WalletError::UnknownPurchase)?;
        if paid != recorded.fiat {
            return Err(WalletError::PaidAmountMismatch);
        }
        let description = format!(
            "User bought {} credits for ${}.",
            format_minor(recorded.credits),
            format_minor(recorded.fiat)
        );
        let paid = Paid {
            purchase_id: Some(recorded.purchase_id.clone()),
            checkout_session,
            fiat: recorded.fiat,
        };
        self.credited(entry_id, recorded.credits, description, Some(paid))
            .map(Some)
    }

    /// The difference to `balance`, as a credit or a debit; nothing when there is none.
    pub(super) fn set_balance(
        &self,
        entry_id: String,
        balance: i64,
    ) -> Result<Option<WalletEvent>, WalletError> {
        if !(0..=MAX_MINOR).contains(&balance) {
            return Err(WalletError::InvalidAmount);
        }
        let description = format!(
            "Admin updated credits from {} to {}.",
            format_minor(self.balance),
            format_minor(balance)
        );
        Ok(match balance - self.balance {
            0 => None,
            up if up > 0 => Some(self.credited(entry_id, up, description, None)?),
            down => Some(self.debited(entry_id, -down, description)?),
        })
    }

    /// The price of analysis `task_id`, paid from the balance.
    pub(super) fn charge_task(
        &self,
        task_id: String,
        entry_id: String,
        amount: i64,
    ) -> Result<WalletEvent, WalletError> {
        if positive(amount)? > self.balance {
            return Err(WalletError::InsufficientCredits);
        }
        let description = format!(
            "Agent analysis {task_id} charged {} credits.",
            format_minor(amount)
        );
        Ok(WalletEvent::TaskCharged {
            task_id,
            entry_id,
            amount,
            balance: self.balance - amount,
            description,
        })
    }

    /// Gives back what analysis `task_id` was charged. Not capped at [`MAX_MINOR`]: a refund
    /// returns money already counted, and refusing it would destroy credits.
    pub(super) fn refund_task(
        &self,
        task_id: String,
        entry_id: String,
        amount: i64,
    ) -> Result<WalletEvent, WalletError> {
        let balance = self
            .balance
            .checked_add(positive(amount)?)
            .ok_or(WalletError::BalanceTooHigh)?;
        let description = format!("Agent analysis {task_id} refunded.");
        Ok(WalletEvent::TaskRefunded {
            task_id,
            entry_id,
            amount,
            balance,
            description,
        })
    }
}
