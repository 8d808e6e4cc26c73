//! `clara audit` and `clara export` on a real database: the history as a table or JSON, the
//! user at an instant, and the log as NDJSON on standard output.

use std::process::Command;

use crate::support::{id_of, Backend, TestApp};

crate::on_both_backends!(audit_and_export_print_the_log);

fn clara(app: &TestApp, args: &[&str]) -> (String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_clara"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &app.database_url)
        .env("PUBLIC_API_KEY", app.public_key())
        .env("PRIVATE_API_KEY", app.private_key())
        .env("JWT_SECRET", &app.state.secrets.jwt_secret)
        .env("DATA_KEY", &app.state.secrets.data_key)
        .args(args)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    );
    assert!(output.status.success(), "clara {args:?} failed: {stderr}");
    (stdout, stderr)
}

async fn audit_and_export_print_the_log(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register("ada@example.com").await;
    let id = id_of(&ada);
    let (table, _) = clara(&app, &["audit", &id]);
    assert!(table.contains("User.Registered"), "{table}");
    assert!(table.contains("EmailClaim.Claimed"), "{table}");
    assert!(
        table.contains("[redacted]"),
        "the password hash is redacted: {table}"
    );
    assert!(table.contains(&format!("{} events", app.count_events(None).await)));
    let (json, _) = clara(&app, &["audit", &id, "--json"]);
    let events: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(events[1]["type"], "Registered");
    let (state, _) = clara(
        &app,
        &["audit", &id, "--as-of", "2999-01-01T00:00:00Z", "--json"],
    );
    let user: serde_json::Value = serde_json::from_str(&state).unwrap();
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["is_active"], false);
    let (log, progress) = clara(&app, &["export"]);
    let total = app.count_events(None).await;
    assert_eq!(log.lines().count() as i64, total);
    assert!(
        progress.contains(&format!("Exported {total} events")),
        "{progress}"
    );
    let (rest, _) = clara(&app, &["export", "--after", "2"]);
    assert_eq!(rest.lines().count() as i64, total - 2);
}
