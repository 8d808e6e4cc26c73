//! The contract's response envelope, for successes and for every `ApiError`.

use std::any::Any;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};

use super::error::ApiError;
use crate::error::Resource;

/// `{"data", "message", "status": "success"}`. serde_json's map keeps keys sorted, so every
/// level of the body comes out in alphabetical order.
pub fn success(status: StatusCode, message: &str, data: impl Serialize) -> Response {
    let body = Success {
        data,
        message,
        status: "success",
    };
    (status, Json(body)).into_response()
}

/// The success envelope, serialised straight from its parts; fields in alphabetical order.
#[derive(Serialize)]
struct Success<'a, T> {
    data: T,
    message: &'a str,
    status: &'static str,
}

fn error_body(status: StatusCode, message: &str, data: Value) -> Response {
    let body = json!({ "data": data, "message": message, "status": "error" });
    (status, Json(body)).into_response()
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::EmptyBody | ApiError::InvalidSchema | ApiError::AlreadyExists => {
                StatusCode::BAD_REQUEST
            }
            ApiError::Unauthorized | ApiError::SecondFactorRequired | ApiError::Inactive => {
                StatusCode::UNAUTHORIZED
            }
            ApiError::Forbidden | ApiError::InsufficientCredits => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::RouteNotFound | ApiError::NoRate => {
                StatusCode::NOT_FOUND
            }
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict => StatusCode::CONFLICT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::HeaderTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn message(&self) -> &'static str {
        match self {
            ApiError::EmptyBody => "Request body is empty.",
            ApiError::InvalidSchema => {
                "One or more required parameters are either not given or have invalid schema."
            }
            ApiError::AlreadyExists => "User with the given identifier already exists.",
            ApiError::Unauthorized | ApiError::SecondFactorRequired => {
                "Authorization header or OTP is either missing, invalid or expired."
            }
            ApiError::Inactive => "Please activate your account to access the requested resource.",
            ApiError::Forbidden => "You do not have access to the requested resource.",
            ApiError::InsufficientCredits => {
                "You do not have enough credits to perform this action."
            }
            ApiError::NotFound(Resource::User) => "User with the given identifier does not exist.",
            ApiError::NotFound(Resource::Transaction) => {
                "Transaction with the given identifier does not exist."
            }
            ApiError::NotFound(Resource::Task) => "Task with the given identifier does not exist.",
            ApiError::NotFound(Resource::ApiKey) => {
                "API key with the given identifier does not exist."
            }
            ApiError::RouteNotFound => "The requested route does not exist.",
            ApiError::NoRate => "No credits rate found for the given amount.",
            ApiError::MethodNotAllowed => "The requested method is not allowed for this route.",
            ApiError::Conflict => "The resource was modified concurrently. Please retry.",
            ApiError::TooLarge | ApiError::HeaderTooLarge => "The request is too large.",
            ApiError::RateLimited { .. } => "You have exceeded the rate limit.",
            ApiError::Unavailable(_) => "The service is temporarily unavailable.",
            ApiError::Internal(_) => "Something went wrong.",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            // Details go to the log only; the client gets the catalogue's sentence.
            ApiError::Internal(error) => {
                tracing::error!(error = %format!("{error:#}"), "request failed")
            }
            ApiError::Unavailable(reason) => {
                tracing::warn!(reason = %reason, "answered 503: {reason}")
            }
            _ => {}
        }
        let data = match self {
            ApiError::SecondFactorRequired => json!({"is_2fa_enabled": true}),
            _ => Value::Null,
        };
        let mut response = error_body(self.status(), self.message(), data);
        if let ApiError::RateLimited { retry_after } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after));
        }
        response
    }
}

/// A handler panicked: answer 500 in the envelope and keep the panic text in the log.
pub fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = %detail, "handler panicked");
    let mut response = ApiError::Internal(anyhow::anyhow!("panic")).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}
