//! JSON request bodies: read the raw bytes ourselves so every failure maps to the contract's
//! own messages instead of axum's plain-text rejections.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::ApiError;

/// Checks a body beyond its shape (lengths, formats).
pub trait Validate {
    fn is_valid(&self) -> bool;
}

/// The raw request body, read before any check so an oversized one is refused with 413; it is
/// parsed with [`parse`] only after the caller has been authorised.
pub struct RawBody(pub Bytes);

impl<S> FromRequest<S> for RawBody
where
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::TooLarge
                } else {
                    ApiError::EmptyBody
                }
            })?;
        Ok(RawBody(bytes))
    }
}

/// For a route whose body is optional: none when empty or `{}`, else as [`parse`].
pub fn parse_optional<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<Option<T>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) || is_empty_object(bytes) {
        return Ok(None);
    }
    parse(bytes).map(Some)
}

fn is_empty_object(bytes: &[u8]) -> bool {
    serde_json::from_slice::<Value>(bytes)
        .is_ok_and(|value| value.as_object().is_some_and(|fields| fields.is_empty()))
}

/// Empty, `{}` or not JSON: "Request body is empty."; JSON of the wrong shape or failing
/// validation: the schema error.
pub fn parse<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|_| ApiError::EmptyBody)?;
    if value.as_object().is_some_and(|fields| fields.is_empty()) {
        return Err(ApiError::EmptyBody);
    }
    let body: T = serde_json::from_value(value).map_err(|_| ApiError::InvalidSchema)?;
    if body.is_valid() {
        Ok(body)
    } else {
        Err(ApiError::InvalidSchema)
    }
}
