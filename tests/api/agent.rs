//! Agent routes: the attachment types the agent accepts, and who may ask.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{assert_error, id_of, Backend, TestApp};

crate::on_both_backends!(
    the_owner_an_api_key_and_the_operator_see_the_supported_attachments,
    others_inactive_accounts_and_missing_credentials_are_refused,
);

fn path(user_id: &str) -> String {
    format!("/api/v1/users/{user_id}/agent/supported_attachments")
}

async fn the_owner_an_api_key_and_the_operator_see_the_supported_attachments(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = app.register_active("ada@example.com").await;
    let id = id_of(&ada);
    let api_key = app.api_key_bearer(&ada).await;
    let expected = json!({
        "audio": [".flac", ".m4a", ".mp3", ".ogg", ".wav"],
        "document": [".csv", ".html", ".json", ".md", ".pdf", ".txt"],
        "image": [".gif", ".jpeg", ".jpg", ".png", ".webp"],
        "video": [".mov", ".mp4", ".webm"],
    });
    for auth in [
        crate::support::Client::bearer(&ada),
        api_key,
        app.private_key(),
    ] {
        let reply = app.send(Method::GET, &path(&id), Some(&auth), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        assert_eq!(
            reply.json["message"],
            "Supported attachments fetched successfully."
        );
        assert_eq!(reply.json["data"], expected);
    }
}

async fn others_inactive_accounts_and_missing_credentials_are_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register("ada@example.com").await;
    let grace = app.register("grace@example.com").await;
    let ada_path = path(&id_of(&ada));
    assert_error(
        &app.as_user(Method::GET, &ada_path, &ada, None).await,
        StatusCode::UNAUTHORIZED,
        "Please activate your account to access the requested resource.",
    );
    for auth in [crate::support::Client::bearer(&grace), app.public_key()] {
        assert_error(
            &app.send(Method::GET, &ada_path, Some(&auth), None).await,
            StatusCode::FORBIDDEN,
            "You do not have access to the requested resource.",
        );
    }
    assert_error(
        &app.send(Method::GET, &ada_path, None, None).await,
        StatusCode::UNAUTHORIZED,
        "Authorization header or OTP is either missing, invalid or expired.",
    );
    let nobody = path("user_00000000000000000000000000000000");
    assert_error(
        &app.send(Method::GET, &nobody, Some(&app.private_key()), None)
            .await,
        StatusCode::NOT_FOUND,
        "User with the given identifier does not exist.",
    );
}
