//! Buying credits: the buyer's Stripe customer (created when first needed and remembered by
//! an event), a Checkout session priced by the tiers and recorded on the wallet as a
//! purchase, and the billing portal.

use std::collections::HashMap;

use clara_aggregates::money::format_minor;
use clara_aggregates::WalletCommand;

use super::api::Checkout;
use super::rates::tier_for;
use super::StripeSettings;
use crate::accounts::users::user_view;
use crate::commands::Meta;
use crate::error::AppError;
use crate::ids::new_id;
use crate::state::AppState;

/// What the buyer is sent to pay.
pub struct Purchase {
    pub url: String,
    /// Hundredths of a credit.
    pub credits: i64,
    /// US cents.
    pub fiat: i64,
}

fn stripe(state: &AppState) -> Result<&StripeSettings, AppError> {
    state
        .stripe
        .as_deref()
        .ok_or_else(|| AppError::Unavailable("STRIPE_SECRET_KEY is not set".into()))
}

/// The user's Stripe customer, created and linked on first use.
async fn customer(
    state: &AppState,
    stripe: &StripeSettings,
    user_id: &str,
    meta: &Meta,
) -> Result<String, AppError> {
    if let Some(id) = state.wallets.load(user_id).await?.stripe_customer() {
        return Ok(id.to_string());
    }
    let email = user_view(state, user_id).await?.email;
    let created = stripe.api.create_customer(user_id, &email).await?;
    let command = WalletCommand::LinkStripeCustomer {
        customer_id: created,
    };
    state.wallets.execute(user_id, command, meta).await?;
    let wallet = state.wallets.load(user_id).await?;
    wallet
        .stripe_customer()
        .map(str::to_string)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("customer not linked")))
}

/// A Checkout session for `dollars` USD of credits, returning to `{CLIENT_URL}/{return_path}`.
pub async fn buy(
    state: &AppState,
    user_id: &str,
    dollars: u64,
    return_path: &str,
    meta: &Meta,
) -> Result<Purchase, AppError> {
    let stripe = stripe(state)?;
    let tier = tier_for(&state.settings.credit_rates, dollars).ok_or(AppError::NoRate)?;
    let overflow = || AppError::InvalidInput;
    let fiat = i64::try_from(dollars)
        .ok()
        .and_then(|d| d.checked_mul(100))
        .ok_or_else(overflow)?;
    let credits = i64::try_from(tier.rate)
        .ok()
        .and_then(|r| r.checked_mul(fiat))
        .ok_or_else(overflow)?;
    let customer = customer(state, stripe, user_id, meta).await?;
    let back = format!(
        "{}/{}",
        stripe.client_url.trim_end_matches('/'),
        return_path.trim_start_matches('/')
    );
    let purchase_id = new_id("purchase");
    let metadata = HashMap::from([
        ("user_id".to_string(), user_id.to_string()),
        ("purchase_id".to_string(), purchase_id.clone()),
        ("credits".to_string(), format_minor(credits)),
        ("fiat".to_string(), format_minor(fiat)),
    ]);
    let checkout = Checkout {
        customer: &customer,
        dollars,
        price_id: tier.stripe_price_id.as_deref(),
        success_url: &format!("{back}?stripe_status=success"),
        cancel_url: &format!("{back}?stripe_status=cancel"),
        client_reference_id: &purchase_id,
        metadata,
    };
    let (session, url) = stripe.api.create_checkout(checkout).await?;
    // Recorded before the buyer is sent to pay: the webhook credits only recorded purchases.
    let command = WalletCommand::RecordPurchase {
        purchase_id,
        credits,
        fiat,
        checkout_session: session,
    };
    state.wallets.execute(user_id, command, meta).await?;
    Ok(Purchase { url, credits, fiat })
}

/// A billing-portal session for the user's Stripe customer; returns its URL.
pub async fn portal(state: &AppState, user_id: &str, meta: &Meta) -> Result<String, AppError> {
    let stripe = stripe(state)?;
    let customer = customer(state, stripe, user_id, meta).await?;
    stripe
        .api
        .create_portal(&customer, &stripe.client_url)
        .await
}
