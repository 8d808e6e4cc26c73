//! Clara's pure domain: event-sourced aggregates, their commands, events and typed errors.
//!
//! Nothing here performs I/O. Facts from outside (a password hash, whether another aggregate
//! exists, the current time) are resolved by the service before a command is built, so every
//! rule can be tested with given/when/then alone.

pub mod email_claim;
pub mod money;
pub mod names;
pub mod redaction;
mod refusal;
pub mod task;
pub mod upcast;
pub mod user;
pub mod wallet;

pub use email_claim::{
    EmailClaim, EmailClaimCommand, EmailClaimError, EmailClaimEvent, STALE_CLAIM_AFTER_MS,
};
pub use refusal::Refusals;
pub use task::{Analysis, Attachment, Claim, Task, TaskCommand, TaskError, TaskEvent, Verdict};
pub use user::{
    Check, FailedAttempt, NewOtp, NewSession, OtpType, Presented, SecondFactor, User, UserCommand,
    UserError, UserEvent, FORGET_SESSIONS_AFTER_MS, MAX_OPEN_SESSIONS,
};
pub use wallet::{Paid, Wallet, WalletCommand, WalletError, WalletEvent};
