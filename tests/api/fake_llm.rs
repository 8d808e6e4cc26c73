//! A stand-in for an OpenAI-compatible server on loopback: answers chat completions as told
//! (a result, HTTP 500, prose instead of JSON, or too late) and keeps each request it got.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Answer,
    ServerError,
    Prose,
    /// Never answers in time.
    Stall,
}

/// A request as received: its `Authorization` header and JSON body.
#[derive(Debug, Clone)]
pub struct Received {
    pub authorization: Option<String>,
    pub body: Value,
}

#[derive(Clone)]
pub struct FakeLlm {
    pub base_url: String,
    mode: Arc<Mutex<Mode>>,
    received: Arc<Mutex<Vec<Received>>>,
}

impl FakeLlm {
    pub async fn start(mode: Mode) -> Self {
        let fake = FakeLlm {
            base_url: String::new(),
            mode: Arc::new(Mutex::new(mode)),
            received: Arc::default(),
        };
        let app = Router::new()
            .route("/v1/chat/completions", post(complete))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeLlm {
            base_url: format!("http://{address}/v1"),
            ..fake
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

/// The result the fake's model answers.
pub fn answer() -> Value {
    json!({
        "summary": "One claim, and it is wrong.",
        "claims": [{"text": "The moon is made of cheese.", "verdict": "false", "explanation": "It is rock."}]
    })
}

async fn complete(
    State(fake): State<FakeLlm>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    fake.received.lock().unwrap().push(Received {
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body,
    });
    let mode = *fake.mode.lock().unwrap();
    let reply = |content: String| {
        Json(json!({"id": "chatcmpl-1", "object": "chat.completion", "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
        ]}))
        .into_response()
    };
    match mode {
        Mode::Answer => reply(answer().to_string()),
        Mode::ServerError => (StatusCode::INTERNAL_SERVER_ERROR, "overloaded").into_response(),
        Mode::Prose => reply("Sure! The moon is made of rock.".into()),
        Mode::Stall => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            reply(answer().to_string())
        }
    }
}
