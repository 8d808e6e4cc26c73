//! The user as of an instant: folded from the log up to it, in either of the contract's date
//! forms; before the account existed there is no user, and a future instant is now.

use axum::http::{Method, StatusCode};
use chrono::{DateTime, Utc};

use crate::analyses::set_credits;
use crate::support::{assert_error, id_of, Backend, Client, TestApp};

crate::on_both_backends!(a_user_is_shown_as_they_were_at_any_instant);

fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

async fn recorded_at(app: &TestApp, event_type: &str) -> i64 {
    let sql = "SELECT recorded_at FROM events WHERE event_type = $1 ORDER BY position LIMIT 1";
    clara::with_pool!(app.db(), pool => sqlx::query_scalar(sql).bind(event_type).fetch_one(pool).await.unwrap())
}

async fn a_user_is_shown_as_they_were_at_any_instant(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = app.register_active("ada@example.com").await;
    let id = id_of(&ada);
    set_credits(&app, &id, "12.5").await;
    let view = |as_of: String| {
        let path = format!("/api/v1/users/{id}?as_of={}", urlencode(&as_of));
        let auth = Client::bearer(&ada);
        let app = &app;
        async move { app.send(Method::GET, &path, Some(&auth), None).await }
    };
    let registered = recorded_at(&app, "Registered").await;
    let activated = recorded_at(&app, "Activated").await;
    let credited = recorded_at(&app, "Credited").await;
    let then = view(rfc3339(activated - 1)).await;
    assert_eq!(then.status, StatusCode::OK, "{}", then.text);
    assert_eq!(then.json["message"], "User fetched successfully.");
    assert_eq!(then.json["data"]["is_active"], false);
    assert_eq!(then.json["data"]["email"], "ada@example.com");
    let active = view(rfc3339(activated)).await;
    assert_eq!(active.json["data"]["is_active"], true);
    assert_eq!(active.json["data"]["credits"], 0.0);
    let paid = view(rfc3339(credited)).await;
    assert!(paid.text.contains(r#""credits":12.5"#), "{}", paid.text);
    // An HTTP-date a day ahead is the present: the live view, field for field.
    let tomorrow = clara::clock::http_date(clara::clock::now_ms() + 86_400_000);
    let now = view(tomorrow).await;
    let live = app.user_view(&id).await;
    assert_eq!(now.json, live.json);
    assert_error(
        &view(rfc3339(registered - 1)).await,
        StatusCode::NOT_FOUND,
        "User with the given identifier does not exist.",
    );
    assert_error(
        &view("Thu, 01 Jan 1970 00:00:00 GMT".into()).await,
        StatusCode::NOT_FOUND,
        "User with the given identifier does not exist.",
    );
    for bad in ["yesterday", "2026-13-01T00:00:00Z", ""] {
        assert_error(
            &view(bad.into()).await,
            StatusCode::BAD_REQUEST,
            "One or more required parameters are either not given or have invalid schema.",
        );
    }
}

/// Percent-encodes what a query value cannot hold as it is (`:`, `+`, `,`, space).
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
