//! Login throughput (Basic → 200, production argon2id parameters) against the argon2 ceiling
//! measured in the same run: cores ÷ the time of one verification with the same parameters.

use std::time::Instant;

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use reqwest::StatusCode;
use serde_json::json;

use super::load::drive;
use super::{BenchArgs, Figure};
use crate::auth::password::Passwords;
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
    let ceiling = argon2_ceiling()?;
    let logins = args.requests / 10;
    let rate = drive(
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
    .await?;
    server.abort();
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

/// Verifications per second all cores could do: cores ÷ the time of one, timed here.
fn argon2_ceiling() -> anyhow::Result<f64> {
    let params = Params::new(19_456, 2, 1, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let salt = argon2::password_hash::SaltString::generate(&mut rand::rngs::OsRng);
    let hash =
        argon2::password_hash::PasswordHasher::hash_password(&argon2, PASSWORD.as_bytes(), &salt)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .to_string();
    let parsed = PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("{e}"))?;
    let rounds = 20;
    let started = Instant::now();
    for _ in 0..rounds {
        argon2
            .verify_password(PASSWORD.as_bytes(), &parsed)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let one = started.elapsed().as_secs_f64() / f64::from(rounds);
    Ok(cores() as f64 / one)
}
