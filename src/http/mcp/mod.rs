//! The MCP server at `/mcp`: Clara's routes as tools for AI agents, over rmcp's Streamable
//! HTTP transport on the same router, port and middleware (request ids, logs, limits).
//! A caller is authenticated before any MCP message is read.

mod handler;
mod tools;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use super::context::Verified;
use super::error::ApiError;
use crate::auth::principal::Principal;
use crate::state::AppState;
use handler::ClaraMcp;

/// The MCP endpoint, stateless: every POST carries its own credential, so any process can
/// answer any request.
pub fn service(state: AppState) -> StreamableHttpService<ClaraMcp, LocalSessionManager> {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        // The host check guards unauthenticated local servers against DNS rebinding; every
        // request here carries a bearer credential, checked below, and Clara runs under any
        // host name its operator gives it.
        .disable_allowed_hosts();
    StreamableHttpService::new(
        move || Ok(ClaraMcp::new(state.clone())),
        Default::default(),
        config,
    )
}

/// A user token or API key (verified, its session or key current) and, if the request
/// names a `User-Id`, that it is the credential's own user: else 401 or 403 in the
/// contract's envelope, before the MCP layer reads a byte.
pub async fn authorize(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let verified = match request.extensions().get::<Verified>() {
        Some(verified) => verified.clone(),
        None => Verified::resolve(request.headers(), &state).await?,
    };
    let user_id = match &verified.principal {
        Some(Principal::User { user_id, .. } | Principal::ApiKey { user_id, .. }) => user_id,
        Some(Principal::Public | Principal::Admin) => return Err(ApiError::Forbidden),
        None => return Err(ApiError::Unauthorized),
    };
    if let Some(named) = request.headers().get("user-id") {
        if named.to_str().ok() != Some(user_id.as_str()) {
            return Err(ApiError::Forbidden);
        }
    }
    request.extensions_mut().insert(verified);
    Ok(next.run(request).await)
}
