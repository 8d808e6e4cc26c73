//! Reads during a login storm: the p99 of User View (with a user token) while 16 connections
//! sign in as fast as the server answers, with the production argon2id parameters, against
//! the p99 of the same reads with no storm. Reads must not queue behind password hashing.
//! The server is a `clara serve` process of its own, so its peak RSS through the storm (the
//! argon2id memory of every core at once) is the server's alone.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use reqwest::StatusCode;

use super::child::ChildServer;
use super::load::median;
use crate::state::AppState;

const READS: usize = 2_000;
const READERS: usize = 4;
const STORM: usize = 16;

/// Prints the read p99 with no storm and during one, and the server's peak RSS.
pub async fn measure(
    backend: &'static str,
    url: &str,
    state: &AppState,
    rounds: u16,
) -> anyhow::Result<()> {
    let server = ChildServer::start(url, &state.secrets).await?;
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let reader = super::reads::register(state, &client, &base, "storm-reader@example.com").await?;
    let id = reader["data"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let token = format!(
        "Bearer {}",
        reader["data"]["token"].as_str().unwrap_or_default()
    );
    let stormer = "storm@example.com";
    super::reads::register(state, &client, &base, stormer).await?;
    // A p99 of a few thousand reads moves with whatever else the machine does: the rounds
    // alternate, and the medians are compared.
    let (mut idle, mut stormy) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        idle.push(read_p99(&client, &base, &id, &token).await?);
        stormy.push(
            during_storm(
                &client,
                &base,
                stormer,
                read_p99(&client, &base, &id, &token),
            )
            .await?,
        );
    }
    let (idle, stormy) = (median(idle), median(stormy));
    println!(
        "{backend}: read p99 {idle:.1} ms idle, {stormy:.1} ms during a {STORM}-connection login storm: {:.1}× (target ≤ 3×)",
        stormy / idle
    );
    if let Some(peak) = server.peak_rss_mib() {
        println!("{backend}: peak RSS of the server process through the storm: {peak:.0} MiB (target ≤ 64 MiB)");
    }
    Ok(())
}

/// Runs `reads` while [`STORM`] connections sign in as `stormer` as fast as they are answered.
async fn during_storm<T>(
    client: &reqwest::Client,
    base: &str,
    stormer: &'static str,
    reads: impl std::future::Future<Output = T>,
) -> T {
    let raging = Arc::new(AtomicBool::new(true));
    let storm: Vec<_> = (0..STORM)
        .map(|_| {
            let (client, base, raging) = (client.clone(), base.to_string(), raging.clone());
            tokio::spawn(async move {
                while raging.load(Ordering::Relaxed) {
                    let _ = client
                        .post(format!("{base}/api/v1/auth/session"))
                        .basic_auth(stormer, Some("benchmark password"))
                        .send()
                        .await;
                }
            })
        })
        .collect();
    let result = reads.await;
    raging.store(false, Ordering::Relaxed);
    for login in storm {
        let _ = login.await;
    }
    result
}

/// The p99 (ms) of [`READS`] user-token reads from [`READERS`] connections.
async fn read_p99(
    client: &reqwest::Client,
    base: &str,
    id: &str,
    token: &str,
) -> anyhow::Result<f64> {
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (client, url, token) = (
                client.clone(),
                format!("{base}/api/v1/users/{id}"),
                token.to_string(),
            );
            tokio::spawn(async move {
                let mut took = Vec::with_capacity(READS / READERS);
                for _ in 0..READS / READERS {
                    let started = Instant::now();
                    let reply = client
                        .get(&url)
                        .header("authorization", &token)
                        .send()
                        .await?;
                    anyhow::ensure!(
                        reply.status() == StatusCode::OK,
                        "view answered {}",
                        reply.status()
                    );
                    reply.bytes().await?;
                    took.push(started.elapsed().as_secs_f64() * 1000.0);
                }
                Ok(took)
            })
        })
        .collect();
    let mut took = Vec::with_capacity(READS);
    for reader in readers {
        took.extend(reader.await??);
    }
    took.sort_by(f64::total_cmp);
    Ok(took[took.len() * 99 / 100])
}
