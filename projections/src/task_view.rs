//! Tasks as the Task routes show them, and the queue workers take them from.

use clara_aggregates::TaskEvent;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::{Recorded, View};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskView {
    pub id: String,
    pub user_id: String,
    /// `PENDING`, `RUNNING`, `COMPLETED` or `FAILED`.
    pub status: String,
    /// The analysis once completed, `{"error": …}` once failed.
    pub result: Option<Value>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// Log position of its creation: a user's tasks are listed in that order.
    pub created_position: i64,
    pub position: i64,
}

impl View for TaskView {
    const TABLE: &'static str = "task_views";

    fn keys(&self) -> (&str, i64, i64) {
        (&self.user_id, self.created_position, self.position)
    }
}

impl TaskView {
    pub fn apply(&mut self, at: &Recorded, event: &TaskEvent) {
        match event {
            TaskEvent::Created { user_id, .. } => {
                self.id = at.aggregate_id.clone();
                self.user_id = user_id.clone();
                self.status = "PENDING".into();
                self.created_at_ms = at.recorded_at_ms;
                self.created_position = at.position;
            }
            TaskEvent::Started { .. } => self.status = "RUNNING".into(),
            // Only workers care how long a run may last.
            TaskEvent::LeaseRenewed { .. } => return,
            TaskEvent::Completed { analysis } => {
                self.status = "COMPLETED".into();
                self.result = serde_json::to_value(analysis).ok();
            }
            TaskEvent::Failed { reason } => {
                self.status = "FAILED".into();
                self.result = Some(json!({ "error": reason }));
            }
        }
        self.updated_at_ms = at.recorded_at_ms;
        self.position = at.position;
    }
}

/// A task's place in the work queue: due once created, again when its run's lease runs
/// out, never once it has ended. Workers take due tasks oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedTask {
    pub user_id: String,
    pub due_at_ms: i64,
    pub position: i64,
}

impl View for QueuedTask {
    const TABLE: &'static str = "task_queue";

    fn keys(&self) -> (&str, i64, i64) {
        (&self.user_id, self.due_at_ms, self.position)
    }
}

impl QueuedTask {
    pub fn apply(&mut self, at: &Recorded, event: &TaskEvent) {
        self.due_at_ms = match event {
            TaskEvent::Created { user_id, .. } => {
                self.user_id = user_id.clone();
                at.recorded_at_ms
            }
            TaskEvent::Started { lease_until_ms, .. }
            | TaskEvent::LeaseRenewed { lease_until_ms, .. } => *lease_until_ms,
            TaskEvent::Completed { .. } | TaskEvent::Failed { .. } => i64::MAX,
        };
        self.position = at.position;
    }
}
