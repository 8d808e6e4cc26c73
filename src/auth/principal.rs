//! Who a request acts as, once its credential has been verified.

use crate::auth::credential::Credential;
use crate::auth::token::{verify, verify_api_key};
use crate::state::AppState;
use crate::storage::views;
use crate::storage::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The public key: pre-login calls.
    Public,
    /// The private key: admin calls, any user.
    Admin,
    /// A signed-in user, through an open session.
    User { user_id: String, session_id: String },
    /// A user's current API key.
    ApiKey { user_id: String, key_id: String },
}

impl Principal {
    /// Verifies `credential`: `None` for a missing, malformed, forged or expired one, or a
    /// token whose session has closed or whose key was replaced.
    pub async fn resolve(
        credential: &Credential,
        state: &AppState,
    ) -> Result<Option<Self>, StoreError> {
        let secret = &state.secrets.jwt_secret;
        Ok(match credential {
            Credential::Public => Some(Principal::Public),
            Credential::Private => Some(Principal::Admin),
            Credential::UserToken(jwt) => match verify(secret, jwt, "user") {
                Some(claims) => {
                    let session = views::session(&state.db, &claims.sid).await?;
                    let open = session.is_some_and(|s| s.admits(&claims.sub, state.clock.now_ms()));
                    open.then_some(Principal::User {
                        user_id: claims.sub,
                        session_id: claims.sid,
                    })
                }
                None => None,
            },
            Credential::ApiKeyToken(jwt) => match verify_api_key(secret, jwt) {
                Some(claims) => {
                    let current = views::api_key(&state.db, &claims.sub).await?;
                    let current = current.is_some_and(|key| key.id == claims.kid);
                    current.then_some(Principal::ApiKey {
                        user_id: claims.sub,
                        key_id: claims.kid,
                    })
                }
                None => None,
            },
            _ => None,
        })
    }

    /// The user this principal acts as, if it is one.
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Principal::User { user_id, .. } | Principal::ApiKey { user_id, .. } => Some(user_id),
            _ => None,
        }
    }

    /// Who this principal is in event metadata: `user:<id>`, `api_key:<key id>`, `admin` or
    /// `public`.
    pub fn actor(&self) -> String {
        match self {
            Principal::User { user_id, .. } => format!("user:{user_id}"),
            Principal::ApiKey { key_id, .. } => format!("api_key:{key_id}"),
            Principal::Admin => "admin".into(),
            Principal::Public => "public".into(),
        }
    }
}
