//! User routes: View, Update and Delete.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::body::{parse, parse_optional, RawBody, Validate};
use super::context::Caller;
use super::error::ApiError;
use super::openapi::Envelope;
use super::path::Path;
use super::validate::is_name;
use super::{render, success};
use crate::accounts::delete::delete_account;
use crate::accounts::profile::{update as update_profile, ProfileChange};
use crate::audit::as_of::user_as_of;
use crate::clock::parse_instant;
use crate::error::Resource;
use crate::state::AppState;

/// `GET /users/{user_id}[?as_of=…]`: the user's own token or API key, or the private key;
/// 404 when there is no such user (or there was none yet at `as_of`).
#[utoipa::path(get, path = "/api/v1/users/{user_id}", tag = "users", params(("user_id" = String, Path, description = "A `user_…` id"), ("as_of" = Option<String>, Query, description = "An instant (HTTP-date or RFC 3339): the user as they were then")), responses((status = 200, description = "The user", body = Envelope)), security(("user_token" = []), ("api_key" = []), ("private_key" = [])))]
pub async fn view(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    caller.require_self_or_admin(&user_id)?;
    let view = match query.get("as_of") {
        None => caller.user_view(&state, &user_id).await?,
        Some(text) => {
            let at_ms = parse_instant(text).ok_or(ApiError::InvalidSchema)?;
            // A deleted account is 404 whatever the instant: no view shows the person.
            caller.user_view(&state, &user_id).await?;
            user_as_of(&state.db, state.projector.keyring(), &user_id, at_ms)
                .await?
                .ok_or(ApiError::NotFound(Resource::User))?
        }
    };
    Ok(success(
        StatusCode::OK,
        "User fetched successfully.",
        render::user(&view),
    ))
}

/// Only these keys may change; any other key is refused whole.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    first_name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    last_name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    is_dark_mode: Option<bool>,
}

/// A key that is present must carry a value: `null` is a schema error, not "unchanged".
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

impl Validate for UpdateBody {
    fn is_valid(&self) -> bool {
        self.first_name.as_deref().is_none_or(is_name)
            && self.last_name.as_deref().is_none_or(is_name)
    }
}

/// `PATCH /users/{user_id}` with the user's own token: 200 with the changed user.
#[utoipa::path(patch, path = "/api/v1/users/{user_id}", tag = "users", params(("user_id" = String, Path, description = "A `user_…` id")), request_body = UpdateBody, responses((status = 200, description = "The updated user", body = Envelope)), security(("user_token" = [])))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    caller.require_self(&user_id)?;
    let body: UpdateBody = parse(&body)?;
    let change = ProfileChange {
        first_name: body.first_name,
        last_name: body.last_name,
        is_dark_mode: body.is_dark_mode,
    };
    let view = update_profile(&state, &user_id, change, &caller.meta).await?;
    Ok(success(
        StatusCode::OK,
        "User updated successfully.",
        render::user(&view),
    ))
}

/// Delete User's body, from a user token: the code, whose absence is answered as a wrong
/// code is (401), not as a malformed body.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteBody {
    #[serde(default)]
    code: Option<String>,
}

impl Validate for DeleteBody {
    fn is_valid(&self) -> bool {
        true
    }
}

/// `DELETE /users/{user_id}`: the owner's user token with a DELETE_ACCOUNT code (a missing
/// or wrong one is 401), or the private key with no body. 204; 404 for an account that does
/// not exist or is already deleted.
#[utoipa::path(delete, path = "/api/v1/users/{user_id}", tag = "users", params(("user_id" = String, Path, description = "A `user_…` id")), request_body(content = Option<DeleteBody>, description = "With a user token: a DELETE_ACCOUNT code"), responses((status = 204, description = "The account is deleted")), security(("user_token" = []), ("private_key" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    caller.require_self_token_or_admin(&user_id)?;
    let code = match caller.own_user_id() {
        Some(_) => {
            // No body, `null`, `{}` or an empty code carries no code: 401, as a wrong one is.
            let body: Option<DeleteBody> = match body.trim_ascii() {
                b"null" => None,
                _ => parse_optional(&body)?,
            };
            let code = body
                .and_then(|body| body.code)
                .filter(|code| !code.is_empty());
            Some(code.ok_or(ApiError::Unauthorized)?)
        }
        None => None,
    };
    delete_account(&state, &user_id, code.as_deref(), &caller.meta).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
