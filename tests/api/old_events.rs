//! Logs in an earlier shape: a version-1 wallet credit, written as the previous release
//! wrote it, read through the aggregate, the views (live and rebuilt), history and export;
//! e-mail claims keyed by address, moved to hashed ids; personal values in clear, sealed.

use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::{id_of, Backend, TestApp};

crate::on_both_backends!(
    a_version_1_credit_reads_everywhere_in_its_current_shape,
    claims_keyed_by_address_move_to_hashed_ids_and_still_guard_the_address,
    personal_values_written_in_clear_are_sealed_once,
    another_data_key_is_refused_at_start,
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
    app.assert_views_match_log().await;

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
    assert!(
        ids[0].starts_with("email_") && !ids[0].contains('@'),
        "no address in clear: {}",
        ids[0]
    );
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

/// The log as the previous release wrote it for `user_id`: personal values in clear, no key.
async fn unseal_as_before(app: &TestApp, user_id: &str) {
    use clara::storage::sealing::{fields_of, open_in, Opener};
    let sql = "SELECT position, payload FROM events WHERE aggregate_id = $1";
    let rows: Vec<(i64, Value)> = clara::with_pool!(app.db(), pool =>
        sqlx::query_as(sql).bind(user_id).fetch_all(pool).await.unwrap());
    let keyring = app.state.secrets.keyring();
    let mut opener = Opener::new(&keyring);
    for (position, mut payload) in rows {
        open_in(app.db(), &mut opener, fields_of([&mut payload]))
            .await
            .unwrap();
        let rewrite = "UPDATE events SET payload = $1, metadata = '{}' WHERE position = $2";
        clara::with_pool!(app.db(), pool => {
            sqlx::query(rewrite).bind(&payload).bind(position).execute(pool).await.unwrap();
        });
    }
    let forget = "DELETE FROM person_keys WHERE user_id = $1";
    clara::with_pool!(app.db(), pool => { sqlx::query(forget).bind(user_id).execute(pool).await.unwrap(); });
}

/// A log of the previous release holds personal values in clear. Opening it seals them under
/// each person's key (erased for a person deleted before), once; the account reads as before.
async fn personal_values_written_in_clear_are_sealed_once(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register("ada@example.com").await;
    let grace = app.register("grace@example.com").await;
    let (ada_id, grace_id) = (id_of(&ada), id_of(&grace));
    unseal_as_before(&app, &ada_id).await;
    unseal_as_before(&app, &grace_id).await;
    let next: i64 = clara::with_pool!(app.db(), pool => sqlx::query_scalar(
        "SELECT MAX(sequence) + 1 FROM events WHERE aggregate_id = $1").bind(&grace_id).fetch_one(pool).await.unwrap());
    let deleted = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, \
        event_version, payload, metadata) VALUES ('User', $1, $2, 'AccountDeleted', '1', $3, '{}')";
    clara::with_pool!(app.db(), pool => {
        sqlx::query(deleted).bind(&grace_id).bind(next).bind(json!("AccountDeleted"))
            .execute(pool).await.unwrap();
        sqlx::query("UPDATE projector_checkpoints SET position = 0 WHERE name = 'sealed'")
            .execute(pool).await.unwrap();
    });
    let log = |app: &TestApp| {
        let db = app.db().clone();
        async move {
            let sql = "SELECT CAST(payload AS TEXT) FROM events";
            let texts: Vec<String> = clara::with_pool!(&db, pool => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap());
            texts.concat()
        }
    };
    assert!(log(&app).await.contains("ada@example.com"));

    let reopened = TestApp::open(&app.database_url).await;
    let text = log(&reopened).await;
    assert!(!text.contains("ada@example.com") && !text.contains("grace@example.com"));
    let keyring = reopened.state.secrets.keyring();
    let again = clara::storage::reseal::seal_log(reopened.db(), &keyring).await;
    assert_eq!(again.unwrap(), 0, "sealed once");

    let export = reopened
        .send(
            Method::GET,
            "/api/v1/events",
            Some(&reopened.private_key()),
            None,
        )
        .await;
    let email_of = |id: &str| {
        export
            .text
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap())
            .find(|e| e["type"] == "Registered" && e["aggregate_id"] == id)
            .unwrap()["data"]["email"]
            .clone()
    };
    assert_eq!(email_of(&ada_id), "ada@example.com");
    assert_eq!(email_of(&grace_id), "[erased]");
    let login = reopened
        .login("ada@example.com", crate::support::Client::PASSWORD)
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    reopened.state.projector.catch_up().await.unwrap();
    reopened.assert_views_match_log().await;
}

/// A service started with another DATA_KEY than its database's refuses to start, before it
/// could wrap person keys that no other process opens.
async fn another_data_key_is_refused_at_start(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.register("ada@example.com").await;
    let mut other = (*app.state.secrets).clone();
    other.data_key = "5".repeat(64);
    let refused = clara::privacy::upgrade::upgrade_log(app.db(), &other).await;
    let error = refused.unwrap_err().to_string();
    assert!(error.contains("DATA_KEY is not the key"), "{error}");
    let same = clara::privacy::upgrade::upgrade_log(app.db(), &app.state.secrets).await;
    assert!(same.is_ok());
}
