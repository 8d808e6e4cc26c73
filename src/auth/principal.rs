//! Who a request acts as, once its credential has been verified.

use clara_projections::{ApiKeyView, SessionView, UserView};

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
    /// token whose session has closed or whose key was replaced. A user's credential comes
    /// with that user's view, read in the same round trip as the session or key row.
    pub async fn resolve(
        credential: &Credential,
        state: &AppState,
    ) -> Result<Option<(Self, Option<UserView>)>, StoreError> {
        let secret = &state.secrets.jwt_secret;
        Ok(match credential {
            Credential::Public => Some((Principal::Public, None)),
            Credential::Private => Some((Principal::Admin, None)),
            Credential::UserToken(jwt) => match verify(secret, jwt, "user") {
                Some(claims) => {
                    let found = views::credential_and_owner::<SessionView>(
                        &state.db,
                        &claims.sid,
                        &claims.sub,
                    )
                    .await?;
                    found
                        .filter(|(session, _)| session.admits(&claims.sub, state.clock.now_ms()))
                        .map(|(_, owner)| {
                            let principal = Principal::User {
                                user_id: claims.sub,
                                session_id: claims.sid,
                            };
                            (principal, owner)
                        })
                }
                None => None,
            },
            Credential::ApiKeyToken(jwt) => match verify_api_key(secret, jwt) {
                Some(claims) => {
                    let found = views::credential_and_owner::<ApiKeyView>(
                        &state.db,
                        &claims.sub,
                        &claims.sub,
                    )
                    .await?;
                    found
                        .filter(|(key, _)| key.id == claims.kid)
                        .map(|(_, owner)| {
                            let principal = Principal::ApiKey {
                                user_id: claims.sub,
                                key_id: claims.kid,
                            };
                            (principal, owner)
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
