//! Verifying Google ID tokens for real: RS256 only, signed by a key of Google's published
//! JWKS (fetched from a configurable URL and cached as its Cache-Control allows), issued by
//! Google, for our client id, unexpired, with a verified e-mail.

use std::collections::HashMap;
use std::time::Duration;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::RwLock;

use crate::clock::Clock;
use crate::error::AppError;

pub const GOOGLE_JWKS_URL: &str = "https://www.googleapis.com/oauth2/v3/certs";
const ISSUERS: [&str; 2] = ["accounts.google.com", "https://accounts.google.com"];
/// Cache lifetime when the JWKS response names none.
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(3600);
/// An unknown key id refetches the keys at most this often (Google rotates keys rarely).
const REFETCH_AFTER: Duration = Duration::from_secs(60);

/// A verified Google identity.
#[derive(Debug, Clone)]
pub struct GoogleIdentity {
    pub subject: String,
    pub email: String,
    pub name: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    email: Option<String>,
    email_verified: Option<Value>,
    name: Option<String>,
}

struct Keys {
    by_kid: HashMap<String, DecodingKey>,
    /// When they were fetched, by the service's clock.
    fetched_ms: i64,
    max_age: Duration,
}

pub struct GoogleVerifier {
    client_id: Option<String>,
    jwks_url: String,
    http: reqwest::Client,
    keys: RwLock<Option<Keys>>,
    clock: Clock,
}

impl GoogleVerifier {
    pub fn new(client_id: Option<String>, jwks_url: String, clock: Clock) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            client_id,
            jwks_url,
            http,
            keys: RwLock::new(None),
            clock,
        }
    }

    /// The identity in `id_token`; 401 for any token that is not a genuine, current Google
    /// ID token for this service, 503 when Google sign-in is not configured or its keys
    /// cannot be fetched.
    pub async fn verify(&self, id_token: &str) -> Result<GoogleIdentity, AppError> {
        let client_id = self
            .client_id
            .as_deref()
            .ok_or_else(|| AppError::Unavailable("GOOGLE_CLIENT_ID is not set".into()))?;
        let header = decode_header(id_token).map_err(|_| AppError::Unauthenticated)?;
        if header.alg != Algorithm::RS256 {
            return Err(AppError::Unauthenticated);
        }
        let kid = header.kid.ok_or(AppError::Unauthenticated)?;
        let key = self.key(&kid).await?.ok_or(AppError::Unauthenticated)?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[client_id]);
        validation.set_issuer(&ISSUERS);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let claims = decode::<Claims>(id_token, &key, &validation)
            .map_err(|_| AppError::Unauthenticated)?
            .claims;
        let verified = matches!(claims.email_verified, Some(Value::Bool(true)))
            || claims.email_verified == Some(Value::String("true".into()));
        match claims.email {
            Some(email) if verified => Ok(GoogleIdentity {
                subject: claims.sub,
                email,
                name: claims.name,
            }),
            _ => Err(AppError::Unauthenticated),
        }
    }

    /// The key `kid`, from the cache while it is fresh; refetched when stale, or when the id
    /// is unknown and the cache is older than [`REFETCH_AFTER`].
    async fn key(&self, kid: &str) -> Result<Option<DecodingKey>, AppError> {
        if let Some(keys) = self.keys.read().await.as_ref() {
            let elapsed = self.clock.now_ms().saturating_sub(keys.fetched_ms);
            let age = Duration::from_millis(u64::try_from(elapsed).unwrap_or_default());
            let known = keys.by_kid.get(kid).cloned();
            if age < keys.max_age && (known.is_some() || age < REFETCH_AFTER) {
                return Ok(known);
            }
        }
        let fresh = self.fetch().await?;
        let key = fresh.by_kid.get(kid).cloned();
        *self.keys.write().await = Some(fresh);
        Ok(key)
    }

    async fn fetch(&self) -> Result<Keys, AppError> {
        let unavailable = |e: reqwest::Error| {
            AppError::Unavailable(format!("fetching Google's keys failed: {e}"))
        };
        let response = self
            .http
            .get(&self.jwks_url)
            .send()
            .await
            .map_err(unavailable)?
            .error_for_status()
            .map_err(unavailable)?;
        let max_age = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(max_age)
            .unwrap_or(DEFAULT_MAX_AGE);
        let set: JwkSet = response.json().await.map_err(unavailable)?;
        let by_kid = set
            .keys
            .iter()
            .filter_map(|jwk| Some((jwk.common.key_id.clone()?, DecodingKey::from_jwk(jwk).ok()?)))
            .collect();
        Ok(Keys {
            by_kid,
            fetched_ms: self.clock.now_ms(),
            max_age,
        })
    }
}

/// `max-age=N` of a Cache-Control header.
fn max_age(cache_control: &str) -> Option<Duration> {
    cache_control
        .split(',')
        .find_map(|part| part.trim().strip_prefix("max-age="))
        .and_then(|n| n.trim().parse().ok())
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    #[test]
    fn max_age_is_read_from_cache_control() {
        assert_eq!(
            super::max_age("public, max-age=19845, must-revalidate"),
            Some(std::time::Duration::from_secs(19845))
        );
        assert_eq!(super::max_age("no-cache"), None);
    }
}
