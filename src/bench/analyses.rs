//! Agent throughput: paid analyses accepted per second (multipart, one 100 KB text file, a
//! user token) against the register baseline's plain inserts on the same backend; then the
//! time from a task's creation to its completion by two workers, p50 and p99.

use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::load::{compare, drive};
use super::{BenchArgs, Figure};
use crate::state::AppState;
use crate::with_pool;

/// Bytes of the text file each analysis carries.
const ATTACHMENT: usize = 100 * 1024;
/// Analyses timed from creation to completion.
const TIMED: usize = 100;

pub async fn measure(
    backend: &'static str,
    state: &AppState,
    args: &BenchArgs,
) -> anyhow::Result<Figure> {
    let (base, server) = super::reads::serve(crate::router(state.clone())).await?;
    let client = reqwest::Client::new();
    let analyses = (args.requests / 10).max(1);
    let (user_id, token) = paying_user(
        state,
        &client,
        &base,
        "analyst@example.com",
        5 * analyses + TIMED,
    )
    .await?;
    let db = state.db.writer();
    let (clara, baseline) = compare(
        args.rounds,
        |round| {
            let (client, base, user_id, token) =
                (client.clone(), base.clone(), user_id.clone(), token.clone());
            drive(
                format!("{backend}: analysis accepted (100 KB)"),
                analyses,
                args.concurrency,
                move |i| {
                    let (client, base, user_id, token) =
                        (client.clone(), base.clone(), user_id.clone(), token.clone());
                    async move {
                        submit(&client, &base, &user_id, &token, round * analyses + i)
                            .await
                            .map(drop)
                    }
                },
            )
        },
        |round| {
            let db = db.clone();
            drive(
                format!("{backend}: register rows, plain sqlx"),
                analyses,
                args.concurrency,
                move |i| {
                    let db = db.clone();
                    async move {
                        super::writes::insert_rows(&db, 1_000_000 + round * analyses + i).await
                    }
                },
            )
        },
    )
    .await?;
    let (p50, p99) = completion_latency(state, &client, &base, &user_id, &token).await?;
    println!("{backend}: analysis created → COMPLETED with 2 workers: p50 {p50} ms, p99 {p99} ms");
    server.abort();
    Ok(Figure {
        backend,
        measure: "analysis accepted (multipart)",
        clara,
        baseline,
        target: 0.0,
    })
}

/// An active user with credits for `runs` analyses, as a real client has one: registered
/// and activated over HTTP. Returns the user id and token.
pub async fn paying_user(
    state: &AppState,
    client: &reqwest::Client,
    base: &str,
    email: &str,
    runs: usize,
) -> anyhow::Result<(String, String)> {
    let reply = super::reads::register(state, client, base, email).await?;
    let user_id = reply["data"]["id"].as_str().unwrap_or_default().to_string();
    let token = format!(
        "Bearer {}",
        reply["data"]["token"].as_str().unwrap_or_default()
    );
    // The activation code is derived from its id, which the log holds; no mail is needed.
    let sql = "SELECT payload FROM events WHERE aggregate_id = $1 AND event_type = 'OtpIssued'";
    let issued: Value = with_pool!(&state.db, pool => sqlx::query_scalar(sql).bind(&user_id).fetch_one(pool).await?);
    let otp_id = issued["OtpIssued"]["otp_id"].as_str().unwrap_or_default();
    let code = state.otp.code(otp_id);
    let activated = client
        .post(format!("{base}/api/v1/users/{email}/activate"))
        .header("authorization", &state.secrets.public_api_key)
        .json(&json!({ "code": code }))
        .send()
        .await?;
    anyhow::ensure!(
        activated.status() == StatusCode::OK,
        "activate answered {}",
        activated.status()
    );
    let credits = json!({ "credits": runs * 20 });
    let funded = client
        .put(format!("{base}/api/v1/users/{user_id}/credits"))
        .header("authorization", &state.secrets.private_api_key)
        .json(&credits)
        .send()
        .await?;
    anyhow::ensure!(
        funded.status() == StatusCode::OK,
        "set credits answered {}",
        funded.status()
    );
    Ok((user_id, token))
}

/// Submits analysis `i`: a short text and a 100 KB text file of its own content.
async fn submit(
    client: &reqwest::Client,
    base: &str,
    user_id: &str,
    token: &str,
    i: usize,
) -> anyhow::Result<Value> {
    let mut text = format!("Report {i}: revenue grew 12% in 2024.\n").into_bytes();
    text.resize(ATTACHMENT, b'.');
    let form = Form::new()
        .text("content", format!("Check report {i}."))
        .part("report.txt", Part::bytes(text).file_name("report.txt"));
    let reply = client
        .post(format!("{base}/api/v1/users/{user_id}/agent/analysis"))
        .header("authorization", token)
        .multipart(form)
        .send()
        .await?;
    anyhow::ensure!(
        reply.status() == StatusCode::CREATED,
        "analysis answered {}",
        reply.status()
    );
    Ok(reply.json().await?)
}

/// Submits [`TIMED`] analyses one after another with two workers running (once the backlog
/// of earlier analyses is done) and returns the p50 and p99 of the time from each task's
/// creation to its completion, as the log recorded them.
async fn completion_latency(
    state: &AppState,
    client: &reqwest::Client,
    base: &str,
    user_id: &str,
    token: &str,
) -> anyhow::Result<(i64, i64)> {
    let mut state = state.clone();
    let mut agent = (*state.settings).clone();
    agent.agent.workers = 2;
    state.settings = std::sync::Arc::new(agent);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let workers = tokio::spawn(crate::agent::runner::run_workers(state.clone(), stopped));
    // The analyses accepted before are run first, so the timed ones do not queue behind them.
    while !crate::storage::views::due_tasks(&state.db, i64::MAX - 1, 1)
        .await?
        .is_empty()
    {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mut ids = Vec::with_capacity(TIMED);
    for i in 0..TIMED {
        let reply = submit(client, base, user_id, token, 10_000_000 + i).await?;
        ids.push(reply["data"]["id"].as_str().unwrap_or_default().to_string());
    }
    let sql = "SELECT MAX(recorded_at) - MIN(recorded_at) FROM events WHERE aggregate_type = 'Task' AND aggregate_id = $1 AND event_type IN ('Created', 'Completed') HAVING COUNT(*) = 2";
    let mut latencies = Vec::with_capacity(TIMED);
    for id in &ids {
        loop {
            let took: Option<i64> = with_pool!(&state.db, pool => sqlx::query_scalar(sql).bind(id).fetch_optional(pool).await?);
            if let Some(took) = took {
                latencies.push(took);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    let _ = stop.send(true);
    let _ = workers.await;
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    Ok((at(0.5), at(0.99)))
}
