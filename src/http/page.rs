//! Paging of the list routes: `limit` and `offset` query parameters.

use std::collections::HashMap;

use super::error::ApiError;

/// Largest page the list routes serve.
pub const MAX_PAGE: i64 = 100;

/// Query parameter `name`, an integer within `range`; `default` when absent. Anything else
/// is the schema error.
pub fn optional_number(
    query: &HashMap<String, String>,
    name: &str,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, ApiError> {
    match query.get(name) {
        None => Ok(default),
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or(ApiError::InvalidSchema),
    }
}

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
