//! How a task's input is judged: one trait, an offline analyzer and one that asks any
//! OpenAI-compatible chat-completions server.

mod builtin;
pub mod extract;
mod openai;

use axum::body::Bytes;
use clara_aggregates::{Attachment, Claim};

pub use builtin::Builtin;
pub use openai::{OpenAi, OpenAiSettings, OPENAI_BASE_URL};

/// What a task was given to read.
pub struct Input {
    pub content: String,
    pub attachments: Vec<(Attachment, Bytes)>,
}

/// An analyzer's verdict on an input; the service adds the attachment inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    pub summary: String,
    pub claims: Vec<Claim>,
}

/// Why an analysis failed, in words the task's owner can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AnalysisFailed(pub String);

#[async_trait::async_trait]
pub trait Analyzer: Send + Sync {
    /// `builtin` or `openai`, as results name it.
    fn name(&self) -> &'static str;

    /// The setting the analyzer cannot work without, when it is missing.
    fn missing_setting(&self) -> Option<&'static str> {
        None
    }

    async fn analyze(&self, input: &Input) -> Result<Judgement, AnalysisFailed>;
}
