//! Clara's agent: the attachments it reads, where they are kept, how tasks are submitted,
//! run by workers, and judged by an analyzer.

pub mod analyzer;
pub mod attachments;
mod run;
pub mod runner;
pub mod store;
pub mod tasks;

use std::time::Duration;

use analyzer::OpenAiSettings;

/// Which analyzer judges tasks.
#[derive(Clone, Debug)]
pub enum AnalyzerChoice {
    Builtin,
    OpenAi(OpenAiSettings),
}

/// The agent's configuration (`AGENT_*`, `OPENAI_*`, `ATTACHMENTS_URL`).
#[derive(Clone, Debug)]
pub struct AgentSettings {
    pub analyzer: AnalyzerChoice,
    /// Price of one analysis, in hundredths of a credit.
    pub price: i64,
    /// Largest attachment accepted; a request may carry five of them and 1 MB more.
    pub max_file_bytes: usize,
    /// Longest a run may take before the task fails.
    pub timeout: Duration,
    /// How long a run's lease lasts without renewal: a dead worker's task is retaken after it.
    pub lease: Duration,
    /// Workers per process.
    pub workers: usize,
    /// `file://…`, `s3://bucket/prefix` or a folder path.
    pub attachments_url: String,
}

impl Default for AgentSettings {
    fn default() -> Self {
        Self {
            analyzer: AnalyzerChoice::Builtin,
            price: 2_000,
            max_file_bytes: 25 * 1024 * 1024,
            timeout: Duration::from_secs(120),
            lease: Duration::from_secs(60),
            workers: 2,
            attachments_url: "attachments".into(),
        }
    }
}

impl AgentSettings {
    /// The largest request Analysis accepts: five files at the limit and 1 MB for the rest.
    pub fn max_request_bytes(&self) -> usize {
        self.max_file_bytes
            .saturating_mul(5)
            .saturating_add(1024 * 1024)
    }
}
