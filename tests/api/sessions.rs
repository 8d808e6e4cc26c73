//! Sessions: tokens from Register and Login, Logout, forged tokens, and the sign-in lockout.

use axum::http::{Method, StatusCode};
use clara::auth::token::issue_user_token;
use clara_aggregates::FORGET_SESSIONS_AFTER_MS;
use futures::future::join_all;

use crate::support::{assert_error, Backend, Client, TestApp};

crate::on_both_backends!(
    a_token_admits_its_own_user_only,
    login_with_the_right_password_opens_a_working_session,
    a_sign_in_after_expiry_forgets_the_expired_sessions,
    wrong_unknown_or_missing_credentials_are_401,
    logout_closes_only_the_calling_session,
    what_another_process_changes_counts_on_the_next_request,
    logout_needs_a_user_token,
    forged_expired_and_tampered_tokens_are_401,
    parallel_wrong_passwords_are_each_counted_then_the_account_locks,
    parallel_sign_ins_in_one_process_take_turns_without_racing,
    two_processes_racing_on_one_account_lose_no_failure,
    open_sessions_are_capped_and_the_oldest_closes,
);

const UNAUTHORIZED: &str = "Authorization header or OTP is either missing, invalid or expired.";
const FORBIDDEN: &str = "You do not have access to the requested resource.";
const SESSION: &str = "/api/v1/auth/session";

fn user_path(reply: &crate::support::Reply) -> String {
    format!(
        "/api/v1/users/{}",
        reply.json["data"]["id"].as_str().unwrap()
    )
}

async fn a_token_admits_its_own_user_only(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register("ada@example.com").await;
    let grace = app.register("grace@example.com").await;
    let own = app.as_user(Method::GET, &user_path(&ada), &ada, None).await;
    assert_eq!(own.status, StatusCode::OK);
    let other = app
        .as_user(Method::GET, &user_path(&grace), &ada, None)
        .await;
    assert_error(&other, StatusCode::FORBIDDEN, FORBIDDEN);
}

async fn login_with_the_right_password_opens_a_working_session(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register("ada@example.com").await;
    let renamed = r#"{"first_name": "augusta ada"}"#;
    app.as_user(Method::PATCH, &user_path(&ada), &ada, Some(renamed))
        .await;
    let login = app.login("ADA@example.com", Client::PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    assert_eq!(login.json["message"], "User logged in successfully.");
    // The user as stored, though signing in changes nothing the view shows.
    let mut shown = login.json["data"].clone();
    shown.as_object_mut().unwrap().remove("token");
    let stored = app.user_view(&crate::support::id_of(&ada)).await;
    assert_eq!(shown, stored.json["data"]);
    assert_eq!(shown["first_name"], "Augusta Ada");
    assert_ne!(
        login.json["data"]["token"], ada.json["data"]["token"],
        "a new session"
    );
    let view = app
        .as_user(Method::GET, &user_path(&ada), &login, None)
        .await;
    assert_eq!(view.status, StatusCode::OK);
}

/// Sessions past their expiry stop admitting at once, and the next sign-in records them as
/// expired, so the account does not carry them forever.
async fn a_sign_in_after_expiry_forgets_the_expired_sessions(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register("ada@example.com").await;
    // The clock runs on from real time: stop a minute short of expiry, then pass it.
    let week = app.state.settings.session_expiry_ms;
    app.state.clock.advance(week - 60_000);
    let live = app.login("ada@example.com", Client::PASSWORD).await;
    assert_eq!(live.status, StatusCode::OK, "{}", live.text);
    assert_eq!(app.count_events(Some("SessionsExpired")).await, 0);
    app.state.clock.advance(60_000);
    let expired = app.as_user(Method::GET, &user_path(&ada), &ada, None).await;
    assert_error(&expired, StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    // Forgotten an hour after expiry, so processes with slightly different clocks agree.
    app.state.clock.advance(FORGET_SESSIONS_AFTER_MS);

    let again = app.login("ada@example.com", Client::PASSWORD).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    assert_eq!(app.count_events(Some("SessionsExpired")).await, 1);
    let still = app
        .as_user(Method::GET, &user_path(&ada), &live, None)
        .await;
    assert_eq!(still.status, StatusCode::OK, "a live session is kept");
}

async fn wrong_unknown_or_missing_credentials_are_401(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.register("ada@example.com").await;
    let before = app.count_events(Some("SessionOpened")).await;
    let attempts = [
        Some(Client::basic("ada@example.com", "wrong password")),
        Some(Client::basic("nobody@example.com", Client::PASSWORD)),
        Some("Basic not-base64!".to_string()),
        Some(app.public_key()),
        None,
    ];
    for auth in attempts {
        let reply = app.send(Method::POST, SESSION, auth.as_deref(), None).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    }
    assert_eq!(app.count_events(Some("SessionOpened")).await, before);
    assert_eq!(
        app.count_events(Some("LoginFailed")).await,
        1,
        "only the known user's failure is recorded"
    );
}

async fn logout_closes_only_the_calling_session(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register("ada@example.com").await;
    let login = app.login("ada@example.com", Client::PASSWORD).await;
    let bye = app.as_user(Method::DELETE, SESSION, &login, None).await;
    assert_eq!(bye.status, StatusCode::NO_CONTENT);
    assert!(bye.text.is_empty());
    let closed = app
        .as_user(Method::GET, &user_path(&ada), &login, None)
        .await;
    assert_error(&closed, StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    let again = app.as_user(Method::DELETE, SESSION, &login, None).await;
    assert_error(&again, StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    let other = app.as_user(Method::GET, &user_path(&ada), &ada, None).await;
    assert_eq!(
        other.status,
        StatusCode::OK,
        "the registration's session stays open"
    );
}

/// A token is checked, and its user read, in one round trip on every request: a logout, a
/// new API key or a renamed profile on one process shows on the next request to another.
async fn what_another_process_changes_counts_on_the_next_request(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register("ada@example.com").await;
    let login = app.login("ada@example.com", Client::PASSWORD).await;
    let old_key = app.api_key_bearer(&ada).await;
    let other = TestApp::open(&app.database_url).await;
    let path = user_path(&ada);

    let renamed = other
        .as_user(
            Method::PATCH,
            &path,
            &ada,
            Some(r#"{"first_name":"Augusta"}"#),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text);
    for auth in [Client::bearer(&login), old_key.clone()] {
        let seen = app.send(Method::GET, &path, Some(&auth), None).await;
        assert_eq!(seen.status, StatusCode::OK, "{}", seen.text);
        assert_eq!(seen.json["data"]["first_name"], "Augusta");
    }

    let bye = other.as_user(Method::DELETE, SESSION, &login, None).await;
    assert_eq!(bye.status, StatusCode::NO_CONTENT);
    let closed = app.as_user(Method::GET, &path, &login, None).await;
    assert_error(&closed, StatusCode::UNAUTHORIZED, UNAUTHORIZED);

    let key_path = format!("{path}/api_key");
    let reissued = other.as_user(Method::POST, &key_path, &ada, None).await;
    assert!(reissued.status.is_success(), "{}", reissued.text);
    let retired = app.send(Method::GET, &path, Some(&old_key), None).await;
    assert_error(&retired, StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    let new_key = app.api_key_bearer(&ada).await;
    let current = app.send(Method::GET, &path, Some(&new_key), None).await;
    assert_eq!(current.status, StatusCode::OK, "{}", current.text);
}

async fn logout_needs_a_user_token(backend: Backend) {
    let app = TestApp::new(backend).await;
    let none = app.send(Method::DELETE, SESSION, None, None).await;
    assert_error(&none, StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    for key in [app.public_key(), app.private_key()] {
        let reply = app.send(Method::DELETE, SESSION, Some(&key), None).await;
        assert_error(&reply, StatusCode::FORBIDDEN, FORBIDDEN);
    }
}

async fn forged_expired_and_tampered_tokens_are_401(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register("ada@example.com").await;
    let path = user_path(&ada);
    let id = ada.json["data"]["id"].as_str().unwrap();
    let token = ada.json["data"]["token"].as_str().unwrap();
    let claims = clara::auth::token::verify(
        &app.state.secrets.jwt_secret,
        token.strip_prefix("clara_user_").unwrap(),
        "user",
    )
    .unwrap();
    let secret = &app.state.secrets.jwt_secret;
    let expired = issue_user_token(secret, id, &claims.sid, 0, 1_000);
    let forged = issue_user_token(
        "not the secret",
        id,
        &claims.sid,
        clara::clock::now_ms(),
        i64::MAX / 2,
    );
    let unknown_session = issue_user_token(
        secret,
        id,
        "session_unknown",
        clara::clock::now_ms(),
        i64::MAX / 2,
    );
    let mut tampered = token.to_string();
    tampered.insert(token.len() - 3, 'x');
    for bad in [
        expired,
        forged,
        unknown_session,
        tampered,
        "clara_user_".to_string(),
    ] {
        let reply = app
            .send(Method::GET, &path, Some(&format!("Bearer {bad}")), None)
            .await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    }
}

async fn parallel_wrong_passwords_are_each_counted_then_the_account_locks(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.register("ada@example.com").await;
    wrong_guesses_at_once(&[&app.client], 50).await;
    assert_eq!(
        app.count_events(Some("LoginFailed")).await,
        50,
        "no failure lost to a race"
    );
    // Locked: even the right password is refused, with the same answer.
    let right = app.login("ada@example.com", Client::PASSWORD).await;
    assert_error(&right, StatusCode::UNAUTHORIZED, UNAUTHORIZED);
}

/// Sign-ins prepared at once (each read the account, then hashed) commit one after the
/// other on the state the previous one left, instead of each losing a race on the state it
/// read first and starting over.
async fn parallel_sign_ins_in_one_process_take_turns_without_racing(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.register("ada@example.com").await;
    let logins = (0..16).map(|_| {
        let client = app.client.clone();
        tokio::spawn(async move {
            let auth = Client::basic("ada@example.com", Client::PASSWORD);
            client.send(Method::POST, SESSION, Some(&auth), None).await
        })
    });
    for login in join_all(logins).await {
        let login = login.unwrap();
        assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    }
    // Register opened one session.
    assert_eq!(app.count_events(Some("SessionOpened")).await, 17);
    assert_eq!(app.state.users.lost_races(), 0);
}

/// Within one process, commands on an account take turns; across processes they race on the
/// event store, and the loser of each race retries on the new state.
async fn two_processes_racing_on_one_account_lose_no_failure(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.register("ada@example.com").await;
    let other = TestApp::open(&app.database_url).await;
    wrong_guesses_at_once(&[&app.client, &other.client], 20).await;
    assert_eq!(app.count_events(Some("LoginFailed")).await, 20);
}

/// Sends `count` wrong passwords for ada@example.com at once, spread over `clients` in turn,
/// and checks each is refused with 401.
async fn wrong_guesses_at_once(clients: &[&Client], count: usize) {
    let guesses = (0..count).map(|n| {
        let client = clients[n % clients.len()].clone();
        tokio::spawn(async move {
            let auth = Client::basic("ada@example.com", &format!("guess number {n}"));
            client
                .send(Method::POST, SESSION, Some(&auth), None)
                .await
                .status
        })
    });
    for status in join_all(guesses).await {
        assert_eq!(status.unwrap(), StatusCode::UNAUTHORIZED);
    }
}

/// The attack: sign in thousands of times so that closing every session at once (a password
/// change, a Google take-over) grows past what one statement can carry.
async fn open_sessions_are_capped_and_the_oldest_closes(backend: Backend) {
    let app = TestApp::new(backend).await;
    let first = app.register("ada@example.com").await;
    let path = user_path(&first);
    for _ in 0..clara_aggregates::MAX_OPEN_SESSIONS {
        let reply = app.login("ada@example.com", Client::PASSWORD).await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    assert_eq!(
        app.as_user(Method::GET, &path, &first, None).await.status,
        StatusCode::UNAUTHORIZED,
        "the oldest session closed"
    );
    let newest = app.login("ada@example.com", Client::PASSWORD).await;
    assert_eq!(
        app.as_user(Method::GET, &path, &newest, None).await.status,
        StatusCode::OK
    );
}
