//! Task: one agent analysis (id `task_…`), from its paid creation through the attempts that
//! run it to its result or its failure. Its charge and refund are the Wallet's events,
//! committed in the same transactions as the task's creation and failure.

mod aggregate;
mod analysis;
mod events;
mod run;
#[cfg(test)]
mod tests;

pub use aggregate::{Task, TaskCommand, TaskError, MAX_RUNS};
pub use analysis::{Analysis, Attachment, Claim, Verdict};
pub use events::TaskEvent;
