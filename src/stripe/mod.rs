//! Stripe: buying credits through Checkout, and the webhook that settles paid Checkout
//! sessions into credits.

pub mod api;
pub mod purchase;
pub mod rates;
pub mod settle;
pub mod signature;

/// Where Stripe sends buyers back to, and through which API.
pub struct StripeSettings {
    pub api: api::StripeApi,
    pub client_url: String,
}
