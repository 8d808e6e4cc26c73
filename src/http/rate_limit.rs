//! Rate limits: each bearer credential (user token, API key) and, for calls without one, each
//! client address gets `RATE_LIMIT_PER_SECOND` requests per second (10 by default; 0 turns
//! limits off). Beyond that: 429 in the envelope with `Retry-After`. The private key is not
//! limited, nor are Health, Version and the signed Stripe webhook.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::state::AppState;

/// Counters are dropped once this many keys are tracked and their second has passed.
const PRUNE_ABOVE: usize = 50_000;

pub struct RateLimiter {
    per_second: u32,
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl RateLimiter {
    pub fn new(per_second: u32) -> Self {
        Self {
            per_second,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request of `key` at `now_ms`: `Err(seconds to wait)` past the limit.
    pub fn admit(&self, key: &str, now_ms: i64) -> Result<(), u64> {
        if self.per_second == 0 {
            return Ok(());
        }
        let second = now_ms.div_euclid(1000);
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() > PRUNE_ABOVE {
            windows.retain(|_, (at, _)| *at >= second);
        }
        let (at, count) = windows.entry(key.to_string()).or_insert((second, 0));
        if *at != second {
            (*at, *count) = (second, 0);
        }
        if *count >= self.per_second {
            return Err(1);
        }
        *count += 1;
        Ok(())
    }
}

/// Which counter a request draws on, if any.
fn limit_key(request: &Request, state: &AppState) -> Option<String> {
    let path = request.uri().path();
    // Stripe's deliveries are verified by signature and retried by Stripe when refused.
    if path.ends_with("/health") || path.ends_with("/version") || path.ends_with("/stripe/settle") {
        return None;
    }
    let auth = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if auth.starts_with("Bearer ") {
        return Some(format!("credential {auth}"));
    }
    if auth.trim() == state.secrets.private_api_key {
        return None;
    }
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    Some(format!("address {}", ip.unwrap_or_default()))
}

pub async fn enforce(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(key) = limit_key(&request, &state) {
        if let Err(retry_after) = state.limiter.admit(&key, state.clock.now_ms()) {
            return ApiError::RateLimited { retry_after }.into_response();
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::RateLimiter;

    #[test]
    fn a_key_gets_its_quota_per_second_and_others_are_unaffected() {
        let limiter = RateLimiter::new(2);
        assert!(limiter.admit("a", 1_000).is_ok());
        assert!(limiter.admit("a", 1_999).is_ok());
        assert_eq!(limiter.admit("a", 1_999), Err(1));
        assert!(limiter.admit("b", 1_999).is_ok());
        assert!(
            limiter.admit("a", 2_000).is_ok(),
            "a new second, a new quota"
        );
        assert!(RateLimiter::new(0).admit("a", 0).is_ok());
    }
}
