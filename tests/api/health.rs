//! Health and Version.

use axum::http::{Method, StatusCode};

use crate::support::{assert_error, Backend, TestApp};

crate::on_both_backends!(
    health_pings_the_database,
    health_is_503_when_the_database_is_down,
    version_is_the_crate_version
);

async fn health_pings_the_database(backend: Backend) {
    let app = TestApp::new(backend).await;
    for path in ["/health", "/api/v1/health"] {
        let reply = app.send(Method::GET, path, None, None).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(
            reply.json["data"],
            serde_json::json!({"service": "clara", "status": "healthy"})
        );
        assert_eq!(reply.json["message"], "Health check successful.");
    }
}

async fn health_is_503_when_the_database_is_down(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.db().close().await;
    let reply = app.send(Method::GET, "/health", None, None).await;
    assert_error(
        &reply,
        StatusCode::SERVICE_UNAVAILABLE,
        "The service is temporarily unavailable.",
    );
}

async fn version_is_the_crate_version(backend: Backend) {
    let app = TestApp::new(backend).await;
    let reply = app.send(Method::GET, "/api/v1/version", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["data"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(reply.json["message"], "Version check successful.");
}
