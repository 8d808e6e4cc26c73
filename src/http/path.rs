//! Path parameters: axum's extractor, with every refusal in the contract's envelope. A
//! segment that does not decode, or carries control characters (a NUL, which PostgreSQL
//! refuses as text), is refused before any handler or store sees it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

pub struct Path<T>(pub T);

impl<S, T> FromRequestParts<S> for Path<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::InvalidSchema)?;
        if raw
            .iter()
            .any(|(_, value)| value.chars().any(char::is_control))
        {
            return Err(ApiError::InvalidSchema);
        }
        let axum::extract::Path(value) = axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::InvalidSchema)?;
        Ok(Path(value))
    }
}
