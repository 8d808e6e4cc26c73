//! Paging of the list routes: `limit` and `offset` query parameters.

use std::collections::HashMap;

use super::error::ApiError;

/// Largest page the list routes serve.
pub const MAX_PAGE: i64 = 100;

/// `limit` and `offset`, both required non-negative integers, `limit` at most [`MAX_PAGE`].
pub fn page(query: &HashMap<String, String>) -> Result<(i64, i64), ApiError> {
    let number = |name: &str| {
        query
            .get(name)
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|n| *n >= 0)
    };
    match (number("limit"), number("offset")) {
        (Some(limit), Some(offset)) if limit <= MAX_PAGE => Ok((limit, offset)),
        _ => Err(ApiError::InvalidSchema),
    }
}
