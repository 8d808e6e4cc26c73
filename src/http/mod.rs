//! The HTTP front: the router that tests drive in-process and `clara serve` listens with.

mod admin;
mod agent;
mod api_keys;
mod audit;
mod auth_routes;
mod body;
mod bounds;
mod codes;
pub mod context;
mod envelope;
mod error;
mod mcp;
pub mod openapi;
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
use axum::extract::MatchedPath;
use axum::http::Request;
use axum::routing::get;
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
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

/// Largest request body accepted; larger ones get 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub fn router(state: AppState) -> Router {
    // One bound for the whole server: a layer of the router would bound each route apart.
    let bounded = bounds::layer(&state.settings).service(routes(state));
    Router::new().fallback_service(bounded)
}

/// Every route, with the layers every request goes through.
fn routes(state: AppState) -> Router {
    let (api, openapi) = documented_routes(&state).split_for_parts();
    let mcp = tower::ServiceBuilder::new()
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            mcp::authorize,
        ))
        .service(mcp::service(state.clone()));
    let docs = SwaggerUi::new("/docs")
        .external_url_unchecked(
            "/openapi.json",
            openapi::constrained(&openapi::complete(openapi)),
        )
        .config(utoipa_swagger_ui::Config::default().validator_url("none"));
    api.route("/health", get(system::health))
        .route("/version", get(system::version))
        .route("/metrics", get(system::metrics))
        .merge(docs)
        .nest_service("/mcp", mcp)
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
                    // Field values are only evaluated when the span is enabled. The route's
                    // template, not the path: a path may hold an e-mail address.
                    let id = || request.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok());
                    let route = || request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str);
                    tracing::info_span!("request", request_id = id().unwrap_or_default(), method = %request.method(), route = route())
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO).latency_unit(tower_http::LatencyUnit::Micros)),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// The contract's routes (§3), each registered with its OpenAPI description, so the router
/// and the document cannot disagree.
fn documented_routes(state: &AppState) -> OpenApiRouter<AppState> {
    let uploads =
        OpenApiRouter::new()
            .routes(routes!(agent::analysis))
            .layer(DefaultBodyLimit::max(
                state.settings.agent.max_request_bytes(),
            ));
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(auth_routes::register))
        .routes(routes!(auth_routes::google))
        .routes(routes!(auth_routes::login, auth_routes::logout))
        .routes(routes!(users::view, users::update, users::delete))
        .routes(routes!(codes::send_otp))
        .routes(routes!(codes::activate))
        .routes(routes!(codes::change_password))
        .routes(routes!(codes::enable_2fa, codes::disable_2fa))
        .routes(routes!(api_keys::view, api_keys::reset))
        .routes(routes!(admin::list_users))
        .routes(routes!(admin::set_credits))
        .routes(routes!(wallet::list))
        .routes(routes!(wallet::view))
        .routes(routes!(tasks::list))
        .routes(routes!(tasks::view))
        .routes(routes!(agent::supported_attachments))
        .routes(routes!(audit::events))
        .routes(routes!(audit::export_log))
        .routes(routes!(stripe::webhook))
        .routes(routes!(stripe::rate))
        .routes(routes!(stripe::buy))
        .routes(routes!(stripe::portal))
        .routes(routes!(system::health))
        .routes(routes!(system::version))
        .merge(uploads)
}
