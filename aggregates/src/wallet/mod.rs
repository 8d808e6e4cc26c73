//! Wallet: one per user (same id as the user). The ledger of credits and debits, including
//! what agent analyses are charged and refunded. Every entry carries the resulting balance.

mod aggregate;
mod decide;
mod events;
#[cfg(test)]
mod purchase_tests;
#[cfg(test)]
mod tests;

pub use aggregate::{Wallet, WalletCommand, WalletError};
pub use events::{Paid, WalletEvent};
