//! Two-factor sign-in with an authenticator app (TOTP): enrolment shows the secret once, a
//! code works where an e-mailed code does, and each 30-second step is accepted only once.

use axum::http::{Method, StatusCode};
use clara::auth::totp::code_at;

use crate::support::{assert_error, Backend, Client, Reply, TestApp};

crate::on_both_backends!(
    an_authenticator_code_signs_in_once_per_step,
    wrong_authenticator_codes_lock_sign_in,
    an_emailed_code_does_not_pass_an_enrolled_authenticator,
    the_method_must_be_email_or_totp
);

const ADA: &str = "ada@example.com";

/// Ada, registered, activated, holding a fresh TWO_FACTOR_AUTH code (her third mail).
async fn active_ada(app: &TestApp) -> (Reply, String) {
    let ada = app.register_active(ADA).await;
    let path = format!("/api/v1/users/{ADA}/otp/TWO_FACTOR_AUTH");
    app.send(Method::POST, &path, Some(&app.public_key()), None)
        .await;
    let code = app.code(ADA, 2).await;
    (ada, code)
}

async fn login(app: &TestApp, code: &str) -> Reply {
    let body = format!(r#"{{"code": "{code}"}}"#);
    app.send(
        Method::POST,
        "/api/v1/auth/session",
        Some(&Client::basic(ADA, Client::PASSWORD)),
        Some(&body),
    )
    .await
}

/// Ada with an authenticator enrolled: her reply, the 2FA path, the enrolment's reply and
/// the secret.
async fn enrolled_ada(app: &TestApp) -> (Reply, String, Reply, String) {
    let (ada, code) = active_ada(app).await;
    let path = format!(
        "/api/v1/users/{}/2fa",
        ada.json["data"]["id"].as_str().unwrap()
    );
    let body = format!(r#"{{"code": "{code}", "method": "totp"}}"#);
    let enrolled = app.as_user(Method::POST, &path, &ada, Some(&body)).await;
    assert_eq!(enrolled.status, StatusCode::OK, "{}", enrolled.text);
    let secret = enrolled.json["data"]["secret"]
        .as_str()
        .unwrap()
        .to_string();
    (ada, path, enrolled, secret)
}

/// The attack: guess authenticator codes at sign-in, as fast as the server answers.
async fn wrong_authenticator_codes_lock_sign_in(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let (_, _, _, secret) = enrolled_ada(&app).await;
    let right = code_at(&secret, app.state.clock.now_ms()).unwrap();
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let limit = clara_aggregates::user::lockout::MAX_FAILED_LOGINS;
    for _ in 0..limit {
        let reply = login(&app, wrong).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
        assert_eq!(reply.json["data"]["is_2fa_enabled"], true);
    }
    assert_eq!(
        app.count_events(Some("SecondFactorFailed")).await,
        i64::from(limit)
    );
    // Locked: even the right password and code are refused, as a wrong password is.
    assert_error(
        &login(&app, &right).await,
        StatusCode::UNAUTHORIZED,
        "Authorization header or OTP is either missing, invalid or expired.",
    );
}

/// The attack: with the public key, have a TWO_FACTOR_AUTH code mailed and use it instead of
/// the authenticator.
async fn an_emailed_code_does_not_pass_an_enrolled_authenticator(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let (ada, path, _, secret) = enrolled_ada(&app).await;
    let send = format!("/api/v1/users/{ADA}/otp/TWO_FACTOR_AUTH");
    app.send(Method::POST, &send, Some(&app.public_key()), None)
        .await;
    let mailed = app.code(ADA, 3).await;
    let reply = login(&app, &mailed).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
    assert_eq!(reply.json["data"]["is_2fa_enabled"], true);
    let body = format!(r#"{{"code": "{mailed}"}}"#);
    let disabled = app.as_user(Method::DELETE, &path, &ada, Some(&body)).await;
    assert_eq!(
        disabled.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        disabled.text
    );
    let view = app
        .user_view(ada.json["data"]["id"].as_str().unwrap())
        .await;
    assert_eq!(view.json["data"]["is_2fa_enabled"], true);
    // Nor does it enrol another authenticator in place of the owner's.
    let replace = format!(r#"{{"code": "{mailed}", "method": "totp"}}"#);
    let replaced = app.as_user(Method::POST, &path, &ada, Some(&replace)).await;
    assert_eq!(
        replaced.status,
        StatusCode::UNAUTHORIZED,
        "{}",
        replaced.text
    );
    assert_eq!(app.count_events(Some("TotpEnrolled")).await, 1);
    // The authenticator's own code still signs in.
    let code = code_at(&secret, app.state.clock.now_ms()).unwrap();
    assert_eq!(login(&app, &code).await.status, StatusCode::OK);
}

async fn an_authenticator_code_signs_in_once_per_step(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let (ada, path, enrolled, secret) = enrolled_ada(&app).await;
    assert!(enrolled.json["data"]["otpauth_url"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/Clara:"));
    let stored: Vec<String> = clara::with_pool!(app.db(), pool =>
        sqlx::query_scalar("SELECT CAST(payload AS TEXT) FROM events").fetch_all(pool).await.unwrap());
    assert!(stored.iter().any(|row| row.contains("TotpEnrolled")));
    assert!(
        stored.iter().all(|row| !row.contains(&secret)),
        "the secret is stored sealed only"
    );

    let now = app.state.clock.now_ms();
    let first = code_at(&secret, now).unwrap();
    assert_eq!(login(&app, &first).await.status, StatusCode::OK);
    let replay = login(&app, &first).await;
    assert_eq!(replay.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        replay.json["data"]["is_2fa_enabled"], true,
        "a step is accepted once"
    );
    app.state.clock.advance(30_000);
    let next = code_at(&secret, now + 30_000).unwrap();
    assert_eq!(login(&app, &next).await.status, StatusCode::OK);

    // It turns two-factor sign-in off too, where an e-mailed code would.
    app.state.clock.advance(30_000);
    let off = format!(
        r#"{{"code": "{}"}}"#,
        code_at(&secret, now + 60_000).unwrap()
    );
    let disabled = app.as_user(Method::DELETE, &path, &ada, Some(&off)).await;
    assert_eq!(disabled.status, StatusCode::NO_CONTENT, "{}", disabled.text);
    let plain = app
        .send(
            Method::POST,
            "/api/v1/auth/session",
            Some(&Client::basic(ADA, Client::PASSWORD)),
            None,
        )
        .await;
    assert_eq!(plain.status, StatusCode::OK, "{}", plain.text);
}

async fn the_method_must_be_email_or_totp(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let (ada, code) = active_ada(&app).await;
    let path = format!(
        "/api/v1/users/{}/2fa",
        ada.json["data"]["id"].as_str().unwrap()
    );
    let body = format!(r#"{{"code": "{code}", "method": "sms"}}"#);
    let reply = app.as_user(Method::POST, &path, &ada, Some(&body)).await;
    assert_error(
        &reply,
        StatusCode::BAD_REQUEST,
        "One or more required parameters are either not given or have invalid schema.",
    );
}
