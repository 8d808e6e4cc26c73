//! `/metrics`: Prometheus text after real traffic, every family of the contract present and
//! moving, routes labelled by their template, and no id or address in any label.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::analyses::{content, funded, submit};
use crate::support::{id_of, Backend, Client, TestApp};

crate::on_both_backends!(metrics_count_the_traffic_by_route_template);

/// The value of the sample `name{labels}` in `text`, 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| {
            line.strip_prefix(series)
                .and_then(|rest| rest.trim().parse().ok())
        })
        .unwrap_or(0.0)
}

async fn scrape(app: &TestApp) -> String {
    let reply = app.send(Method::GET, "/metrics", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    reply.text
}

async fn metrics_count_the_traffic_by_route_template(backend: Backend) {
    let mut app = TestApp::with_mail_adjusted(backend, |s| {
        s.stripe_webhook_secrets = vec!["whsec_m".into()]
    })
    .await;
    let before = scrape(&app).await;
    let registered =
        r#"http_requests_total{method="POST",route="/api/v1/auth/register",status="201"}"#;
    let viewed =
        r#"http_requests_total{method="GET",route="/api/v1/users/{user_id}",status="200"}"#;
    let created = r#"clara_tasks_total{status="created"}"#;
    let unmatched = r#"clara_stripe_webhooks_total{outcome="unmatched"}"#;
    let mailed = r#"clara_mail_total{outcome="sent"}"#;
    let committed = r#"clara_commands_total{aggregate="User",outcome="committed"}"#;

    let ada = funded(&app, "ada@example.com", "40").await;
    let id = id_of(&ada);
    app.as_user(Method::GET, &format!("/api/v1/users/{id}"), &ada, None)
        .await;
    app.send(Method::GET, &format!("/api/v1/no/such/{id}"), None, None)
        .await;
    app.start_workers();
    let task = submit(&app, &id, &Client::bearer(&ada), &[content("Up 5%.")]).await;
    assert_eq!(task.status, StatusCode::CREATED);
    let paid = json!({"type": "checkout.session.completed", "data": {"object": {"id": "cs_never",
        "payment_status": "paid", "amount_total": 500, "metadata": {"user_id": id}}}});
    crate::stripe::settle_signed(&app, "whsec_m", &paid.to_string()).await;

    let after = scrape(&app).await;
    for series in [registered, viewed, created, unmatched, mailed, committed] {
        assert!(
            sample(&after, series) >= sample(&before, series) + 1.0,
            "{series} moved:\n{after}"
        );
    }
    assert!(
        sample(&after, "clara_events_appended_total")
            > sample(&before, "clara_events_appended_total")
    );
    for family in [
        "http_request_duration_seconds_bucket{route=\"/api/v1/users/{user_id}\"",
        "clara_projector_lag_events ",
    ] {
        assert!(after.contains(family), "{family} in:\n{after}");
    }
    assert!(
        after.contains(r#"route="unmatched""#),
        "an unknown path is not a label"
    );
    assert!(!after.contains(&id), "no id in a label");
    assert!(!after.contains("ada@example.com"), "no address in a label");
}
