//! Events of the Task aggregate.

use cqrs_es::DomainEvent;
use serde::{Deserialize, Serialize};

use super::{Analysis, Attachment};
use crate::redaction::{Redaction, Shown};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(strum::EnumIter))]
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

/// A task's input and result are its owner's own: every field is shown to them.
impl Redaction for TaskEvent {
    const FIELDS: &'static [(&'static str, &'static str, Shown)] = &[
        ("Created", "user_id", Shown::Kept),
        ("Created", "price", Shown::Kept),
        ("Created", "content", Shown::Personal),
        ("Created", "attachments", Shown::Kept),
        ("Started", "worker", Shown::Kept),
        ("Started", "attempt", Shown::Kept),
        ("Started", "lease_until_ms", Shown::Kept),
        ("LeaseRenewed", "attempt", Shown::Kept),
        ("LeaseRenewed", "lease_until_ms", Shown::Kept),
        ("Completed", "analysis", Shown::Kept),
        ("Failed", "reason", Shown::Kept),
    ];
}
