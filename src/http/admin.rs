//! The operator's routes, with the private key: list users and set a user's credits.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use clara_aggregates::money::parse_minor;
use serde::Deserialize;
use serde_json::Number;

use super::body::{parse, RawBody, Validate};
use super::context::Caller;
use super::error::ApiError;
use super::openapi::Envelope;
use super::page::page;
use super::path::Path;
use super::render::user;
use super::success;
use crate::accounts::credits as wallet;
use crate::state::AppState;
use crate::storage::views;

/// `GET /users?limit=&offset=` with the private key: users, oldest first.
#[utoipa::path(get, path = "/api/v1/users", tag = "admin", params(("limit" = i64, Query, description = "Items to return, 0 to 100"), ("offset" = i64, Query, description = "Items to skip")), responses((status = 200, description = "Users, oldest first", body = Envelope)), security(("private_key" = [])))]
pub async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let (limit, offset) = page(&query)?;
    let users = views::users_page(&state.db, limit, offset).await?;
    let data: Vec<_> = users.iter().map(user).collect();
    Ok(success(StatusCode::OK, "Users fetched successfully.", data))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditsBody {
    /// The new balance, at most two decimals.
    #[schema(value_type = f64)]
    credits: Number,
}

impl Validate for CreditsBody {
    fn is_valid(&self) -> bool {
        minor_units(&self.credits).is_some()
    }
}

/// A non-negative JSON number with at most two decimals, as hundredths; read from its
/// decimal text, never through a float.
fn minor_units(number: &Number) -> Option<i64> {
    parse_minor(&number.to_string())
}

/// `PUT /users/{user_id}/credits` with the private key: sets the balance.
#[utoipa::path(put, path = "/api/v1/users/{user_id}/credits", tag = "admin", params(("user_id" = String, Path, description = "A `user_…` id")), request_body = CreditsBody, responses((status = 200, description = "The user with the new balance", body = Envelope)), security(("private_key" = [])))]
pub async fn set_credits(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    RawBody(body): RawBody,
) -> Result<Response, ApiError> {
    caller.require_admin()?;
    let body: CreditsBody = parse(&body)?;
    let balance = minor_units(&body.credits).ok_or(ApiError::InvalidSchema)?;
    let view = wallet::set_balance(&state, &user_id, balance, &caller.meta).await?;
    Ok(success(
        StatusCode::OK,
        "User's credits updated successfully.",
        user(&view),
    ))
}

#[cfg(test)]
mod tests {
    use super::minor_units;
    use serde_json::Number;

    fn parse(text: &str) -> Option<i64> {
        minor_units(&serde_json::from_str::<Number>(text).unwrap())
    }

    #[test]
    fn credits_are_read_exactly_with_at_most_two_decimals() {
        assert_eq!(parse("10"), Some(1_000));
        assert_eq!(parse("10.5"), Some(1_050));
        assert_eq!(parse("0.07"), Some(7));
        assert_eq!(parse("19.990"), Some(1_999));
        assert_eq!(parse("0.001"), None);
        assert_eq!(parse("-1"), None);
        assert_eq!(
            parse("1e3"),
            Some(100_000),
            "an exponent is still an exact number"
        );
        assert_eq!(parse("1e-3"), None);
    }
}
