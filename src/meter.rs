//! Prometheus metrics: one recorder per process, the families the contract lists, and the
//! HTTP middleware that counts requests by their route template (never the raw path, so no
//! id or address ends up in a label).

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Seconds: from a fast read to a slow hash or upload.
const DURATION_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The process's recorder, installed on first use.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Full("http_request_duration_seconds".into()),
                &DURATION_BUCKETS,
            )
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder already installed (a second service in one test process) still
        // gets its figures rendered from this handle's own registry.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Counts the request and times it, labelled by method, matched route and status.
pub async fn track(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |path| path.as_str().to_string());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// A command's end, by aggregate type: `committed`, `refused`, `conflict` or `failed`.
pub fn command(aggregate: &'static str, outcome: &'static str) {
    metrics::counter!("clara_commands_total", "aggregate" => aggregate, "outcome" => outcome)
        .increment(1);
}

pub fn events_appended(count: usize) {
    metrics::counter!("clara_events_appended_total").increment(count as u64);
}

/// Events committed that the views have not folded yet.
pub fn projector_lag(events: i64) {
    metrics::gauge!("clara_projector_lag_events").set(events as f64);
}

/// A mail's fate: `sent`, `retrying` or `given_up`.
pub fn mail(outcome: &'static str) {
    metrics::counter!("clara_mail_total", "outcome" => outcome).increment(1);
}

/// A task reaching `status`: `created`, `completed` or `failed`.
pub fn task(status: &'static str) {
    metrics::counter!("clara_tasks_total", "status" => status).increment(1);
}

/// A verified webhook's effect: `credited`, `already_credited`, `unmatched`, `ignored`.
pub fn stripe_webhook(outcome: &'static str) {
    metrics::counter!("clara_stripe_webhooks_total", "outcome" => outcome).increment(1);
}
