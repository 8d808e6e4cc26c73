//! The contract's 4xx answers on the account routes that other files leave out: wrong
//! credential kinds, bad bodies and codes, each answered with its message and leaving no
//! event behind.

use axum::http::{Method, StatusCode};

use crate::support::{assert_error, id_of, Backend, Client, Reply, TestApp};

crate::on_both_backends!(
    change_password_refuses_bad_bodies_and_other_credentials,
    activate_admits_the_public_key_only,
    a_login_body_is_optional_but_holds_only_a_code,
    logout_with_an_api_key_is_403,
    enabling_two_factor_needs_a_credential_and_a_code_string,
    disabling_two_factor_needs_the_owner_active_and_a_valid_code,
    a_two_factor_code_expires_after_ten_minutes,
);

const ADA: &str = "ada@example.com";
const EMPTY: &str = "Request body is empty.";
const SCHEMA: &str = "One or more required parameters are either not given or have invalid schema.";
const UNAUTHORIZED: &str = "Authorization header or OTP is either missing, invalid or expired.";
const FORBIDDEN: &str = "You do not have access to the requested resource.";

/// The Authorization header of `user`'s API key.
async fn api_key_of(app: &TestApp, user: &Reply) -> String {
    let path = format!("/api/v1/users/{}/api_key", id_of(user));
    let shown = app.as_user(Method::GET, &path, user, None).await;
    format!("Bearer {}", shown.json["data"]["token"].as_str().unwrap())
}

fn two_factor_path(user: &Reply) -> String {
    format!("/api/v1/users/{}/2fa", id_of(user))
}

async fn login(app: &TestApp, body: Option<&str>) -> Reply {
    let auth = Client::basic(ADA, Client::PASSWORD);
    app.send(Method::POST, "/api/v1/auth/session", Some(&auth), body)
        .await
}

/// Sends a TWO_FACTOR_AUTH code to Ada and returns it: her mail number `mail`.
async fn two_factor_code(app: &TestApp, mail: usize) -> String {
    let path = format!("/api/v1/users/{ADA}/otp/TWO_FACTOR_AUTH");
    app.send(Method::POST, &path, Some(&app.public_key()), None)
        .await;
    app.code(ADA, mail).await
}

/// Ada, active, with two-factor sign-in on (two mails used).
async fn ada_with_two_factor(app: &TestApp) -> Reply {
    let ada = app.register_active(ADA).await;
    let code = two_factor_code(app, 2).await;
    let body = format!(r#"{{"code": "{code}"}}"#);
    let on = app
        .as_user(Method::POST, &two_factor_path(&ada), &ada, Some(&body))
        .await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.text);
    ada
}

async fn change_password_refuses_bad_bodies_and_other_credentials(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register(ADA).await;
    let key = api_key_of(&app, &ada).await;
    let before = app.count_events(None).await;
    let path = format!("/api/v1/users/{ADA}/password");
    let body = r#"{"password": "a new password", "code": "123456"}"#;
    let empty = app
        .send(Method::PATCH, &path, Some(&app.public_key()), None)
        .await;
    assert_error(&empty, StatusCode::BAD_REQUEST, EMPTY);
    let short = r#"{"password": "short", "code": "123456"}"#;
    let reply = app
        .send(Method::PATCH, &path, Some(&app.public_key()), Some(short))
        .await;
    assert_error(&reply, StatusCode::BAD_REQUEST, SCHEMA);
    let keyless = app.send(Method::PATCH, &path, None, Some(body)).await;
    assert_error(&keyless, StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    for wrong_kind in [key, app.private_key()] {
        let reply = app
            .send(Method::PATCH, &path, Some(&wrong_kind), Some(body))
            .await;
        assert_error(&reply, StatusCode::FORBIDDEN, FORBIDDEN);
    }
    assert_eq!(app.count_events(None).await, before);
}

async fn activate_admits_the_public_key_only(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register(ADA).await;
    let before = app.count_events(None).await;
    let path = format!("/api/v1/users/{ADA}/activate");
    let body = r#"{"code": "123456"}"#;
    for wrong_kind in [app.private_key(), Client::bearer(&ada)] {
        let reply = app
            .send(Method::POST, &path, Some(&wrong_kind), Some(body))
            .await;
        assert_error(&reply, StatusCode::FORBIDDEN, FORBIDDEN);
    }
    assert_eq!(app.count_events(None).await, before);
}

async fn a_login_body_is_optional_but_holds_only_a_code(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.register(ADA).await;
    let before = app.count_events(None).await;
    for (body, message) in [
        (r#"{"code": 123456}"#, SCHEMA),
        (r#"{"code": "123456", "remember": true}"#, SCHEMA),
        ("code=123456", EMPTY),
    ] {
        assert_error(
            &login(&app, Some(body)).await,
            StatusCode::BAD_REQUEST,
            message,
        );
    }
    assert_eq!(app.count_events(None).await, before);
    let reply = login(&app, Some("{}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

async fn logout_with_an_api_key_is_403(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register(ADA).await;
    let key = api_key_of(&app, &ada).await;
    let reply = app
        .send(Method::DELETE, "/api/v1/auth/session", Some(&key), None)
        .await;
    assert_error(&reply, StatusCode::FORBIDDEN, FORBIDDEN);
}

async fn enabling_two_factor_needs_a_credential_and_a_code_string(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = app.register_active(ADA).await;
    let before = app.count_events(None).await;
    let path = two_factor_path(&ada);
    let empty = app.as_user(Method::POST, &path, &ada, None).await;
    assert_error(&empty, StatusCode::BAD_REQUEST, EMPTY);
    let number = app
        .as_user(Method::POST, &path, &ada, Some(r#"{"code": 123456}"#))
        .await;
    assert_error(&number, StatusCode::BAD_REQUEST, SCHEMA);
    let keyless = app
        .send(Method::POST, &path, None, Some(r#"{"code": "123456"}"#))
        .await;
    assert_error(&keyless, StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    assert_eq!(app.count_events(None).await, before);
}

async fn disabling_two_factor_needs_the_owner_active_and_a_valid_code(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = ada_with_two_factor(&app).await;
    let path = two_factor_path(&ada);
    let code = two_factor_code(&app, 3).await;
    let body = format!(r#"{{"code": "{code}"}}"#);
    let grace = app.register("grace@example.com").await;
    let other = app
        .as_user(Method::DELETE, &path, &grace, Some(&body))
        .await;
    assert_error(&other, StatusCode::FORBIDDEN, FORBIDDEN);
    let keyless = app.send(Method::DELETE, &path, None, Some(&body)).await;
    assert_error(&keyless, StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let bad = format!(r#"{{"code": "{wrong}"}}"#);
    let refused = app.as_user(Method::DELETE, &path, &ada, Some(&bad)).await;
    assert_error(&refused, StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    assert_eq!(
        login(&app, None).await.status,
        StatusCode::UNAUTHORIZED,
        "still on"
    );
    // Grace never activated her account.
    let inactive = app
        .as_user(
            Method::DELETE,
            &two_factor_path(&grace),
            &grace,
            Some(&body),
        )
        .await;
    assert_error(
        &inactive,
        StatusCode::UNAUTHORIZED,
        "Please activate your account to access the requested resource.",
    );
}

async fn a_two_factor_code_expires_after_ten_minutes(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    ada_with_two_factor(&app).await;
    let code = two_factor_code(&app, 3).await;
    app.state.clock.advance(10 * 60 * 1000);
    let body = format!(r#"{{"code": "{code}"}}"#);
    let late = login(&app, Some(&body)).await;
    assert_eq!(late.status, StatusCode::UNAUTHORIZED, "{}", late.text);
    assert_eq!(late.json["message"], UNAUTHORIZED);
    assert_eq!(late.json["data"]["is_2fa_enabled"], true);
}
