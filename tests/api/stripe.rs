//! The Stripe webhook: real signatures made with the tests' own secrets; a paid Checkout
//! session credits its recorded purchase once however often and however concurrently it is
//! delivered, and a session that was never bought, or paid another amount, credits nothing.

use axum::http::{header, Method, Request, StatusCode};
use clara::stripe::signature::sign;
use futures::future::join_all;
use serde_json::json;
use tower::ServiceExt;

use clara_aggregates::WalletCommand;

use crate::support::{assert_error, Backend, TestApp};

crate::on_both_backends!(
    a_paid_session_delivered_ten_times_at_once_credits_once,
    only_a_recorded_purchase_paid_its_price_is_credited,
    a_credit_past_the_balance_bound_is_acknowledged_and_not_applied,
    bad_missing_or_stale_signatures_are_400_and_change_nothing,
    unknown_events_and_unpaid_sessions_are_acknowledged_and_ignored,
    the_webhook_needs_configuration,
    the_rate_lists_the_tiers_to_active_users,
);

const OLD: &str = "whsec_test_old";
const NEW: &str = "whsec_test_new";

async fn app(backend: Backend) -> TestApp {
    TestApp::create_with(backend, None, |s| {
        s.stripe_webhook_secrets = vec![OLD.into(), NEW.into()]
    })
    .await
}

/// A Checkout session event paying $5.
fn completed(session: &str, user_id: &str, payment_status: &str) -> String {
    paid_event(
        "checkout.session.completed",
        session,
        user_id,
        payment_status,
        500,
    )
}

fn paid_event(kind: &str, session: &str, user_id: &str, status: &str, cents: i64) -> String {
    json!({"id": "evt_1", "type": kind, "data": {"object": {
        "id": session, "payment_status": status, "amount_total": cents, "client_reference_id": "purchase_x",
        "metadata": {"user_id": user_id, "credits": "500.0", "fiat": "5"}}}})
    .to_string()
}

/// What Buy records before sending the buyer to Checkout: 500 credits for $5.
async fn record_purchase(app: &TestApp, user_id: &str, session: &str) {
    let command = WalletCommand::RecordPurchase {
        purchase_id: format!("purchase_{session}"),
        credits: 50_000,
        fiat: 500,
        checkout_session: session.to_string(),
    };
    let meta = clara::commands::Meta::default();
    app.state
        .wallets
        .execute(user_id, command, &meta)
        .await
        .unwrap();
}

async fn deliver(
    router: axum::Router,
    body: String,
    signature: Option<String>,
) -> (StatusCode, String) {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/stripe/settle")
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(signature) = signature {
        request = request.header("stripe-signature", signature);
    }
    let response = router
        .oneshot(request.body(axum::body::Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

/// Delivers `body` to the webhook signed now with `secret`, as Stripe would.
pub async fn settle_signed(app: &TestApp, secret: &str, body: &str) -> StatusCode {
    let signature = signed(secret, now(), body);
    deliver(app.client.router.clone(), body.to_string(), Some(signature))
        .await
        .0
}

fn signed(secret: &str, at: i64, body: &str) -> String {
    format!("t={at},v1={}", sign(secret, at, body.as_bytes()))
}

fn now() -> i64 {
    clara::clock::now_ms() / 1000
}

async fn a_paid_session_delivered_ten_times_at_once_credits_once(backend: Backend) {
    let app = app(backend).await;
    let ada = app.register("ada@example.com").await;
    let user_id = ada.json["data"]["id"].as_str().unwrap().to_string();
    record_purchase(&app, &user_id, "cs_test_1").await;
    let body = completed("cs_test_1", &user_id, "paid");
    let deliveries = (0..10).map(|n| {
        let secret = if n % 2 == 0 { OLD } else { NEW };
        let signature = signed(secret, now(), &body);
        tokio::spawn(deliver(
            app.client.router.clone(),
            body.clone(),
            Some(signature),
        ))
    });
    for result in join_all(deliveries).await {
        let (status, text) = result.unwrap();
        assert_eq!(status, StatusCode::OK, "{text}");
        assert_eq!(
            text,
            r#"{"data":null,"message":"Checkout session settled successfully.","status":"success"}"#
        );
    }
    assert_eq!(app.count_events(Some("Credited")).await, 1);
    let payload: String = clara::with_pool!(app.db(), pool =>
        sqlx::query_scalar("SELECT CAST(payload AS TEXT) FROM events WHERE event_type = 'Credited'").fetch_one(pool).await.unwrap());
    assert!(
        payload.contains("User bought 500.0 credits for $5.0."),
        "{payload}"
    );
    let view = app
        .send(
            Method::GET,
            &format!("/api/v1/users/{user_id}"),
            Some(&app.private_key()),
            None,
        )
        .await;
    assert!(view.text.contains(r#""credits":500.0"#), "{}", view.text);
}

/// Stripe's retries cannot make such a credit fit: it is logged for the operator and
/// acknowledged, and the balance stays within its bound.
async fn a_credit_past_the_balance_bound_is_acknowledged_and_not_applied(backend: Backend) {
    let app = app(backend).await;
    let ada = app.register("ada@example.com").await;
    let user_id = ada.json["data"]["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/users/{user_id}/credits");
    let nearly_full = r#"{"credits": 999999999999}"#;
    let set = app
        .send(
            Method::PUT,
            &path,
            Some(&app.private_key()),
            Some(nearly_full),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK);
    record_purchase(&app, &user_id, "cs_full").await;
    let body = completed("cs_full", &user_id, "paid");
    let (status, text) = deliver(
        app.client.router.clone(),
        body.clone(),
        Some(signed(NEW, now(), &body)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(app.count_events(Some("Credited")).await, 1);
    let view = app.user_view(&user_id).await;
    assert!(
        view.text.contains(r#""credits":999999999999.0"#),
        "{}",
        view.text
    );
}

async fn only_a_recorded_purchase_paid_its_price_is_credited(backend: Backend) {
    let app = app(backend).await;
    let ada = app.register("ada@example.com").await;
    let user_id = ada.json["data"]["id"].as_str().unwrap().to_string();
    record_purchase(&app, &user_id, "cs_bought").await;
    let deliver_signed = |body: String| {
        let signature = signed(NEW, now(), &body);
        deliver(app.client.router.clone(), body, Some(signature))
    };
    let before = app.count_events(None).await;
    // Signed, paid, and naming the user: but never bought, or paid another amount.
    let never_bought = completed("cs_forged", &user_id, "paid");
    let underpaid = paid_event(
        "checkout.session.completed",
        "cs_bought",
        &user_id,
        "paid",
        499,
    );
    let overpaid = paid_event(
        "checkout.session.completed",
        "cs_bought",
        &user_id,
        "paid",
        501,
    );
    for body in [never_bought, underpaid, overpaid] {
        let (status, text) = deliver_signed(body).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "acknowledged so Stripe stops: {text}"
        );
    }
    assert_eq!(app.count_events(None).await, before, "nothing credited");
    // A delayed payment method reports the payment in a second event.
    let delayed = paid_event(
        "checkout.session.async_payment_succeeded",
        "cs_bought",
        &user_id,
        "paid",
        500,
    );
    let (status, _) = deliver_signed(delayed.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = deliver_signed(completed("cs_bought", &user_id, "paid")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.count_events(Some("Credited")).await, 1);
    let view = app.user_view(&user_id).await;
    assert!(view.text.contains(r#""credits":500.0"#), "{}", view.text);
}

async fn bad_missing_or_stale_signatures_are_400_and_change_nothing(backend: Backend) {
    let app = app(backend).await;
    let ada = app.register("ada@example.com").await;
    let body = completed(
        "cs_test_2",
        ada.json["data"]["id"].as_str().unwrap(),
        "paid",
    );
    let before = app.count_events(None).await;
    let tampered = completed("cs_test_2", "user_someone_else", "paid");
    for (payload, signature) in [
        (body.clone(), None),
        (body.clone(), Some(signed("whsec_wrong", now(), &body))),
        (body.clone(), Some(signed(NEW, now() - 301, &body))),
        (tampered, Some(signed(NEW, now(), &body))),
        (body.clone(), Some("t=1,v1=".to_string())),
        // The signed time in another spelling than Stripe's, or one that would overflow.
        (
            body.clone(),
            Some(format!(
                "t=+{},v1={}",
                now(),
                sign(NEW, now(), body.as_bytes())
            )),
        ),
        (
            body.clone(),
            Some(format!(
                "t=0{},v1={}",
                now(),
                sign(NEW, now(), body.as_bytes())
            )),
        ),
        (
            body.clone(),
            Some(format!(
                "t=-9223372036854775808,v1={}",
                sign(NEW, now(), body.as_bytes())
            )),
        ),
    ] {
        let (status, text) = deliver(app.client.router.clone(), payload, signature).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
        assert!(text.contains(r#""status":"error""#));
    }
    assert_eq!(app.count_events(None).await, before);
}

async fn unknown_events_and_unpaid_sessions_are_acknowledged_and_ignored(backend: Backend) {
    // A signed session naming no user id (a NUL, say) is acknowledged, not a 500.
    let app_nul = app(backend).await;
    let nul = completed("cs_nul", "user_\u{0}", "paid");
    let (status, text) = deliver(
        app_nul.client.router.clone(),
        nul.clone(),
        Some(signed(NEW, now(), &nul)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(app_nul.count_events(None).await, 0);
    drop(app_nul);
    let app = app(backend).await;
    let ada = app.register("ada@example.com").await;
    let user_id = ada.json["data"]["id"].as_str().unwrap();
    let before = app.count_events(None).await;
    let unknown =
        json!({"id": "evt_2", "type": "invoice.paid", "data": {"object": {}}}).to_string();
    for body in [unknown, completed("cs_test_3", user_id, "unpaid")] {
        let (status, _) = deliver(
            app.client.router.clone(),
            body.clone(),
            Some(signed(NEW, now(), &body)),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(app.count_events(None).await, before);
}

async fn the_webhook_needs_configuration(backend: Backend) {
    let app = TestApp::new(backend).await;
    let body = completed("cs_test_4", "user_x", "paid");
    let reply = app
        .send(
            Method::POST,
            "/api/v1/stripe/settle",
            Some(&signed(NEW, now(), &body)),
            Some(&body),
        )
        .await;
    assert_error(
        &reply,
        StatusCode::SERVICE_UNAVAILABLE,
        "The service is temporarily unavailable.",
    );
}

async fn the_rate_lists_the_tiers_to_active_users(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = app.register("ada@example.com").await;
    let inactive = app
        .as_user(Method::GET, "/api/v1/stripe/rate", &ada, None)
        .await;
    assert_error(
        &inactive,
        StatusCode::UNAUTHORIZED,
        "Please activate your account to access the requested resource.",
    );
    app.activate_from_mail("ada@example.com", 1).await;
    let reply = app
        .as_user(Method::GET, "/api/v1/stripe/rate", &ada, None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply.json["message"],
        "Credits rate fetched successfully. Upper limit and lower limit are in fiat. Rate is in credits per dollar. Any amount beyond the limits will not be credited."
    );
    assert_eq!(
        reply.json["data"],
        json!([{"lower_limit": 5, "rate": 100, "stripe_price_id": null, "upper_limit": 10000}])
    );
    let none = app
        .send(Method::GET, "/api/v1/stripe/rate", None, None)
        .await;
    assert_error(
        &none,
        StatusCode::UNAUTHORIZED,
        "Authorization header or OTP is either missing, invalid or expired.",
    );
    let public = app
        .send(
            Method::GET,
            "/api/v1/stripe/rate",
            Some(&app.public_key()),
            None,
        )
        .await;
    assert_error(
        &public,
        StatusCode::FORBIDDEN,
        "You do not have access to the requested resource.",
    );
}
