//! The OpenAPI document at /openapi.json: every route of the contract and nothing else, each
//! on the real router, with the envelope for every error status and the credential schemes;
//! and /docs, the reference page, served by the binary itself.

use crate::support::{Backend, TestApp};
use axum::http::{Method, StatusCode};

crate::on_both_backends!(the_document_and_the_router_have_the_same_routes);

/// The contract's §3 (and MCP's endpoint), as (method, path); Delete account waits for
/// issue 19.
const CONTRACT: [(&str, &str); 31] = [
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/google"),
    ("post", "/api/v1/auth/session"),
    ("delete", "/api/v1/auth/session"),
    ("patch", "/api/v1/users/{user_email}/password"),
    ("post", "/api/v1/users/{user_email}/otp/{otp_type}"),
    ("post", "/api/v1/users/{user_email}/activate"),
    ("post", "/api/v1/users/{user_id}/2fa"),
    ("delete", "/api/v1/users/{user_id}/2fa"),
    ("get", "/api/v1/users/{user_id}"),
    ("patch", "/api/v1/users/{user_id}"),
    ("delete", "/api/v1/users/{user_id}"),
    ("get", "/api/v1/users/{user_id}/api_key"),
    ("post", "/api/v1/users/{user_id}/api_key"),
    ("get", "/api/v1/users/{user_id}/transactions"),
    (
        "get",
        "/api/v1/users/{user_id}/transactions/{transaction_id}",
    ),
    ("get", "/api/v1/users/{user_id}/tasks"),
    ("get", "/api/v1/users/{user_id}/tasks/{task_id}"),
    ("get", "/api/v1/users/{user_id}/agent/supported_attachments"),
    ("post", "/api/v1/users/{user_id}/agent/analysis"),
    ("get", "/api/v1/stripe/rate"),
    ("post", "/api/v1/stripe/portal"),
    ("post", "/api/v1/stripe/buy"),
    ("post", "/api/v1/stripe/settle"),
    ("get", "/api/v1/health"),
    ("get", "/api/v1/version"),
    ("put", "/api/v1/users/{user_id}/credits"),
    ("get", "/api/v1/users"),
    ("get", "/api/v1/users/{user_id}/events"),
    ("get", "/api/v1/events"),
    ("post", "/mcp"),
];

async fn the_document_and_the_router_have_the_same_routes(backend: Backend) {
    let app = TestApp::new(backend).await;
    let reply = app.send(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = reply.json;
    assert_eq!(doc["openapi"], "3.1.0");
    for scheme in [
        "basic",
        "user_token",
        "api_key",
        "public_key",
        "private_key",
    ] {
        assert!(
            doc["components"]["securitySchemes"][scheme].is_object(),
            "{scheme}"
        );
    }
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            documented.push((method.clone(), path.clone()));
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path} has a success"
            );
            for status in [
                "400", "401", "403", "404", "409", "413", "429", "500", "503",
            ] {
                assert!(
                    responses.contains_key(status),
                    "{method} {path} documents {status}"
                );
            }
        }
    }
    let mut contract: Vec<(String, String)> = CONTRACT
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    contract.sort();
    documented.sort();
    assert_eq!(
        documented, contract,
        "the document has exactly the contract's routes"
    );
    // Each documented route is on the router: never "no such route" or "method not allowed".
    for (method, path) in &documented {
        let concrete = path
            .replace("{user_id}", "user_00000000000000000000000000000000")
            .replace("{user_email}", "nobody@example.com")
            .replace("{otp_type}", "ACTIVATION")
            .replace("{transaction_id}", "transaction_0")
            .replace("{task_id}", "task_0");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let reply = app.send(method.clone(), &concrete, None, None).await;
        let unrouted = reply.json["message"] == "The requested route does not exist."
            || reply.status == StatusCode::METHOD_NOT_ALLOWED;
        assert!(!unrouted, "{method} {concrete} is routed: {}", reply.text);
    }
    // The reference page and its assets come from the binary.
    let page = app.send(Method::GET, "/docs", None, None).await;
    assert!(page.status.is_redirection());
    let page = app.send(Method::GET, "/docs/", None, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("swagger-ui"));
    let script = app
        .send(Method::GET, "/docs/swagger-ui-bundle.js", None, None)
        .await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(
        !page.text.contains("https://"),
        "no asset from another host: {}",
        page.text
    );
}
