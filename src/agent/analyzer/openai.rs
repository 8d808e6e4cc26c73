//! The analyzer that asks an OpenAI-compatible chat-completions server (OpenAI, vLLM,
//! Ollama, llama.cpp): the text and images go in one request, and the reply must be the
//! result's JSON, else the task fails. The API key comes from the environment and is never
//! logged or shown.

use std::time::Duration;

use axum::body::Bytes;
use base64::Engine;
use clara_aggregates::{Attachment, Claim};
use serde::Deserialize;
use serde_json::{json, Value};

use super::extract::attachment_texts;
use super::{AnalysisFailed, Analyzer, Input, Judgement};

pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

const INSTRUCTIONS: &str = "You check information. Read the user's text and attachments, \
find the factual claims in them and judge each. Answer with one JSON object and nothing \
else: {\"summary\": \"<two or three sentences>\", \"claims\": [{\"text\": \"<the claim as \
written>\", \"verdict\": \"true\" | \"false\" | \"misleading\" | \"unverifiable\", \
\"explanation\": \"<why>\"}]}.";

#[derive(Clone, Default)]
pub struct OpenAiSettings {
    pub base_url: String,
    pub api_key: Option<String>,
    pub model: String,
}

/// Shows whether a key is set, never the key.
impl std::fmt::Debug for OpenAiSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiSettings")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "[set]"))
            .field("model", &self.model)
            .finish()
    }
}

pub struct OpenAi {
    client: reqwest::Client,
    settings: OpenAiSettings,
}

/// The JSON a model must answer.
#[derive(Deserialize)]
struct Reply {
    summary: String,
    claims: Vec<Claim>,
}

impl OpenAi {
    /// The whole request is bounded by the run's time limit (`AGENT_TIMEOUT_SECONDS`), which
    /// the runner enforces; here only a connection that cannot be made fails early.
    pub fn new(settings: OpenAiSettings) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .build()?;
        Ok(Self { client, settings })
    }
}

/// The chat-completions request for `input`: one text part with the content and every
/// attachment's text, then each image as a data URL. CPU work on large files.
fn request_body(model: &str, content: &str, attachments: &[(Attachment, Bytes)]) -> Value {
    let mut text = content.to_string();
    for (name, extracted) in attachment_texts(attachments) {
        text.push_str(&format!("\n\n--- {name} ---\n{extracted}"));
    }
    let mut parts = vec![json!({"type": "text", "text": text})];
    for (attachment, bytes) in attachments {
        if attachment.category == "image" {
            let mime = infer::get(bytes).map_or("image/png", |kind| kind.mime_type());
            let data = base64::engine::general_purpose::STANDARD.encode(bytes);
            let url = format!("data:{mime};base64,{data}");
            parts.push(json!({"type": "image_url", "image_url": {"url": url}}));
        }
    }
    json!({
        "model": model,
        "messages": [
            {"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": parts},
        ],
        "response_format": {"type": "json_object"},
    })
}

#[async_trait::async_trait]
impl Analyzer for OpenAi {
    fn name(&self) -> &'static str {
        "openai"
    }

    fn missing_setting(&self) -> Option<&'static str> {
        let at_openai = self.settings.base_url.trim_end_matches('/') == OPENAI_BASE_URL;
        if at_openai && self.settings.api_key.is_none() {
            Some("OPENAI_API_KEY")
        } else if self.settings.model.is_empty() {
            Some("OPENAI_MODEL")
        } else {
            None
        }
    }

    async fn analyze(&self, input: &Input) -> Result<Judgement, AnalysisFailed> {
        let url = format!(
            "{}/chat/completions",
            self.settings.base_url.trim_end_matches('/')
        );
        let (model, content) = (self.settings.model.clone(), input.content.clone());
        let attachments = input.attachments.clone();
        let body =
            tokio::task::spawn_blocking(move || request_body(&model, &content, &attachments))
                .await
                .map_err(|_| AnalysisFailed("The analysis stopped unexpectedly.".into()))?;
        let mut request = self.client.post(url).json(&body);
        if let Some(key) = &self.settings.api_key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.map_err(|error| {
            let why = if error.is_timeout() {
                "did not answer in time"
            } else {
                "could not be reached"
            };
            tracing::warn!(error = %error.without_url(), "the analyzer's server {why}");
            AnalysisFailed(format!("The analysis server {why}."))
        })?;
        let status = response.status();
        if !status.is_success() {
            tracing::warn!(%status, "the analyzer's server refused the request");
            return Err(AnalysisFailed(format!(
                "The analysis server answered HTTP {}.",
                status.as_u16()
            )));
        }
        let body: Value = response
            .json()
            .await
            .map_err(|_| AnalysisFailed("The analysis server's answer was not JSON.".into()))?;
        parse_reply(&body)
    }
}

/// The judgement in a chat-completions answer: its first choice's message must be the
/// result's JSON.
fn parse_reply(body: &Value) -> Result<Judgement, AnalysisFailed> {
    let malformed =
        || AnalysisFailed("The analysis server's answer was not a valid result.".into());
    let content = body
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .ok_or_else(malformed)?;
    let reply: Reply = serde_json::from_str(content).map_err(|_| malformed())?;
    Ok(Judgement {
        summary: reply.summary,
        claims: reply.claims,
    })
}

#[cfg(test)]
mod tests {
    use super::parse_reply;
    use serde_json::json;

    #[test]
    fn a_reply_must_be_the_result_json_with_known_verdicts() {
        let answer = |content: &str| json!({"choices": [{"message": {"content": content}}]});
        let good = answer(
            r#"{"summary": "S", "claims": [{"text": "T", "verdict": "false", "explanation": "E"}]}"#,
        );
        assert_eq!(parse_reply(&good).unwrap().claims.len(), 1);
        let unknown = answer(
            r#"{"summary": "S", "claims": [{"text": "T", "verdict": "maybe", "explanation": "E"}]}"#,
        );
        assert!(parse_reply(&unknown).is_err());
        assert!(parse_reply(&answer("Sure! Here it is")).is_err());
        assert!(parse_reply(&json!({"error": "x"})).is_err());
    }
}
