//! Debit latency against history: the median time of one debit on a fresh wallet and on one
//! with 10,000 prior ledger entries, in the same run. Snapshots keep the second close to the
//! first; without them loading would replay the whole history on every command.

use std::time::Instant;

use clara_aggregates::WalletCommand;

use super::Figure;
use crate::commands::Meta;
use crate::state::AppState;

const HISTORY: usize = 10_000;
const SAMPLES: usize = 200;

/// The p50 latencies (ms) of a debit on a fresh wallet and on a long-lived one.
pub async fn measure(backend: &'static str, state: &AppState) -> anyhow::Result<Figure> {
    let meta = Meta::default();
    let old = "user_bench_long_history";
    state.wallets.execute_once(old, credit(), &meta).await?;
    let bar = indicatif::ProgressBar::new(HISTORY as u64);
    for i in 0..HISTORY {
        state
            .wallets
            .execute_once(old, debit(&format!("seed_{i}")), &meta)
            .await?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    state.projector.catch_up().await?;
    let fresh = "user_bench_fresh";
    state.wallets.execute_once(fresh, credit(), &meta).await?;
    let (mut young, mut aged) = (Vec::new(), Vec::new());
    for i in 0..SAMPLES {
        young.push(timed(state, fresh, &format!("f_{i}")).await?);
        aged.push(timed(state, old, &format!("o_{i}")).await?);
    }
    let (young, aged) = (median(young), median(aged));
    println!("{backend}: debit p50 {young:.2} ms on a fresh wallet, {aged:.2} ms after {HISTORY} entries");
    // Reported as rates so the ratio reads like the others: fresh p50 ÷ long-history p50.
    Ok(Figure {
        backend,
        measure: "debit p50, fresh vs 10k history",
        clara: 1_000.0 / aged,
        baseline: 1_000.0 / young,
        target: 1.0 / 1.5,
    })
}

fn credit() -> WalletCommand {
    WalletCommand::Credit {
        entry_id: crate::ids::new_id("transaction"),
        amount: 1_000_000_000,
        description: "bench".into(),
    }
}

fn debit(entry: &str) -> WalletCommand {
    WalletCommand::Debit {
        entry_id: format!("transaction_{entry}"),
        amount: 1,
        description: "bench".into(),
    }
}

async fn timed(state: &AppState, wallet: &str, entry: &str) -> anyhow::Result<f64> {
    let started = Instant::now();
    state
        .wallets
        .execute(wallet, debit(entry), &Meta::default())
        .await?;
    Ok(started.elapsed().as_secs_f64() * 1_000.0)
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}
