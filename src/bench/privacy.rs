//! What sealing personal data costs: register, sign-in and user view through the full stack
//! with sealing on, against a second service on the same database with it off; and a replay
//! of the whole log, its sealed values opened, in events per second.

use std::time::Instant;

use base64::Engine;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::task::JoinHandle;

use super::load::{compare, drive, expect};
use super::reads::{register, serve};
use super::{BenchArgs, Figure};
use crate::state::AppState;
use crate::storage::Projector;

/// Accounts each side signs in and reads as.
const ACCOUNTS: usize = 100;
const PASSWORD: &str = "benchmark password";

/// One side of the comparison: a served router, and the accounts registered through it.
struct Side {
    base: String,
    basic: Vec<String>,
    views: Vec<(String, String)>,
}

pub async fn measure(
    backend: &'static str,
    state: &AppState,
    args: &BenchArgs,
) -> anyhow::Result<Vec<Figure>> {
    let plain = AppState::new(
        state.db.clone(),
        (*state.secrets).clone(),
        state.passwords.clone(),
        crate::state::Settings {
            seal_personal_data: false,
            ..(*state.settings).clone()
        },
    )?;
    let client = reqwest::Client::new();
    let mut servers = Vec::new();
    let mut sealed_side = side(state, &client, "sealed", &mut servers).await?;
    let mut plain_side = side(&plain, &client, "plain", &mut servers).await?;
    let register_all = |side: &Side, label: &'static str, round: usize| {
        let (client, base, key) = (
            client.clone(),
            side.base.clone(),
            state.secrets.public_api_key.clone(),
        );
        drive(
            format!("{backend}: register, {label}"),
            args.requests,
            args.concurrency,
            move |i| {
                let (client, base, key) = (client.clone(), base.clone(), key.clone());
                async move {
                    let body = serde_json::json!({"first_name": "Bench", "last_name": "Person",
                    "email": format!("{label}{round}-{i}@example.com"), "password": PASSWORD});
                    let request = client
                        .post(format!("{base}/api/v1/auth/register"))
                        .header("authorization", key)
                        .json(&body);
                    expect(request, StatusCode::CREATED, "register").await
                }
            },
        )
    };
    let registered = compare(
        args.rounds,
        |round| register_all(&sealed_side, "sealed", round),
        |round| register_all(&plain_side, "plain", round),
    )
    .await?;
    // Sign-in loads each account cold once (a process of its own), then from memory.
    sealed_side.base = serve_fresh(state, &mut servers).await?;
    plain_side.base = serve_fresh(&plain, &mut servers).await?;
    let sign_in = |side: &Side, label: &'static str| {
        let (client, base, basic) = (client.clone(), side.base.clone(), side.basic.clone());
        drive(
            format!("{backend}: sign-in, {label}"),
            args.requests / 2,
            args.concurrency,
            move |i| {
                let request = client
                    .post(format!("{base}/api/v1/auth/session"))
                    .header("authorization", &basic[i % basic.len()]);
                expect(request, StatusCode::OK, "sign-in")
            },
        )
    };
    let signed_in = compare(
        args.rounds,
        |_| sign_in(&sealed_side, "sealed"),
        |_| sign_in(&plain_side, "plain"),
    )
    .await?;
    sign_in_again(&client, &mut sealed_side).await?;
    sign_in_again(&client, &mut plain_side).await?;
    let view = |side: &Side, label: &'static str| {
        let (client, base, views) = (client.clone(), side.base.clone(), side.views.clone());
        drive(
            format!("{backend}: user view, {label}"),
            args.requests * 2,
            args.concurrency,
            move |i| {
                let (id, token) = &views[i % views.len()];
                let request = client
                    .get(format!("{base}/api/v1/users/{id}"))
                    .header("authorization", token);
                expect(request, StatusCode::OK, "view")
            },
        )
    };
    let viewed = compare(
        args.rounds,
        |_| view(&sealed_side, "sealed"),
        |_| view(&plain_side, "plain"),
    )
    .await?;
    for server in servers {
        server.abort();
    }

    let started = Instant::now();
    let projector = Projector::new(state.db.clone(), state.secrets.keyring());
    let report = projector.rebuild(&|_| {}).await?;
    let rate = report.events as f64 / started.elapsed().as_secs_f64();
    println!(
        "{backend}: replay of {} events, half of the people's sealed: {rate:.0} events/s",
        report.events
    );
    let figure = |measure, (clara, baseline)| Figure {
        backend,
        measure,
        clara,
        baseline,
        target: 0.95,
    };
    Ok(vec![
        figure("register: sealed vs plain", registered),
        figure("sign-in: sealed vs plain", signed_in),
        figure("user view: sealed vs plain", viewed),
    ])
}

/// Serves `state`'s router and registers [`ACCOUNTS`] people through it.
async fn side(
    state: &AppState,
    client: &reqwest::Client,
    label: &str,
    servers: &mut Vec<JoinHandle<()>>,
) -> anyhow::Result<Side> {
    let base = serve_fresh(state, servers).await?;
    let (mut basic, mut views) = (Vec::new(), Vec::new());
    for i in 0..ACCOUNTS {
        let email = format!("{label}-account{i}@example.com");
        let reply: Value = register(state, client, &base, &email).await?;
        let id = reply["data"]["id"].as_str().unwrap_or_default().to_string();
        let token = format!(
            "Bearer {}",
            reply["data"]["token"].as_str().unwrap_or_default()
        );
        let credentials =
            base64::engine::general_purpose::STANDARD.encode(format!("{email}:{PASSWORD}"));
        basic.push(format!("Basic {credentials}"));
        views.push((id, token));
    }
    Ok(Side { base, basic, views })
}

/// Takes a new token for each account of `side`: the sign-in rounds open more sessions per
/// account than an account keeps, which closes the oldest, the registration's among them.
async fn sign_in_again(client: &reqwest::Client, side: &mut Side) -> anyhow::Result<()> {
    for (basic, (_, token)) in side.basic.iter().zip(side.views.iter_mut()) {
        let reply: Value = client
            .post(format!("{}/api/v1/auth/session", side.base))
            .header("authorization", basic)
            .send()
            .await?
            .json()
            .await?;
        let signed_in = reply["data"]["token"].as_str().unwrap_or_default();
        *token = format!("Bearer {signed_in}");
    }
    Ok(())
}

/// `state`'s router served by a service of its own, whose memory of aggregates is empty.
async fn serve_fresh(
    state: &AppState,
    servers: &mut Vec<JoinHandle<()>>,
) -> anyhow::Result<String> {
    let fresh = AppState::new(
        state.db.clone(),
        (*state.secrets).clone(),
        state.passwords.clone(),
        (*state.settings).clone(),
    )?;
    let (base, server) = serve(crate::router(fresh)).await?;
    servers.push(server);
    Ok(base)
}
