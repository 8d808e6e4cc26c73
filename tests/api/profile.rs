//! User Update: which keys may change, who may change them, and nothing changes on a refusal.

use axum::http::{Method, StatusCode};

use crate::support::{assert_error, Backend, Client, TestApp};

crate::on_both_backends!(
    the_owner_changes_names_and_dark_mode,
    any_other_key_is_400_and_changes_nothing,
    only_the_owner_may_update,
);

const SCHEMA: &str = "One or more required parameters are either not given or have invalid schema.";

async fn the_owner_changes_names_and_dark_mode(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register("ada@example.com").await;
    let path = format!("/api/v1/users/{}", ada.json["data"]["id"].as_str().unwrap());
    let body = r#"{"first_name": "augusta ada", "is_dark_mode": false}"#;
    let reply = app.as_user(Method::PATCH, &path, &ada, Some(body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["message"], "User updated successfully.");
    assert_eq!(reply.json["data"]["first_name"], "Augusta Ada");
    assert_eq!(reply.json["data"]["last_name"], "Lovelace");
    assert_eq!(reply.json["data"]["is_dark_mode"], false);
    let view = app
        .send(Method::GET, &path, Some(&app.private_key()), None)
        .await;
    assert_eq!(view.json["data"], reply.json["data"]);
}

async fn any_other_key_is_400_and_changes_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register("ada@example.com").await;
    let path = format!("/api/v1/users/{}", ada.json["data"]["id"].as_str().unwrap());
    let before = app.count_events(None).await;
    let bodies = [
        r#"{"first_name": "Eve", "email": "eve@example.com"}"#,
        r#"{"id": "user_x"}"#,
        r#"{"password": "new password"}"#,
        r#"{"credits": 100}"#,
        r#"{"is_2fa_enabled": true}"#,
        r#"{"is_active": true}"#,
        r#"{"created_at": "x"}"#,
        r#"{"updated_at": "x"}"#,
        r#"{"nickname": "x"}"#,
        r#"{"first_name": null}"#,
        r#"{"first_name": "  "}"#,
        r#"{"is_dark_mode": "yes"}"#,
    ];
    for body in bodies {
        let reply = app.as_user(Method::PATCH, &path, &ada, Some(body)).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, SCHEMA);
    }
    let empty = app
        .send(
            Method::PATCH,
            &path,
            Some(&Client::bearer(&ada)),
            Some("{}"),
        )
        .await;
    assert_error(&empty, StatusCode::BAD_REQUEST, "Request body is empty.");
    assert_eq!(app.count_events(None).await, before);
    let view = app
        .send(Method::GET, &path, Some(&app.private_key()), None)
        .await;
    assert_eq!(view.json["data"]["first_name"], "Ada");
}

async fn only_the_owner_may_update(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register("ada@example.com").await;
    let grace = app.register("grace@example.com").await;
    let path = format!("/api/v1/users/{}", ada.json["data"]["id"].as_str().unwrap());
    let body = Some(r#"{"first_name": "Eve"}"#);
    let none = app.send(Method::PATCH, &path, None, body).await;
    assert_error(
        &none,
        StatusCode::UNAUTHORIZED,
        "Authorization header or OTP is either missing, invalid or expired.",
    );
    for auth in [Client::bearer(&grace), app.private_key(), app.public_key()] {
        let reply = app.send(Method::PATCH, &path, Some(&auth), body).await;
        assert_error(
            &reply,
            StatusCode::FORBIDDEN,
            "You do not have access to the requested resource.",
        );
    }
}
