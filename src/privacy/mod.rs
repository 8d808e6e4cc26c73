//! Personal data and the log: what stands for it there (hashed claim ids, values sealed
//! under each person's own key), and the one-time rewrite of logs written before.

pub mod aead;
pub mod claim_ids;
pub mod kept_keys;
pub mod keys;
pub mod upgrade;
