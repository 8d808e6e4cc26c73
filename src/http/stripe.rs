//! Stripe routes: the webhook.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::body::{parse, RawBody, Validate};
use super::context::Caller;
use super::error::ApiError;
use super::openapi::Envelope;
use super::render::Credits;
use super::success;
use crate::commands::Meta;
use crate::state::AppState;
use crate::stripe::{purchase, settle::settle, signature};

/// `POST /stripe/settle`: the signature over the raw body is checked before anything else;
/// a bad, missing or stale one is 400 and changes nothing.
#[utoipa::path(post, path = "/api/v1/stripe/settle", tag = "stripe", params(("Stripe-Signature" = String, Header, description = "t=<unix time>,v1=<HMAC-SHA256>")), request_body(content = Object, description = "A Stripe event, as Stripe signed it"), responses((status = 200, description = "Settled (or nothing to settle)", body = Envelope)), security(()))]
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
    let meta = Meta {
        actor: Some("stripe".into()),
        ..caller.meta
    };
    settle(&state, &body, &meta).await?;
    Ok(success(
        StatusCode::OK,
        "Checkout session settled successfully.",
        Value::Null,
    ))
}

/// `GET /stripe/rate` with a user token or API key: the purchase tiers.
#[utoipa::path(get, path = "/api/v1/stripe/rate", tag = "stripe", responses((status = 200, description = "The purchase tiers", body = Envelope)), security(("user_token" = []), ("api_key" = [])))]
pub async fn rate(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require_active_caller(&state).await?;
    let tiers = serde_json::to_value(&state.settings.credit_rates)
        .map_err(|e| ApiError::Internal(e.into()))?;
    let message = "Credits rate fetched successfully. Upper limit and lower limit are in fiat. \
        Rate is in credits per dollar. Any amount beyond the limits will not be credited.";
    Ok(success(StatusCode::OK, message, tiers))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuyBody {
    amount: u64,
    return_path: String,
}

impl Validate for BuyBody {
    fn is_valid(&self) -> bool {
        self.return_path.len() <= 2048
    }
}

/// What Buy answers; fields in alphabetical order.
#[derive(serde::Serialize)]
struct Checkout<'a> {
    return_path: &'a str,
    url: &'a str,
    value_in_credits: Credits,
    value_in_fiat: Credits,
}

/// `POST /stripe/buy` `{amount, return_path}`: 201 with the Checkout URL to send the buyer to.
#[utoipa::path(post, path = "/api/v1/stripe/buy", tag = "stripe", request_body = BuyBody, responses((status = 201, description = "A Checkout session to pay", body = Envelope)), security(("user_token" = []), ("api_key" = [])))]
pub async fn buy(
    State(state): State<AppState>,
    caller: Caller,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let user_id = caller.require_active_caller(&state).await?;
    let body: BuyBody = parse(&body)?;
    let purchase = purchase::buy(
        &state,
        &user_id,
        body.amount,
        &body.return_path,
        &caller.meta,
    )
    .await?;
    let data = Checkout {
        return_path: &body.return_path,
        url: &purchase.url,
        value_in_credits: Credits(purchase.credits),
        value_in_fiat: Credits(purchase.fiat),
    };
    Ok(success(
        StatusCode::CREATED,
        "Checkout session created successfully.",
        data,
    ))
}

/// `POST /stripe/portal`: 201 with the billing-portal URL.
#[utoipa::path(post, path = "/api/v1/stripe/portal", tag = "stripe", responses((status = 201, description = "A billing-portal session", body = Envelope)), security(("user_token" = []), ("api_key" = [])))]
pub async fn portal(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let user_id = caller.require_active_caller(&state).await?;
    let url = purchase::portal(&state, &user_id, &caller.meta).await?;
    Ok(success(
        StatusCode::CREATED,
        "Customer portal session created successfully.",
        serde_json::json!({ "url": url }),
    ))
}
