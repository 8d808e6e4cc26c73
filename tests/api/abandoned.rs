//! An address claimed by a registration that never completed: taken over after a minute,
//! and never by two accounts at once.

use axum::http::{Method, StatusCode};
use clara::commands::CommitError;
use clara::commands::Meta;
use clara_aggregates::{
    EmailClaimCommand, NewOtp, NewSession, UserCommand, UserError, STALE_CLAIM_AFTER_MS,
};

use crate::support::{assert_error, Backend, Client, TestApp};

crate::on_both_backends!(
    a_claim_left_by_a_crashed_registration_is_taken_over_after_a_minute,
    a_registration_stalled_past_a_minute_loses_its_address_to_the_one_that_took_it,
    a_registered_owner_keeps_the_address_however_old_the_claim,
    a_process_that_kept_the_old_owner_signs_in_the_new_one,
);

const EMAIL: &str = "ada@example.com";
const TAKEN: &str = "User with the given identifier already exists.";

/// The first step of a registration for `user_id`: its claim on [`EMAIL`], and no more.
async fn claim_only(app: &TestApp, user_id: &str) {
    let claim = EmailClaimCommand::Claim {
        user_id: user_id.into(),
        owner_abandoned: false,
        now_ms: app.state.clock.now_ms(),
    };
    let claimed = app
        .state
        .claims
        .execute_once(&app.state.claim_ids.of(EMAIL), claim, &Meta::default())
        .await;
    assert!(claimed.is_ok());
}

async fn a_claim_left_by_a_crashed_registration_is_taken_over_after_a_minute(backend: Backend) {
    let app = TestApp::new(backend).await;
    claim_only(&app, "user_crashed").await;
    app.state.clock.advance(STALE_CLAIM_AFTER_MS - 1_000);
    // It may still be in flight.
    assert_error(&app.register(EMAIL).await, StatusCode::BAD_REQUEST, TAKEN);
    app.state.clock.advance(1_000);
    let ada = app.register(EMAIL).await;
    assert_eq!(ada.status, StatusCode::CREATED, "{}", ada.text);
    assert_eq!(app.count_events(Some("RegistrationAbandoned")).await, 1);
    let login = app.login(EMAIL, Client::PASSWORD).await;
    assert_eq!(login.json["data"]["id"], ada.json["data"]["id"]);
    // The abandoned account shows nowhere.
    let private = app.private_key();
    let users = app
        .send(
            Method::GET,
            "/api/v1/users?limit=100&offset=0",
            Some(&private),
            None,
        )
        .await;
    assert_eq!(users.json["data"].as_array().unwrap().len(), 1);
}

async fn a_registration_stalled_past_a_minute_loses_its_address_to_the_one_that_took_it(
    backend: Backend,
) {
    let app = TestApp::new(backend).await;
    claim_only(&app, "user_stalled").await;
    app.state.clock.advance(STALE_CLAIM_AFTER_MS);
    let ada = app.register(EMAIL).await;
    assert_eq!(ada.status, StatusCode::CREATED, "{}", ada.text);
    // The stalled registration wakes up and tries to create its account.
    let now = app.state.clock.now_ms();
    let register = UserCommand::Register {
        email: EMAIL.into(),
        first_name: "Slow".into(),
        last_name: "Coach".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        session: NewSession {
            session_id: "session_stalled".into(),
            expires_at_ms: now + 60_000,
        },
        activation: NewOtp {
            otp_id: "otp_stalled".into(),
            code_mac: "mac".into(),
            issued_at_ms: now,
            expires_at_ms: now + 60_000,
        },
        api_key_id: "api_key_stalled".into(),
    };
    let stalled = app
        .state
        .users
        .execute("user_stalled", register, &Meta::default())
        .await;
    assert!(matches!(
        stalled,
        Err(CommitError::Domain(UserError::Abandoned))
    ));
    assert_eq!(app.count_events(Some("Registered")).await, 1);
    let login = app.login(EMAIL, Client::PASSWORD).await;
    assert_eq!(login.json["data"]["id"], ada.json["data"]["id"]);
}

async fn a_registered_owner_keeps_the_address_however_old_the_claim(backend: Backend) {
    let app = TestApp::new(backend).await;
    assert_eq!(app.register(EMAIL).await.status, StatusCode::CREATED);
    app.state.clock.advance(10 * STALE_CLAIM_AFTER_MS);
    let before = app.count_events(None).await;
    assert_error(&app.register(EMAIL).await, StatusCode::BAD_REQUEST, TAKEN);
    assert_eq!(app.count_events(None).await, before);
}

/// A process keeps the claim naming an abandoned account when another process takes the
/// address over: a sign-in there reads the new owner, not the account it kept.
async fn a_process_that_kept_the_old_owner_signs_in_the_new_one(backend: Backend) {
    let first = TestApp::new(backend).await;
    let second = TestApp::open(&first.database_url).await;
    claim_only(&first, "user_crashed").await;
    for app in [&first, &second] {
        app.state.clock.advance(STALE_CLAIM_AFTER_MS);
    }
    let abandoned = first
        .state
        .users
        .execute("user_crashed", UserCommand::Abandon, &Meta::default())
        .await;
    assert!(abandoned.is_ok());
    let ada = second.register(EMAIL).await;
    assert_eq!(ada.status, StatusCode::CREATED, "{}", ada.text);
    let login = first.login(EMAIL, Client::PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    assert_eq!(login.json["data"]["id"], ada.json["data"]["id"]);
}
