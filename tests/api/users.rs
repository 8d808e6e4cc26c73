//! User View with the private key.

use axum::http::{Method, StatusCode};

use crate::support::{assert_error, Backend, TestApp};

crate::on_both_backends!(
    the_private_key_views_any_user,
    an_unknown_user_is_404,
    the_view_needs_the_private_key
);

async fn the_private_key_views_any_user(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut registered = app.register("ada@example.com").await.json["data"].clone();
    registered.as_object_mut().unwrap().remove("token");
    let id = registered["id"].as_str().unwrap();
    let reply = app.user_view(id).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["message"], "User fetched successfully.");
    assert_eq!(reply.json["data"], registered);
}

async fn an_unknown_user_is_404(backend: Backend) {
    let app = TestApp::new(backend).await;
    let missing = format!("/api/v1/users/user_{}", "0".repeat(32));
    let reply = app
        .send(Method::GET, &missing, Some(&app.private_key()), None)
        .await;
    assert_error(
        &reply,
        StatusCode::NOT_FOUND,
        "User with the given identifier does not exist.",
    );
}

async fn the_view_needs_the_private_key(backend: Backend) {
    let app = TestApp::new(backend).await;
    let id = app.register("ada@example.com").await.json["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/users/{id}");
    let none = app.send(Method::GET, &path, None, None).await;
    assert_error(
        &none,
        StatusCode::UNAUTHORIZED,
        "Authorization header or OTP is either missing, invalid or expired.",
    );
    let public = app
        .send(Method::GET, &path, Some(&app.public_key()), None)
        .await;
    assert_error(
        &public,
        StatusCode::FORBIDDEN,
        "You do not have access to the requested resource.",
    );
}
