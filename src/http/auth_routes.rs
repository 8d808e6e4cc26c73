//! Auth routes: Register, Login, Logout.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::body::{parse, parse_optional, RawBody, Validate};
use super::codes::CodeBody;
use super::context::Caller;
use super::error::ApiError;
use super::openapi::Envelope;
use super::validate::{is_email, is_name, is_password};
use super::{render, success};
use crate::accounts::register::{register as register_user, NewUser};
use crate::accounts::session;
use crate::auth::credential::Credential;
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterBody {
    first_name: String,
    last_name: String,
    email: String,
    password: String,
}

impl Validate for RegisterBody {
    fn is_valid(&self) -> bool {
        is_name(&self.first_name)
            && is_name(&self.last_name)
            && is_email(&self.email)
            && is_password(&self.password)
    }
}

/// `POST /auth/register` with the public key: 201 with the new, inactive user and a token.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterBody, responses((status = 201, description = "The new, inactive user and a token", body = Envelope)), security(("public_key" = [])))]
pub async fn register(
    State(state): State<AppState>,
    caller: Caller,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    caller.require_public()?;
    let body: RegisterBody = parse(&body)?;
    let input = NewUser {
        email: body.email,
        first_name: body.first_name,
        last_name: body.last_name,
        password: body.password,
    };
    let (view, token) = register_user(&state, input, &caller.meta).await?;
    Ok(success(
        StatusCode::CREATED,
        "User registered successfully.",
        render::user_with_token(&view, &token),
    ))
}

/// `POST /auth/session` with Basic credentials (and `{"code"}` when two-factor sign-in is
/// on): 200 with the user and a new session's token.
#[utoipa::path(post, path = "/api/v1/auth/session", tag = "auth", request_body(content = Option<CodeBody>, description = "A code, when two-factor sign-in is on"), responses((status = 200, description = "The user and a token", body = Envelope)), security(("basic" = [])))]
pub async fn login(
    State(state): State<AppState>,
    caller: Caller,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let Credential::Basic { email, password } = &caller.credential else {
        return Err(ApiError::Unauthorized);
    };
    let code = parse_optional::<CodeBody>(&body)?.map(|body| body.code);
    let (view, token) = session::login(
        &state,
        email,
        password.clone(),
        code.as_deref(),
        &caller.meta,
    )
    .await?;
    Ok(success(
        StatusCode::OK,
        "User logged in successfully.",
        render::user_with_token(&view, &token),
    ))
}

/// `DELETE /auth/session` with a user token: closes that session. 204.
#[utoipa::path(delete, path = "/api/v1/auth/session", tag = "auth", responses((status = 204, description = "Signed out")), security(("user_token" = [])))]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let (user_id, session_id) = caller.require_user()?;
    session::logout(&state, user_id, session_id, &caller.meta).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoogleBody {
    id_token: String,
}

impl Validate for GoogleBody {
    fn is_valid(&self) -> bool {
        !self.id_token.is_empty()
    }
}

/// `POST /auth/google` with a Google ID token: 201 with the user and a token, signed in to
/// the account with the token's e-mail or to a new, active one.
#[utoipa::path(post, path = "/api/v1/auth/google", tag = "auth", request_body = GoogleBody, responses((status = 201, description = "The user and a token", body = Envelope)), security(()))]
pub async fn google(
    State(state): State<AppState>,
    caller: Caller,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let body: GoogleBody = parse(&body)?;
    let outcome = crate::accounts::google::sign_in(&state, &body.id_token, &caller.meta).await?;
    let message = if outcome.created {
        "User registered successfully."
    } else {
        "User logged in successfully."
    };
    Ok(success(
        StatusCode::CREATED,
        message,
        render::user_with_token(&outcome.view, &outcome.token),
    ))
}
