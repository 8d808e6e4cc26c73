//! What a task reads and what it answers: the attachments it was given and the analysis it
//! ends with, in the shapes the Task routes show.

use serde::{Deserialize, Serialize};

/// An attachment as received: stored by its content's SHA-256, never under `name`, which is
/// only the client's label for it (and whose extension its bytes were checked against).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub name: String,
    /// `audio`, `document`, `image` or `video`.
    pub category: String,
    pub bytes: u64,
    pub sha256: String,
}

/// How a claim was judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    True,
    False,
    Misleading,
    Unverifiable,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub explanation: String,
    pub text: String,
    pub verdict: Verdict,
}

/// A completed task's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(Default))]
pub struct Analysis {
    /// `builtin` or `openai`.
    pub analyzer: String,
    pub attachments: Vec<Attachment>,
    pub claims: Vec<Claim>,
    pub summary: String,
}
