//! State and commands of the Task aggregate, and how its events change it.

use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};

use super::{Analysis, Attachment, TaskEvent};

/// Runs a task may start; a worker dying during the last one fails the task.
pub const MAX_RUNS: u32 = 3;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskCommand {
    Create {
        user_id: String,
        price: i64,
        content: String,
        attachments: Vec<Attachment>,
    },
    /// A worker asks to run the task: granted when it waits, or when the last run's lease
    /// ran out (then, after [`MAX_RUNS`] runs, the task fails instead).
    Take {
        worker: String,
        now_ms: i64,
        lease_ms: i64,
    },
    /// The running worker keeps its lease.
    Renew {
        attempt: u32,
        now_ms: i64,
        lease_ms: i64,
    },
    Complete {
        attempt: u32,
        analysis: Analysis,
    },
    Fail {
        attempt: u32,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TaskError {
    #[error("the task already exists")]
    AlreadyCreated,
    #[error("no such task")]
    NotFound,
    #[error("another worker holds the task's lease")]
    LeaseHeld,
    /// The run this worker made is no longer the task's current one.
    #[error("the run's lease was lost to another attempt")]
    LeaseLost,
    #[error("the task has ended")]
    Ended,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) enum TaskStatus {
    #[default]
    New,
    Pending,
    Running,
    Completed,
    Failed,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Task {
    pub(super) status: TaskStatus,
    pub(super) user_id: String,
    pub(super) price: i64,
    pub(super) attempts: u32,
    pub(super) lease_until_ms: i64,
}

impl Task {
    /// The owner, whose wallet paid for it.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// What the wallet was charged, and is refunded should the task fail.
    pub fn price(&self) -> i64 {
        self.price
    }
}

impl Aggregate for Task {
    const TYPE: &'static str = "Task";
    type Command = TaskCommand;
    type Event = TaskEvent;
    type Error = TaskError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        let event = match command {
            TaskCommand::Create {
                user_id,
                price,
                content,
                attachments,
            } => self.create(user_id, price, content, attachments)?,
            TaskCommand::Take {
                worker,
                now_ms,
                lease_ms,
            } => self.take(worker, now_ms, lease_ms)?,
            TaskCommand::Renew {
                attempt,
                now_ms,
                lease_ms,
            } => self.renew(attempt, now_ms, lease_ms)?,
            TaskCommand::Complete { attempt, analysis } => {
                self.running(attempt)?;
                TaskEvent::Completed { analysis }
            }
            TaskCommand::Fail { attempt, reason } => {
                self.running(attempt)?;
                TaskEvent::Failed { reason }
            }
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            TaskEvent::Created { user_id, price, .. } => {
                self.status = TaskStatus::Pending;
                self.user_id = user_id;
                self.price = price;
            }
            TaskEvent::Started {
                attempt,
                lease_until_ms,
                ..
            } => {
                self.status = TaskStatus::Running;
                self.attempts = attempt;
                self.lease_until_ms = lease_until_ms;
            }
            TaskEvent::LeaseRenewed { lease_until_ms, .. } => self.lease_until_ms = lease_until_ms,
            TaskEvent::Completed { .. } => self.status = TaskStatus::Completed,
            TaskEvent::Failed { .. } => self.status = TaskStatus::Failed,
        }
    }
}
