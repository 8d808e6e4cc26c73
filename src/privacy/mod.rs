//! Personal data and the log: what stands for it there, and the one-time rewrite of logs
//! written before it did.

pub mod claim_ids;
pub mod upgrade;
