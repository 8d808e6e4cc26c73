//! Events of the Task aggregate.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{Analysis, Attachment};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskEvent {
    /// A paid analysis waits for a worker. `price` is what the wallet was charged with it.
    Created {
        user_id: String,
        price: i64,
        content: String,
        attachments: Vec<Attachment>,
    },
    /// A worker took the task: its `attempt`-th run, which nobody else may take over until
    /// `lease_until_ms` unless it renews the lease.
    Started {
        worker: String,
        attempt: u32,
        lease_until_ms: i64,
    },
    /// The running worker is still at it.
    LeaseRenewed {
        attempt: u32,
        lease_until_ms: i64,
    },
    Completed {
        analysis: Analysis,
    },
    /// The task ended without a result; its charge is refunded in the same commit.
    Failed {
        reason: String,
    },
}

impl DomainEvent for TaskEvent {
    fn event_type(&self) -> String {
        match self {
            TaskEvent::Created { .. } => "Created",
            TaskEvent::Started { .. } => "Started",
            TaskEvent::LeaseRenewed { .. } => "LeaseRenewed",
            TaskEvent::Completed { .. } => "Completed",
            TaskEvent::Failed { .. } => "Failed",
        }
        .to_string()
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}
