//! The Task's decisions about its runs: who may take it, keep it, and end it.

use super::aggregate::{Task, TaskError, TaskStatus, MAX_RUNS};
use super::{Attachment, TaskEvent};

impl Task {
    pub(super) fn create(
        &self,
        user_id: String,
        price: i64,
        content: String,
        attachments: Vec<Attachment>,
    ) -> Result<TaskEvent, TaskError> {
        if self.status != TaskStatus::New {
            return Err(TaskError::AlreadyCreated);
        }
        Ok(TaskEvent::Created {
            user_id,
            price,
            content,
            attachments,
        })
    }

    pub(super) fn take(
        &self,
        worker: String,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<TaskEvent, TaskError> {
        match self.status {
            TaskStatus::New => return Err(TaskError::NotFound),
            TaskStatus::Completed | TaskStatus::Failed => return Err(TaskError::Ended),
            TaskStatus::Running if now_ms < self.lease_until_ms => {
                return Err(TaskError::LeaseHeld)
            }
            TaskStatus::Running if self.attempts >= MAX_RUNS => {
                let reason = format!(
                    "The agent stopped before finishing {MAX_RUNS} times; the charge was refunded."
                );
                return Ok(TaskEvent::Failed { reason });
            }
            TaskStatus::Pending | TaskStatus::Running => {}
        }
        Ok(TaskEvent::Started {
            worker,
            attempt: self.attempts + 1,
            lease_until_ms: now_ms.saturating_add(lease_ms),
        })
    }

    pub(super) fn renew(
        &self,
        attempt: u32,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<TaskEvent, TaskError> {
        self.running(attempt)?;
        Ok(TaskEvent::LeaseRenewed {
            attempt,
            lease_until_ms: now_ms.saturating_add(lease_ms),
        })
    }

    /// Only the task's current run may renew or end it: a run whose lease ran out and was
    /// taken over must not write over its successor.
    pub(super) fn running(&self, attempt: u32) -> Result<(), TaskError> {
        match self.status {
            TaskStatus::New => Err(TaskError::NotFound),
            TaskStatus::Completed | TaskStatus::Failed => Err(TaskError::Ended),
            TaskStatus::Running if attempt == self.attempts => Ok(()),
            TaskStatus::Pending | TaskStatus::Running => Err(TaskError::LeaseLost),
        }
    }
}
