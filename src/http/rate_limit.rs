//! The rate-limit middleware: an oversized `Authorization` header is refused (431) before
//! anything else; then the credential is verified once, for the limit and for the handler,
//! and the request draws on its verified owner's budget, or on its client address's when it
//! has no verified owner. Past the budget: 429 with `Retry-After`. The private key is not
//! limited, nor are Health, Version and the signed Stripe webhook.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::context::Verified;
use super::error::ApiError;
use crate::auth::principal::Principal;
use crate::limits::LimitKey;
use crate::state::AppState;

/// The longest `Authorization` header read; a credential of any form is far shorter.
pub const MAX_AUTHORIZATION_BYTES: usize = 8 * 1024;

pub async fn enforce(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let oversized = request
        .headers()
        .get(AUTHORIZATION)
        .is_some_and(|value| value.len() > MAX_AUTHORIZATION_BYTES);
    if oversized {
        return ApiError::HeaderTooLarge.into_response();
    }
    if !state.limiter.is_on() || exempt(request.uri().path()) {
        return next.run(request).await;
    }
    let verified = match Verified::resolve(request.headers(), &state).await {
        Ok(verified) => verified,
        Err(error) => return error.into_response(),
    };
    let key = match &verified.principal {
        Some(Principal::Admin) => None,
        Some(principal) => match principal.user_id() {
            Some(user_id) => Some(LimitKey::Owner(user_id.to_string())),
            None => Some(client_address(&request)),
        },
        None => Some(client_address(&request)),
    };
    request.extensions_mut().insert(verified);
    if let Some(key) = key {
        if let Err(wait) = state.limiter.admit(&key).await {
            let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return ApiError::RateLimited {
                retry_after: retry_after.max(1),
            }
            .into_response();
        }
    }
    next.run(request).await
}

/// Routes outside the limits: probes, and Stripe's deliveries, which are verified by
/// signature and retried by Stripe when refused.
fn exempt(path: &str) -> bool {
    matches!(
        path,
        "/health" | "/version" | "/api/v1/health" | "/api/v1/version" | "/api/v1/stripe/settle"
    )
}

fn client_address(request: &Request) -> LimitKey {
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    LimitKey::address(ip)
}
