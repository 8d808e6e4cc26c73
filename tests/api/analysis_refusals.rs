//! Every refusal of the Analysis route, each leaving no task, no charge and no stored file.

use axum::http::{Method, StatusCode};

use crate::analyses::{analysis_path, content, credits, file, form, funded, png, submit};
use crate::support::{assert_error, id_of, Backend, Client, TestApp};

crate::on_both_backends!(
    malformed_forms_are_refused_with_nothing_charged,
    files_and_requests_over_the_limits_are_too_large,
    analyses_need_credits_an_active_owner_and_a_credential,
);

const SCHEMA: &str = "One or more required parameters are either not given or have invalid schema.";
const TOO_LARGE: &str = "The request is too large.";

/// Nothing of a refused analysis is left: no task, no charge, no stored attachment.
async fn assert_nothing_left(app: &TestApp, user_id: &str, credits_before: f64) {
    assert_eq!(app.count_events(Some("Created")).await, 0);
    assert_eq!(app.count_events(Some("TaskCharged")).await, 0);
    assert_eq!(credits(app, user_id).await, credits_before);
    assert!(!app.attachments.exists(), "no attachment was stored");
}

async fn malformed_forms_are_refused_with_nothing_charged(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = funded(&app, "ada@example.com", "100").await;
    let id = id_of(&ada);
    let auth = Client::bearer(&ada);
    let six: Vec<_> = (0..6)
        .map(|i| (format!("n{i}.txt"), format!("note {i}").into_bytes()))
        .collect();
    let six_files: Vec<_> = six
        .iter()
        .map(|(name, bytes)| file(name, bytes.clone()))
        .collect();
    let too_long = "a".repeat(100_001);
    let cases: Vec<Vec<crate::analyses::Part>> = vec![
        vec![],
        vec![content("   ")],
        six_files,
        vec![content(&too_long)],
        vec![file("run.exe", b"MZ".to_vec())],
        vec![file("README", b"text".to_vec())],
        vec![file("photo.png", b"not a picture at all".to_vec())],
        vec![file("photo.jpg", png())],
        vec![file("notes.txt", b"\xff\xfe\xfa".to_vec())],
        vec![file("data.json", b"{\"open\": ".to_vec())],
        vec![file("scan.pdf", b"just text".to_vec())],
        vec![content("ok"), content("twice")],
    ];
    for parts in &cases {
        let reply = submit(&app, &id, &auth, parts).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, SCHEMA);
    }
    let plain = app
        .send(
            Method::POST,
            &analysis_path(&id),
            Some(&auth),
            Some(r#"{"content": "json is not a form"}"#),
        )
        .await;
    assert_error(&plain, StatusCode::BAD_REQUEST, "Request body is empty.");
    let exactly = "b".repeat(100_000);
    let (content_type, mut body) = form(&[content(&exactly)]);
    body.truncate(body.len() - 10);
    let cut = app
        .send_bytes(
            Method::POST,
            &analysis_path(&id),
            Some(&auth),
            &content_type,
            body,
        )
        .await;
    assert_error(&cut, StatusCode::BAD_REQUEST, SCHEMA);
    assert_nothing_left(&app, &id, 100.0).await;
    // At the limits exactly: 100,000 characters (of several bytes each) and five files.
    let wide = "é".repeat(100_000);
    let five: Vec<_> = six[..5]
        .iter()
        .map(|(name, bytes)| file(name, bytes.clone()))
        .chain([content(&wide)])
        .collect();
    let accepted = submit(&app, &id, &auth, &five).await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.text);
}

async fn files_and_requests_over_the_limits_are_too_large(backend: Backend) {
    let app = TestApp::with_mail_adjusted(backend, |settings| {
        settings.agent.max_file_bytes = 64 * 1024;
    })
    .await;
    let ada = funded(&app, "ada@example.com", "100").await;
    let id = id_of(&ada);
    let auth = Client::bearer(&ada);
    let big = vec![b'a'; 64 * 1024 + 1];
    let reply = submit(&app, &id, &auth, &[file("big.txt", big)]).await;
    assert_error(&reply, StatusCode::PAYLOAD_TOO_LARGE, TOO_LARGE);
    // Five files within the limit each, but the request passes 5 × 64 KiB + 1 MiB.
    let names = ["f0.txt", "f1.txt", "f2.txt", "f3.txt", "f4.txt"];
    let mut parts: Vec<_> = names
        .iter()
        .map(|name| file(name, vec![b'a'; 64 * 1024]))
        .collect();
    parts.push(("padding", None, vec![b'p'; 1024 * 1024]));
    let reply = submit(&app, &id, &auth, &parts).await;
    assert_error(&reply, StatusCode::PAYLOAD_TOO_LARGE, TOO_LARGE);
    assert_nothing_left(&app, &id, 100.0).await;
    let exactly = vec![b'a'; 64 * 1024];
    let reply = submit(&app, &id, &auth, &[file("edge.txt", exactly)]).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
}

async fn analyses_need_credits_an_active_owner_and_a_credential(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = funded(&app, "ada@example.com", "19.99").await;
    let id = id_of(&ada);
    let parts = [content("Prices rose 3% in May.")];
    assert_error(
        &submit(&app, &id, &Client::bearer(&ada), &parts).await,
        StatusCode::FORBIDDEN,
        "You do not have enough credits to perform this action.",
    );
    let grace = app.register_active("grace@example.com").await;
    for auth in [Client::bearer(&grace), app.public_key()] {
        assert_error(
            &submit(&app, &id, &auth, &parts).await,
            StatusCode::FORBIDDEN,
            "You do not have access to the requested resource.",
        );
    }
    assert_error(
        &submit(&app, &id, "Bearer clara_user_forged", &parts).await,
        StatusCode::UNAUTHORIZED,
        "Authorization header or OTP is either missing, invalid or expired.",
    );
    let inactive = app.register("alan@example.com").await;
    assert_error(
        &submit(&app, &id_of(&inactive), &Client::bearer(&inactive), &parts).await,
        StatusCode::UNAUTHORIZED,
        "Please activate your account to access the requested resource.",
    );
    let nobody = "user_00000000000000000000000000000000";
    assert_error(
        &submit(&app, nobody, &app.private_key(), &parts).await,
        StatusCode::NOT_FOUND,
        "User with the given identifier does not exist.",
    );
    assert_nothing_left(&app, &id, 19.99).await;
    crate::analyses::set_credits(&app, &id, "20").await;
    let paid = submit(&app, &id, &Client::bearer(&ada), &parts).await;
    assert_eq!(
        paid.status,
        StatusCode::CREATED,
        "exactly the price is enough"
    );
    assert_eq!(credits(&app, &id).await, 0.0);
}
