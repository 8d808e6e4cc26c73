//! Bounds on the work in flight: a request answered within its time limit, and no more
//! requests handled at once than the limit; past either, 503 in the envelope at once rather
//! than a queue that grows without end.

use axum::error_handling::HandleErrorLayer;
use axum::response::{IntoResponse, Response};
use axum::BoxError;
use tower::layer::util::{Identity, Stack};
use tower::ServiceBuilder;

use super::error::ApiError;
use crate::state::Settings;

type Bounds = Stack<
    tower::timeout::TimeoutLayer,
    Stack<
        tower::limit::ConcurrencyLimitLayer,
        Stack<tower::load_shed::LoadShedLayer, Stack<HandleErrorLayer<Refuse, ()>, Identity>>,
    >,
>;

type Refuse = fn(BoxError) -> std::future::Ready<Response>;

/// The layer: shed load beyond `max_in_flight`, time out past `request_timeout`.
pub fn layer(settings: &Settings) -> ServiceBuilder<Bounds> {
    ServiceBuilder::new()
        .layer(HandleErrorLayer::new(refuse as Refuse))
        .load_shed()
        .concurrency_limit(settings.max_in_flight)
        .timeout(settings.request_timeout)
}

fn refuse(error: BoxError) -> std::future::Ready<Response> {
    let why = if error.is::<tower::timeout::error::Elapsed>() {
        "the request ran past its time limit"
    } else if error.is::<tower::load_shed::error::Overloaded>() {
        "too many requests in flight"
    } else {
        "the request could not be handled"
    };
    std::future::ready(ApiError::Unavailable(why.into()).into_response())
}
