//! The Stripe API calls Clara makes, through async-stripe: requests are built from its typed
//! parameters; answers are read for the few fields used, so a field Stripe adds or drops
//! elsewhere cannot break a purchase. Every call carries an Idempotency-Key.

use std::collections::HashMap;

use serde_json::Value;
use stripe::{
    CheckoutSessionMode, Client, CreateBillingPortalSession, CreateCheckoutSession,
    CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionLineItemsPriceDataProductData, CreateCustomer, Currency, CustomerId,
    RequestStrategy,
};

use crate::error::AppError;

pub struct StripeApi {
    client: Client,
}

/// A Checkout session to create for a purchase.
pub struct Checkout<'a> {
    pub customer: &'a str,
    pub dollars: u64,
    pub price_id: Option<&'a str>,
    pub success_url: &'a str,
    pub cancel_url: &'a str,
    /// Our purchase id, for Stripe's dashboard and its events.
    pub client_reference_id: &'a str,
    pub metadata: HashMap<String, String>,
}

fn unavailable(e: impl std::fmt::Display) -> AppError {
    AppError::Unavailable(format!("Stripe: {e}"))
}

/// A string field of Stripe's answer.
fn field(answer: &Value, name: &str) -> Result<String, AppError> {
    answer[name]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| unavailable(format!("the answer has no {name}")))
}

impl StripeApi {
    pub fn new(secret_key: &str, api_base: &str) -> Self {
        Self {
            client: Client::from_url(api_base, secret_key),
        }
    }

    fn with_key(&self, key: String) -> Client {
        self.client
            .clone()
            .with_strategy(RequestStrategy::Idempotent(key))
    }

    /// Creates the Stripe customer of `user_id`. The key is the user's, so two concurrent
    /// first purchases create one customer.
    pub async fn create_customer(&self, user_id: &str, email: &str) -> Result<String, AppError> {
        let params = CreateCustomer {
            email: Some(email),
            metadata: Some(HashMap::from([(
                "user_id".to_string(),
                user_id.to_string(),
            )])),
            ..Default::default()
        };
        let client = self.with_key(format!("clara-customer-{user_id}"));
        let answer: Value = client
            .post_form("/customers", &params)
            .await
            .map_err(unavailable)?;
        field(&answer, "id")
    }

    /// Creates a Checkout session; returns its id and the URL to send the buyer to.
    pub async fn create_checkout(
        &self,
        checkout: Checkout<'_>,
    ) -> Result<(String, String), AppError> {
        let line = match checkout.price_id {
            Some(price) => CreateCheckoutSessionLineItems {
                price: Some(price.to_string()),
                quantity: Some(checkout.dollars),
                ..Default::default()
            },
            None => CreateCheckoutSessionLineItems {
                price_data: Some(CreateCheckoutSessionLineItemsPriceData {
                    currency: Currency::USD,
                    unit_amount: Some(100),
                    product_data: Some(CreateCheckoutSessionLineItemsPriceDataProductData {
                        name: "Clara credits".to_string(),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                quantity: Some(checkout.dollars),
                ..Default::default()
            },
        };
        let mut params = CreateCheckoutSession::new();
        params.customer = Some(
            checkout
                .customer
                .parse::<CustomerId>()
                .map_err(unavailable)?,
        );
        params.mode = Some(CheckoutSessionMode::Payment);
        params.line_items = Some(vec![line]);
        params.success_url = Some(checkout.success_url);
        params.cancel_url = Some(checkout.cancel_url);
        params.client_reference_id = Some(checkout.client_reference_id);
        params.metadata = Some(checkout.metadata);
        let client = self.with_key(crate::ids::new_id("clara-checkout"));
        let answer: Value = client
            .post_form("/checkout/sessions", &params)
            .await
            .map_err(unavailable)?;
        Ok((field(&answer, "id")?, field(&answer, "url")?))
    }

    /// Creates a billing-portal session for `customer`; returns its URL.
    pub async fn create_portal(
        &self,
        customer: &str,
        return_url: &str,
    ) -> Result<String, AppError> {
        let mut params =
            CreateBillingPortalSession::new(customer.parse::<CustomerId>().map_err(unavailable)?);
        params.return_url = Some(return_url);
        let client = self.with_key(crate::ids::new_id("clara-portal"));
        let answer: Value = client
            .post_form("/billing_portal/sessions", &params)
            .await
            .map_err(unavailable)?;
        field(&answer, "url")
    }
}
