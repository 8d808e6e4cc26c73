//! The MCP server's handler: its tools listed, and each call run as the authenticated
//! caller of the HTTP request that carried it.

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler};

use super::tools;
use crate::http::context::Caller;
use crate::state::AppState;

const INSTRUCTIONS: &str = "Clara holds a user's account, credit wallet and agent tasks. \
Tools act for the user of the bearer credential. Each returns Clara's REST envelope as JSON: \
{data, message, status}; status \"error\" means the call was refused and message says why. \
To check information, call agent.analysis with the text, then task.view with the task id \
until its status is COMPLETED or FAILED.";

#[derive(Clone)]
pub struct ClaraMcp {
    state: AppState,
}

impl ClaraMcp {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

impl ServerHandler for ClaraMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("clara", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(tools::all()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let parts = context
            .extensions
            .get::<axum::http::request::Parts>()
            .ok_or_else(|| McpError::internal_error("the HTTP request is not at hand", None))?;
        let caller = Caller::from_parts(parts, &self.state)
            .await
            .map_err(|_| McpError::internal_error("the caller could not be verified", None))?;
        let arguments = request.arguments.unwrap_or_default();
        let result = tools::call(&self.state, caller, &request.name, arguments).await?;
        Ok(result.into())
    }
}
