//! Who is calling and through which request: the credential, and the metadata that every
//! event the request causes will carry.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use tower_http::request_id::RequestId;

use crate::auth::credential::Credential;
use crate::commands::Meta;
use crate::error::ApiError;
use crate::state::AppState;

pub struct Caller {
    pub credential: Credential,
    pub meta: Meta,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let credential = Credential::parse(header, &state.secrets);
        let meta = Meta {
            request_id: parts
                .extensions
                .get::<RequestId>()
                .and_then(|id| id.header_value().to_str().ok())
                .map(str::to_string),
            actor: Some(credential.actor().to_string()),
            ip: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip().to_string()),
        };
        Ok(Caller { credential, meta })
    }
}

impl Caller {
    /// Admits the public key only: 401 when no valid credential came, 403 for the private key.
    pub fn require_public(&self) -> Result<(), ApiError> {
        match self.credential {
            Credential::Public => Ok(()),
            Credential::Private => Err(ApiError::Forbidden),
            _ => Err(ApiError::Unauthorized),
        }
    }

    /// Admits the private key only (user and API key tokens arrive with the token issue).
    pub fn require_private(&self) -> Result<(), ApiError> {
        match self.credential {
            Credential::Private => Ok(()),
            Credential::Public => Err(ApiError::Forbidden),
            _ => Err(ApiError::Unauthorized),
        }
    }
}
