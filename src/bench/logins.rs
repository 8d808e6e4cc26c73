//! Login throughput (Basic → 200, production argon2id parameters) against the argon2 ceiling
//! measured in the same run: cores ÷ the time of one verification with the same parameters,
//! timed with every core verifying.

use std::time::Instant;

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use reqwest::StatusCode;
use serde_json::json;

use super::load::{compare, drive};
use super::{BenchArgs, Figure};
use crate::auth::password::{verify_phc, Passwords};
use crate::state::AppState;

/// Accounts the logins cycle through.
const ACCOUNTS: usize = 8;
const PASSWORD: &str = "benchmark password";

pub async fn measure(
    backend: &'static str,
    state: &AppState,
    args: &BenchArgs,
) -> anyhow::Result<(Figure, f64)> {
    let mut state = state.clone();
    state.passwords = Passwords::production();
    let (base, server) = super::reads::serve(crate::router(state.clone())).await?;
    let client = reqwest::Client::new();
    let mut headers = Vec::new();
    for i in 0..ACCOUNTS {
        let email = format!("login{i}@example.com");
        let body =
            json!({"first_name": "l", "last_name": "u", "email": email, "password": PASSWORD});
        let reply = client
            .post(format!("{base}/api/v1/auth/register"))
            .header("authorization", &state.secrets.public_api_key)
            .json(&body)
            .send()
            .await?;
        anyhow::ensure!(
            reply.status() == StatusCode::CREATED,
            "register answered {}",
            reply.status()
        );
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{email}:{PASSWORD}"));
        headers.push(format!("Basic {basic}"));
    }
    let logins = args.requests / 10;
    let login = |_round| {
        let (client, base, headers) = (client.clone(), base.clone(), headers.clone());
        drive(
            format!("{backend}: login (Basic, argon2id)"),
            logins,
            args.concurrency,
            move |i| {
                let (client, base, auth) = (
                    client.clone(),
                    base.clone(),
                    headers[i % headers.len()].clone(),
                );
                async move {
                    let reply = client
                        .post(format!("{base}/api/v1/auth/session"))
                        .header("authorization", auth)
                        .send()
                        .await?;
                    anyhow::ensure!(
                        reply.status() == StatusCode::OK,
                        "login answered {}",
                        reply.status()
                    );
                    Ok(())
                }
            },
        )
    };
    let ceiling =
        |_round| async move { tokio::task::spawn_blocking(move || argon2_ceiling(logins)).await? };
    let (rate, ceiling) = compare(args.rounds, login, ceiling).await?;
    server.abort();
    // Each lost race costs a wasted transaction and a reload, so the figure depends on it.
    println!(
        "{backend}: {} commands on accounts lost a race and were decided again",
        state.users.lost_races()
    );
    let per_core = rate / cores() as f64;
    Ok((
        Figure {
            backend,
            measure: "login vs argon2 ceiling",
            clara: rate,
            baseline: ceiling,
            target: 0.85,
        },
        per_core,
    ))
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Verifications per second all cores could do with the server's own verification routine:
/// cores ÷ the time of one, timed while every core verifies at once, since cores that share
/// caches and memory bandwidth do not each reach the speed one core reaches alone. The
/// one-core figure is printed beside it. As many verifications are timed as a login run
/// makes, so both span the same stretch of time.
fn argon2_ceiling(verifications: usize) -> anyhow::Result<f64> {
    let params = Params::new(19_456, 2, 1, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let salt = argon2::password_hash::SaltString::generate(&mut rand::rngs::OsRng);
    let hash =
        argon2::password_hash::PasswordHasher::hash_password(&argon2, PASSWORD.as_bytes(), &salt)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .to_string();
    let rounds = u32::try_from(verifications / cores())
        .unwrap_or(u32::MAX)
        .max(1);
    let time_one = |threads: usize, rounds: u32| {
        let started = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    for _ in 0..rounds {
                        let verified = verify_phc(PASSWORD.as_bytes(), &hash);
                        assert!(verified, "the benchmark's own hash must verify");
                    }
                });
            }
        });
        started.elapsed().as_secs_f64() / f64::from(rounds)
    };
    let alone = time_one(1, 20);
    let together = time_one(cores(), rounds);
    println!(
        "argon2id verification: {:.1} ms on one core alone, {:.1} ms each with all {} cores busy",
        alone * 1e3,
        together * 1e3,
        cores()
    );
    Ok(cores() as f64 / together)
}
