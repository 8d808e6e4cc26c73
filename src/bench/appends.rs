//! PostgreSQL appends from one server process against two on the same database, 32 in
//! flight, and how long appends wait for the advisory append lock (taken shared by appends,
//! exclusively by a rebuild of the views; it once serialised them). If two processes append
//! no faster than one, something else is the ceiling.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use reqwest::StatusCode;
use serde_json::json;

use super::child::ChildServer;
use super::load::{compare, drive, expect};
use super::Figure;
use crate::state::AppState;
use crate::storage::Db;

const APPENDERS: usize = 32;
const USERS: usize = 64;
const APPENDS: usize = 3_000;

/// Profile changes (one event each, no password hash) through one process and through two.
pub async fn measure(url: &str, state: &AppState, rounds: u16) -> anyhow::Result<Figure> {
    let Db::Postgres(pool) = &state.db else {
        anyhow::bail!("the appends measure needs PostgreSQL");
    };
    let (base, in_process) = super::reads::serve(crate::router(state.clone())).await?;
    let client = reqwest::Client::new();
    let mut users = Vec::new();
    for i in 0..USERS {
        let reply =
            super::reads::register(state, &client, &base, &format!("appender{i}@example.com"))
                .await?;
        let id = reply["data"]["id"].as_str().unwrap_or_default().to_string();
        let token = format!(
            "Bearer {}",
            reply["data"]["token"].as_str().unwrap_or_default()
        );
        users.push((id, token));
    }
    in_process.abort();
    let servers = [
        ChildServer::start(url, &state.secrets).await?,
        ChildServer::start(url, &state.secrets).await?,
    ];
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let run = |processes: usize| {
        let (client, users, bases) = (client.clone(), users.clone(), bases.clone());
        let label = format!("postgres: profile changes, {processes} process(es)");
        async move {
            let waits = LockWaits::start(pool.clone());
            let rate = drive(label, APPENDS, APPENDERS, move |i| {
                let (id, token) = &users[i % users.len()];
                let request = client
                    .patch(format!("{}/api/v1/users/{id}", bases[i % processes]))
                    .header("authorization", token)
                    .json(&json!({"first_name": format!("Name{i}")}));
                expect(request, StatusCode::OK, "profile change")
            })
            .await?;
            let waited_ms = waits.stop().await;
            let mean_ms = APPENDERS as f64 * 1000.0 / rate;
            let per_append = waited_ms / APPENDS as f64;
            println!(
                "postgres, {processes} process(es): an append waited {per_append:.2} ms for the append lock of {mean_ms:.2} ms in flight ({:.0}%)",
                100.0 * per_append / mean_ms
            );
            Ok(rate)
        }
    };
    let (two, one) = compare(rounds, |_| run(2), |_| run(1)).await?;
    Ok(Figure {
        backend: "postgres",
        measure: "appends: two processes vs one",
        clara: two,
        baseline: one,
        target: 0.0,
    })
}

/// Samples how many sessions wait on an advisory lock in this database; the sum of
/// samples times the interval approximates the total time appends spent waiting.
struct LockWaits {
    running: Arc<AtomicBool>,
    sampler: tokio::task::JoinHandle<f64>,
}

impl LockWaits {
    fn start(pool: sqlx::PgPool) -> Self {
        let running = Arc::new(AtomicBool::new(true));
        let flag = running.clone();
        let sampler = tokio::spawn(async move {
            let sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                AND wait_event_type = 'Lock' AND wait_event = 'advisory'";
            let (mut waited_ms, mut last) = (0.0, Instant::now());
            while flag.load(Ordering::Relaxed) {
                let waiting: i64 = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap_or(0);
                let now = Instant::now();
                waited_ms += waiting as f64 * (now - last).as_secs_f64() * 1000.0;
                last = now;
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
            waited_ms
        });
        Self { running, sampler }
    }

    /// The waiting time summed over every waiting session, in ms.
    async fn stop(self) -> f64 {
        self.running.store(false, Ordering::Relaxed);
        self.sampler.await.unwrap_or(0.0)
    }
}
