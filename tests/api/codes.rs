//! One-time codes end to end: mailed by the dispatcher over real SMTP, read out of the mail,
//! and the routes they unlock — Activate, Change Password, two-factor sign-in.

use axum::http::{Method, StatusCode};

use crate::support::{assert_error, Backend, Client, Reply, TestApp};

crate::on_both_backends!(
    registration_mails_an_activation_code_that_activates_once,
    no_code_is_stored_or_logged_in_clear,
    the_sixth_try_is_refused_even_with_the_right_code,
    a_code_expires_after_ten_minutes,
    a_new_code_replaces_the_old,
    send_otp_refuses_unknown_users_types_and_credentials,
    a_password_change_with_the_public_key_closes_every_session,
    a_password_change_with_a_user_token_keeps_the_callers_session,
    a_password_changed_by_another_process_is_seen_at_once,
    two_factor_sign_in_needs_a_fresh_code,
    two_factor_routes_need_an_active_account_and_a_body,
    a_mail_committed_before_a_crash_is_sent_once_after_restart,
    without_smtp_mail_goes_to_the_outbox,
    activate_refuses_unknown_users_bad_bodies_and_credentials,
);

const UNAUTHORIZED: &str = "Authorization header or OTP is either missing, invalid or expired.";
const ADA: &str = "ada@example.com";

async fn send_otp(app: &TestApp, email: &str, otp_type: &str) -> Reply {
    let path = format!("/api/v1/users/{email}/otp/{otp_type}");
    app.send(Method::POST, &path, Some(&app.public_key()), None)
        .await
}

async fn activate(app: &TestApp, email: &str, code: &str) -> Reply {
    let body = serde_json::json!({ "code": code }).to_string();
    let path = format!("/api/v1/users/{email}/activate");
    app.send(Method::POST, &path, Some(&app.public_key()), Some(&body))
        .await
}

async fn login(app: &TestApp, password: &str, code: Option<&str>) -> Reply {
    let body = code.map(|c| serde_json::json!({ "code": c }).to_string());
    app.send(
        Method::POST,
        "/api/v1/auth/session",
        Some(&Client::basic(ADA, password)),
        body.as_deref(),
    )
    .await
}

async fn registration_mails_an_activation_code_that_activates_once(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    app.register(ADA).await;
    let code = app.code(ADA, 1).await;
    let mail = &crate::mailbox::mails_to(&app.smtp.as_ref().unwrap().dir, ADA)[0];
    assert!(
        mail.contains("It expires in 10 minutes"),
        "a code of 10 minutes, mailed at once, says 10: {mail}"
    );
    let reply = activate(&app, ADA, &code).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["message"], "User activated successfully.");
    assert_eq!(reply.json["data"]["is_active"], true);
    assert!(reply.json["data"].get("token").is_none());
    assert_error(
        &activate(&app, ADA, &code).await,
        StatusCode::UNAUTHORIZED,
        UNAUTHORIZED,
    );
}

async fn no_code_is_stored_or_logged_in_clear(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    app.register(ADA).await;
    assert_eq!(
        send_otp(&app, ADA, "CHANGE_PASSWORD").await.status,
        StatusCode::CREATED
    );
    let codes = [app.code(ADA, 1).await, app.code(ADA, 2).await];
    let mut stored: Vec<String> = Vec::new();
    for sql in [
        "SELECT CAST(payload AS TEXT) || CAST(metadata AS TEXT) FROM events",
        "SELECT data FROM user_views",
        "SELECT data FROM session_views",
        "SELECT status FROM mail_deliveries",
    ] {
        let rows: Vec<String> = clara::with_pool!(app.db(), pool => sqlx::query_scalar(sql).fetch_all(pool).await.unwrap());
        stored.extend(rows);
    }
    assert!(stored.iter().any(|row| row.contains("OtpIssued")));
    for code in codes {
        assert!(
            stored.iter().all(|row| !row.contains(&code)),
            "code {code} found in the database"
        );
    }
}

async fn the_sixth_try_is_refused_even_with_the_right_code(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    app.register(ADA).await;
    let code = app.code(ADA, 1).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        assert_error(
            &activate(&app, ADA, wrong).await,
            StatusCode::UNAUTHORIZED,
            UNAUTHORIZED,
        );
    }
    assert_error(
        &activate(&app, ADA, &code).await,
        StatusCode::UNAUTHORIZED,
        UNAUTHORIZED,
    );
    assert_eq!(app.count_events(Some("OtpFailed")).await, 5);
    assert_eq!(app.count_events(Some("Activated")).await, 0);
}

async fn a_code_expires_after_ten_minutes(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    app.register(ADA).await;
    let first = app.code(ADA, 1).await;
    app.state.clock.advance(10 * 60_000);
    assert_error(
        &activate(&app, ADA, &first).await,
        StatusCode::UNAUTHORIZED,
        UNAUTHORIZED,
    );

    assert_eq!(
        send_otp(&app, ADA, "ACTIVATION").await.status,
        StatusCode::CREATED
    );
    let second = app.code(ADA, 2).await;
    app.state.clock.advance(10 * 60_000 - 1_000);
    assert_eq!(
        activate(&app, ADA, &second).await.status,
        StatusCode::OK,
        "still alive a second before expiry"
    );
}

async fn a_new_code_replaces_the_old(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    app.register(ADA).await;
    let old = app.code(ADA, 1).await;
    send_otp(&app, ADA, "ACTIVATION").await;
    let new = app.code(ADA, 2).await;
    if old != new {
        assert_error(
            &activate(&app, ADA, &old).await,
            StatusCode::UNAUTHORIZED,
            UNAUTHORIZED,
        );
    }
    assert_eq!(activate(&app, ADA, &new).await.status, StatusCode::OK);
}

async fn send_otp_refuses_unknown_users_types_and_credentials(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.register(ADA).await;
    let before = app.count_events(None).await;
    let unknown = send_otp(&app, "nobody@example.com", "ACTIVATION").await;
    assert_error(
        &unknown,
        StatusCode::NOT_FOUND,
        "User with the given identifier does not exist.",
    );
    let bad_type = send_otp(&app, ADA, "PIN").await;
    assert_error(
        &bad_type,
        StatusCode::BAD_REQUEST,
        "One or more required parameters are either not given or have invalid schema.",
    );
    let path = format!("/api/v1/users/{ADA}/otp/ACTIVATION");
    assert_error(
        &app.send(Method::POST, &path, None, None).await,
        StatusCode::UNAUTHORIZED,
        UNAUTHORIZED,
    );
    let admin = app
        .send(Method::POST, &path, Some(&app.private_key()), None)
        .await;
    assert_error(
        &admin,
        StatusCode::FORBIDDEN,
        "You do not have access to the requested resource.",
    );
    assert_eq!(app.count_events(None).await, before);
    let reply = send_otp(&app, ADA, "TWO_FACTOR_AUTH").await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(
        reply.json,
        serde_json::json!({"data": null, "message": "OTP sent successfully.", "status": "success"})
    );
}

async fn change_password(
    app: &TestApp,
    email: &str,
    auth: &str,
    password: &str,
    code: &str,
) -> Reply {
    let body = serde_json::json!({ "password": password, "code": code }).to_string();
    app.send(
        Method::PATCH,
        &format!("/api/v1/users/{email}/password"),
        Some(auth),
        Some(&body),
    )
    .await
}

async fn a_password_change_with_the_public_key_closes_every_session(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = app.register(ADA).await;
    send_otp(&app, ADA, "CHANGE_PASSWORD").await;
    let code = app.code(ADA, 2).await;
    let public = app.public_key();
    let short = change_password(&app, ADA, &public, "short", &code).await;
    assert_error(
        &short,
        StatusCode::BAD_REQUEST,
        "One or more required parameters are either not given or have invalid schema.",
    );
    let unknown =
        change_password(&app, "nobody@example.com", &public, "a new password", &code).await;
    assert_error(
        &unknown,
        StatusCode::NOT_FOUND,
        "User with the given identifier does not exist.",
    );
    let wrong = change_password(&app, ADA, &public, "a new password", "12345x").await;
    assert_error(&wrong, StatusCode::UNAUTHORIZED, UNAUTHORIZED);

    let reply = change_password(&app, ADA, &public, "a new password", &code).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["message"], "User password changed successfully.");
    assert_eq!(reply.json["data"], serde_json::Value::Null);
    let path = format!("/api/v1/users/{}", ada.json["data"]["id"].as_str().unwrap());
    let old_session = app.as_user(Method::GET, &path, &ada, None).await;
    assert_error(&old_session, StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    assert_error(
        &login(&app, Client::PASSWORD, None).await,
        StatusCode::UNAUTHORIZED,
        UNAUTHORIZED,
    );
    assert_eq!(
        login(&app, "a new password", None).await.status,
        StatusCode::OK
    );
}

/// A process keeps the accounts it served in memory, yet sees at once what another process
/// changed: after a password change made elsewhere, the new password signs in here and the
/// old one does not.
async fn a_password_changed_by_another_process_is_seen_at_once(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    app.register(ADA).await;
    let signed_in = login(&app, Client::PASSWORD, None).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    let other = TestApp::open(&app.database_url).await;
    send_otp(&other, ADA, "CHANGE_PASSWORD").await;
    let code = app.code(ADA, 2).await;
    let changed = change_password(&other, ADA, &other.public_key(), "a new password", &code).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text);

    let reply = login(&app, "a new password", None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_error(
        &login(&app, Client::PASSWORD, None).await,
        StatusCode::UNAUTHORIZED,
        UNAUTHORIZED,
    );
}

async fn a_password_change_with_a_user_token_keeps_the_callers_session(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let first = app.register(ADA).await;
    let grace = app.register("grace@example.com").await;
    let second = login(&app, Client::PASSWORD, None).await;
    send_otp(&app, ADA, "CHANGE_PASSWORD").await;
    let code = app.code(ADA, 2).await;
    let not_hers =
        change_password(&app, ADA, &Client::bearer(&grace), "a new password", &code).await;
    assert_error(
        &not_hers,
        StatusCode::FORBIDDEN,
        "You do not have access to the requested resource.",
    );
    let reply = change_password(&app, ADA, &Client::bearer(&second), "a new password", &code).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let path = format!(
        "/api/v1/users/{}",
        first.json["data"]["id"].as_str().unwrap()
    );
    assert_eq!(
        app.as_user(Method::GET, &path, &second, None).await.status,
        StatusCode::OK
    );
    let closed = app.as_user(Method::GET, &path, &first, None).await;
    assert_error(&closed, StatusCode::UNAUTHORIZED, UNAUTHORIZED);
}

async fn two_factor(app: &TestApp, method: Method, user: &Reply, body: Option<&str>) -> Reply {
    let path = format!(
        "/api/v1/users/{}/2fa",
        user.json["data"]["id"].as_str().unwrap()
    );
    app.send(method, &path, Some(&Client::bearer(user)), body)
        .await
}

async fn two_factor_sign_in_needs_a_fresh_code(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = app.register(ADA).await;
    activate(&app, ADA, &app.code(ADA, 1).await).await;
    send_otp(&app, ADA, "TWO_FACTOR_AUTH").await;
    let code = app.code(ADA, 2).await;
    let enabled = two_factor(
        &app,
        Method::POST,
        &ada,
        Some(&format!(r#"{{"code": "{code}"}}"#)),
    )
    .await;
    assert_eq!(enabled.status, StatusCode::OK, "{}", enabled.text);
    assert_eq!(enabled.json["message"], "User 2FA enabled successfully.");

    let gated = serde_json::json!({"data": {"is_2fa_enabled": true}, "message": UNAUTHORIZED, "status": "error"});
    let without = login(&app, Client::PASSWORD, None).await;
    assert_eq!(
        (without.status, &without.json),
        (StatusCode::UNAUTHORIZED, &gated)
    );
    send_otp(&app, ADA, "TWO_FACTOR_AUTH").await;
    let fresh = app.code(ADA, 3).await;
    let wrong = if fresh == "000000" {
        "111111"
    } else {
        "000000"
    };
    let bad = login(&app, Client::PASSWORD, Some(wrong)).await;
    assert_eq!((bad.status, &bad.json), (StatusCode::UNAUTHORIZED, &gated));
    let good = login(&app, Client::PASSWORD, Some(&fresh)).await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.text);
    assert_eq!(good.json["data"]["is_2fa_enabled"], true);
    let reused = login(&app, Client::PASSWORD, Some(&fresh)).await;
    assert_eq!(
        (reused.status, &reused.json),
        (StatusCode::UNAUTHORIZED, &gated),
        "a code works once"
    );
    // A wrong password says nothing about the second factor.
    let wrong_password = login(&app, "not the password", Some(&fresh)).await;
    assert_error(&wrong_password, StatusCode::UNAUTHORIZED, UNAUTHORIZED);

    send_otp(&app, ADA, "TWO_FACTOR_AUTH").await;
    let off = app.code(ADA, 4).await;
    let disabled = two_factor(
        &app,
        Method::DELETE,
        &good,
        Some(&format!(r#"{{"code": "{off}"}}"#)),
    )
    .await;
    assert_eq!(disabled.status, StatusCode::NO_CONTENT, "{}", disabled.text);
    assert_eq!(
        login(&app, Client::PASSWORD, None).await.status,
        StatusCode::OK
    );
}

async fn two_factor_routes_need_an_active_account_and_a_body(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = app.register(ADA).await;
    let inactive = two_factor(&app, Method::POST, &ada, Some(r#"{"code": "123456"}"#)).await;
    assert_error(
        &inactive,
        StatusCode::UNAUTHORIZED,
        "Please activate your account to access the requested resource.",
    );
    activate(&app, ADA, &app.code(ADA, 1).await).await;
    let empty = two_factor(&app, Method::DELETE, &ada, None).await;
    assert_error(&empty, StatusCode::BAD_REQUEST, "Request body is empty.");
    let wrong = two_factor(&app, Method::POST, &ada, Some(r#"{"code": "123456"}"#)).await;
    assert_error(&wrong, StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    let grace = app.register("grace@example.com").await;
    let path = format!(
        "/api/v1/users/{}/2fa",
        ada.json["data"]["id"].as_str().unwrap()
    );
    let other = app
        .send(
            Method::POST,
            &path,
            Some(&Client::bearer(&grace)),
            Some(r#"{"code": "1"}"#),
        )
        .await;
    assert_error(
        &other,
        StatusCode::FORBIDDEN,
        "You do not have access to the requested resource.",
    );
}

async fn a_mail_committed_before_a_crash_is_sent_once_after_restart(backend: Backend) {
    let sink = crate::mailbox::SmtpSink::start();
    let first = TestApp::open_fresh(backend, Some(sink.port)).await;
    // No dispatcher runs: the process "crashes" right after the OtpIssued event commits.
    first.register(ADA).await;
    assert!(crate::mailbox::mails_to(&sink.dir, ADA).is_empty());
    let restarted = TestApp::open_with(&first.database_url, Some(sink.port)).await;
    assert_eq!(restarted.state.mailer.deliver_pending().await.unwrap(), 1);
    assert_eq!(restarted.state.mailer.deliver_pending().await.unwrap(), 0);
    let again = TestApp::open_with(&first.database_url, Some(sink.port)).await;
    assert_eq!(again.state.mailer.deliver_pending().await.unwrap(), 0);
    assert_eq!(
        crate::mailbox::mails_to(&sink.dir, ADA).len(),
        1,
        "one mail for one event"
    );
    let code = crate::mailbox::nth_code(&sink.dir, ADA, 1).await;
    assert_eq!(
        activate(&restarted, ADA, &code).await.status,
        StatusCode::OK
    );
}

async fn without_smtp_mail_goes_to_the_outbox(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.register(ADA).await;
    assert_eq!(app.state.mailer.deliver_pending().await.unwrap(), 1);
    let code = crate::mailbox::nth_code(&app.outbox, ADA, 1).await;
    assert_eq!(activate(&app, ADA, &code).await.status, StatusCode::OK);
}

async fn activate_refuses_unknown_users_bad_bodies_and_credentials(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.register(ADA).await;
    let before = app.count_events(None).await;
    let unknown = activate(&app, "nobody@example.com", "123456").await;
    assert_error(
        &unknown,
        StatusCode::NOT_FOUND,
        "User with the given identifier does not exist.",
    );
    let path = format!("/api/v1/users/{ADA}/activate");
    let empty = app
        .send(Method::POST, &path, Some(&app.public_key()), None)
        .await;
    assert_error(&empty, StatusCode::BAD_REQUEST, "Request body is empty.");
    let schema = app
        .send(
            Method::POST,
            &path,
            Some(&app.public_key()),
            Some(r#"{"code": 123456}"#),
        )
        .await;
    assert_error(
        &schema,
        StatusCode::BAD_REQUEST,
        "One or more required parameters are either not given or have invalid schema.",
    );
    let keyless = app
        .send(Method::POST, &path, None, Some(r#"{"code": "123456"}"#))
        .await;
    assert_error(&keyless, StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    assert_eq!(app.count_events(None).await, before);
}
