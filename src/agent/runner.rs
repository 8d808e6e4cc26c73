//! The workers inside the service: each takes a due task by committing a lease on it (so on
//! a shared database only one process runs a task at a time), runs the analyzer within the
//! time limit while renewing the lease, and ends the task. A dead worker's task falls due
//! again when its lease runs out.

use std::time::Duration;

use clara_aggregates::{TaskCommand, TaskError, TaskEvent};
use rand::seq::SliceRandom;
use tokio::sync::watch;

use super::run::{lease_ms, run, system};
use super::tasks::commit;
use crate::error::AppError;
use crate::ids::new_id;
use crate::state::AppState;
use crate::storage::views;

/// How often an idle worker looks for due tasks that no one nudged it about (other
/// processes' tasks, expired leases).
const POLL: Duration = Duration::from_millis(500);
/// How long a run may go on finishing once the service is asked to stop.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// Due tasks a worker considers per look.
const CANDIDATES: i64 = 16;

/// Runs the configured number of workers until `stopped` turns true.
pub async fn run_workers(state: AppState, stopped: watch::Receiver<bool>) {
    let process = new_id("worker");
    let workers: Vec<_> = (0..state.settings.agent.workers)
        .map(|n| {
            let name = format!("{process}/{n}");
            tokio::spawn(work(state.clone(), name, stopped.clone()))
        })
        .collect();
    for worker in workers {
        let _ = worker.await;
    }
}

async fn work(state: AppState, name: String, mut stopped: watch::Receiver<bool>) {
    while !*stopped.borrow() {
        match take(&state, &name).await {
            Ok(Some((task_id, attempt))) => {
                let running = run(&state, &task_id, attempt);
                tokio::pin!(running);
                tokio::select! {
                    () = &mut running => continue,
                    _ = stopped.changed() => {
                        // Shutting down: a run that does not end within the grace is dropped,
                        // and its task falls due again when its lease runs out.
                        if tokio::time::timeout(SHUTDOWN_GRACE, running).await.is_err() {
                            tracing::info!(task_id, attempt, "stopping; the task is left to its lease");
                        }
                        break;
                    }
                }
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(worker = %name, %error, "looking for tasks failed"),
        }
        tokio::select! {
            _ = state.work.notified() => {}
            _ = tokio::time::sleep(POLL) => {}
            _ = stopped.changed() => {}
        }
    }
}

/// Takes one due task: its id and the attempt this run is. A task whose last permitted
/// run died is failed (and refunded) on the way.
async fn take(state: &AppState, worker: &str) -> Result<Option<(String, u32)>, AppError> {
    let started = std::time::Instant::now();
    let now_ms = state.clock.now_ms();
    let mut due = views::due_tasks(&state.db, now_ms, CANDIDATES).await?;
    // Workers of several processes start from different tasks rather than race for one.
    due.shuffle(&mut rand::thread_rng());
    let lease_ms = lease_ms(state);
    for task_id in due {
        let command = TaskCommand::Take {
            worker: worker.to_string(),
            now_ms,
            lease_ms,
        };
        match commit(state, &task_id, command, &system()).await {
            Ok(committed) => {
                if let Some(TaskEvent::Started { attempt, .. }) = committed.first.first() {
                    let took_ms = started.elapsed().as_millis();
                    tracing::debug!(task_id, attempt, took_ms, "took a task");
                    return Ok(Some((task_id, *attempt)));
                }
            }
            // Taken or ended by someone else since the queue was read.
            Err(AppError::Task(TaskError::LeaseHeld | TaskError::Ended | TaskError::NotFound))
            | Err(AppError::Conflict) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(None)
}
