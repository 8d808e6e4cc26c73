//! Account deletion: by the owner with a DELETE_ACCOUNT code or by the operator; every
//! credential stops, the address is free again, the views and records forget the person,
//! and the log keeps its events and the ledger.

use axum::http::{Method, StatusCode};
use clara_projections::ViewSet;

use crate::analyses::{content, file, funded, png, submit};
use crate::support::{assert_error, id_of, Backend, Client, Reply, TestApp};

crate::on_both_backends!(
    the_owner_deletes_with_a_code_and_every_credential_stops,
    a_wrong_or_missing_code_is_401_and_deletes_nothing,
    other_callers_are_refused_and_unknown_accounts_are_404,
    the_operator_deletes_without_a_code_and_the_log_and_ledger_stay,
    the_persons_own_attachments_go_and_shared_ones_stay,
    a_code_not_yet_mailed_when_the_account_is_deleted_is_never_mailed,
    a_task_still_waiting_when_the_account_is_deleted_never_runs,
);

const ADA: &str = "ada@example.com";
const UNAUTHORIZED: &str = "Authorization header or OTP is either missing, invalid or expired.";
const FORBIDDEN: &str = "You do not have access to the requested resource.";
const NOT_FOUND: &str = "User with the given identifier does not exist.";

fn user_path(user: &Reply) -> String {
    format!("/api/v1/users/{}", id_of(user))
}

/// Mails ADA a DELETE_ACCOUNT code and returns it (`mail` is its number among ADA's mails).
async fn deletion_code(app: &TestApp, mail: usize) -> String {
    let path = format!("/api/v1/users/{ADA}/otp/DELETE_ACCOUNT");
    let sent = app
        .send(Method::POST, &path, Some(&app.public_key()), None)
        .await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.text);
    app.code(ADA, mail).await
}

async fn delete_with_code(app: &TestApp, user: &Reply, code: &str) -> Reply {
    let body = format!(r#"{{"code": "{code}"}}"#);
    app.as_user(Method::DELETE, &user_path(user), user, Some(&body))
        .await
}

/// Deletes `user`'s account with the private key, which needs no code.
async fn delete_as_operator(app: &TestApp, user: &Reply) {
    let deleted = app
        .send(
            Method::DELETE,
            &user_path(user),
            Some(&app.private_key()),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
}

/// Rows of the person still in views, mail records and snapshots.
async fn rows_kept_of(app: &TestApp, user_id: &str) -> i64 {
    let mut kept = 0;
    for table in ViewSet::TABLES {
        let sql = format!("SELECT count(*) FROM {table} WHERE owner = $1");
        kept += app.scalar(&sql, user_id).await;
    }
    let mail = "SELECT count(*) FROM mail_deliveries WHERE position IN \
        (SELECT position FROM events WHERE aggregate_id = $1)";
    kept += app.scalar(mail, user_id).await;
    let snapshot =
        "SELECT count(*) FROM aggregate_snapshots WHERE aggregate_id = $1 AND payload <> '{}'";
    kept + app.scalar(snapshot, user_id).await
}

async fn the_owner_deletes_with_a_code_and_every_credential_stops(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = app.register_active(ADA).await;
    let id = id_of(&ada);
    let second = app.login(ADA, Client::PASSWORD).await;
    let api_key = app.api_key_bearer(&ada).await;
    let code = deletion_code(&app, 2).await;
    app.wait_for_mail_records(&id).await;

    let deleted = delete_with_code(&app, &ada, &code).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    assert!(deleted.text.is_empty());

    let path = user_path(&ada);
    for auth in [Client::bearer(&ada), Client::bearer(&second), api_key] {
        let refused = app.send(Method::GET, &path, Some(&auth), None).await;
        assert_error(&refused, StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    }
    assert_error(&app.user_view(&id).await, StatusCode::NOT_FOUND, NOT_FOUND);
    let as_of = format!("{path}?as_of=2020-01-01T00:00:00Z");
    let past = app
        .send(Method::GET, &as_of, Some(&app.private_key()), None)
        .await;
    assert_error(&past, StatusCode::NOT_FOUND, NOT_FOUND);
    assert_error(
        &app.login(ADA, Client::PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        UNAUTHORIZED,
    );
    assert_eq!(rows_kept_of(&app, &id).await, 0);
    // A snapshot another process saves late, of the account before deletion, is refused.
    let late = r#"{"email": "ada@example.com"}"#;
    clara::storage::snapshots::save(app.db(), "User", &id, 1_000, late)
        .await
        .unwrap();
    assert_eq!(rows_kept_of(&app, &id).await, 0);

    let again = app.register(ADA).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_ne!(id_of(&again), id, "the address makes a new account");
    assert_eq!(app.user_view(&id_of(&again)).await.status, StatusCode::OK);
}

async fn a_wrong_or_missing_code_is_401_and_deletes_nothing(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = app.register_active(ADA).await;
    let code = deletion_code(&app, 2).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let wrong = format!(r#"{{"code": "{wrong}"}}"#);
    let missing = [
        None,
        Some("{}"),
        Some("null"),
        Some(r#"{"code": null}"#),
        Some(r#"{"code": ""}"#),
    ];
    for body in missing.into_iter().chain([Some(&*wrong)]) {
        let refused = app
            .as_user(Method::DELETE, &user_path(&ada), &ada, body)
            .await;
        assert_error(&refused, StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    }
    let right = deletion_code(&app, 3).await;
    let other_type = format!("/api/v1/users/{ADA}/otp/CHANGE_PASSWORD");
    app.send(Method::POST, &other_type, Some(&app.public_key()), None)
        .await;
    let change_code = app.code(ADA, 4).await;
    let refused = delete_with_code(&app, &ada, &change_code).await;
    assert_error(&refused, StatusCode::UNAUTHORIZED, UNAUTHORIZED);

    let still = app.as_user(Method::GET, &user_path(&ada), &ada, None).await;
    assert_eq!(still.status, StatusCode::OK, "{}", still.text);
    assert_eq!(app.count_events(Some("AccountDeleted")).await, 0);
    let deleted = delete_with_code(&app, &ada, &right).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
}

async fn other_callers_are_refused_and_unknown_accounts_are_404(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register(ADA).await;
    let grace = app.register("grace@example.com").await;
    let path = user_path(&ada);
    let body = Some(r#"{"code": "123456"}"#);
    let api_key = app.api_key_bearer(&ada).await;
    for auth in [Client::bearer(&grace), api_key, app.public_key()] {
        let refused = app.send(Method::DELETE, &path, Some(&auth), body).await;
        assert_error(&refused, StatusCode::FORBIDDEN, FORBIDDEN);
    }
    let anonymous = app.send(Method::DELETE, &path, None, body).await;
    assert_error(&anonymous, StatusCode::UNAUTHORIZED, UNAUTHORIZED);
    let unknown = app
        .send(
            Method::DELETE,
            "/api/v1/users/user_00000000000000000000000000",
            Some(&app.private_key()),
            None,
        )
        .await;
    assert_error(&unknown, StatusCode::NOT_FOUND, NOT_FOUND);
    delete_as_operator(&app, &ada).await;
    let twice = app
        .send(Method::DELETE, &path, Some(&app.private_key()), None)
        .await;
    assert_error(&twice, StatusCode::NOT_FOUND, NOT_FOUND);
    let view = app
        .as_user(Method::GET, &user_path(&grace), &grace, None)
        .await;
    assert_eq!(view.status, StatusCode::OK, "another account is untouched");
}

async fn the_operator_deletes_without_a_code_and_the_log_and_ledger_stay(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = funded(&app, ADA, "25").await;
    let id = id_of(&ada);
    let events_before = app
        .scalar("SELECT count(*) FROM events WHERE aggregate_id = $1", &id)
        .await;
    delete_as_operator(&app, &ada).await;

    let events_after = app
        .scalar("SELECT count(*) FROM events WHERE aggregate_id = $1", &id)
        .await;
    assert_eq!(
        events_after,
        events_before + 1,
        "only AccountDeleted is added"
    );
    assert_eq!(
        app.count_events(Some("Credited")).await,
        1,
        "the ledger keeps the credit"
    );
    assert_eq!(app.count_events(Some("Released")).await, 1);
    app.state.projector.rebuild(&|_| {}).await.unwrap();
    assert_eq!(
        rows_kept_of(&app, &id).await,
        0,
        "a rebuild forgets the person too"
    );
    app.assert_views_match_log().await;
}

async fn the_persons_own_attachments_go_and_shared_ones_stay(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = funded(&app, ADA, "100").await;
    let grace = funded(&app, "grace@example.com", "100").await;
    let (mine, shared) = (png(), crate::analyses::pdf("shared"));
    let ada_parts = [
        content("Mine."),
        file("mine.png", mine.clone()),
        file("shared.pdf", shared.clone()),
    ];
    let grace_parts = [content("Hers."), file("shared.pdf", shared.clone())];
    for (user, parts) in [(&ada, &ada_parts[..]), (&grace, &grace_parts[..])] {
        let created = submit(&app, &id_of(user), &Client::bearer(user), parts).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    }
    delete_as_operator(&app, &ada).await;
    let stored = |bytes: &[u8]| {
        let sha = clara::agent::store::sha256_hex(bytes);
        let store = app.state.attachments.clone();
        async move { store.get(&sha).await.is_ok() }
    };
    assert!(!stored(&mine).await, "ada's own file is deleted");
    assert!(stored(&shared).await, "a file grace sent too stays");
}

async fn a_code_not_yet_mailed_when_the_account_is_deleted_is_never_mailed(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register(ADA).await;
    app.register("grace@example.com").await;
    delete_as_operator(&app, &ada).await;
    let sent = app.state.mailer.deliver_pending().await.unwrap();
    assert_eq!(sent, 1, "grace's activation code only");
    assert_eq!(rows_kept_of(&app, &id_of(&ada)).await, 0);
    let mailed = std::fs::read_dir(&app.outbox).unwrap().count();
    assert_eq!(mailed, 1);
}

async fn a_task_still_waiting_when_the_account_is_deleted_never_runs(backend: Backend) {
    let mut app = TestApp::with_mail(backend).await;
    let ada = funded(&app, ADA, "100").await;
    let waiting = submit(
        &app,
        &id_of(&ada),
        &Client::bearer(&ada),
        &[content("Mine.")],
    )
    .await;
    assert_eq!(waiting.status, StatusCode::CREATED, "{}", waiting.text);
    delete_as_operator(&app, &ada).await;
    app.start_workers();
    // Workers look for due tasks every half second: give them a few looks.
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    assert_eq!(app.count_events(Some("Started")).await, 0);
    assert_eq!(app.count_events(Some("Completed")).await, 0);
}
