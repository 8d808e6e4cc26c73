//! Write throughput: Register through HTTP, aggregates, event store and projector, against
//! inserting the same event rows with plain sqlx (two commits per registration, like Clara).

use reqwest::StatusCode;
use serde_json::json;

use super::load::{compare, drive};
use super::{BenchArgs, Figure};
use crate::state::AppState;
use crate::storage::Db;
use crate::with_pool;

pub async fn measure(
    backend: &'static str,
    state: &AppState,
    args: &BenchArgs,
) -> anyhow::Result<Figure> {
    let (base, server) = super::reads::serve(crate::router(state.clone())).await?;
    let client = reqwest::Client::new();
    let key = state.secrets.public_api_key.clone();
    let db = state.db.writer();
    let requests = args.requests;
    let (clara, baseline) = compare(
        args.rounds,
        |round| {
            let (client, base, key) = (client.clone(), base.clone(), key.clone());
            drive(format!("{backend}: register via HTTP"), requests, args.concurrency, move |i| {
                let (client, base, key) = (client.clone(), base.clone(), key.clone());
                async move {
                    let email = format!("bench{}@example.com", round * requests + i);
                    let body = json!({"first_name": "bench", "last_name": "user", "email": email, "password": "benchmark password"});
                    let reply = client.post(format!("{base}/api/v1/auth/register")).header("authorization", key).json(&body).send().await?;
                    anyhow::ensure!(reply.status() == StatusCode::CREATED, "register answered {}", reply.status());
                    Ok(())
                }
            })
        },
        |round| {
            let db = db.clone();
            drive(format!("{backend}: same rows, plain sqlx"), requests, args.concurrency, move |i| {
                let db = db.clone();
                async move { insert_rows(&db, round * requests + i).await }
            })
        },
    )
    .await?;
    server.abort();
    Ok(Figure {
        backend,
        measure: "register (HTTP to projector)",
        clara,
        baseline,
        target: 0.5,
    })
}

/// The rows a registration writes, in the same commits: the e-mail claim alone, then the
/// user's registration, first session and activation code together.
pub async fn insert_rows(db: &Db, i: usize) -> anyhow::Result<()> {
    let email = format!("baseline{i}@example.com");
    let user = format!("user_baseline{i:027}");
    let claim = vec![(
        "EmailClaim",
        format!("email_{i:064x}"),
        1,
        "Claimed",
        json!({"Claimed": {"user_id": user, "at_ms": 0}}),
    )];
    let registration = vec![
        (
            "User",
            user.clone(),
            1,
            "Registered",
            json!({"Registered": {"email": email, "first_name": "Bench", "last_name": "User", "password_hash": "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA"}}),
        ),
        (
            "User",
            user.clone(),
            2,
            "SessionOpened",
            json!({"SessionOpened": {"session_id": format!("session_{i}"), "expires_at_ms": 0}}),
        ),
        (
            "User",
            user.clone(),
            3,
            "OtpIssued",
            json!({"OtpIssued": {"otp_id": format!("otp_{i}"), "otp_type": "ACTIVATION", "code_mac": "0".repeat(64), "expires_at_ms": 0, "sent_to": email}}),
        ),
    ];
    let sql = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) VALUES ($1, $2, $3, $4, '1', $5, $6)";
    let metadata = json!({"request_id": "bench", "actor": "public_key"});
    for commit in [claim, registration] {
        with_pool!(db, pool => {
            let mut tx = pool.begin().await?;
            for (kind, id, sequence, event, payload) in &commit {
                sqlx::query(sql).bind(kind).bind(id).bind(sequence).bind(event).bind(payload).bind(&metadata)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
    }
    Ok(())
}
