//! The HTTP front: the router that tests drive in-process and `clara serve` listens with.

mod admin;
mod agent;
mod api_keys;
mod audit;
mod auth_routes;
mod body;
mod codes;
pub mod context;
mod envelope;
mod error;
mod mcp;
mod page;
mod path;
pub mod rate_limit;
mod render;
mod stripe;
mod system;
mod tasks;
mod upload;
mod users;
mod validate;
mod wallet;

use axum::extract::DefaultBodyLimit;
use axum::http::Request;
use axum::routing::{get, patch, post, put};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::timeout::RequestBodyTimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use envelope::success;

use crate::state::AppState;
use error::ApiError;

/// Largest request body accepted; larger ones get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/api/v1/auth/register", post(auth_routes::register))
        .route("/api/v1/auth/google", post(auth_routes::google))
        .route(
            "/api/v1/auth/session",
            post(auth_routes::login).delete(auth_routes::logout),
        )
        .route(
            "/api/v1/users/{user_id}",
            get(users::view).patch(users::update),
        )
        .route(
            "/api/v1/users/{user_id}/otp/{otp_type}",
            post(codes::send_otp),
        )
        .route("/api/v1/users/{user_id}/activate", post(codes::activate))
        .route(
            "/api/v1/users/{user_id}/api_key",
            get(api_keys::view).post(api_keys::reset),
        )
        .route("/api/v1/users", get(admin::list_users))
        .route("/api/v1/users/{user_id}/events", get(audit::events))
        .route("/api/v1/events", get(audit::export_log))
        .route("/api/v1/stripe/settle", post(stripe::webhook))
        .route("/api/v1/stripe/rate", get(stripe::rate))
        .route("/api/v1/stripe/buy", post(stripe::buy))
        .route("/api/v1/stripe/portal", post(stripe::portal))
        .route("/api/v1/users/{user_id}/credits", put(admin::set_credits))
        .route("/api/v1/users/{user_id}/transactions", get(wallet::list))
        .route(
            "/api/v1/users/{user_id}/transactions/{transaction_id}",
            get(wallet::view),
        )
        .route(
            "/api/v1/users/{user_id}/password",
            patch(codes::change_password),
        )
        .route(
            "/api/v1/users/{user_id}/2fa",
            post(codes::enable_2fa).delete(codes::disable_2fa),
        )
        .route(
            "/api/v1/users/{user_id}/agent/supported_attachments",
            get(agent::supported_attachments),
        )
        .route(
            "/api/v1/users/{user_id}/agent/analysis",
            post(agent::analysis).layer(DefaultBodyLimit::max(
                state.settings.agent.max_request_bytes(),
            )),
        )
        .route("/api/v1/users/{user_id}/tasks", get(tasks::list))
        .route("/api/v1/users/{user_id}/tasks/{task_id}", get(tasks::view))
        .route("/metrics", get(system::metrics))
        .route("/api/v1/health", get(system::health))
        .route("/api/v1/version", get(system::version))
        .route("/health", get(system::health))
        .route("/version", get(system::version));
    let mcp = tower::ServiceBuilder::new()
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            mcp::authorize,
        ))
        .service(mcp::service(state.clone()));
    api.nest_service("/mcp", mcp)
        .fallback(|| async { ApiError::RouteNotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(axum::middleware::from_fn_with_state(state.clone(), rate_limit::enforce))
        .layer(axum::middleware::from_fn(crate::meter::track))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyTimeoutLayer::new(state.settings.read_timeout))
        .layer(CatchPanicLayer::custom(envelope::panic_response))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    // Field values are only evaluated when the span is enabled.
                    let id = || request.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok());
                    tracing::info_span!("request", request_id = id().unwrap_or_default(), method = %request.method(), path = %request.uri().path())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO).latency_unit(tower_http::LatencyUnit::Micros)),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}
