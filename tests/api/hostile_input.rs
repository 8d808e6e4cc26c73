//! Input an attacker shapes: paths that do not decode or carry a NUL (which PostgreSQL
//! refuses as text), names that hide or reorder text, and amounts past the bound. Each is
//! refused in the envelope before it reaches the store, and leaves nothing behind.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{assert_error, id_of, Backend, Client, TestApp};

crate::on_both_backends!(
    undecodable_and_nul_paths_are_refused_in_the_envelope,
    a_nul_in_a_basic_e_mail_is_a_wrong_credential,
    names_with_control_or_direction_characters_are_refused,
    credits_are_bounded_and_printed_in_full,
);

const INVALID: &str =
    "One or more required parameters are either not given or have invalid schema.";

async fn undecodable_and_nul_paths_are_refused_in_the_envelope(backend: Backend) {
    let app = TestApp::new(backend).await;
    let admin = app.private_key();
    let public = app.public_key();
    let cases = [
        (Method::GET, "/api/v1/users/%FF", &admin, None),
        (Method::GET, "/api/v1/users/user_%00", &admin, None),
        (
            Method::PUT,
            "/api/v1/users/user_%00/credits",
            &admin,
            Some(r#"{"credits": 1}"#),
        ),
        (
            Method::GET,
            "/api/v1/users/user_%00/transactions/transaction_%00",
            &admin,
            None,
        ),
        (
            Method::POST,
            "/api/v1/users/a%00@example.com/otp/ACTIVATION",
            &public,
            None,
        ),
        (
            Method::POST,
            "/api/v1/users/a%00@example.com/activate",
            &public,
            Some(r#"{"code": "123456"}"#),
        ),
    ];
    for (method, path, auth, body) in cases {
        let reply = app.send(method, path, Some(auth), body).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, INVALID);
        assert!(!reply.text.contains("user_id"), "{}", reply.text);
    }
    assert_eq!(app.count_events(None).await, 0);
}

async fn a_nul_in_a_basic_e_mail_is_a_wrong_credential(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.register("ada@example.com").await;
    assert_error(
        &app.login("ada\0@example.com", Client::PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "Authorization header or OTP is either missing, invalid or expired.",
    );
    let reply = register(&app, "a", "b\0b@example.com").await;
    assert_error(&reply, StatusCode::BAD_REQUEST, INVALID);
}

/// Registers with the public key, `first_name` and `email` as given.
async fn register(app: &TestApp, first_name: &str, email: &str) -> crate::support::Reply {
    let body = json!({"first_name": first_name, "last_name": "Lovelace", "email": email, "password": "correct horse"});
    app.send(
        Method::POST,
        "/api/v1/auth/register",
        Some(&app.public_key()),
        Some(&body.to_string()),
    )
    .await
}

async fn names_with_control_or_direction_characters_are_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    for name in [
        "Ada\u{0}",
        "Ada\u{202E}ecalevoL",
        "\u{2066}Ada",
        "Ada\nLovelace",
    ] {
        let reply = register(&app, name, "ada@example.com").await;
        assert_error(&reply, StatusCode::BAD_REQUEST, INVALID);
    }
    assert_eq!(app.count_events(None).await, 0);
    let ada = app.register("ada@example.com").await;
    let path = format!("/api/v1/users/{}", id_of(&ada));
    let body = json!({"last_name": "Love\u{202E}lace"}).to_string();
    let reply = app.as_user(Method::PATCH, &path, &ada, Some(&body)).await;
    assert_error(&reply, StatusCode::BAD_REQUEST, INVALID);
    assert_eq!(
        app.user_view(&id_of(&ada)).await.json["data"]["last_name"],
        "Lovelace"
    );
}

/// The attack: set a balance near `i64::MAX` so that a genuine credit wraps it negative.
async fn credits_are_bounded_and_printed_in_full(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register("ada@example.com").await;
    let path = format!("/api/v1/users/{}/credits", id_of(&ada));
    let put = |credits: &str| {
        let body = format!(r#"{{"credits": {credits}}}"#);
        let (app, path) = (&app, &path);
        async move {
            app.send(Method::PUT, path, Some(&app.private_key()), Some(&body))
                .await
        }
    };
    for too_much in ["92233720368547758", "1000000000000.01", "1e13"] {
        assert_error(&put(too_much).await, StatusCode::BAD_REQUEST, INVALID);
    }
    let most = put("1000000000000").await;
    assert_eq!(most.status, StatusCode::OK, "{}", most.text);
    assert!(
        most.text.contains(r#""credits":1000000000000.0"#),
        "{}",
        most.text
    );
    let cents = put("999999999999.99").await;
    assert!(
        cents.text.contains(r#""credits":999999999999.99"#),
        "{}",
        cents.text
    );
    let view = app.user_view(&id_of(&ada)).await;
    assert!(
        view.text.contains(r#""credits":999999999999.99"#),
        "{}",
        view.text
    );
}
