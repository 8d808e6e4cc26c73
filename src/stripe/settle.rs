//! Settling a verified Stripe event: a paid Checkout session credits the purchase recorded
//! for it, once however often it is delivered, and only when the amount paid is the recorded
//! price. Anything else is acknowledged (so Stripe stops retrying), logged and counted.

use clara_aggregates::WalletCommand;
use serde_json::Value;

use crate::commands::{CommitError, Meta};
use crate::error::AppError;
use crate::ids::{is_id, new_id};
use crate::state::AppState;

/// The events that report a Checkout session paid (the second for delayed payment methods).
const PAID: [&str; 2] = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
];

/// What a verified event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// Not a paid Checkout session: nothing to do.
    Ignored,
    /// Paid, but for no purchase this service recorded (or another amount): nothing credited.
    Unmatched,
    Credited,
    AlreadyCredited,
}

impl Settled {
    fn label(self) -> &'static str {
        match self {
            Settled::Ignored => "ignored",
            Settled::Unmatched => "unmatched",
            Settled::Credited => "credited",
            Settled::AlreadyCredited => "already_credited",
        }
    }
}

/// Applies the event in `body` (already verified), counting what it did.
pub async fn settle(state: &AppState, body: &[u8], meta: &Meta) -> Result<Settled, AppError> {
    let settled = apply(state, body, meta).await?;
    crate::meter::stripe_webhook(settled.label());
    Ok(settled)
}

async fn apply(state: &AppState, body: &[u8], meta: &Meta) -> Result<Settled, AppError> {
    let event: Value = serde_json::from_slice(body).map_err(|_| AppError::InvalidInput)?;
    let session = &event["data"]["object"];
    if !PAID.iter().any(|kind| event["type"] == *kind) || session["payment_status"] != "paid" {
        return Ok(Settled::Ignored);
    }
    let (Some(session_id), Some(user_id), Some(paid)) = (
        session["id"].as_str(),
        session["metadata"]["user_id"].as_str(),
        session["amount_total"].as_i64(),
    ) else {
        tracing::error!("a paid Checkout session lacks its id, user or amount; nothing credited");
        return Ok(Settled::Unmatched);
    };
    if !is_id("user", user_id) || !state.users.load(user_id).await?.is_registered() {
        tracing::error!(
            user_id,
            checkout_session = session_id,
            "a paid Checkout session names an unknown user; nothing credited"
        );
        return Ok(Settled::Unmatched);
    }
    let command = WalletCommand::CreditPurchase {
        entry_id: new_id("transaction"),
        checkout_session: session_id.to_string(),
        paid,
    };
    match state.wallets.execute(user_id, command, meta).await {
        // Stripe's retries cannot change this: the operator must, so say so loudly and let
        // Stripe stop.
        Err(CommitError::Domain(error)) => {
            tracing::error!(user_id, checkout_session = session_id, paid, %error, "a paid Checkout session cannot be credited");
            Ok(Settled::Unmatched)
        }
        Ok(committed) if committed.events.is_empty() => Ok(Settled::AlreadyCredited),
        Ok(_) => Ok(Settled::Credited),
        Err(other) => Err(other.into()),
    }
}
