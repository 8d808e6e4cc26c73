//! The audit side of the log: an account's history, the state of a user at any instant,
//! and the whole log exported in order; every event shown upcast to its current shape and
//! redacted by its type's decisions.

pub mod as_of;
pub mod export;
pub mod history;
mod record;

pub use record::AuditEvent;
