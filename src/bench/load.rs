//! A bounded load driver: runs N operations with C in flight and reports the rate.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

/// Runs `op(0..total)` with `concurrency` workers and returns operations per second. Every
/// operation must succeed: a failing one aborts the measurement rather than inflating it.
pub async fn drive<F, Fut>(
    label: String,
    total: usize,
    concurrency: usize,
    op: F,
) -> anyhow::Result<f64>
where
    F: Fn(usize) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let bar = ProgressBar::new(total as u64);
    if let Ok(style) = ProgressStyle::with_template("{msg:<40} [{bar:30}] {pos}/{len} ({per_sec})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(label.clone());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (next, op, bar) = (next.clone(), op.clone(), bar.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        return Ok::<(), anyhow::Error>(());
                    }
                    op(i).await?;
                    bar.inc(1);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let rate = total as f64 / elapsed;
    println!("{label:<40} {rate:>10.0}/s");
    Ok(rate)
}

/// Runs `clara(round)` and `baseline(round)` alternately `rounds` times, so that drift in the
/// machine's speed hits both sides, and returns the median rate of each.
pub async fn compare<C, CF, B, BF>(rounds: u16, clara: C, baseline: B) -> anyhow::Result<(f64, f64)>
where
    C: Fn(usize) -> CF,
    CF: Future<Output = anyhow::Result<f64>>,
    B: Fn(usize) -> BF,
    BF: Future<Output = anyhow::Result<f64>>,
{
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    // Which side goes first alternates, so neither always pays for what the other left
    // behind (dead rows, a checkpoint, a cold cache).
    for round in 0..usize::from(rounds) {
        if round % 2 == 0 {
            ours.push(clara(round).await?);
            theirs.push(baseline(round).await?);
        } else {
            theirs.push(baseline(round).await?);
            ours.push(clara(round).await?);
        }
    }
    Ok((median(ours), median(theirs)))
}

/// The middle of `values` (the upper middle of an even count).
pub fn median(mut rates: Vec<f64>) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

/// Sends `request` and reads its whole answer, which must have `status`; `what` names the
/// request in the error that aborts the measurement otherwise.
pub async fn expect(
    request: reqwest::RequestBuilder,
    status: reqwest::StatusCode,
    what: &str,
) -> anyhow::Result<()> {
    let reply = request.send().await?;
    anyhow::ensure!(
        reply.status() == status,
        "{what} answered {}",
        reply.status()
    );
    reply.bytes().await?;
    Ok(())
}
