//! Routes unlocked by one-time codes: Send OTP, Activate, Change Password, Enable and
//! Disable 2FA. The `{user_id}` segment carries the e-mail on the first three, as in the
//! contract's paths.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use clara_aggregates::OtpType;
use serde::Deserialize;
use serde_json::{json, Value};

use super::body::{parse, RawBody, Validate};
use super::context::Caller;
use super::error::ApiError;
use super::openapi::Envelope;
use super::path::Path;
use super::validate::is_password;
use super::{render, success};
use crate::accounts::otp;
use crate::state::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    pub code: String,
}

impl Validate for CodeBody {
    fn is_valid(&self) -> bool {
        (1..=32).contains(&self.code.len())
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    password: String,
    code: String,
}

impl Validate for PasswordBody {
    fn is_valid(&self) -> bool {
        is_password(&self.password) && (1..=32).contains(&self.code.len())
    }
}

/// `POST /users/{user_email}/otp/{otp_type}` with the public key: 201, the code goes by mail.
#[utoipa::path(post, path = "/api/v1/users/{user_email}/otp/{otp_type}", tag = "codes", params(("user_email" = String, Path, description = "The account's e-mail address"), ("otp_type" = String, Path, description = "ACTIVATION, CHANGE_PASSWORD, TWO_FACTOR_AUTH or DELETE_ACCOUNT")), responses((status = 201, description = "The code was sent by mail", body = Envelope)), security(("public_key" = [])))]
pub async fn send_otp(
    State(state): State<AppState>,
    caller: Caller,
    Path((email, otp_type)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller.require_public()?;
    let otp_type = OtpType::parse(&otp_type).ok_or(ApiError::InvalidSchema)?;
    otp::send(&state, &email, otp_type, &caller.meta).await?;
    Ok(success(
        StatusCode::CREATED,
        "OTP sent successfully.",
        Value::Null,
    ))
}

/// `POST /users/{user_email}/activate` with the public key and an ACTIVATION code.
#[utoipa::path(post, path = "/api/v1/users/{user_email}/activate", tag = "codes", params(("user_email" = String, Path, description = "The account's e-mail address")), request_body = CodeBody, responses((status = 200, description = "The activated user", body = Envelope)), security(("public_key" = [])))]
pub async fn activate(
    State(state): State<AppState>,
    caller: Caller,
    Path(email): Path<String>,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    caller.require_public()?;
    let body: CodeBody = parse(&body)?;
    let view = otp::activate(&state, &email, &body.code, &caller.meta).await?;
    Ok(success(
        StatusCode::OK,
        "User activated successfully.",
        render::user(&view),
    ))
}

/// `PATCH /users/{user_email}/password` with a user token (own address only) or the public
/// key, and a CHANGE_PASSWORD code. Every other session of the user closes.
#[utoipa::path(patch, path = "/api/v1/users/{user_email}/password", tag = "codes", params(("user_email" = String, Path, description = "The account's e-mail address")), request_body = PasswordBody, responses((status = 200, description = "The password was changed", body = Envelope)), security(("user_token" = []), ("public_key" = [])))]
pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    Path(email): Path<String>,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    let acting_user = match caller.is_public()? {
        true => None,
        false => Some(caller.require_user()?),
    };
    let body: PasswordBody = parse(&body)?;
    otp::change_password(
        &state,
        &email,
        body.password,
        &body.code,
        acting_user,
        &caller.meta,
    )
    .await?;
    Ok(success(
        StatusCode::OK,
        "User password changed successfully.",
        Value::Null,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnableBody {
    code: String,
    /// `email` (the default) or `totp` to also enrol an authenticator app.
    method: Option<String>,
}

impl Validate for EnableBody {
    fn is_valid(&self) -> bool {
        let method_ok = matches!(self.method.as_deref(), None | Some("email" | "totp"));
        method_ok && (1..=32).contains(&self.code.len())
    }
}

/// `POST /users/{user_id}/2fa` with the user's own token and an e-mailed TWO_FACTOR_AUTH
/// code. With `"method": "totp"` it also enrols an authenticator app and answers, once, with
/// its `otpauth_url` and `secret`.
#[utoipa::path(post, path = "/api/v1/users/{user_id}/2fa", tag = "codes", params(("user_id" = String, Path, description = "A `user_…` id")), request_body = EnableBody, responses((status = 200, description = "Two-factor sign-in is on", body = Envelope)), security(("user_token" = [])))]
pub async fn enable_2fa(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    caller.require_active(&state, &user_id, false).await?;
    let body: EnableBody = parse(&body)?;
    let authenticator = body.method.as_deref() == Some("totp");
    let enrolment =
        otp::enable_two_factor(&state, &user_id, &body.code, authenticator, &caller.meta).await?;
    let data = enrolment.map_or(
        Value::Null,
        |e| json!({"otpauth_url": e.otpauth_url, "secret": e.secret}),
    );
    Ok(success(
        StatusCode::OK,
        "User 2FA enabled successfully.",
        data,
    ))
}

/// `DELETE /users/{user_id}/2fa` with the user's own token and a TWO_FACTOR_AUTH code. 204.
#[utoipa::path(delete, path = "/api/v1/users/{user_id}/2fa", tag = "codes", params(("user_id" = String, Path, description = "A `user_…` id")), request_body = CodeBody, responses((status = 204, description = "Two-factor sign-in is off")), security(("user_token" = [])))]
pub async fn disable_2fa(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    caller.require_active(&state, &user_id, false).await?;
    let body: CodeBody = parse(&body)?;
    otp::disable_two_factor(&state, &user_id, &body.code, &caller.meta).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
