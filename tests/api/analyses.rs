//! Helpers for the agent's tests: multipart forms, files of real types, a funded active
//! user, and waiting for a task to end.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use lopdf::content::{Content, Operation};
use lopdf::{dictionary, Document, Object, Stream};
use serde_json::Value;

use crate::support::{id_of, Client, Reply, TestApp};

/// One part of a form: its name, its file name if it is a file, its bytes.
pub type Part<'a> = (&'a str, Option<&'a str>, Vec<u8>);

/// A `multipart/form-data` body of `parts`, and its content type.
pub fn form(parts: &[Part]) -> (String, Vec<u8>) {
    let boundary = "clara-test-boundary-7d9f";
    let mut body = Vec::new();
    for (name, file_name, bytes) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let disposition = match file_name {
            Some(file) => format!("form-data; name=\"{name}\"; filename=\"{file}\""),
            None => format!("form-data; name=\"{name}\""),
        };
        body.extend_from_slice(format!("Content-Disposition: {disposition}\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A text part named `content`.
pub fn content(text: &str) -> Part<'static> {
    ("content", None, text.as_bytes().to_vec())
}

/// A file part named after its file, as the published API sends them.
pub fn file<'a>(name: &'a str, bytes: Vec<u8>) -> Part<'a> {
    (name, Some(name), bytes)
}

/// A 1×1 PNG.
pub fn png() -> Vec<u8> {
    let mut bytes =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89".to_vec();
    bytes.extend_from_slice(
        b"\0\0\0\nIDATx\x9cc\0\x01\0\0\x05\0\x01\r\n-\xb4\0\0\0\0IEND\xaeB`\x82",
    );
    bytes
}

/// A one-page PDF whose text is `text`.
pub fn pdf(text: &str) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding",
    });
    let resources_id = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font_id } });
    let content = Content {
        operations: vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 12.into()]),
            Operation::new("Td", vec![72.into(), 720.into()]),
            Operation::new("Tj", vec![Object::string_literal(text)]),
            Operation::new("ET", vec![]),
        ],
    };
    let content_id = doc.add_object(Stream::new(dictionary! {}, content.encode().unwrap()));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
        "Resources" => resources_id,
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1,
            "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
        }),
    );
    let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

pub fn analysis_path(user_id: &str) -> String {
    format!("/api/v1/users/{user_id}/agent/analysis")
}

/// Submits `parts` for `user_id` with `auth`.
pub async fn submit(client: &Client, user_id: &str, auth: &str, parts: &[Part<'_>]) -> Reply {
    let (content_type, body) = form(parts);
    client
        .send_bytes(
            Method::POST,
            &analysis_path(user_id),
            Some(auth),
            &content_type,
            body,
        )
        .await
}

/// Registers and activates `email`, sets its balance to `credits`; returns the register
/// reply (with the user's token).
pub async fn funded(app: &TestApp, email: &str, credits: &str) -> Reply {
    let user = app.register_active(email).await;
    set_credits(app, &id_of(&user), credits).await;
    user
}

pub async fn set_credits(app: &TestApp, user_id: &str, credits: &str) {
    let body = format!(r#"{{"credits": {credits}}}"#);
    let path = format!("/api/v1/users/{user_id}/credits");
    let reply = app
        .send(Method::PUT, &path, Some(&app.private_key()), Some(&body))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

/// The user's credits, as the user view shows them.
pub async fn credits(app: &TestApp, user_id: &str) -> f64 {
    app.user_view(user_id).await.json["data"]["credits"]
        .as_f64()
        .unwrap()
}

/// The task as Task View shows it to the operator.
pub async fn task(client: &Client, user_id: &str, task_id: &str) -> Value {
    let path = format!("/api/v1/users/{user_id}/tasks/{task_id}");
    let reply = client
        .send(Method::GET, &path, Some(&client.private_key()), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    reply.json["data"].clone()
}

/// Waits (up to `within`) until the task has ended; returns it.
pub async fn ended(client: &Client, user_id: &str, task_id: &str, within: Duration) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let task = task(client, user_id, task_id).await;
        if matches!(task["status"].as_str(), Some("COMPLETED" | "FAILED")) {
            return task;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the task did not end in time: {task}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
