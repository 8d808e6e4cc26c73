//! Stripe: the webhook that settles paid Checkout sessions into credits.

pub mod api;
pub mod purchase;
pub mod rates;
pub mod settle;
pub mod signature;
