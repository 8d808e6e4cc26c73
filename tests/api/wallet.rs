//! The wallet: the operator's Set Credits, the ledger as transactions, concurrent debits, and
//! a replay that rebuilds the ledger views exactly.

use axum::http::{Method, StatusCode};
use clara::commands::{CommandBus, CommitError, Meta};
use clara_aggregates::{Wallet, WalletCommand, WalletError};
use futures::future::join_all;

use crate::support::{assert_error, id_of, Backend, Reply, TestApp};

crate::on_both_backends!(
    the_operator_sets_credits_and_the_ledger_says_so,
    set_credits_refuses_bad_input_and_wrong_callers,
    transactions_need_an_active_owner_and_a_valid_page,
    a_hundred_concurrent_debits_of_ten_credits_admit_exactly_ten,
    a_long_history_loads_from_a_snapshot_and_a_bad_snapshot_is_ignored,
);

const SCHEMA: &str = "One or more required parameters are either not given or have invalid schema.";

async fn set_credits(app: &TestApp, user_id: &str, auth: Option<&str>, body: &str) -> Reply {
    app.send(
        Method::PUT,
        &format!("/api/v1/users/{user_id}/credits"),
        auth,
        Some(body),
    )
    .await
}

async fn the_operator_sets_credits_and_the_ledger_says_so(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = app.register_active("ada@example.com").await;
    let id = id_of(&ada);
    let admin = app.private_key();
    let up = set_credits(&app, &id, Some(&admin), r#"{"credits": 10}"#).await;
    assert_eq!(up.status, StatusCode::OK, "{}", up.text);
    assert_eq!(up.json["message"], "User's credits updated successfully.");
    assert!(up.text.contains(r#""credits":10.0"#), "{}", up.text);
    let down = set_credits(&app, &id, Some(&admin), r#"{"credits": 2.5}"#).await;
    assert!(down.text.contains(r#""credits":2.5"#), "{}", down.text);

    let list = app
        .as_user(
            Method::GET,
            &format!("/api/v1/users/{id}/transactions?limit=10&offset=0"),
            &ada,
            None,
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert_eq!(list.json["message"], "Transactions fetched successfully.");
    let entries = list.json["data"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["type"], "DEBIT");
    assert_eq!(
        entries[0]["description"],
        "Admin updated credits from 10.0 to 2.5."
    );
    assert_eq!(entries[1]["type"], "CREDIT");
    assert_eq!(
        entries[1]["description"],
        "Admin updated credits from 0.0 to 10.0."
    );
    assert!(
        list.text.contains(r#""value_in_credits":7.5"#)
            && list.text.contains(r#""value_in_fiat":0.0"#),
        "{}",
        list.text
    );
    let fields: Vec<&String> = entries[0].as_object().unwrap().keys().collect();
    assert_eq!(
        fields,
        [
            "created_at",
            "description",
            "id",
            "type",
            "updated_at",
            "user_id",
            "value_in_credits",
            "value_in_fiat"
        ]
    );

    let one = entries[1]["id"].as_str().unwrap();
    let single = app
        .as_user(
            Method::GET,
            &format!("/api/v1/users/{id}/transactions/{one}"),
            &ada,
            None,
        )
        .await;
    assert_eq!(single.status, StatusCode::OK);
    assert_eq!(single.json["message"], "Transaction fetched successfully.");
    assert_eq!(single.json["data"], entries[1]);

    // The ledger rebuilds from the log exactly.
    let before: Vec<String> = clara::with_pool!(app.db(), pool => sqlx::query_scalar("SELECT data FROM transaction_views ORDER BY id").fetch_all(pool).await.unwrap());
    app.state.projector.rebuild(&|_| {}).await.unwrap();
    let after: Vec<String> = clara::with_pool!(app.db(), pool => sqlx::query_scalar("SELECT data FROM transaction_views ORDER BY id").fetch_all(pool).await.unwrap());
    assert_eq!(before, after);
}

async fn set_credits_refuses_bad_input_and_wrong_callers(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register("ada@example.com").await;
    let id = id_of(&ada);
    let admin = app.private_key();
    let before = app.count_events(None).await;
    for body in [
        r#"{"credits": -1}"#,
        r#"{"credits": 1.001}"#,
        r#"{"credits": "10"}"#,
        r#"{"credits": 1, "x": 1}"#,
    ] {
        assert_error(
            &set_credits(&app, &id, Some(&admin), body).await,
            StatusCode::BAD_REQUEST,
            SCHEMA,
        );
    }
    assert_error(
        &set_credits(&app, &id, Some(&admin), "{}").await,
        StatusCode::BAD_REQUEST,
        "Request body is empty.",
    );
    let missing = set_credits(
        &app,
        &format!("user_{}", "0".repeat(32)),
        Some(&admin),
        r#"{"credits": 1}"#,
    )
    .await;
    assert_error(
        &missing,
        StatusCode::NOT_FOUND,
        "User with the given identifier does not exist.",
    );
    let own = format!("Bearer {}", ada.json["data"]["token"].as_str().unwrap());
    assert_error(
        &set_credits(&app, &id, Some(&own), r#"{"credits": 1}"#).await,
        StatusCode::FORBIDDEN,
        "You do not have access to the requested resource.",
    );
    assert_error(
        &set_credits(&app, &id, None, r#"{"credits": 1}"#).await,
        StatusCode::UNAUTHORIZED,
        "Authorization header or OTP is either missing, invalid or expired.",
    );
    assert_eq!(app.count_events(None).await, before);
}

async fn transactions_need_an_active_owner_and_a_valid_page(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let inactive = app.register("eve@example.com").await;
    let path = format!(
        "/api/v1/users/{}/transactions?limit=1&offset=0",
        id_of(&inactive)
    );
    let refused = app.as_user(Method::GET, &path, &inactive, None).await;
    assert_error(
        &refused,
        StatusCode::UNAUTHORIZED,
        "Please activate your account to access the requested resource.",
    );

    let ada = app.register_active("ada@example.com").await;
    let grace = app.register_active("grace@example.com").await;
    let (ada_id, grace_id) = (id_of(&ada), id_of(&grace));
    set_credits(
        &app,
        &grace_id,
        Some(&app.private_key()),
        r#"{"credits": 1}"#,
    )
    .await;
    let base = format!("/api/v1/users/{ada_id}/transactions");
    for query in [
        "",
        "?limit=1",
        "?offset=0",
        "?limit=-1&offset=0",
        "?limit=x&offset=0",
        "?limit=101&offset=0",
    ] {
        let reply = app
            .as_user(Method::GET, &format!("{base}{query}"), &ada, None)
            .await;
        assert_error(&reply, StatusCode::BAD_REQUEST, SCHEMA);
    }
    let theirs = app
        .as_user(
            Method::GET,
            &format!("/api/v1/users/{grace_id}/transactions?limit=5&offset=0"),
            &grace,
            None,
        )
        .await;
    let grace_entry = theirs.json["data"][0]["id"].as_str().unwrap().to_string();
    for entry in [grace_entry.as_str(), "transaction_unknown"] {
        let reply = app
            .as_user(Method::GET, &format!("{base}/{entry}"), &ada, None)
            .await;
        assert_error(
            &reply,
            StatusCode::NOT_FOUND,
            "Transaction with the given identifier does not exist.",
        );
    }
    let other = app
        .as_user(
            Method::GET,
            &format!("/api/v1/users/{grace_id}/transactions?limit=5&offset=0"),
            &ada,
            None,
        )
        .await;
    assert_error(
        &other,
        StatusCode::FORBIDDEN,
        "You do not have access to the requested resource.",
    );
    let key = app
        .as_user(
            Method::GET,
            &format!("/api/v1/users/{ada_id}/api_key"),
            &ada,
            None,
        )
        .await;
    let api = format!("Bearer {}", key.json["data"]["token"].as_str().unwrap());
    let with_key = app
        .send(
            Method::GET,
            &format!("{base}?limit=5&offset=0"),
            Some(&api),
            None,
        )
        .await;
    assert_eq!(with_key.status, StatusCode::OK);
    assert_eq!(with_key.json["data"], serde_json::json!([]));
}

async fn a_hundred_concurrent_debits_of_ten_credits_admit_exactly_ten(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register("ada@example.com").await;
    let id = id_of(&ada);
    set_credits(&app, &id, Some(&app.private_key()), r#"{"credits": 10}"#).await;
    let debits = (0..100).map(|n| {
        let (wallets, id) = (app.state.wallets.clone(), id.clone());
        tokio::spawn(async move {
            let command = WalletCommand::Debit {
                entry_id: format!("transaction_debit_{n}"),
                amount: 100,
                description: "one credit".into(),
            };
            wallets.execute(&id, command, &Meta::default()).await
        })
    });
    let results: Vec<_> = join_all(debits)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let succeeded = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(
        succeeded,
        10,
        "{:?}",
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .map(|e| e.to_string())
            .collect::<std::collections::BTreeSet<_>>()
    );
    assert!(results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| matches!(
            e,
            CommitError::Domain(WalletError::InsufficientCredits) | CommitError::Conflict
        )));
    assert_eq!(app.count_events(Some("Debited")).await, 10);
    assert_eq!(
        app.count_events(Some("Credited")).await,
        1,
        "nothing else changed"
    );
    assert_eq!(app.state.wallets.load(&id).await.unwrap().balance(), 0);
    let view = app.user_view(&id).await;
    assert!(view.text.contains(r#""credits":0.0"#), "{}", view.text);
}

async fn a_long_history_loads_from_a_snapshot_and_a_bad_snapshot_is_ignored(backend: Backend) {
    let app = TestApp::new(backend).await;
    let wallets = &app.state.wallets;
    let meta = Meta::default();
    let credit = WalletCommand::Credit {
        entry_id: "transaction_seed".into(),
        amount: 1_000,
        description: "seed".into(),
    };
    wallets
        .execute_once("user_long", credit, &meta)
        .await
        .unwrap();
    for n in 0..250 {
        let debit = WalletCommand::Debit {
            entry_id: format!("transaction_{n}"),
            amount: 1,
            description: "one".into(),
        };
        wallets
            .execute_once("user_long", debit, &meta)
            .await
            .unwrap();
    }
    let sequence: i64 = clara::with_pool!(app.db(), pool => sqlx::query_scalar(
        "SELECT sequence FROM aggregate_snapshots WHERE aggregate_type = 'Wallet' AND aggregate_id = 'user_long'"
    ).fetch_one(pool).await.unwrap());
    assert_eq!(sequence, 200, "a snapshot every hundred events");
    assert_eq!(wallets.load("user_long").await.unwrap().balance(), 750);
    // A new process holds nothing in memory: it starts from the snapshot.
    let restarted = || CommandBus::<Wallet>::new(app.db(), app.state.projector.clone());
    assert_eq!(restarted().load("user_long").await.unwrap().balance(), 750);
    clara::with_pool!(app.db(), pool => {
        sqlx::query("UPDATE aggregate_snapshots SET payload = '{\"not\": \"a wallet\"}'").execute(pool).await.unwrap();
    });
    assert_eq!(
        restarted().load("user_long").await.unwrap().balance(),
        750,
        "rebuilt from the log"
    );
    let over = WalletCommand::Debit {
        entry_id: "transaction_over".into(),
        amount: 751,
        description: "too much".into(),
    };
    assert!(matches!(
        wallets.execute_once("user_long", over, &meta).await,
        Err(CommitError::Domain(WalletError::InsufficientCredits))
    ));
}
