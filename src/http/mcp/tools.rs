//! The tools: each one's name, a description a model can act on, the JSON Schema of its
//! arguments (generated from the Rust type they are read into), and the REST route code it
//! runs for the caller. Its result is the route's envelope, as one text item.

use std::collections::HashMap;

use axum::body::{to_bytes, Bytes};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use rmcp::handler::server::common::schema_for_type;
use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool};
use rmcp::ErrorData as McpError;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::http::body::RawBody;
use crate::http::context::Caller;
use crate::http::error::ApiError;
use crate::http::path::Path;
use crate::http::{agent, stripe, tasks, users, wallet};
use crate::state::AppState;

/// Tools that take no arguments.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArguments {}

/// A page of a list, newest first.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Page {
    /// How many items to return, 0 to 100.
    limit: i64,
    /// How many of the newest items to skip.
    offset: i64,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransactionId {
    /// A `transaction_…` id from transaction.view_all.
    transaction_id: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskId {
    /// A `task_…` id from agent.analysis or task.view_all.
    task_id: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalysisText {
    /// The text to check, at most 100,000 characters.
    content: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Purchase {
    /// Whole US dollars to spend; stripe.rate lists the amounts accepted.
    amount: u64,
    /// Where the buyer returns after paying, a path of the client application.
    return_path: String,
}

fn tool<T: JsonSchema + 'static>(name: &'static str, description: &'static str) -> Tool {
    Tool::new(name, description, schema_for_type::<T>())
}

/// Every tool Clara offers.
pub fn all() -> Vec<Tool> {
    vec![
        tool::<NoArguments>("user.view", "The caller's account: e-mail, names, credits, whether it is active and has two-factor sign-in."),
        tool::<Page>("transaction.view_all", "The caller's ledger, newest first: credits bought, charged for analyses, refunded, set by the operator."),
        tool::<TransactionId>("transaction.view", "One entry of the caller's ledger."),
        tool::<Page>("task.view_all", "The caller's agent tasks, newest first, with their status and results."),
        tool::<TaskId>("task.view", "One agent task: PENDING or RUNNING while the agent works, then COMPLETED with the claims found and their verdicts, or FAILED (refunded)."),
        tool::<NoArguments>("agent.supported_attachments", "The file types the agent reads, by category (for the REST route; this tool takes text only)."),
        tool::<AnalysisText>("agent.analysis", "Starts a paid fact-check of a text: charges the analysis price and returns a PENDING task; poll task.view with its id for the result."),
        tool::<NoArguments>("stripe.rate", "The credit purchase tiers: dollar limits and credits per dollar."),
        tool::<Purchase>("stripe.buy", "Opens a Stripe Checkout session to buy credits; returns the URL where the user pays. Credits arrive once Stripe reports the payment."),
    ]
}

/// Runs tool `name` for `caller`; arguments that do not fit its schema are refused as
/// invalid params.
pub async fn call(
    state: &AppState,
    caller: Caller,
    name: &str,
    arguments: JsonObject,
) -> Result<CallToolResult, McpError> {
    let user_id = caller.own_user_id().unwrap_or_default().to_string();
    let state = state.clone();
    let answered = match name {
        "user.view" => {
            read::<NoArguments>(arguments)?;
            users::view(State(state), caller, Path(user_id), Query(HashMap::new())).await
        }
        "transaction.view_all" => {
            let page = read::<Page>(arguments)?;
            wallet::list(State(state), caller, Path(user_id), Query(page.query())).await
        }
        "transaction.view" => {
            let id = read::<TransactionId>(arguments)?.transaction_id;
            wallet::view(State(state), caller, Path((user_id, id))).await
        }
        "task.view_all" => {
            let page = read::<Page>(arguments)?;
            tasks::list(State(state), caller, Path(user_id), Query(page.query())).await
        }
        "task.view" => {
            let id = read::<TaskId>(arguments)?.task_id;
            tasks::view(State(state), caller, Path((user_id, id))).await
        }
        "agent.supported_attachments" => {
            read::<NoArguments>(arguments)?;
            agent::supported_attachments(State(state), caller, Path(user_id)).await
        }
        "agent.analysis" => {
            let content = read::<AnalysisText>(arguments)?.content;
            agent::analyse_text(&state, &caller, &user_id, content).await
        }
        "stripe.rate" => {
            read::<NoArguments>(arguments)?;
            stripe::rate(State(state), caller).await
        }
        "stripe.buy" => {
            let purchase = read::<Purchase>(arguments)?;
            let body =
                serde_json::json!({"amount": purchase.amount, "return_path": purchase.return_path});
            stripe::buy(State(state), caller, RawBody(Bytes::from(body.to_string()))).await
        }
        _ => {
            return Err(McpError::invalid_params(
                format!("there is no tool {name}"),
                None,
            ))
        }
    };
    envelope(answered).await
}

impl Page {
    fn query(&self) -> HashMap<String, String> {
        HashMap::from([
            ("limit".to_string(), self.limit.to_string()),
            ("offset".to_string(), self.offset.to_string()),
        ])
    }
}

fn read<T: DeserializeOwned>(arguments: JsonObject) -> Result<T, McpError> {
    serde_json::from_value(serde_json::Value::Object(arguments))
        .map_err(|error| McpError::invalid_params(format!("invalid arguments: {error}"), None))
}

/// The route's answer as the tool's result: its envelope as text, an error when it is one.
async fn envelope(answered: Result<Response, ApiError>) -> Result<CallToolResult, McpError> {
    let response = answered.into_response();
    let failed = !response.status().is_success();
    let body = to_bytes(response.into_body(), usize::MAX)
        .await
        .map_err(|_| McpError::internal_error("the answer could not be read", None))?;
    let text = vec![ContentBlock::text(String::from_utf8_lossy(&body))];
    Ok(if failed {
        CallToolResult::error(text)
    } else {
        CallToolResult::success(text)
    })
}
