//! Settling a verified Stripe event: a paid `checkout.session.completed` credits the wallet
//! of the user in its metadata, once per Checkout session however often it is delivered.

use clara_aggregates::money::parse_minor;
use clara_aggregates::WalletCommand;
use serde_json::Value;

use crate::commands::{CommitError, Meta};
use crate::error::AppError;
use crate::ids::{is_id, new_id};
use crate::state::AppState;

/// Applies the event in `body` (already verified); anything it does not concern is ignored.
pub async fn settle(state: &AppState, body: &[u8], meta: &Meta) -> Result<(), AppError> {
    let event: Value = serde_json::from_slice(body).map_err(|_| AppError::InvalidInput)?;
    if event["type"] != "checkout.session.completed" {
        return Ok(());
    }
    let session = &event["data"]["object"];
    if session["payment_status"] != "paid" {
        return Ok(());
    }
    let metadata = &session["metadata"];
    let text = |key: &str| metadata[key].as_str().map(str::to_string);
    let (Some(session_id), Some(user_id), Some(credits), Some(fiat)) = (
        session["id"].as_str(),
        text("user_id"),
        text("credits").as_deref().and_then(parse_minor),
        text("fiat").as_deref().and_then(parse_minor),
    ) else {
        tracing::warn!("a paid Checkout session lacks the metadata to credit it; ignored");
        return Ok(());
    };
    if !is_id("user", &user_id) || !state.users.load(&user_id).await?.is_registered() {
        tracing::warn!(user_id = %user_id, "a paid Checkout session names an unknown user; ignored");
        return Ok(());
    }
    let command = WalletCommand::CreditPurchase {
        entry_id: new_id("transaction"),
        amount: credits,
        fiat,
        checkout_session: session_id.to_string(),
    };
    match state.wallets.execute(&user_id, command, meta).await {
        // Stripe's retries cannot change this: the operator must, so say so loudly and let
        // Stripe stop.
        Err(CommitError::Domain(error)) => {
            tracing::error!(user_id = %user_id, checkout_session = %session_id, %error, "a paid Checkout session cannot be credited");
            Ok(())
        }
        other => other.map(drop).map_err(AppError::from),
    }
}
