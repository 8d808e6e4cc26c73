//! Audit figures over a log of a million events (100 accounts of 10,000 events each): replay
//! events per second, export events per second with the process's peak memory, and the p50
//! of one account's history page, read with the owner's token.

use std::time::Instant;

use serde_json::{json, Value};

use super::BenchArgs;
use crate::state::AppState;
use crate::storage::{Db, Projector};
use crate::with_pool;

const ACCOUNTS: usize = 100;
const EVENTS_PER_ACCOUNT: usize = 10_000;
/// Rows per INSERT statement while seeding (7 parameters each, far below both limits).
const ROWS_PER_INSERT: usize = 1_000;
const HISTORY_READS: usize = 200;

pub async fn measure(
    backend: &'static str,
    state: &AppState,
    _args: &BenchArgs,
) -> anyhow::Result<()> {
    let (base, server) = super::reads::serve(crate::router(state.clone())).await?;
    let client = reqwest::Client::new();
    let (owner, token) =
        super::analyses::paying_user(state, &client, &base, "auditor@example.com", 1).await?;
    seed(&state.db, &owner).await?;

    let started = Instant::now();
    let report = Projector::new(state.db.clone(), state.secrets.keyring())
        .rebuild(&|_| {})
        .await?;
    let replay = report.events as f64 / started.elapsed().as_secs_f64();
    println!(
        "{backend}: replay {:.0} events/s over {} events (target ≥ 50000/s on PostgreSQL)",
        replay, report.events
    );

    let before = memory("VmRSS");
    reset_peak_memory();
    let started = Instant::now();
    let mut exported = 0usize;
    let mut after = 0i64;
    loop {
        let url = format!("{base}/api/v1/events?after={after}&limit=100000");
        let mut reply = client
            .get(url)
            .header("authorization", &state.secrets.private_api_key)
            .send()
            .await?;
        let mut last_line = Vec::new();
        let mut lines = 0usize;
        while let Some(chunk) = reply.chunk().await? {
            lines += chunk.iter().filter(|b| **b == b'\n').count();
            last_line.extend_from_slice(&chunk);
            if let Some(end) = last_line[..last_line.len().saturating_sub(1)]
                .iter()
                .rposition(|b| *b == b'\n')
            {
                last_line.drain(..=end);
            }
        }
        if lines == 0 {
            break;
        }
        exported += lines;
        let last: Value = serde_json::from_slice(&last_line)?;
        after = last["position"].as_i64().unwrap_or(i64::MAX);
    }
    let export = exported as f64 / started.elapsed().as_secs_f64();
    println!(
        "{backend}: export {export:.0} events/s over {exported} events; peak RSS {:.0} MiB (RSS before {:.0} MiB)",
        memory("VmHWM") / 1024.0,
        before / 1024.0
    );

    let positions: Vec<i64> = with_pool!(&state.db, pool => sqlx::query_scalar(
        "SELECT position FROM events WHERE aggregate_id = $1 ORDER BY position").bind(&owner).fetch_all(pool).await?);
    let mut took = Vec::with_capacity(HISTORY_READS);
    for i in 0..HISTORY_READS {
        let after = positions[i * positions.len() / HISTORY_READS];
        let url = format!("{base}/api/v1/users/{owner}/events?after={after}&limit=100");
        let started = Instant::now();
        let reply = client
            .get(url)
            .header("authorization", &token)
            .send()
            .await?;
        anyhow::ensure!(
            reply.status().is_success(),
            "history answered {}",
            reply.status()
        );
        reply.bytes().await?;
        took.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    took.sort_by(f64::total_cmp);
    println!(
        "{backend}: history page of 100 (user token) of an account of {} events: p50 {:.1} ms",
        positions.len(),
        took[took.len() / 2]
    );
    server.abort();
    Ok(())
}

/// Writes the accounts' events straight into the log: `owner` (a real, registered user) and
/// 99 others, each with a wallet credited once and then sign-ins, sign-outs, failed
/// sign-ins and debits in turn.
async fn seed(db: &Db, owner: &str) -> anyhow::Result<()> {
    let bar = indicatif::ProgressBar::new((ACCOUNTS * EVENTS_PER_ACCOUNT) as u64);
    bar.set_message("seeding the log");
    let mut rows = Vec::with_capacity(ROWS_PER_INSERT);
    for account in 0..ACCOUNTS {
        let user = if account == 0 {
            owner.to_string()
        } else {
            format!("user_bench_audit_{account:015}")
        };
        let (mut user_seq, mut wallet_seq) = (
            last_sequence(db, "User", &user).await?,
            last_sequence(db, "Wallet", &user).await?,
        );
        if user_seq == 0 {
            user_seq += 1;
            rows.push(row("User", &user, user_seq, "Registered", json!({"Registered": {
                "email": format!("{user}@example.com"), "first_name": "A", "last_name": "B", "password_hash": "x"}})));
        }
        wallet_seq += 1;
        let mut balance = 100_000_000i64;
        rows.push(row("Wallet", &user, wallet_seq, "Credited", json!({"Credited": {
            "entry_id": format!("transaction_{user}_0"), "amount": balance, "balance": balance, "description": "seed", "purchase": null}})));
        for i in 2..EVENTS_PER_ACCOUNT {
            let session = format!("session_{user}_{}", i / 4);
            let (kind, event) = match i % 4 {
                0 => (
                    "SessionOpened",
                    json!({"SessionOpened": {"session_id": session, "expires_at_ms": 0}}),
                ),
                1 => (
                    "SessionClosed",
                    json!({"SessionClosed": {"session_id": session}}),
                ),
                2 => (
                    "LoginFailed",
                    json!({"LoginFailed": {"at_ms": 0, "failures": 1, "locked_until_ms": 0}}),
                ),
                _ => {
                    balance -= 1;
                    wallet_seq += 1;
                    rows.push(row("Wallet", &user, wallet_seq, "Debited", json!({"Debited": {
                        "entry_id": format!("transaction_{user}_{i}"), "amount": 1, "balance": balance, "description": "bench"}})));
                    continue;
                }
            };
            user_seq += 1;
            rows.push(row("User", &user, user_seq, kind, event));
            if rows.len() >= ROWS_PER_INSERT {
                bar.inc(rows.len() as u64);
                insert(db, &rows).await?;
                rows.clear();
            }
        }
    }
    insert(db, &rows).await?;
    bar.finish_and_clear();
    Ok(())
}

/// The sequence of the last event of aggregate `id` (0 when it has none).
async fn last_sequence(db: &Db, aggregate: &str, id: &str) -> Result<i64, sqlx::Error> {
    let sql = "SELECT COALESCE(MAX(sequence), 0) FROM events WHERE aggregate_type = $1 AND aggregate_id = $2";
    Ok(
        with_pool!(db, pool => sqlx::query_scalar(sql).bind(aggregate).bind(id).fetch_one(pool).await?),
    )
}

type Row = (&'static str, String, i64, &'static str, Value);

fn row(
    aggregate: &'static str,
    id: &str,
    sequence: i64,
    kind: &'static str,
    payload: Value,
) -> Row {
    (aggregate, id.to_string(), sequence, kind, payload)
}

async fn insert(db: &Db, rows: &[Row]) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let values: Vec<String> = (0..rows.len())
        .map(|r| {
            let p = |c: usize| format!("${}", r * 6 + c);
            format!(
                "({}, {}, {}, {}, '1', {}, {})",
                p(1),
                p(2),
                p(3),
                p(4),
                p(5),
                p(6)
            )
        })
        .collect();
    let sql = format!(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) VALUES {}",
        values.join(", ")
    );
    let metadata = json!({"actor": "system"});
    with_pool!(&db.writer(), pool => {
        let mut query = sqlx::query(&sql);
        for (aggregate, id, sequence, kind, payload) in rows {
            query = query.bind(*aggregate).bind(id).bind(sequence).bind(*kind).bind(payload).bind(&metadata);
        }
        query.execute(pool).await?;
    });
    Ok(())
}

/// A memory figure of this process from `/proc/self/status`, in KiB (0 where unavailable).
fn memory(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0)
}

/// Resets the peak resident size, so the next peak is the export's (Linux).
fn reset_peak_memory() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
