//! Who is calling and through which request: the verified principal, and the metadata that
//! every event the request causes will carry.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use tower_http::request_id::RequestId;

use super::error::ApiError;
use crate::accounts::users::user_view;
use clara_projections::UserView;

use crate::auth::credential::Credential;
use crate::auth::principal::Principal;
use crate::commands::Meta;
use crate::error::AppError;
use crate::state::AppState;

pub struct Caller {
    pub credential: Credential,
    /// The verified principal; none when the credential is missing or refused (answered
    /// 401 only by routes that need one).
    principal: Option<Principal>,
    /// The user view of the credential's own user, read with the credential.
    own_view: Option<UserView>,
    pub meta: Meta,
}

/// A request's credential and, once verified, its principal: resolved once per request, by
/// the rate limiter when limits are on, else by [`Caller`].
#[derive(Clone)]
pub struct Verified {
    pub credential: Credential,
    pub principal: Option<Principal>,
    /// For a user's credential, that user's view as read in the same round trip, so the
    /// routes that read it anyway (View, the "active" checks) need no second one.
    pub own_view: Option<UserView>,
}

impl Verified {
    /// Verifies the `Authorization` header; fails only when the store cannot answer.
    pub async fn resolve(headers: &HeaderMap, state: &AppState) -> Result<Self, ApiError> {
        let header = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
        let credential = Credential::parse(header, &state.secrets);
        let resolved = Principal::resolve(&credential, state)
            .await
            .map_err(AppError::from)?;
        let (principal, own_view) = resolved.map_or((None, None), |(p, v)| (Some(p), v));
        Ok(Self {
            credential,
            principal,
            own_view,
        })
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let verified = match parts.extensions.remove::<Verified>() {
            Some(verified) => verified,
            None => Verified::resolve(&parts.headers, state).await?,
        };
        Ok(Caller::of(verified, parts))
    }
}

impl Caller {
    /// The caller of a request whose parts are only lent (as MCP hands them to a tool).
    pub async fn from_parts(parts: &Parts, state: &AppState) -> Result<Self, ApiError> {
        let verified = match parts.extensions.get::<Verified>() {
            Some(verified) => verified.clone(),
            None => Verified::resolve(&parts.headers, state).await?,
        };
        Ok(Caller::of(verified, parts))
    }

    fn of(verified: Verified, parts: &Parts) -> Self {
        let Verified {
            credential,
            principal,
            own_view,
        } = verified;
        // Without a verified principal (a sign-in, a Google token, the webhook) the caller
        // is the public; routes that know better say so.
        let actor = principal
            .as_ref()
            .map_or_else(|| "public".to_string(), Principal::actor);
        let meta = Meta {
            request_id: parts
                .extensions
                .get::<RequestId>()
                .and_then(|id| id.header_value().to_str().ok())
                .map(str::to_string),
            actor: Some(actor),
            ip: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip().to_string()),
        };
        Caller {
            credential,
            principal,
            own_view,
            meta,
        }
    }

    /// The user the verified credential acts as, if it is a user's.
    pub fn own_user_id(&self) -> Option<&str> {
        self.principal.as_ref().and_then(Principal::user_id)
    }

    /// The stored view of `user_id`: the one read with the credential when it is the
    /// caller's own, else read now; 404 when there is no such user.
    pub async fn user_view(&self, state: &AppState, user_id: &str) -> Result<UserView, ApiError> {
        match &self.own_view {
            Some(view) if view.id == user_id => Ok(view.clone()),
            _ => Ok(user_view(state, user_id).await?),
        }
    }

    /// The verified principal; 401 when there is none.
    fn principal(&self) -> Result<&Principal, ApiError> {
        self.principal.as_ref().ok_or(ApiError::Unauthorized)
    }

    /// Admits the public key only.
    pub fn require_public(&self) -> Result<(), ApiError> {
        match self.is_public()? {
            true => Ok(()),
            false => Err(ApiError::Forbidden),
        }
    }

    /// Whether the verified credential is the public key; 401 when none verified.
    pub fn is_public(&self) -> Result<bool, ApiError> {
        Ok(*self.principal()? == Principal::Public)
    }

    /// Admits the private key only.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        match self.principal()? {
            Principal::Admin => Ok(()),
            _ => Err(ApiError::Forbidden),
        }
    }

    /// Admits a signed-in user only; returns the user and session ids.
    pub fn require_user(&self) -> Result<(&str, &str), ApiError> {
        match self.principal()? {
            Principal::User {
                user_id,
                session_id,
            } => Ok((user_id, session_id)),
            _ => Err(ApiError::Forbidden),
        }
    }

    /// Admits the user `user_id` through their own token.
    pub fn require_self(&self, user_id: &str) -> Result<(), ApiError> {
        match self.require_user()? {
            (own, _) if own == user_id => Ok(()),
            _ => Err(ApiError::Forbidden),
        }
    }

    /// Admits the user `user_id` through their own user token (not an API key), or the
    /// private key.
    pub fn require_self_token_or_admin(&self, user_id: &str) -> Result<(), ApiError> {
        match self.principal()? {
            Principal::Admin => Ok(()),
            Principal::User { user_id: own, .. } if own == user_id => Ok(()),
            _ => Err(ApiError::Forbidden),
        }
    }

    /// Admits the user `user_id` through their own token or API key, or the private key.
    pub fn require_self_or_admin(&self, user_id: &str) -> Result<(), ApiError> {
        let principal = self.principal()?;
        if *principal == Principal::Admin || principal.user_id() == Some(user_id) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// The contract's "active" routes: the user's own token (or API key, where
    /// `api_key_allowed`), on an activated account whose first and last names are set.
    pub async fn require_active(
        &self,
        state: &AppState,
        user_id: &str,
        api_key_allowed: bool,
    ) -> Result<(), ApiError> {
        match self.principal()? {
            Principal::User { user_id: own, .. } if own == user_id => {}
            Principal::ApiKey { user_id: own, .. } if api_key_allowed && own == user_id => {}
            _ => return Err(ApiError::Forbidden),
        }
        let view = self.user_view(state, user_id).await?;
        let named = view.first_name.is_some() && view.last_name.is_some();
        if view.is_active && named {
            Ok(())
        } else {
            Err(ApiError::Inactive)
        }
    }

    /// An "active" route that the private key may also call for any user who exists.
    pub async fn require_active_or_admin(
        &self,
        state: &AppState,
        user_id: &str,
    ) -> Result<(), ApiError> {
        if *self.principal()? == Principal::Admin {
            user_view(state, user_id).await?;
            return Ok(());
        }
        self.require_active(state, user_id, true).await
    }

    /// An "active" route that names no user: the caller's own token or API key, on an active
    /// account. Returns the caller's user id.
    pub async fn require_active_caller(&self, state: &AppState) -> Result<String, ApiError> {
        let user_id = self
            .principal()?
            .user_id()
            .ok_or(ApiError::Forbidden)?
            .to_string();
        self.require_active(state, &user_id, true).await?;
        Ok(user_id)
    }
}
