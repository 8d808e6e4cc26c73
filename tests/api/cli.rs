//! The `clara` binary: help, migrate, replay, and serve with JSON logs and graceful shutdown.

use std::process::{Command, Stdio};
use std::time::Duration;

use axum::http::StatusCode;

use crate::support::{Backend, TestApp};

const CLARA: &str = env!("CARGO_BIN_EXE_clara");

crate::on_both_backends!(
    replay_rebuilds_the_views_and_reports_counts,
    serve_answers_logs_json_and_stops_on_sigterm,
    a_restarted_server_says_where_it_is_in_plain_text,
);

/// `clara serve` on `app`'s database and keys, on a free port, logging in `format` to pipes
/// the test reads; returns the child, its port and its outbox.
fn serve_piped(app: &TestApp, format: &str) -> (std::process::Child, u16, std::path::PathBuf) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let outbox = app.outbox.join("served");
    let child = clara(&app.database_url)
        .env("PORT", port.to_string())
        .env("MAIL_OUTBOX_DIR", &outbox)
        .env("LOG_FORMAT", format)
        .env("PUBLIC_API_KEY", app.public_key())
        .env("PRIVATE_API_KEY", app.private_key())
        .env("JWT_SECRET", "a test secret that is long enough")
        .env("DATA_KEY", &app.state.secrets.data_key)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, port, outbox)
}

/// `clara` on `app`'s database with its keys, as an operator runs it.
fn clara_for(app: &TestApp) -> Command {
    let secrets = &app.state.secrets;
    let mut command = clara(&app.database_url);
    command
        .env("PUBLIC_API_KEY", &secrets.public_api_key)
        .env("PRIVATE_API_KEY", &secrets.private_api_key)
        .env("JWT_SECRET", &secrets.jwt_secret)
        .env("DATA_KEY", &secrets.data_key);
    command
}

fn clara(database_url: &str) -> Command {
    let mut command = Command::new(CLARA);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url);
    command
}

#[test]
fn help_explains_every_command() {
    let output = Command::new(CLARA).arg("--help").output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for word in [
        "serve",
        "migrate",
        "replay",
        "DATABASE_URL",
        "PUBLIC_API_KEY",
        "JWT_SECRET",
        "LOG_FORMAT",
    ] {
        assert!(help.contains(word), "--help lacks {word}:\n{help}");
    }
    let help_of = |command: &str| {
        let output = Command::new(CLARA)
            .args([command, "--help"])
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    let replay = help_of("replay");
    assert!(replay.contains("rebuild"));
    assert!(replay.contains("--database-url"));
    // Each command shows only the flags it uses.
    for server_only in [
        "--port",
        "--smtp-host",
        "--google-client-id",
        "--rate-limit-per-second",
        "--agent-workers",
    ] {
        assert!(
            !replay.contains(server_only),
            "replay --help lists {server_only}:\n{replay}"
        );
        assert!(
            help_of("serve").contains(server_only),
            "serve --help lacks {server_only}"
        );
    }
}

#[test]
fn commands_that_read_a_log_refuse_a_sqlite_file_that_does_not_exist() {
    let dir = std::env::temp_dir().join(format!("clara-missing-{}", std::process::id()));
    let file = dir.join("no-such.db");
    let url = format!("sqlite://{}", file.display());
    for args in [
        vec!["replay", "--verify"],
        vec!["replay"],
        vec!["export"],
        vec!["audit", "user_x"],
    ] {
        let output = clara(&url).args(&args).output().unwrap();
        assert!(
            !output.status.success(),
            "clara {args:?} on a missing file fails"
        );
        let error = String::from_utf8(output.stderr).unwrap();
        assert!(error.contains("does not exist"), "{error}");
        assert!(!file.exists() && !dir.exists(), "nothing was created");
    }
}

#[test]
fn migrate_creates_a_sqlite_database_from_nothing() {
    let dir = std::env::temp_dir().join(format!("clara-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("fresh.db");
    let output = clara(&format!("sqlite://{}", file.display()))
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(file.exists());
    std::fs::remove_dir_all(dir).unwrap();
}

async fn replay_rebuilds_the_views_and_reports_counts(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.register("ada@example.com").await;
    app.register("grace@example.com").await;
    let output = clara_for(&app).arg("replay").output().unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("Replayed 10 events into 6 view rows"),
        "{stdout}"
    );

    let verified = clara_for(&app)
        .args(["replay", "--verify"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(verified.stdout).unwrap();
    assert!(
        verified.status.success() && stdout.contains("all match"),
        "{stdout}"
    );
    clara::with_pool!(app.db(), pool => {
        sqlx::query("UPDATE user_views SET data = '{}' WHERE id = (SELECT MIN(id) FROM user_views)").execute(pool).await.unwrap();
    });
    let broken = clara_for(&app)
        .args(["replay", "--verify"])
        .output()
        .unwrap();
    assert!(!broken.status.success(), "a tampered view is found");
    assert!(String::from_utf8(broken.stderr)
        .unwrap()
        .contains("1 of 6 view rows differ"));
}

async fn serve_answers_logs_json_and_stops_on_sigterm(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (mut child, port, outbox) = serve_piped(&app, "json");
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut healthy = false;
    for _ in 0..100 {
        if let Ok(reply) = client.get(format!("{base}/health")).send().await {
            healthy = reply.status() == StatusCode::OK;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(healthy, "the server answered /health");
    let password = "a secret password";
    let body = serde_json::json!({"first_name": "Ottoline", "last_name": "Morrell", "email": "c@example.com", "password": password});
    let reply = client
        .post(format!("{base}/api/v1/auth/register"))
        .header("authorization", app.public_key())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::CREATED);
    let request_id = reply.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    // With no SMTP configured, the activation mail lands in the outbox.
    let code = crate::mailbox::nth_code(&outbox, "c@example.com", 1).await;
    // A route with the address in its path, then the account's deletion.
    let activated = client
        .post(format!("{base}/api/v1/users/c@example.com/activate"))
        .header("authorization", app.public_key())
        .json(&serde_json::json!({"code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(activated.status(), StatusCode::OK);
    let user_id = activated.json::<serde_json::Value>().await.unwrap()["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let deleted = client
        .delete(format!("{base}/api/v1/users/{user_id}"))
        .header("authorization", app.private_key())
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    // Not configured: the 503 says nothing to the caller, the log says what is missing.
    let webhook = client
        .post(format!("{base}/api/v1/stripe/settle"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(webhook.status(), StatusCode::SERVICE_UNAVAILABLE);

    let sent = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut exited = None;
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = exited.expect("clara stops after SIGTERM");
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let logs =
        String::from_utf8(output.stdout).unwrap() + &String::from_utf8(output.stderr).unwrap();
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    assert!(
        lines.iter().any(|l| l.to_string().contains(&request_id)),
        "a log line carries the request id"
    );
    for secret in [password.to_string(), app.public_key(), app.private_key()] {
        assert!(!logs.contains(&secret), "a secret leaked into the logs");
    }
    for personal in ["c@example.com", "Ottoline", "Morrell"] {
        assert!(!logs.contains(personal), "{personal} is in the server log");
    }
    assert!(
        logs.contains("/api/v1/users/{user_email}/activate"),
        "requests are logged by route"
    );
    assert!(
        logs.contains(outbox.to_str().unwrap()),
        "the outbox mail's path is logged"
    );
    let missing = lines
        .iter()
        .filter(|l| {
            l["message"]
                .as_str()
                .is_some_and(|m| m.contains("STRIPE_WEBHOOK_SECRET is not set"))
        })
        .count();
    assert_eq!(
        missing, 1,
        "the missing setting is logged once for the request"
    );
    let numbers: Vec<&str> = logs.split(|c: char| !c.is_ascii_digit()).collect();
    assert!(
        !numbers.contains(&code.as_str()),
        "the code leaked into the logs"
    );
}

/// The first lines of a start: where it listens, the database, keys and mail, and the log
/// position the views reached; plain text when written to a pipe (no colour codes).
async fn a_restarted_server_says_where_it_is_in_plain_text(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.register("ada@example.com").await;
    let events = app.count_events(None).await;
    let (mut child, port, outbox) = serve_piped(&app, "text");
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let _ = child.wait();
    let output = child.wait_with_output().unwrap();
    let logs =
        String::from_utf8(output.stdout).unwrap() + &String::from_utf8(output.stderr).unwrap();
    assert!(
        !logs.contains('\u{1b}'),
        "no colour codes in a pipe: {logs}"
    );
    assert!(
        logs.contains(&format!(
            "Clara is listening on http://127.0.0.1:{port} (API reference at http://127.0.0.1:{port}/docs): database "
        )),
        "{logs}"
    );
    assert!(
        logs.contains(&format!("mail to the folder {}", outbox.display())),
        "{logs}"
    );
    assert!(
        logs.contains(&format!("position={events}")),
        "the views' position after a restart: {logs}"
    );
}
