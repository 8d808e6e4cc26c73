//! Wallet routes: Transactions View All and View.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use clara_projections::TransactionView;
use serde_json::{json, Value};

use super::context::Caller;
use super::error::ApiError;
use super::page::page;
use super::path::Path;
use super::render::{credits, http_date};
use super::success;
use crate::accounts::credits as wallet;
use crate::state::AppState;

fn transaction_object(entry: &TransactionView) -> Value {
    json!({
        "created_at": http_date(entry.created_at_ms),
        "description": entry.description,
        "id": entry.id,
        "type": entry.kind,
        "updated_at": http_date(entry.updated_at_ms),
        "user_id": entry.user_id,
        "value_in_credits": credits(entry.value_in_credits),
        "value_in_fiat": credits(entry.value_in_fiat),
    })
}

/// `GET /users/{user_id}/transactions?limit=&offset=`: newest first.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    caller.require_active(&state, &user_id, true).await?;
    let (limit, offset) = page(&query)?;
    let entries = wallet::transactions(&state, &user_id, limit, offset).await?;
    let data = entries.iter().map(transaction_object).collect();
    Ok(success(
        StatusCode::OK,
        "Transactions fetched successfully.",
        Value::Array(data),
    ))
}

/// `GET /users/{user_id}/transactions/{transaction_id}`: 404 for another user's.
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
