//! One-time codes under attack: sends and wrong tries are capped per address and hour, a
//! password change retires the API key and hashes nothing for a wrong code, and no code is
//! ever in a mail's subject.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::mailbox::mails_to;
use crate::support::{assert_error, id_of, Backend, Reply, TestApp};

crate::on_both_backends!(
    code_sends_are_capped_per_address_and_hour,
    resending_does_not_buy_fresh_guesses,
    a_password_change_retires_the_api_key,
    a_wrong_code_costs_no_password_hash,
    no_code_is_in_a_subject,
);

const ADA: &str = "ada@example.com";
const UNAUTHORIZED: &str = "Authorization header or OTP is either missing, invalid or expired.";

async fn send_otp(app: &TestApp, otp_type: &str) -> Reply {
    let path = format!("/api/v1/users/{ADA}/otp/{otp_type}");
    app.send(Method::POST, &path, Some(&app.public_key()), None)
        .await
}

async fn change_password(app: &TestApp, code: &str) -> Reply {
    let body = json!({ "password": "a new horse battery", "code": code }).to_string();
    let path = format!("/api/v1/users/{ADA}/password");
    app.send(Method::PATCH, &path, Some(&app.public_key()), Some(&body))
        .await
}

/// The attack: flood an address with mail through Send OTP.
async fn code_sends_are_capped_per_address_and_hour(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.register(ADA).await; // the first ACTIVATION code
    for _ in 0..4 {
        assert_eq!(
            send_otp(&app, "ACTIVATION").await.status,
            StatusCode::CREATED
        );
    }
    let refused = send_otp(&app, "ACTIVATION").await;
    assert_error(
        &refused,
        StatusCode::TOO_MANY_REQUESTS,
        "You have exceeded the rate limit.",
    );
    let retry_after: u64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3_500..=3_600).contains(&retry_after), "{retry_after}");
    assert_eq!(app.count_events(Some("OtpIssued")).await, 5);
    // Another type has a budget of its own.
    assert_eq!(
        send_otp(&app, "CHANGE_PASSWORD").await.status,
        StatusCode::CREATED
    );
}

/// The attack: five wrong guesses, ask for a new code, five more, and so on.
async fn resending_does_not_buy_fresh_guesses(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    app.register(ADA).await;
    for round in 0..2 {
        send_otp(&app, "CHANGE_PASSWORD").await;
        let code = app.code(ADA, 2 + round).await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for _ in 0..5 {
            assert_error(
                &change_password(&app, wrong).await,
                StatusCode::UNAUTHORIZED,
                UNAUTHORIZED,
            );
        }
    }
    // Ten wrong tries this hour: even a fresh code is refused.
    send_otp(&app, "CHANGE_PASSWORD").await;
    let fresh = app.code(ADA, 4).await;
    assert_error(
        &change_password(&app, &fresh).await,
        StatusCode::UNAUTHORIZED,
        UNAUTHORIZED,
    );
    assert_eq!(app.count_events(Some("PasswordChanged")).await, 0);
    assert_eq!(app.count_events(Some("OtpFailed")).await, 10);
    // Once the hour has passed the fresh code's successor works.
    app.state.clock.advance(3_600_000);
    send_otp(&app, "CHANGE_PASSWORD").await;
    let later = app.code(ADA, 5).await;
    assert_eq!(change_password(&app, &later).await.status, StatusCode::OK);
}

/// The attack: a stolen session reads the API key, which used to outlive a password change.
async fn a_password_change_retires_the_api_key(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = app.register(ADA).await;
    let user_path = format!("/api/v1/users/{}", id_of(&ada));
    let key = app
        .as_user(Method::GET, &format!("{user_path}/api_key"), &ada, None)
        .await;
    let stolen = format!("Bearer {}", key.json["data"]["token"].as_str().unwrap());
    send_otp(&app, "CHANGE_PASSWORD").await;
    let code = app.code(ADA, 2).await;
    assert_eq!(change_password(&app, &code).await.status, StatusCode::OK);
    assert_error(
        &app.send(Method::GET, &user_path, Some(&stolen), None).await,
        StatusCode::UNAUTHORIZED,
        UNAUTHORIZED,
    );
    let signed_in = app.login(ADA, "a new horse battery").await;
    let renewed = app
        .as_user(
            Method::GET,
            &format!("{user_path}/api_key"),
            &signed_in,
            None,
        )
        .await;
    assert_ne!(renewed.json["data"]["id"], key.json["data"]["id"]);
    let fresh = format!("Bearer {}", renewed.json["data"]["token"].as_str().unwrap());
    assert_eq!(
        app.send(Method::GET, &user_path, Some(&fresh), None)
            .await
            .status,
        StatusCode::OK
    );
}

/// The attack: with only the public key, make the server hash a password per request.
async fn a_wrong_code_costs_no_password_hash(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    app.register(ADA).await;
    send_otp(&app, "CHANGE_PASSWORD").await;
    let code = app.code(ADA, 2).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let before = app.state.passwords.hashes_made();
    for _ in 0..3 {
        assert_error(
            &change_password(&app, wrong).await,
            StatusCode::UNAUTHORIZED,
            UNAUTHORIZED,
        );
    }
    // An unknown address is refused without hashing either.
    let other = json!({ "password": "a new horse battery", "code": "123456" }).to_string();
    app.send(
        Method::PATCH,
        "/api/v1/users/nobody@example.com/password",
        Some(&app.public_key()),
        Some(&other),
    )
    .await;
    assert_eq!(app.state.passwords.hashes_made(), before);
    assert_eq!(change_password(&app, &code).await.status, StatusCode::OK);
    assert_eq!(app.state.passwords.hashes_made(), before + 1);
}

async fn no_code_is_in_a_subject(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    app.register(ADA).await;
    send_otp(&app, "CHANGE_PASSWORD").await;
    let code = app.code(ADA, 2).await;
    let dir = &app.smtp.as_ref().unwrap().dir;
    let mails = mails_to(dir, ADA);
    assert_eq!(mails.len(), 2);
    for mail in mails {
        let subject = mail
            .lines()
            .find(|line| line.starts_with("Subject:"))
            .expect("a subject");
        assert!(!subject.chars().any(|c| c.is_ascii_digit()), "{subject}");
    }
    assert!(mails_to(dir, ADA)[1].contains(&code));
}
