//! Erasure: a person's data enters the log only sealed under their own key, and once their
//! account is deleted nothing in any table reads as theirs, while the ledger keeps its sums
//! and history shows what was erased as "[erased]".

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

use crate::analyses::set_credits;
use crate::support::{id_of, Backend, Client, Reply, TestApp};

crate::on_both_backends!(
    nothing_of_a_deleted_person_reads_in_any_table,
    history_shows_erased_fields_and_the_ledger_keeps_its_sums,
    a_process_keeping_the_key_writes_nothing_of_theirs_after_a_deletion_elsewhere,
);

const EMAIL: &str = "augusta.king@example.com";
const FIRST: &str = "Augusta";
const LAST: &str = "Byron-King";
const IP: [u8; 4] = [203, 0, 113, 77];
const PASSWORD: &str = "correct horse battery";

/// Sends `method path` with `authorization` and `body` from the person's own client address,
/// as a real client would.
async fn from_their_address(
    app: &TestApp,
    (method, path): (Method, &str),
    authorization: String,
    body: Value,
) -> Reply {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, authorization)
        .header(header::CONTENT_TYPE, "application/json")
        .extension(ConnectInfo(SocketAddr::from((IP, 40_000))))
        .body(Body::from(body.to_string()))
        .unwrap();
    Reply::read(app.router.clone().oneshot(request).await.unwrap()).await
}

/// Registers the person from their own client address.
async fn register_from_their_address(app: &TestApp) -> Reply {
    let body = serde_json::json!({"first_name": FIRST, "last_name": LAST, "email": EMAIL,
        "password": PASSWORD});
    let to = (Method::POST, "/api/v1/auth/register");
    let reply = from_their_address(app, to, app.public_key(), body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    reply
}

/// Every row of every table of the database, as text.
async fn every_table_as_text(app: &TestApp) -> String {
    let mut text = String::new();
    match app.db() {
        clara::storage::Db::Postgres(pool) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for table in tables {
                let sql = format!("SELECT coalesce(string_agg(t::text, ' '), '') FROM {table} t");
                text += &sqlx::query_scalar::<_, String>(&sql)
                    .fetch_one(pool)
                    .await
                    .unwrap();
            }
        }
        clara::storage::Db::Sqlite(pool, _) => {
            let tables: Vec<String> =
                sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
                    .fetch_all(pool)
                    .await
                    .unwrap();
            for table in tables {
                let columns: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{table}')"))
                        .fetch_all(pool)
                        .await
                        .unwrap();
                let row = columns
                    .iter()
                    .map(|c| format!("coalesce(CASE typeof(\"{c}\") WHEN 'blob' THEN hex(\"{c}\") ELSE CAST(\"{c}\" AS TEXT) END, '')"))
                    .collect::<Vec<_>>()
                    .join(" || ' ' || ");
                let sql = format!("SELECT coalesce(group_concat({row}, ' '), '') FROM \"{table}\"");
                text += &sqlx::query_scalar::<_, String>(&sql)
                    .fetch_one(pool)
                    .await
                    .unwrap();
            }
        }
    }
    text
}

/// The whole log as export shows it.
async fn export(app: &TestApp) -> Vec<Value> {
    let reply = app
        .send(
            Method::GET,
            "/api/v1/events",
            Some(&app.private_key()),
            None,
        )
        .await;
    reply
        .text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn traces_of_the_person(text: &str) -> Vec<&'static str> {
    let ip = "203.0.113.77";
    [EMAIL, FIRST, LAST, ip]
        .into_iter()
        .filter(|needle| text.to_lowercase().contains(&needle.to_lowercase()))
        .collect()
}

async fn nothing_of_a_deleted_person_reads_in_any_table(backend: Backend) {
    let app = TestApp::new(backend).await;
    let person = register_from_their_address(&app).await;
    let rename = r#"{"last_name": "Byron-King"}"#;
    let path = format!("/api/v1/users/{}", id_of(&person));
    app.as_user(Method::PATCH, &path, &person, Some(rename))
        .await;
    app.register("grace@example.com").await;
    let before = every_table_as_text(&app).await;
    assert!(
        traces_of_the_person(&before).contains(&FIRST),
        "the views show the person while the account lives"
    );
    let log: String = clara::with_pool!(app.db(), pool => {
        sqlx::query_scalar::<_, String>("SELECT CAST(payload AS TEXT) || CAST(metadata AS TEXT) FROM events")
            .fetch_all(pool).await.unwrap().concat()
    });
    assert_eq!(
        traces_of_the_person(&log),
        Vec::<&str>::new(),
        "the log holds them sealed only"
    );

    let deleted = app
        .send(Method::DELETE, &path, Some(&app.private_key()), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    let after = every_table_as_text(&app).await;
    assert_eq!(traces_of_the_person(&after), Vec::<&str>::new());
    assert!(
        after.contains("grace@example.com"),
        "another person is untouched"
    );
}

async fn history_shows_erased_fields_and_the_ledger_keeps_its_sums(backend: Backend) {
    let app = TestApp::new(backend).await;
    let person = register_from_their_address(&app).await;
    let id = id_of(&person);
    set_credits(&app, &id, "30").await;
    set_credits(&app, &id, "12.5").await;
    let registered = |lines: &[Value]| {
        lines
            .iter()
            .find(|e| e["type"] == "Registered" && e["aggregate_id"] == id.as_str())
            .unwrap()["data"]
            .clone()
    };
    let amounts = |lines: &[Value]| {
        lines
            .iter()
            .filter(|e| e["aggregate"] == "Wallet")
            .map(|e| e["data"]["amount"].clone())
            .collect::<Vec<_>>()
    };
    let live = export(&app).await;
    assert_eq!(
        registered(&live)["email"],
        EMAIL,
        "shown while the account lives"
    );

    let path = format!("/api/v1/users/{id}");
    app.send(Method::DELETE, &path, Some(&app.private_key()), None)
        .await;
    let erased = export(&app).await;
    let data = registered(&erased);
    for field in ["email", "first_name", "last_name"] {
        assert_eq!(data[field], "[erased]", "{field}");
    }
    assert_eq!(data["password_hash"], "[redacted]");
    assert_eq!(amounts(&erased), amounts(&live), "the ledger is untouched");
    assert_eq!(amounts(&live).len(), 2);
    let sent_to: Vec<&Value> = erased
        .iter()
        .filter(|e| e["type"] == "OtpIssued")
        .map(|e| &e["data"]["sent_to"])
        .collect();
    assert_eq!(sent_to, [&Value::from("[erased]")]);
}

/// A process keeps the key of a person it signed in, to seal their next User event without
/// reading it again. Once another process has deleted the account, what the first is asked
/// for them next is refused, its stale state losing the race to the deletion, and nothing
/// of theirs is written readable.
async fn a_process_keeping_the_key_writes_nothing_of_theirs_after_a_deletion_elsewhere(
    backend: Backend,
) {
    let app = TestApp::new(backend).await;
    let person = register_from_their_address(&app).await;
    let path = format!("/api/v1/users/{}", id_of(&person));
    let session = (Method::POST, "/api/v1/auth/session");
    let basic = Client::basic(EMAIL, PASSWORD);
    let signed_in =
        from_their_address(&app, session.clone(), basic.clone(), serde_json::json!({})).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);

    let elsewhere = TestApp::open(&app.database_url).await;
    let deleted = elsewhere
        .send(Method::DELETE, &path, Some(&elsewhere.private_key()), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);

    let again = from_their_address(&app, session, basic, serde_json::json!({})).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.text);
    // Decided first on the state this process kept from before the deletion.
    let delete = (Method::DELETE, path.as_str());
    let twice = from_their_address(&app, delete, app.private_key(), serde_json::json!({})).await;
    assert_eq!(twice.status, StatusCode::NOT_FOUND, "{}", twice.text);
    let after = every_table_as_text(&app).await;
    assert_eq!(traces_of_the_person(&after), Vec::<&str>::new());
}
