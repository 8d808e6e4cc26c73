//! Account history and export: a whole account life (codes, an authenticator, a password
//! change, a key reset, a purchase, admin credits, an analysis) read back in commit order
//! with who did what, and not one secret anywhere in it.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use clara::auth::totp::code_at;
use clara_aggregates::WalletCommand;
use serde_json::{json, Value};

use crate::analyses::{content, ended, submit};
use crate::support::{assert_error, id_of, Backend, Client, Reply, TestApp};

crate::on_both_backends!(
    history_and_export_tell_an_account_life_without_a_secret,
    history_and_export_refuse_the_wrong_callers_and_parameters,
);

const ADA: &str = "ada@example.com";
const WEBHOOK: &str = "whsec_audit";
const NEW_PASSWORD: &str = "a brand new passphrase";

/// Everything secret the account life below handled.
struct Secrets(Vec<String>);

async fn send_code(app: &TestApp, otp_type: &str) {
    let path = format!("/api/v1/users/{ADA}/otp/{otp_type}");
    let sent = app
        .send(Method::POST, &path, Some(&app.public_key()), None)
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
}

/// Lives Ada's account through every kind of event; returns her last sign-in and the
/// secrets met on the way.
async fn account_life(app: &mut TestApp) -> (Reply, Secrets) {
    let mut secrets = vec![Client::PASSWORD.to_string(), NEW_PASSWORD.to_string()];
    let first = app.register_active(ADA).await;
    secrets.push(app.code(ADA, 1).await);
    secrets.push(Client::bearer(&first));
    let id = id_of(&first);
    send_code(app, "TWO_FACTOR_AUTH").await;
    let code = app.code(ADA, 2).await;
    let body = json!({"code": code, "method": "totp"}).to_string();
    let enrolled = app
        .as_user(
            Method::POST,
            &format!("/api/v1/users/{id}/2fa"),
            &first,
            Some(&body),
        )
        .await;
    assert_eq!(enrolled.status, StatusCode::OK, "{}", enrolled.text);
    let totp = enrolled.json["data"]["secret"]
        .as_str()
        .unwrap()
        .to_string();
    secrets.extend([code, totp.clone()]);
    send_code(app, "CHANGE_PASSWORD").await;
    let code = app.code(ADA, 3).await;
    let body = json!({"password": NEW_PASSWORD, "code": code}).to_string();
    let path = format!("/api/v1/users/{ADA}/password");
    let changed = app
        .send(Method::PATCH, &path, Some(&app.public_key()), Some(&body))
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);
    secrets.push(code);
    let second_factor = code_at(&totp, app.state.clock.now_ms()).unwrap();
    let login = app
        .send(
            Method::POST,
            "/api/v1/auth/session",
            Some(&Client::basic(ADA, NEW_PASSWORD)),
            Some(&json!({ "code": second_factor }).to_string()),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    secrets.push(Client::bearer(&login));
    let key = app
        .as_user(
            Method::POST,
            &format!("/api/v1/users/{id}/api_key"),
            &login,
            None,
        )
        .await;
    assert_eq!(key.status, StatusCode::CREATED, "{}", key.text);
    secrets.push(key.json["data"]["token"].as_str().unwrap().to_string());
    // A purchase, as Buy records it, paid through the signed webhook.
    let record = WalletCommand::RecordPurchase {
        purchase_id: "purchase_audit".into(),
        credits: 50_000,
        fiat: 500,
        checkout_session: "cs_audit".into(),
    };
    let meta = clara::commands::Meta {
        actor: Some(format!("user:{id}")),
        ..Default::default()
    };
    app.state.wallets.execute(&id, record, &meta).await.unwrap();
    let paid = json!({"type": "checkout.session.completed", "data": {"object": {"id": "cs_audit",
        "payment_status": "paid", "amount_total": 500, "metadata": {"user_id": id}}}})
    .to_string();
    let settled = crate::stripe::settle_signed(app, WEBHOOK, &paid).await;
    assert_eq!(settled, StatusCode::OK);
    let credits = app
        .send(
            Method::PUT,
            &format!("/api/v1/users/{id}/credits"),
            Some(&app.private_key()),
            Some(r#"{"credits": 600}"#),
        )
        .await;
    assert_eq!(credits.status, StatusCode::OK, "{}", credits.text);
    app.start_workers();
    let task = submit(
        app,
        &id,
        &Client::bearer(&login),
        &[content("GDP grew 3% in 2025.")],
    )
    .await;
    assert_eq!(task.status, StatusCode::CREATED, "{}", task.text);
    let task_id = task.json["data"]["id"].as_str().unwrap();
    ended(app, &id, task_id, Duration::from_secs(10)).await;
    // What the log holds in place of secrets must not leak either.
    let sql = "SELECT CAST(payload AS TEXT) FROM events WHERE event_type IN ('Registered', 'PasswordChanged', 'OtpIssued', 'TotpEnrolled')";
    let stored: Vec<String> =
        clara::with_pool!(app.db(), pool => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap());
    for payload in stored {
        let payload: Value = serde_json::from_str(&payload).unwrap();
        let fields = payload.as_object().unwrap().values().next().unwrap();
        for field in ["password_hash", "code_mac", "otp_id", "secret_sealed"] {
            if let Some(secret) = fields[field].as_str() {
                secrets.push(secret.to_string());
            }
        }
    }
    (login, Secrets(secrets))
}

fn assert_no_secret(text: &str, secrets: &Secrets) {
    for secret in &secrets.0 {
        let bare = secret.trim_start_matches("Bearer ");
        assert!(!text.contains(bare), "a secret ({bare}) is in: {text}");
    }
}

async fn history_and_export_tell_an_account_life_without_a_secret(backend: Backend) {
    let mut app =
        TestApp::with_mail_adjusted(backend, |s| s.stripe_webhook_secrets = vec![WEBHOOK.into()])
            .await;
    let (ada, secrets) = account_life(&mut app).await;
    let id = id_of(&ada);
    // Read in pages of 7, each resuming after the last position read.
    let mut events: Vec<Value> = Vec::new();
    loop {
        let after = events.last().map_or(0, |e| e["position"].as_i64().unwrap());
        let path = format!("/api/v1/users/{id}/events?after={after}&limit=7");
        let page = app.as_user(Method::GET, &path, &ada, None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert_eq!(page.json["message"], "Events fetched successfully.");
        assert_no_secret(&page.text, &secrets);
        let rows = page.json["data"].as_array().unwrap().clone();
        assert!(rows.len() <= 7);
        if rows.is_empty() {
            break;
        }
        events.extend(rows);
    }
    let positions: Vec<i64> = events
        .iter()
        .map(|e| e["position"].as_i64().unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "commit order");
    let seen = |aggregate: &str, kind: &str| {
        events
            .iter()
            .any(|e| e["aggregate"] == aggregate && e["type"] == kind)
    };
    for (aggregate, kind) in [
        ("EmailClaim", "Claimed"),
        ("User", "Registered"),
        ("User", "Activated"),
        ("User", "TotpEnrolled"),
        ("User", "PasswordChanged"),
        ("User", "ApiKeyIssued"),
        ("Wallet", "PurchaseRecorded"),
        ("Wallet", "Credited"),
        ("Wallet", "TaskCharged"),
        ("Task", "Created"),
        ("Task", "Completed"),
    ] {
        assert!(
            seen(aggregate, kind),
            "{aggregate}.{kind} is in the history"
        );
    }
    let registered = events.iter().find(|e| e["type"] == "Registered").unwrap();
    assert_eq!(registered["data"]["password_hash"], "[redacted]");
    assert_eq!(registered["data"]["email"], ADA);
    assert!(registered["request_id"].is_string());
    let keys: Vec<&String> = registered.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "actor",
            "aggregate",
            "aggregate_id",
            "data",
            "position",
            "recorded_at",
            "request_id",
            "type"
        ]
    );
    let actors: Vec<&str> = events.iter().filter_map(|e| e["actor"].as_str()).collect();
    for actor in [
        "public".to_string(),
        format!("user:{id}"),
        "admin".into(),
        "stripe".into(),
        "system".into(),
    ] {
        assert!(actors.contains(&actor.as_str()), "{actor} among {actors:?}");
    }
    // The export holds the same events, among everyone's, resumable by position.
    let export = app
        .send(
            Method::GET,
            "/api/v1/events?limit=100000",
            Some(&app.private_key()),
            None,
        )
        .await;
    assert_eq!(export.status, StatusCode::OK);
    assert_eq!(export.headers["content-type"], "application/x-ndjson");
    assert_no_secret(&export.text, &secrets);
    let lines: Vec<Value> = export
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as i64, app.count_events(None).await);
    for event in &events {
        assert!(lines.contains(event), "the export has {event}");
    }
    let middle = lines[lines.len() / 2]["position"].as_i64().unwrap();
    let rest = app
        .send(
            Method::GET,
            &format!("/api/v1/events?after={middle}&limit=3"),
            Some(&app.private_key()),
            None,
        )
        .await;
    let rest: Vec<Value> = rest
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rest.len(), 3);
    assert!(rest
        .iter()
        .all(|e| e["position"].as_i64().unwrap() > middle));
}

async fn history_and_export_refuse_the_wrong_callers_and_parameters(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = app.register_active(ADA).await;
    let grace = app.register("grace@example.com").await;
    let id = id_of(&ada);
    let path = format!("/api/v1/users/{id}/events");
    let api_key = app.api_key_bearer(&ada).await;
    for auth in [api_key.clone(), Client::bearer(&grace), app.public_key()] {
        assert_error(
            &app.send(Method::GET, &path, Some(&auth), None).await,
            StatusCode::FORBIDDEN,
            "You do not have access to the requested resource.",
        );
    }
    assert_error(
        &app.send(Method::GET, &path, None, None).await,
        StatusCode::UNAUTHORIZED,
        "Authorization header or OTP is either missing, invalid or expired.",
    );
    let schema = "One or more required parameters are either not given or have invalid schema.";
    for query in ["limit=0", "limit=1001", "after=-1", "after=x", "limit=1.5"] {
        assert_error(
            &app.as_user(Method::GET, &format!("{path}?{query}"), &ada, None)
                .await,
            StatusCode::BAD_REQUEST,
            schema,
        );
    }
    let admin = app.private_key();
    let own = app.send(Method::GET, &path, Some(&admin), None).await;
    assert_eq!(own.status, StatusCode::OK, "the operator reads any account");
    assert_error(
        &app.send(
            Method::GET,
            "/api/v1/users/user_00000000000000000000000000000000/events",
            Some(&admin),
            None,
        )
        .await,
        StatusCode::NOT_FOUND,
        "User with the given identifier does not exist.",
    );
    for auth in [Client::bearer(&ada), api_key, app.public_key()] {
        assert_error(
            &app.send(Method::GET, "/api/v1/events", Some(&auth), None)
                .await,
            StatusCode::FORBIDDEN,
            "You do not have access to the requested resource.",
        );
    }
    for query in ["limit=0", "limit=100001", "after=-5"] {
        assert_error(
            &app.send(
                Method::GET,
                &format!("/api/v1/events?{query}"),
                Some(&admin),
                None,
            )
            .await,
            StatusCode::BAD_REQUEST,
            schema,
        );
    }
}
