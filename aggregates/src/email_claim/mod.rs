//! EmailClaim: keeps e-mail addresses unique across User aggregates without a unique index on
//! a view. Its aggregate id is the normalised address; the first claim to commit wins on the
//! event table's primary key, and the loser re-reads the claim and is refused.

mod aggregate;
#[cfg(test)]
mod tests;

pub use aggregate::{
    EmailClaim, EmailClaimCommand, EmailClaimError, EmailClaimEvent, STALE_CLAIM_AFTER_MS,
};
