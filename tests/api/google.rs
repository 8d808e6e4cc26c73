//! Google sign-in: ID tokens signed with the tests' own RSA key, whose JWKS a loopback HTTP
//! server publishes in Google's place.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use axum::http::{Method, StatusCode};
use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use rsa::pkcs1::{EncodeRsaPrivateKey, EncodeRsaPublicKey};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Value};

use crate::support::{assert_error, Backend, Reply, TestApp};

crate::on_both_backends!(
    a_new_google_identity_registers_an_active_user,
    a_known_email_signs_in_and_is_activated,
    google_takes_an_unproven_account_from_whoever_registered_it,
    an_internationalised_google_address_signs_in_again,
    forged_and_mismatched_tokens_are_401_and_change_nothing,
    google_keys_are_cached_for_their_max_age,
    google_sign_in_needs_a_body_and_configuration,
);

const CLIENT_ID: &str = "clara-test.apps.googleusercontent.com";
const KID: &str = "test-key";
const UNAUTHORIZED: &str = "Authorization header or OTP is either missing, invalid or expired.";

fn key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap())
}

/// Serves the test key as a JWKS on loopback; returns its URL and a count of fetches.
async fn jwks_server() -> (String, Arc<AtomicUsize>) {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let public = key().to_public_key();
    let jwks = json!({"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": KID,
        "n": b64.encode(public.n().to_bytes_be()), "e": b64.encode(public.e().to_bytes_be())}]});
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let router = axum::Router::new().route(
        "/certs",
        axum::routing::get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let jwks = jwks.clone();
            async move { ([("cache-control", "public, max-age=300")], axum::Json(jwks)) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/certs", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (url, hits)
}

async fn app_with_google(backend: Backend) -> (TestApp, Arc<AtomicUsize>) {
    let (url, hits) = jwks_server().await;
    let app = TestApp::create_with(backend, None, |settings| {
        settings.google_client_id = Some(CLIENT_ID.into());
        settings.google_jwks_url = url;
    })
    .await;
    (app, hits)
}

fn claims(email: &str) -> Value {
    let now = clara::clock::now_ms() / 1000;
    json!({"iss": "https://accounts.google.com", "aud": CLIENT_ID, "sub": format!("google-{email}"), "email": email,
        "email_verified": true, "name": "Ada Lovelace", "iat": now, "exp": now + 600})
}

fn sign(claims: &Value, kid: &str) -> String {
    let pem = key().to_pkcs1_pem(rsa::pkcs1::LineEnding::LF).unwrap();
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    encode(
        &header,
        claims,
        &EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

async fn google(app: &TestApp, token: &str) -> Reply {
    let body = json!({ "id_token": token }).to_string();
    app.send(Method::POST, "/api/v1/auth/google", None, Some(&body))
        .await
}

async fn a_new_google_identity_registers_an_active_user(backend: Backend) {
    let (app, _) = app_with_google(backend).await;
    let reply = google(&app, &sign(&claims("ada@example.com"), KID)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.json["message"], "User registered successfully.");
    let user = &reply.json["data"];
    assert_eq!(
        (
            user["is_active"].clone(),
            user["first_name"].clone(),
            user["last_name"].clone()
        ),
        (json!(true), json!("Ada Lovelace"), Value::Null)
    );
    let path = format!("/api/v1/users/{}", user["id"].as_str().unwrap());
    assert_eq!(
        app.as_user(Method::GET, &path, &reply, None).await.status,
        StatusCode::OK
    );
}

async fn a_known_email_signs_in_and_is_activated(backend: Backend) {
    let (app, _) = app_with_google(backend).await;
    let registered = app.register("ada@example.com").await;
    let reply = google(&app, &sign(&claims("ADA@example.com"), KID)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.json["message"], "User logged in successfully.");
    assert_eq!(reply.json["data"]["id"], registered.json["data"]["id"]);
    assert_eq!(reply.json["data"]["is_active"], true);
    let mut other = claims("ada@example.com");
    other["sub"] = json!("someone-else");
    assert_error(
        &google(&app, &sign(&other, KID)).await,
        StatusCode::UNAUTHORIZED,
        UNAUTHORIZED,
    );
}

/// The attack: register the victim's address with a password of one's own, keep the token
/// and API key, and wait for the victim to sign in with Google.
async fn google_takes_an_unproven_account_from_whoever_registered_it(backend: Backend) {
    let (app, _) = app_with_google(backend).await;
    let squatter = app.register("ada@example.com").await;
    let user_path = format!(
        "/api/v1/users/{}",
        squatter.json["data"]["id"].as_str().unwrap()
    );
    let key = app
        .as_user(
            Method::GET,
            &format!("{user_path}/api_key"),
            &squatter,
            None,
        )
        .await;
    let api_key = format!("Bearer {}", key.json["data"]["token"].as_str().unwrap());
    assert_eq!(
        app.send(Method::GET, &user_path, Some(&api_key), None)
            .await
            .status,
        StatusCode::OK
    );

    let victim = google(&app, &sign(&claims("ada@example.com"), KID)).await;
    assert_eq!(victim.status, StatusCode::CREATED, "{}", victim.text);
    assert_eq!(victim.json["data"]["is_active"], true);

    // The squatter's token, API key and password are all gone; the victim's session works.
    for auth in [crate::support::Client::bearer(&squatter), api_key] {
        assert_error(
            &app.send(Method::GET, &user_path, Some(&auth), None).await,
            StatusCode::UNAUTHORIZED,
            UNAUTHORIZED,
        );
    }
    assert_error(
        &app.login("ada@example.com", crate::support::Client::PASSWORD)
            .await,
        StatusCode::UNAUTHORIZED,
        UNAUTHORIZED,
    );
    assert_eq!(
        app.as_user(Method::GET, &user_path, &victim, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(app.count_events(Some("PasswordCleared")).await, 1);
    // A second Google sign-in to the now active account takes nothing more away.
    let again = google(&app, &sign(&claims("ada@example.com"), KID)).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(
        app.as_user(Method::GET, &user_path, &victim, None)
            .await
            .status,
        StatusCode::OK
    );
}

async fn an_internationalised_google_address_signs_in_again(backend: Backend) {
    let (app, _) = app_with_google(backend).await;
    let token = sign(&claims("ann@shop.xn--p1ai"), KID);
    let first = google(&app, &token).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert_eq!(first.json["message"], "User registered successfully.");
    let again = google(&app, &token).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(again.json["message"], "User logged in successfully.");
    assert_eq!(again.json["data"]["id"], first.json["data"]["id"]);
}

async fn forged_and_mismatched_tokens_are_401_and_change_nothing(backend: Backend) {
    let (app, _) = app_with_google(backend).await;
    let with = |field: &str, value: Value| {
        let mut c = claims("eve@example.com");
        c[field] = value;
        sign(&c, KID)
    };
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let body = b64.encode(claims("eve@example.com").to_string());
    let unsigned = format!("{}.{body}.", b64.encode(r#"{"alg":"none","typ":"JWT"}"#));
    let public_pem = key()
        .to_public_key()
        .to_pkcs1_pem(rsa::pkcs1::LineEnding::LF)
        .unwrap();
    let mut hs_header = Header::new(Algorithm::HS256);
    hs_header.kid = Some(KID.into());
    let hs256 = encode(
        &hs_header,
        &claims("eve@example.com"),
        &EncodingKey::from_secret(public_pem.as_bytes()),
    )
    .unwrap();
    let mut tampered = sign(&claims("eve@example.com"), KID);
    tampered.insert(tampered.len() - 5, 'A');
    let expired = {
        let now = clara::clock::now_ms() / 1000;
        let mut c = claims("eve@example.com");
        c["iat"] = json!(now - 7200);
        c["exp"] = json!(now - 3600);
        sign(&c, KID)
    };
    let tokens = [
        with("aud", json!("someone-else.apps.googleusercontent.com")),
        with("iss", json!("https://accounts.evil.example")),
        with("email_verified", json!(false)),
        expired,
        sign(&claims("eve@example.com"), "unknown-kid"),
        unsigned,
        hs256,
        tampered,
        "not a token".into(),
    ];
    for token in tokens {
        assert_error(
            &google(&app, &token).await,
            StatusCode::UNAUTHORIZED,
            UNAUTHORIZED,
        );
    }
    assert_eq!(app.count_events(None).await, 0);
}

/// The JWKS server answers with `max-age=300`: the keys are fetched once for five minutes.
async fn google_keys_are_cached_for_their_max_age(backend: Backend) {
    let (app, hits) = app_with_google(backend).await;
    let sign_in = |email: &'static str| {
        let app = &app;
        async move {
            let reply = google(app, &sign(&claims(email), KID)).await;
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        }
    };
    sign_in("a@example.com").await;
    app.state.clock.advance(299_000);
    sign_in("b@example.com").await;
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    app.state.clock.advance(1_000);
    sign_in("c@example.com").await;
    assert_eq!(hits.load(Ordering::SeqCst), 2, "fetched again once stale");
}

async fn google_sign_in_needs_a_body_and_configuration(backend: Backend) {
    let (app, _) = app_with_google(backend).await;
    let empty = app
        .send(Method::POST, "/api/v1/auth/google", None, None)
        .await;
    assert_error(&empty, StatusCode::BAD_REQUEST, "Request body is empty.");
    let token = sign(&claims("ada@example.com"), KID);
    for body in [
        json!({ "id_token": 5 }),
        json!({ "id_token": token, "email": "eve@example.com" }),
    ] {
        let reply = app
            .send(
                Method::POST,
                "/api/v1/auth/google",
                None,
                Some(&body.to_string()),
            )
            .await;
        assert_error(
            &reply,
            StatusCode::BAD_REQUEST,
            "One or more required parameters are either not given or have invalid schema.",
        );
    }
    assert_eq!(app.count_events(None).await, 0);
    let unconfigured = TestApp::new(backend).await;
    let reply = google(&unconfigured, &sign(&claims("ada@example.com"), KID)).await;
    assert_error(
        &reply,
        StatusCode::SERVICE_UNAVAILABLE,
        "The service is temporarily unavailable.",
    );
}
