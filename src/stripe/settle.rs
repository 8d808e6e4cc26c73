//! Settling a verified Stripe event: a paid Checkout session credits the purchase recorded
//! for it, once however often it is delivered, and only when the amount paid is the recorded
//! price. Anything else is acknowledged (so Stripe stops retrying) and logged.

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

/// Applies the event in `body` (already verified); anything it does not concern is ignored.
pub async fn settle(state: &AppState, body: &[u8], meta: &Meta) -> Result<(), AppError> {
    let event: Value = serde_json::from_slice(body).map_err(|_| AppError::InvalidInput)?;
    if !PAID.iter().any(|kind| event["type"] == *kind) {
        return Ok(());
    }
    let session = &event["data"]["object"];
    if session["payment_status"] != "paid" {
        return Ok(());
    }
    let (Some(session_id), Some(user_id), Some(paid)) = (
        session["id"].as_str(),
        session["metadata"]["user_id"].as_str(),
        session["amount_total"].as_i64(),
    ) else {
        tracing::error!("a paid Checkout session lacks its id, user or amount; nothing credited");
        return Ok(());
    };
    if !is_id("user", user_id) || !state.users.load(user_id).await?.is_registered() {
        tracing::error!(
            user_id,
            checkout_session = session_id,
            "a paid Checkout session names an unknown user; nothing credited"
        );
        return Ok(());
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
            Ok(())
        }
        other => other.map(drop).map_err(AppError::from),
    }
}
