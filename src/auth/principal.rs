//! Who a request acts as, once its credential has been verified.

use crate::auth::credential::Credential;
use crate::auth::token::{verify, verify_api_key};
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::views;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The public key: pre-login calls.
    Public,
    /// The private key: admin calls, any user.
    Admin,
    /// A signed-in user, through an open session.
    User { user_id: String, session_id: String },
    /// A user's current API key.
    ApiKey { user_id: String },
}

impl Principal {
    /// Verifies `credential`: a missing, malformed, forged or expired one, or a token whose
    /// session has closed, is 401.
    pub async fn resolve(credential: &Credential, state: &AppState) -> Result<Self, ApiError> {
        match credential {
            Credential::Public => Ok(Principal::Public),
            Credential::Private => Ok(Principal::Admin),
            Credential::UserToken(jwt) => {
                let claims =
                    verify(&state.secrets.jwt_secret, jwt, "user").ok_or(ApiError::Unauthorized)?;
                let session = views::session(&state.db, &claims.sid).await?;
                if session.is_some_and(|s| s.admits(&claims.sub, state.clock.now_ms())) {
                    Ok(Principal::User {
                        user_id: claims.sub,
                        session_id: claims.sid,
                    })
                } else {
                    Err(ApiError::Unauthorized)
                }
            }
            Credential::ApiKeyToken(jwt) => {
                let claims =
                    verify_api_key(&state.secrets.jwt_secret, jwt).ok_or(ApiError::Unauthorized)?;
                let current = views::api_key(&state.db, &claims.sub).await?;
                if current.is_some_and(|key| key.id == claims.kid) {
                    Ok(Principal::ApiKey {
                        user_id: claims.sub,
                    })
                } else {
                    Err(ApiError::Unauthorized)
                }
            }
            _ => Err(ApiError::Unauthorized),
        }
    }

    /// The user this principal acts as, if it is one.
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Principal::User { user_id, .. } | Principal::ApiKey { user_id } => Some(user_id),
            _ => None,
        }
    }
}
