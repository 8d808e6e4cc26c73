//! The Wallet's decisions that take more than a line: purchases credited once per Checkout
//! session, the operator setting a balance, and
//! the agent's charges and refunds.

use super::aggregate::{positive, Wallet, WalletError};
use super::WalletEvent;
use crate::money::{format_minor, MAX_MINOR};

impl Wallet {
    /// Credits bought through a Checkout session; nothing when the session was credited.
    pub(super) fn credit_purchase(
        &self,
        entry_id: String,
        amount: i64,
        fiat: i64,
        checkout_session: String,
    ) -> Result<Option<WalletEvent>, WalletError> {
        if self.settled_sessions.contains(&checkout_session) {
            return Ok(None);
        }
        let description = format!(
            "User bought {} credits for ${}.",
            format_minor(amount),
            format_minor(fiat)
        );
        let (amount, fiat) = (positive(amount)?, positive(fiat)?);
        let session = Some(checkout_session);
        self.credited(entry_id, amount, description, fiat, session)
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
            up if up > 0 => Some(self.credited(entry_id, up, description, 0, None)?),
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
