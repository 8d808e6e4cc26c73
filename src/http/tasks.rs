//! Task routes: Tasks View All and Task View.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use clara_projections::TaskView;
use serde::Serialize;

use super::context::Caller;
use super::error::ApiError;
use super::openapi::Envelope;
use super::page::page;
use super::path::Path;
use super::render::http_date;
use super::success;
use crate::agent::tasks;
use crate::state::AppState;

/// A task as the contract shows it; fields in alphabetical order.
#[derive(Serialize)]
pub struct TaskObject<'a> {
    created_at: String,
    id: &'a str,
    result: &'a Option<serde_json::Value>,
    status: &'a str,
    updated_at: String,
    user_id: &'a str,
}

pub fn task_object(task: &TaskView) -> TaskObject<'_> {
    TaskObject {
        created_at: http_date(task.created_at_ms),
        id: &task.id,
        result: &task.result,
        status: &task.status,
        updated_at: http_date(task.updated_at_ms),
        user_id: &task.user_id,
    }
}

/// `GET /users/{user_id}/tasks?limit=&offset=`: newest first.
#[utoipa::path(get, path = "/api/v1/users/{user_id}/tasks", tag = "agent", params(("user_id" = String, Path, description = "A `user_…` id"), ("limit" = i64, Query, description = "Items to return, 0 to 100"), ("offset" = i64, Query, description = "Items to skip")), responses((status = 200, description = "Tasks, newest first", body = Envelope)), security(("user_token" = []), ("api_key" = []), ("private_key" = [])))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    caller.require_active_or_admin(&state, &user_id).await?;
    let (limit, offset) = page(&query)?;
    let found = tasks::tasks(&state, &user_id, limit, offset).await?;
    let data: Vec<_> = found.iter().map(task_object).collect();
    Ok(success(StatusCode::OK, "Tasks fetched successfully.", data))
}

/// `GET /users/{user_id}/tasks/{task_id}`: 404 for another user's.
#[utoipa::path(get, path = "/api/v1/users/{user_id}/tasks/{task_id}", tag = "agent", params(("user_id" = String, Path, description = "A `user_…` id"), ("task_id" = String, Path, description = "A `task_…` id")), responses((status = 200, description = "One task", body = Envelope)), security(("user_token" = []), ("api_key" = []), ("private_key" = [])))]
pub async fn view(
    State(state): State<AppState>,
    caller: Caller,
    Path((user_id, task_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    caller.require_active_or_admin(&state, &user_id).await?;
    let task = tasks::task(&state, &user_id, &task_id).await?;
    Ok(success(
        StatusCode::OK,
        "Task fetched successfully.",
        task_object(&task),
    ))
}
