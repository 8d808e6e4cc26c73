//! The MCP server at /mcp through rmcp's own client over real HTTP: initialize, list the
//! tools, call each as the key's user; bad arguments, missing or wrong credentials, and the
//! shared rate limit.

use std::collections::HashMap;

use axum::http::{HeaderName, HeaderValue, StatusCode};
use rmcp::model::{CallToolRequestParams, CallToolResult, ClientConfig};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ServiceError, ServiceExt};
use serde_json::{json, Value};

use crate::analyses::funded;
use crate::support::{id_of, Backend, Client, TestApp};

crate::on_both_backends!(
    an_agent_lists_and_calls_every_tool_as_the_keys_user,
    arguments_that_do_not_fit_are_invalid_params,
    credentials_are_checked_before_any_mcp_message,
    mcp_calls_count_against_the_keys_rate_limit,
);

type McpClient = RunningService<RoleClient, ClientConfig>;

/// Serves `app`'s router on a loopback port; returns its base URL.
async fn serve(app: &TestApp) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = app.client.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

async fn connect(base: &str, token: &str, user_id: Option<&str>) -> Result<McpClient, String> {
    let mut config =
        StreamableHttpClientTransportConfig::with_uri(format!("{base}/mcp")).auth_header(token);
    if let Some(user_id) = user_id {
        let header = (
            HeaderName::from_static("user-id"),
            HeaderValue::from_str(user_id).unwrap(),
        );
        config = config.custom_headers(HashMap::from([header]));
    }
    let transport = StreamableHttpClientTransport::from_config(config);
    ClientConfig::default()
        .serve(transport)
        .await
        .map_err(|e| e.to_string())
}

async fn call(
    client: &McpClient,
    name: &'static str,
    arguments: Value,
) -> Result<CallToolResult, ServiceError> {
    let arguments = arguments.as_object().cloned().unwrap_or_default();
    client
        .call_tool(CallToolRequestParams::new(name).with_arguments(arguments))
        .await
}

/// The envelope a tool answered, and whether it was an error.
fn envelope(result: &CallToolResult) -> (Value, bool) {
    assert_eq!(result.content.len(), 1, "one content item");
    let text = &result.content[0].as_text().expect("a text item").text;
    (
        serde_json::from_str(text).unwrap(),
        result.is_error == Some(true),
    )
}

/// A user's API key token (without "Bearer ").
async fn api_key(app: &TestApp, user: &crate::support::Reply) -> String {
    let bearer = app.api_key_bearer(user).await;
    bearer.trim_start_matches("Bearer ").to_string()
}

async fn an_agent_lists_and_calls_every_tool_as_the_keys_user(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = funded(&app, "ada@example.com", "50").await;
    let id = id_of(&ada);
    let base = serve(&app).await;
    let client = connect(&base, &api_key(&app, &ada).await, Some(&id))
        .await
        .unwrap();
    let tools = client.list_tools(Default::default()).await.unwrap().tools;
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "agent.analysis",
            "agent.supported_attachments",
            "stripe.buy",
            "stripe.rate",
            "task.view",
            "task.view_all",
            "transaction.view",
            "transaction.view_all",
            "user.view"
        ]
    );
    for tool in &tools {
        assert!(
            tool.description.as_ref().is_some_and(|d| d.len() > 20),
            "{} is described",
            tool.name
        );
        assert_eq!(tool.input_schema["type"], "object", "{}", tool.name);
    }
    let buy = tools.iter().find(|t| t.name == "stripe.buy").unwrap();
    assert!(buy.input_schema["properties"]["amount"].is_object());

    let (user, failed) = envelope(&call(&client, "user.view", json!({})).await.unwrap());
    assert!(!failed);
    assert_eq!(user["message"], "User fetched successfully.");
    assert_eq!(user["data"]["id"], id.as_str());
    let (ledger, _) = envelope(
        &call(
            &client,
            "transaction.view_all",
            json!({"limit": 5, "offset": 0}),
        )
        .await
        .unwrap(),
    );
    let entry = ledger["data"][0]["id"].as_str().unwrap().to_string();
    let (one, failed) = envelope(
        &call(
            &client,
            "transaction.view",
            json!({"transaction_id": entry}),
        )
        .await
        .unwrap(),
    );
    assert!(!failed);
    assert_eq!(one["message"], "Transaction fetched successfully.");
    let (types, _) = envelope(
        &call(&client, "agent.supported_attachments", json!({}))
            .await
            .unwrap(),
    );
    assert!(types["data"]["document"].is_array());
    let (task, failed) = envelope(
        &call(
            &client,
            "agent.analysis",
            json!({"content": "Exports rose 4% in 2024."}),
        )
        .await
        .unwrap(),
    );
    assert!(!failed, "{task}");
    assert_eq!(task["message"], "Task created successfully.");
    let task_id = task["data"]["id"].as_str().unwrap().to_string();
    let (listed, _) = envelope(
        &call(&client, "task.view_all", json!({"limit": 10, "offset": 0}))
            .await
            .unwrap(),
    );
    assert_eq!(listed["data"][0]["id"], task_id.as_str());
    let (viewed, _) = envelope(
        &call(&client, "task.view", json!({"task_id": task_id}))
            .await
            .unwrap(),
    );
    assert_eq!(viewed["message"], "Task fetched successfully.");
    let (rate, failed) = envelope(&call(&client, "stripe.rate", json!({})).await.unwrap());
    assert!(!failed);
    assert!(rate["data"].is_array());
    // Errors come back as the REST envelope, flagged.
    let (unpaid, failed) = envelope(
        &call(
            &client,
            "stripe.buy",
            json!({"amount": 5, "return_path": "wallet"}),
        )
        .await
        .unwrap(),
    );
    assert!(failed);
    assert_eq!(unpaid["message"], "The service is temporarily unavailable.");
    let (missing, failed) = envelope(
        &call(
            &client,
            "task.view",
            json!({"task_id": "task_00000000000000000000000000000000"}),
        )
        .await
        .unwrap(),
    );
    assert!(failed);
    assert_eq!(
        missing["message"],
        "Task with the given identifier does not exist."
    );
    let (empty, failed) = envelope(
        &call(&client, "agent.analysis", json!({"content": "  "}))
            .await
            .unwrap(),
    );
    assert!(failed);
    assert_eq!(empty["status"], "error");
    client.cancel().await.unwrap();
}

async fn arguments_that_do_not_fit_are_invalid_params(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = funded(&app, "ada@example.com", "50").await;
    let base = serve(&app).await;
    let client = connect(&base, &api_key(&app, &ada).await, None)
        .await
        .unwrap();
    for (tool, arguments) in [
        ("task.view", json!({})),
        ("task.view", json!({"task_id": 5})),
        ("transaction.view_all", json!({"limit": "ten", "offset": 0})),
        ("user.view", json!({"surprise": true})),
        ("stripe.buy", json!({"amount": -5, "return_path": "wallet"})),
        ("no.such_tool", json!({})),
    ] {
        match call(&client, tool, arguments.clone()).await {
            Err(ServiceError::McpError(error)) => {
                assert_eq!(error.code.0, -32602, "{tool} {arguments}: invalid params")
            }
            other => panic!("{tool} {arguments}: {other:?}"),
        }
    }
    client.cancel().await.unwrap();
}

async fn credentials_are_checked_before_any_mcp_message(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = funded(&app, "ada@example.com", "50").await;
    let grace = app.register_active("grace@example.com").await;
    let base = serve(&app).await;
    let http = reqwest::Client::new();
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}});
    let post = |auth: Option<String>, user_id: Option<String>| {
        let mut request = http
            .post(format!("{base}/mcp"))
            .header("accept", "application/json, text/event-stream")
            .json(&initialize);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        if let Some(user_id) = user_id {
            request = request.header("user-id", user_id);
        }
        async move { request.send().await.unwrap() }
    };
    let unauthorized = "Authorization header or OTP is either missing, invalid or expired.";
    for auth in [None, Some("Bearer clara_api_forged".to_string())] {
        let reply = post(auth, None).await;
        assert_eq!(reply.status(), StatusCode::UNAUTHORIZED);
        let body: Value = reply.json().await.unwrap();
        assert_eq!(
            body,
            json!({"data": null, "message": unauthorized, "status": "error"})
        );
    }
    let forbidden = "You do not have access to the requested resource.";
    for (auth, user_id) in [
        (app.private_key(), None),
        (app.public_key(), None),
        (Client::bearer(&ada), Some(id_of(&grace))),
    ] {
        let reply = post(Some(auth), user_id).await;
        assert_eq!(reply.status(), StatusCode::FORBIDDEN);
        let body: Value = reply.json().await.unwrap();
        assert_eq!(body["message"], forbidden);
    }
    // A user token works as well as an API key.
    let token = Client::bearer(&ada)
        .trim_start_matches("Bearer ")
        .to_string();
    let client = connect(&base, &token, Some(&id_of(&ada))).await.unwrap();
    let (user, _) = envelope(&call(&client, "user.view", json!({})).await.unwrap());
    assert_eq!(user["data"]["email"], "ada@example.com");
    client.cancel().await.unwrap();
}

async fn mcp_calls_count_against_the_keys_rate_limit(backend: Backend) {
    let app = TestApp::with_mail_adjusted(backend, |s| s.rate_limit_per_second = 3).await;
    let ada = funded(&app, "ada@example.com", "50").await;
    let key = api_key(&app, &ada).await;
    let base = serve(&app).await;
    let http = reqwest::Client::new();
    // Spend the key's budget on REST calls; MCP on the same key is then refused.
    let rest = format!("{base}/api/v1/users/{}", id_of(&ada));
    for _ in 0..10 {
        http.get(&rest).bearer_auth(&key).send().await.unwrap();
    }
    let reply = http
        .post(format!("{base}/mcp"))
        .bearer_auth(&key)
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::TOO_MANY_REQUESTS);
}
