//! Wallet routes: Transactions View All and View.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use clara_projections::TransactionView;
use serde::Serialize;

use super::context::Caller;
use super::error::ApiError;
use super::openapi::Envelope;
use super::page::page;
use super::path::Path;
use super::render::{http_date, Credits};
use super::success;
use crate::accounts::credits as wallet;
use crate::state::AppState;

/// A ledger entry as the contract shows it; fields in alphabetical order.
#[derive(Serialize)]
struct Transaction<'a> {
    created_at: String,
    description: &'a str,
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    updated_at: String,
    user_id: &'a str,
    value_in_credits: Credits,
    value_in_fiat: Credits,
}

fn transaction_object(entry: &TransactionView) -> Transaction<'_> {
    Transaction {
        created_at: http_date(entry.created_at_ms),
        description: &entry.description,
        id: &entry.id,
        kind: &entry.kind,
        updated_at: http_date(entry.updated_at_ms),
        user_id: &entry.user_id,
        value_in_credits: Credits(entry.value_in_credits),
        value_in_fiat: Credits(entry.value_in_fiat),
    }
}

/// `GET /users/{user_id}/transactions?limit=&offset=`: newest first.
#[utoipa::path(get, path = "/api/v1/users/{user_id}/transactions", tag = "wallet", params(("user_id" = String, Path, description = "A `user_…` id"), ("limit" = i64, Query, description = "Items to return, 0 to 100"), ("offset" = i64, Query, description = "Items to skip")), responses((status = 200, description = "Ledger entries, newest first", body = Envelope)), security(("user_token" = []), ("api_key" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    caller.require_active(&state, &user_id, true).await?;
    let (limit, offset) = page(&query)?;
    let entries = wallet::transactions(&state, &user_id, limit, offset).await?;
    let data: Vec<_> = entries.iter().map(transaction_object).collect();
    Ok(success(
        StatusCode::OK,
        "Transactions fetched successfully.",
        data,
    ))
}

/// `GET /users/{user_id}/transactions/{transaction_id}`: 404 for another user's.
#[utoipa::path(get, path = "/api/v1/users/{user_id}/transactions/{transaction_id}", tag = "wallet", params(("user_id" = String, Path, description = "A `user_…` id"), ("transaction_id" = String, Path, description = "A `transaction_…` id")), responses((status = 200, description = "One ledger entry", body = Envelope)), security(("user_token" = []), ("api_key" = [])))]
pub async fn view(
    State(state): State<AppState>,
    caller: Caller,
    Path((user_id, transaction_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller.require_active(&state, &user_id, true).await?;
    let entry = wallet::transaction(&state, &user_id, &transaction_id).await?;
    Ok(success(
        StatusCode::OK,
        "Transaction fetched successfully.",
        transaction_object(&entry),
    ))
}
