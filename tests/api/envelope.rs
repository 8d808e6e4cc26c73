//! The contract's envelope on every error this slice can produce, and its formatting rules.

use axum::http::{Method, StatusCode};

use crate::support::{assert_error, Backend, TestApp};

crate::on_both_backends!(
    an_unknown_route_is_404,
    a_wrong_method_is_405,
    a_missing_empty_or_non_json_body_is_400_empty,
    a_body_of_the_wrong_schema_is_400_and_leaves_no_event,
    password_length_is_checked_at_both_boundaries,
    a_missing_or_wrong_key_is_401_and_the_wrong_kind_403,
    a_too_large_body_is_413,
    an_unexpected_failure_is_500_without_details,
    keys_are_sorted_at_every_level,
);

const SCHEMA: &str = "One or more required parameters are either not given or have invalid schema.";
const UNAUTHORIZED: &str = "Authorization header or OTP is either missing, invalid or expired.";
const REGISTER: &str = "/api/v1/auth/register";

async fn an_unknown_route_is_404(backend: Backend) {
    let app = TestApp::new(backend).await;
    let reply = app.send(Method::GET, "/api/v1/nowhere", None, None).await;
    assert_error(
        &reply,
        StatusCode::NOT_FOUND,
        "The requested route does not exist.",
    );
}

async fn a_wrong_method_is_405(backend: Backend) {
    let app = TestApp::new(backend).await;
    let reply = app
        .send(Method::DELETE, REGISTER, Some(&app.public_key()), None)
        .await;
    assert_error(
        &reply,
        StatusCode::METHOD_NOT_ALLOWED,
        "The requested method is not allowed for this route.",
    );
}

async fn a_missing_empty_or_non_json_body_is_400_empty(backend: Backend) {
    let app = TestApp::new(backend).await;
    for body in [
        None,
        Some(""),
        Some("{}"),
        Some("not json"),
        Some("{\"email\": "),
    ] {
        let reply = app
            .send(Method::POST, REGISTER, Some(&app.public_key()), body)
            .await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "Request body is empty.");
    }
    assert_eq!(app.count_events(None).await, 0);
}

async fn a_body_of_the_wrong_schema_is_400_and_leaves_no_event(backend: Backend) {
    let app = TestApp::new(backend).await;
    let bodies = [
        r#"{"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}"#,
        r#"{"first_name": 7, "last_name": "Lovelace", "email": "ada@example.com", "password": "long enough"}"#,
        r#"{"first_name": "Ada", "last_name": "Lovelace", "email": "not-an-email", "password": "long enough"}"#,
        r#"{"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "password": "long enough", "credits": 5}"#,
        r#"{"first_name": " ", "last_name": "Lovelace", "email": "ada@example.com", "password": "long enough"}"#,
        r#"["ada@example.com"]"#,
    ];
    for body in bodies {
        let reply = app
            .send(Method::POST, REGISTER, Some(&app.public_key()), Some(body))
            .await;
        assert_error(&reply, StatusCode::BAD_REQUEST, SCHEMA);
    }
    assert_eq!(app.count_events(None).await, 0);
}

async fn password_length_is_checked_at_both_boundaries(backend: Backend) {
    let app = TestApp::new(backend).await;
    let attempt = |password: String, email: &str| {
        serde_json::json!({"first_name": "Ada", "last_name": "L", "email": email, "password": password}).to_string()
    };
    let short = app
        .send(
            Method::POST,
            REGISTER,
            Some(&app.public_key()),
            Some(&attempt("x".repeat(7), "a@example.com")),
        )
        .await;
    assert_error(&short, StatusCode::BAD_REQUEST, SCHEMA);
    let long = app
        .send(
            Method::POST,
            REGISTER,
            Some(&app.public_key()),
            Some(&attempt("x".repeat(129), "b@example.com")),
        )
        .await;
    assert_error(&long, StatusCode::BAD_REQUEST, SCHEMA);
    let min = app
        .send(
            Method::POST,
            REGISTER,
            Some(&app.public_key()),
            Some(&attempt("x".repeat(8), "c@example.com")),
        )
        .await;
    assert_eq!(min.status, StatusCode::CREATED, "{}", min.text);
    let max = app
        .send(
            Method::POST,
            REGISTER,
            Some(&app.public_key()),
            Some(&attempt("x".repeat(128), "d@example.com")),
        )
        .await;
    assert_eq!(max.status, StatusCode::CREATED, "{}", max.text);
}

async fn a_missing_or_wrong_key_is_401_and_the_wrong_kind_403(backend: Backend) {
    let app = TestApp::new(backend).await;
    let body = r#"{"first_name": "Ada", "last_name": "L", "email": "ada@example.com", "password": "long enough"}"#;
    let wrong = format!("{}x", app.public_key());
    for auth in [None, Some(wrong.as_str()), Some("Bearer clara_user_forged")] {
        let reply = app.send(Method::POST, REGISTER, auth, Some(body)).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    }
    let admin = app
        .send(Method::POST, REGISTER, Some(&app.private_key()), Some(body))
        .await;
    assert_error(
        &admin,
        StatusCode::FORBIDDEN,
        "You do not have access to the requested resource.",
    );
    // Authorisation comes before the body is looked at.
    let no_body = app.send(Method::POST, REGISTER, None, None).await;
    assert_error(&no_body, StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    assert_eq!(app.count_events(None).await, 0);
}

async fn a_too_large_body_is_413(backend: Backend) {
    let app = TestApp::new(backend).await;
    let huge = format!(
        r#"{{"first_name": "{}"}}"#,
        "a".repeat(clara::http::MAX_BODY_BYTES + 1)
    );
    let reply = app
        .send(Method::POST, REGISTER, Some(&app.public_key()), Some(&huge))
        .await;
    assert_error(
        &reply,
        StatusCode::PAYLOAD_TOO_LARGE,
        "The request is too large.",
    );
}

async fn an_unexpected_failure_is_500_without_details(backend: Backend) {
    let app = TestApp::new(backend).await;
    let id = app.register("ada@example.com").await.json["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    clara::with_pool!(app.db(), pool => { sqlx::query("DROP TABLE user_views").execute(pool).await.unwrap(); });
    let reply = app.user_view(&id).await;
    assert_error(
        &reply,
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong.",
    );
    assert!(!reply.text.to_lowercase().contains("user_views"));
}

async fn keys_are_sorted_at_every_level(backend: Backend) {
    let app = TestApp::new(backend).await;
    let reply = app.register("ada@example.com").await;
    let order = |keys: &[&str]| {
        let at: Vec<usize> = keys
            .iter()
            .map(|k| reply.text.find(&format!("\"{k}\"")).unwrap())
            .collect();
        assert!(
            at.windows(2).all(|w| w[0] < w[1]),
            "{keys:?} out of order in {}",
            reply.text
        );
    };
    order(&["data", "message", "status"]);
    order(&[
        "created_at",
        "credits",
        "email",
        "first_name",
        "id",
        "is_2fa_enabled",
        "is_active",
        "is_dark_mode",
        "last_name",
        "updated_at",
    ]);
    let error = app.send(Method::GET, "/nowhere", None, None).await;
    assert_eq!(
        error.text,
        r#"{"data":null,"message":"The requested route does not exist.","status":"error"}"#
    );
}
