//! Logs in an earlier shape: a version-1 wallet credit, written as the previous release
//! wrote it, read through the aggregate, the views (live and rebuilt), history and export;
//! and e-mail claims keyed by address, moved to hashed ids.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{id_of, Backend, TestApp};

crate::on_both_backends!(
    a_version_1_credit_reads_everywhere_in_its_current_shape,
    claims_keyed_by_address_move_to_hashed_ids_and_still_guard_the_address,
);

async fn a_version_1_credit_reads_everywhere_in_its_current_shape(backend: Backend) {
    let app = TestApp::create_with(backend, None, |s| {
        s.stripe_webhook_secrets = vec!["whsec_old".into()]
    })
    .await;
    let ada = app.register("ada@example.com").await;
    let id = id_of(&ada);
    let v1 = json!({"Credited": {"entry_id": "transaction_old", "amount": 50000, "balance": 50000,
        "description": "User bought 500.0 credits for $5.0.", "fiat": 500, "checkout_session": "cs_old"}});
    let sql = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
        VALUES ('Wallet', $1, 1, 'Credited', '1', $2, $3)";
    let metadata = json!({"actor": "stripe"});
    clara::with_pool!(app.db(), pool => { sqlx::query(sql).bind(&id).bind(&v1).bind(&metadata).execute(pool).await.unwrap(); });

    // Views: the projector folds it, and a rebuild from the log folds it the same way.
    app.state.projector.catch_up().await.unwrap();
    app.state.projector.rebuild(&|_| {}).await.unwrap();
    let admin = app.private_key();
    let view = app.user_view(&id).await;
    assert!(view.text.contains(r#""credits":500.0"#), "{}", view.text);
    let verification =
        clara::storage::verify::verify(app.db(), &app.state.secrets.keyring(), &|_| {})
            .await
            .unwrap();
    assert!(verification.differing.is_empty());

    // The aggregate: its session counts as settled, and its balance is there to spend.
    let paid = json!({"type": "checkout.session.completed", "data": {"object": {"id": "cs_old",
        "payment_status": "paid", "amount_total": 500, "metadata": {"user_id": id}}}})
    .to_string();
    let again = crate::stripe::settle_signed(&app, "whsec_old", &paid).await;
    assert_eq!(again, StatusCode::OK);
    assert_eq!(
        app.count_events(Some("Credited")).await,
        1,
        "not credited twice"
    );
    let set = app
        .send(
            Method::PUT,
            &format!("/api/v1/users/{id}/credits"),
            Some(&admin),
            Some(r#"{"credits": 450}"#),
        )
        .await;
    assert!(set.text.contains(r#""credits":450.0"#), "{}", set.text);

    // History and export show it in the current shape.
    let history = app
        .send(
            Method::GET,
            &format!("/api/v1/users/{id}/events"),
            Some(&admin),
            None,
        )
        .await;
    let credited = history.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "Credited")
        .unwrap()
        .clone();
    let purchase = json!({"checkout_session": "cs_old", "fiat": 500, "purchase_id": null});
    assert_eq!(credited["data"]["purchase"], purchase);
    assert_eq!(credited["actor"], "stripe");
    let export = app
        .send(Method::GET, "/api/v1/events", Some(&admin), None)
        .await;
    let line: Value = export
        .text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|e| e["type"] == "Credited")
        .unwrap();
    assert_eq!(line, credited);
}

/// The previous release keyed each e-mail claim by the address itself. Opening such a log
/// moves every claim to its hashed id (once: a second start finds nothing), and the address
/// stays taken, signs in, and is found for codes.
async fn claims_keyed_by_address_move_to_hashed_ids_and_still_guard_the_address(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register("ada@example.com").await;
    let hashed = "SELECT aggregate_id FROM events WHERE aggregate_type = 'EmailClaim'";
    let ids: Vec<String> = clara::with_pool!(app.db(), pool => sqlx::query_scalar(hashed).fetch_all(pool).await.unwrap());
    assert_eq!(ids.len(), 1);
    assert!(!ids[0].contains("ada"), "no address in clear: {}", ids[0]);
    let back =
        "UPDATE events SET aggregate_id = 'ada@example.com' WHERE aggregate_type = 'EmailClaim'";
    clara::with_pool!(app.db(), pool => { sqlx::query(back).execute(pool).await.unwrap(); });

    let reopened = TestApp::open(&app.database_url).await;
    let ids_now: Vec<String> = clara::with_pool!(app.db(), pool => sqlx::query_scalar(hashed).fetch_all(pool).await.unwrap());
    assert_eq!(ids_now, ids, "moved to the same hashed id");
    let claim_ids = clara::privacy::claim_ids::ClaimIds::new(&app.state.secrets.data_key);
    let none_left = clara::privacy::upgrade::hash_claim_ids(app.db(), &claim_ids).await;
    assert_eq!(none_left.unwrap(), 0);

    let twice = reopened.register("Ada@Example.com").await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST, "{}", twice.text);
    let login = reopened
        .login("ada@example.com", crate::support::Client::PASSWORD)
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    let history = reopened
        .send(
            Method::GET,
            &format!("/api/v1/users/{}/events", id_of(&ada)),
            Some(&reopened.private_key()),
            None,
        )
        .await;
    assert!(history.text.contains("\"Claimed\""), "{}", history.text);
}
