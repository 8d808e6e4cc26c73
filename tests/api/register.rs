//! Register: the user it creates, what the log keeps, and the race on one e-mail.

use axum::http::{Method, StatusCode};
use futures::future::join_all;

use crate::support::{assert_error, Backend, TestApp};

crate::on_both_backends!(
    registering_creates_an_inactive_user_with_title_cased_names,
    the_log_keeps_an_argon2id_hash_never_the_password,
    events_carry_request_id_and_actor_as_metadata,
    a_taken_email_is_refused_whatever_its_case_and_leaves_no_event,
    concurrent_registrations_of_one_email_admit_exactly_one,
    a_command_on_an_id_taken_for_fresh_is_decided_again_on_its_events,
);

async fn registering_creates_an_inactive_user_with_title_cased_names(backend: Backend) {
    let app = TestApp::new(backend).await;
    let body = r#"{"first_name": "aDA", "last_name": "de la LOVELACE", "email": "Ada@Example.com", "password": "correct horse battery"}"#;
    let reply = app
        .send(
            Method::POST,
            "/api/v1/auth/register",
            Some(&app.public_key()),
            Some(body),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    assert_eq!(reply.json["status"], "success");
    assert_eq!(reply.json["message"], "User registered successfully.");
    let user = &reply.json["data"];
    assert_eq!(user["first_name"], "Ada");
    assert_eq!(user["last_name"], "De La Lovelace");
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["is_active"], false);
    assert_eq!(user["is_2fa_enabled"], false);
    assert_eq!(user["is_dark_mode"], true);
    assert_eq!(
        reply.text.matches("\"credits\":0.0").count(),
        1,
        "{}",
        reply.text
    );
    assert!(user.get("password").is_none() && !reply.text.contains("argon2"));
    let id = user["id"].as_str().unwrap();
    let hex = id.strip_prefix("user_").expect("user_ prefix");
    assert!(
        hex.len() == 32
            && hex
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    let created = user["created_at"].as_str().unwrap();
    assert!(
        created.ends_with(" GMT") && httpdate::parse_http_date(created).is_ok(),
        "{created}"
    );

    // The caller reads its own write straight away, with the token it was given.
    let token = user["token"].as_str().unwrap();
    assert!(token.starts_with("clara_user_"));
    let bearer = format!("Bearer {token}");
    let path = format!("/api/v1/users/{id}");
    let view = app.send(Method::GET, &path, Some(&bearer), None).await;
    assert_eq!(view.status, StatusCode::OK);
    let mut without_token = user.clone();
    without_token.as_object_mut().unwrap().remove("token");
    assert_eq!(view.json["data"], without_token);
}

async fn the_log_keeps_an_argon2id_hash_never_the_password(backend: Backend) {
    let app = TestApp::new(backend).await;
    assert_eq!(
        app.register("ada@example.com").await.status,
        StatusCode::CREATED
    );
    let sql = "SELECT CAST(payload AS TEXT) FROM events WHERE event_type = 'Registered'";
    let payload: String =
        clara::with_pool!(app.db(), pool => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap());
    assert!(
        payload.contains("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{payload}"
    );
    let everything: Vec<String> = clara::with_pool!(app.db(), pool =>
        sqlx::query_scalar("SELECT CAST(payload AS TEXT) || CAST(metadata AS TEXT) FROM events").fetch_all(pool).await.unwrap());
    assert!(everything
        .iter()
        .all(|row| !row.contains("correct horse battery")));
}

async fn events_carry_request_id_and_actor_as_metadata(backend: Backend) {
    let app = TestApp::new(backend).await;
    let reply = app.register("ada@example.com").await;
    let request_id = reply.headers["x-request-id"].to_str().unwrap().to_string();
    let rows: Vec<String> = clara::with_pool!(app.db(), pool =>
        sqlx::query_scalar("SELECT CAST(metadata AS TEXT) FROM events ORDER BY position").fetch_all(pool).await.unwrap());
    assert_eq!(
        rows.len(),
        5,
        "an e-mail claim, a registration, its session, its code and its API key"
    );
    for row in rows {
        let metadata: serde_json::Value = serde_json::from_str(&row).unwrap();
        assert_eq!(metadata["request_id"], request_id.as_str());
        assert_eq!(metadata["actor"], "public");
    }
}

async fn a_taken_email_is_refused_whatever_its_case_and_leaves_no_event(backend: Backend) {
    let app = TestApp::new(backend).await;
    assert_eq!(
        app.register("ada@example.com").await.status,
        StatusCode::CREATED
    );
    let before = app.count_events(None).await;
    let reply = app.register("ADA@example.COM").await;
    assert_error(
        &reply,
        StatusCode::BAD_REQUEST,
        "User with the given identifier already exists.",
    );
    assert_eq!(app.count_events(None).await, before);
}

async fn concurrent_registrations_of_one_email_admit_exactly_one(backend: Backend) {
    let app = TestApp::new(backend).await;
    let attempts = (0..8).map(|_| {
        let client = app.client.clone();
        tokio::spawn(async move { client.register("race@example.com").await })
    });
    let replies: Vec<_> = join_all(attempts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(
        created,
        1,
        "{:?}",
        replies.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    for reply in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
        assert_error(
            reply,
            StatusCode::BAD_REQUEST,
            "User with the given identifier already exists.",
        );
    }
    assert_eq!(app.count_events(Some("Registered")).await, 1);
    assert_eq!(app.count_events(Some("Claimed")).await, 1);
}

/// Registration decides on an empty account without reading its id's events (the id is new).
/// Were the id taken after all, the append loses the race on the first sequence and the retry
/// decides on what the log holds: here, a second registration is refused.
async fn a_command_on_an_id_taken_for_fresh_is_decided_again_on_its_events(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register("ada@example.com").await;
    let id = crate::support::id_of(&ada);
    let events = app.count_events(None).await;
    let again = clara_aggregates::UserCommand::Register {
        email: "other@example.com".into(),
        first_name: "Other".into(),
        last_name: "Person".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
        session: clara_aggregates::NewSession {
            session_id: "session_other".into(),
            expires_at_ms: i64::MAX,
        },
        activation: clara_aggregates::NewOtp {
            otp_id: "otp_other".into(),
            code_mac: "mac".into(),
            issued_at_ms: 0,
            expires_at_ms: i64::MAX,
        },
        api_key_id: "api_key_other".into(),
    };
    let users = &app.state.users;
    let refused = users
        .execute_on(users.fresh(&id), again, &clara::commands::Meta::default())
        .await;
    assert!(
        matches!(refused, Err(clara::commands::CommitError::Domain(_))),
        "refused by the account as it is in the log"
    );
    assert_eq!(app.count_events(None).await, events, "nothing appended");
    let view = app.user_view(&id).await;
    assert_eq!(view.json["data"]["email"], "ada@example.com");
}
