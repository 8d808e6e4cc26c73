//! Stripe routes: the webhook.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::body::RawBody;
use super::context::Caller;
use super::success;
use crate::error::ApiError;
use crate::state::AppState;
use crate::stripe::{settle::settle, signature};

/// `POST /stripe/settle`: the signature over the raw body is checked before anything else;
/// a bad, missing or stale one is 400 and changes nothing.
pub async fn webhook(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let secrets = &state.settings.stripe_webhook_secrets;
    if secrets.is_empty() {
        return Err(ApiError::Unavailable(
            "STRIPE_WEBHOOK_SECRET is not set".into(),
        ));
    }
    let header = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !signature::verify(header, &body, secrets, state.clock.now_ms() / 1000) {
        return Err(ApiError::InvalidSchema);
    }
    settle(&state, &body, &caller.meta).await?;
    Ok(success(
        StatusCode::OK,
        "Checkout session settled successfully.",
        Value::Null,
    ))
}

/// `GET /stripe/rate` with a user token or API key: the purchase tiers.
pub async fn rate(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require_active_caller(&state).await?;
    let tiers = serde_json::to_value(&state.settings.credit_rates)
        .map_err(|e| ApiError::Internal(e.into()))?;
    let message = "Credits rate fetched successfully. Upper limit and lower limit are in fiat. \
        Rate is in credits per dollar. Any amount beyond the limits will not be credited.";
    Ok(success(StatusCode::OK, message, tiers))
}
