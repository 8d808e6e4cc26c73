//! Buy and Portal against a stand-in for Stripe's API on loopback: the production client
//! talks to it over HTTP, and the tests assert the form parameters and headers it sent.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use serde_json::{json, Value};

use crate::support::{assert_error, Backend, Reply, TestApp};

crate::on_both_backends!(
    buying_creates_one_customer_and_a_checkout_session_with_its_metadata,
    buy_refuses_amounts_outside_the_tiers_and_bad_bodies,
    the_portal_opens_for_the_customer,
    buy_and_portal_need_stripe_configured
);

/// One request the stand-in received: path, Idempotency-Key, Authorization, form fields.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    idempotency_key: Option<String>,
    authorization: String,
    form: HashMap<String, String>,
}

type Log = Arc<Mutex<Vec<Seen>>>;

async fn stripe_stand_in() -> (String, Log) {
    async fn answer(
        State(log): State<Log>,
        uri: Uri,
        headers: HeaderMap,
        axum::Form(form): axum::Form<HashMap<String, String>>,
    ) -> axum::Json<Value> {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let mut seen = log.lock().unwrap();
        seen.push(Seen {
            path: uri.path().to_string(),
            idempotency_key: header("idempotency-key"),
            authorization: header("authorization").unwrap_or_default(),
            form,
        });
        // Sessions are numbered from 1, as Stripe gives each its own id.
        let sessions = seen
            .iter()
            .filter(|s| s.path == "/v1/checkout/sessions")
            .count();
        axum::Json(match uri.path() {
            "/v1/customers" => json!({"id": "cus_test_1", "object": "customer"}),
            "/v1/checkout/sessions" => {
                let id = format!("cs_test_{sessions}");
                json!({"id": id, "object": "checkout.session", "url": format!("https://checkout.stripe.test/{id}")})
            }
            _ => {
                json!({"id": "bps_test_1", "object": "billing_portal.session", "url": "https://billing.stripe.test/bps_test_1"})
            }
        })
    }
    let log: Log = Arc::default();
    let router = axum::Router::new()
        .fallback(axum::routing::post(answer))
        .with_state(log.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (base, log)
}

async fn app_with_stripe(backend: Backend) -> (TestApp, Log) {
    let (base, log) = stripe_stand_in().await;
    let app = TestApp::with_mail_adjusted(backend, |settings| {
        settings.stripe_api = Some((
            "sk_test_clara".into(),
            base,
            "https://app.example.com".into(),
        ));
    })
    .await;
    (app, log)
}

async fn buy(app: &TestApp, user: &Reply, body: &str) -> Reply {
    app.as_user(Method::POST, "/api/v1/stripe/buy", user, Some(body))
        .await
}

async fn buying_creates_one_customer_and_a_checkout_session_with_its_metadata(backend: Backend) {
    let (app, log) = app_with_stripe(backend).await;
    let ada = app.register_active("ada@example.com").await;
    let user_id = ada.json["data"]["id"].as_str().unwrap().to_string();
    let reply = buy(&app, &ada, r#"{"amount": 5, "return_path": "wallet"}"#).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(
        reply.json["message"],
        "Checkout session created successfully."
    );
    assert_eq!(
        reply.json["data"],
        json!({"return_path": "wallet", "url": "https://checkout.stripe.test/cs_test_1", "value_in_credits": 500.0, "value_in_fiat": 5.0})
    );
    assert_eq!(
        buy(&app, &ada, r#"{"amount": 7, "return_path": "wallet"}"#)
            .await
            .status,
        StatusCode::CREATED
    );

    let seen = log.lock().unwrap().clone();
    let customers: Vec<&Seen> = seen.iter().filter(|s| s.path == "/v1/customers").collect();
    assert_eq!(
        customers.len(),
        1,
        "the customer is created once and remembered"
    );
    assert_eq!(customers[0].form["email"], "ada@example.com");
    assert_eq!(customers[0].form["metadata[user_id]"], user_id);
    assert_eq!(app.count_events(Some("StripeCustomerLinked")).await, 1);
    let checkout = seen
        .iter()
        .find(|s| s.path == "/v1/checkout/sessions")
        .unwrap();
    assert_eq!(checkout.authorization, "Bearer sk_test_clara");
    assert!(
        seen.iter().all(|s| s.idempotency_key.is_some()),
        "every call carries an Idempotency-Key"
    );
    let form = &checkout.form;
    assert_eq!(form["customer"], "cus_test_1");
    assert_eq!(form["mode"], "payment");
    assert_eq!(
        form["success_url"],
        "https://app.example.com/wallet?stripe_status=success"
    );
    assert_eq!(
        form["cancel_url"],
        "https://app.example.com/wallet?stripe_status=cancel"
    );
    assert_eq!(form["metadata[user_id]"], user_id);
    let purchase_id = form["client_reference_id"].clone();
    assert!(purchase_id.starts_with("purchase_"), "{purchase_id}");
    assert_eq!(form["metadata[purchase_id]"], purchase_id);
    assert_eq!(
        app.count_events(Some("PurchaseRecorded")).await,
        2,
        "each purchase is in the log before the buyer pays"
    );
    let recorded: String = clara::with_pool!(app.db(), pool =>
        sqlx::query_scalar("SELECT CAST(payload AS TEXT) FROM events WHERE event_type = 'PurchaseRecorded' ORDER BY position LIMIT 1").fetch_one(pool).await.unwrap());
    for fact in [purchase_id.as_str(), "cs_test_1", "50000", "500"] {
        assert!(recorded.contains(fact), "{recorded} lacks {fact}");
    }
    assert_eq!(form["metadata[credits]"], "500.0");
    assert_eq!(form["metadata[fiat]"], "5.0");
    assert_eq!(form["line_items[0][quantity]"], "5");
    assert_eq!(form["line_items[0][price_data][unit_amount]"], "100");
    assert_eq!(form["line_items[0][price_data][currency]"], "usd");
    assert_eq!(
        app.count_events(Some("Credited")).await,
        0,
        "credits come only from the webhook"
    );
}

async fn buy_refuses_amounts_outside_the_tiers_and_bad_bodies(backend: Backend) {
    let (app, log) = app_with_stripe(backend).await;
    let ada = app.register_active("ada@example.com").await;
    for amount in ["4", "10001"] {
        let reply = buy(
            &app,
            &ada,
            &format!(r#"{{"amount": {amount}, "return_path": "w"}}"#),
        )
        .await;
        assert_error(
            &reply,
            StatusCode::NOT_FOUND,
            "No credits rate found for the given amount.",
        );
    }
    for body in [
        r#"{"amount": "5", "return_path": "w"}"#,
        r#"{"amount": 5.5, "return_path": "w"}"#,
        r#"{"amount": -5, "return_path": "w"}"#,
        r#"{"amount": 5}"#,
    ] {
        assert_error(
            &buy(&app, &ada, body).await,
            StatusCode::BAD_REQUEST,
            "One or more required parameters are either not given or have invalid schema.",
        );
    }
    assert!(log.lock().unwrap().is_empty(), "nothing reached Stripe");
}

async fn the_portal_opens_for_the_customer(backend: Backend) {
    let (app, log) = app_with_stripe(backend).await;
    let ada = app.register_active("ada@example.com").await;
    let reply = app
        .as_user(Method::POST, "/api/v1/stripe/portal", &ada, None)
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(
        reply.json["message"],
        "Customer portal session created successfully."
    );
    assert_eq!(
        reply.json["data"],
        json!({"url": "https://billing.stripe.test/bps_test_1"})
    );
    let seen = log.lock().unwrap().clone();
    let portal = seen
        .iter()
        .find(|s| s.path == "/v1/billing_portal/sessions")
        .unwrap();
    assert_eq!(portal.form["customer"], "cus_test_1");
    assert_eq!(portal.form["return_url"], "https://app.example.com");
}

async fn buy_and_portal_need_stripe_configured(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = app.register_active("ada@example.com").await;
    let unavailable = "The service is temporarily unavailable.";
    assert_error(
        &buy(&app, &ada, r#"{"amount": 5, "return_path": "w"}"#).await,
        StatusCode::SERVICE_UNAVAILABLE,
        unavailable,
    );
    let portal = app
        .as_user(Method::POST, "/api/v1/stripe/portal", &ada, None)
        .await;
    assert_error(&portal, StatusCode::SERVICE_UNAVAILABLE, unavailable);
}
