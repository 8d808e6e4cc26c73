//! A database outage, on a PostgreSQL cluster of the test's own (initdb into a temp folder as
//! the `postgres` user, on a spare port; never the shared server): requests get 503 within
//! the acquire timeout, /health says unhealthy, and the same process serves again, its views
//! and mail moving, once the database is back.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::cluster::Cluster;
use crate::support::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_outage_is_503_and_service_resumes_when_it_returns() {
    let cluster =
        Cluster::start().expect("a private PostgreSQL cluster (initdb, pg_ctl as postgres)");
    let app = TestApp::open(&cluster.url()).await;
    let outbox = app.outbox.join("served");
    let env = [("DB_ACQUIRE_TIMEOUT_SECONDS", "1".to_string())];
    let served = crate::served::Served::start(&app, &env).await;
    let base = served.base_url.clone();
    let http = reqwest::Client::new();
    let register = |email: &str| {
        let body = json!({"first_name": "a", "last_name": "b", "email": email, "password": "a long passphrase"});
        http.post(format!("{base}/api/v1/auth/register"))
            .header("authorization", app.public_key())
            .json(&body)
            .send()
    };
    assert_eq!(
        register("before@example.com").await.unwrap().status(),
        StatusCode::CREATED
    );

    assert!(cluster.down(), "the database stopped");
    let started = Instant::now();
    let refused = register("during@example.com").await.unwrap();
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["message"], "The service is temporarily unavailable.");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let health = http
        .get(format!("{base}/api/v1/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::SERVICE_UNAVAILABLE);

    assert!(cluster.up(), "the database is back");
    let mut back = false;
    for _ in 0..100 {
        if http
            .get(format!("{base}/api/v1/health"))
            .send()
            .await
            .is_ok_and(|r| r.status() == StatusCode::OK)
        {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back, "healthy again without a restart");
    let after = register("after@example.com").await.unwrap();
    assert_eq!(after.status(), StatusCode::CREATED);
    let after: Value = after.json().await.unwrap();
    let id = after["data"]["id"].as_str().unwrap();
    let view = http
        .get(format!("{base}/api/v1/users/{id}"))
        .header("authorization", app.private_key())
        .send()
        .await
        .unwrap();
    assert_eq!(view.status(), StatusCode::OK, "the views move again");
    let mail = crate::mailbox::nth_code(&outbox, "after@example.com", 1).await;
    assert_eq!(mail.len(), 6, "the mail dispatcher resumed");
    drop(served);
    drop(app);
}
