//! The workers inside the service: each takes a due task by committing a lease on it (so on
//! a shared database only one process runs a task at a time), runs the analyzer within the
//! time limit while renewing the lease, and ends the task. A dead worker's task falls due
//! again when its lease runs out.

use std::time::Duration;

use clara_aggregates::{Analysis, Task, TaskCommand, TaskError, TaskEvent};
use rand::seq::SliceRandom;
use tokio::sync::watch;

use super::analyzer::{AnalysisFailed, Input};
use super::tasks::commit;
use crate::commands::Meta;
use crate::error::AppError;
use crate::ids::new_id;
use crate::state::AppState;
use crate::storage::{views, EventReader};

/// How often an idle worker looks for due tasks that no one nudged it about (other
/// processes' tasks, expired leases).
const POLL: Duration = Duration::from_millis(500);
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

fn system() -> Meta {
    Meta {
        actor: Some("system".into()),
        ..Meta::default()
    }
}

async fn work(state: AppState, name: String, mut stopped: watch::Receiver<bool>) {
    while !*stopped.borrow() {
        match take(&state, &name).await {
            Ok(Some((task_id, attempt))) => {
                tokio::select! {
                    () = run(&state, &task_id, attempt) => continue,
                    // Shutting down: the run is dropped, and its task falls due again when
                    // its lease runs out, here after a restart or in another process.
                    _ = stopped.changed() => {
                        tracing::info!(task_id, attempt, "stopping; the task is left to its lease");
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

fn lease_ms(state: &AppState) -> i64 {
    i64::try_from(state.settings.agent.lease.as_millis()).unwrap_or(i64::MAX)
}

/// Runs attempt `attempt` of `task_id` to its end, unless the lease is lost on the way.
async fn run(state: &AppState, task_id: &str, attempt: u32) {
    let input = match input(state, task_id).await {
        Ok(input) => input,
        Err(error) => {
            // Left to its lease: the next attempt may find the store reachable again.
            tracing::error!(task_id, %error, "reading a task's input failed");
            return;
        }
    };
    let timeout = state.settings.agent.timeout;
    let outcome = tokio::select! {
        outcome = tokio::time::timeout(timeout, state.analyzer.analyze(&input)) => outcome,
        () = keep_lease(state, task_id, attempt) => {
            tracing::warn!(task_id, attempt, "a run lost its lease and was abandoned");
            return;
        }
    };
    let command = match outcome {
        Ok(Ok(judgement)) => TaskCommand::Complete {
            attempt,
            analysis: Analysis {
                analyzer: state.analyzer.name().to_string(),
                attachments: input.attachments.into_iter().map(|(a, _)| a).collect(),
                claims: judgement.claims,
                summary: judgement.summary,
            },
        },
        Ok(Err(AnalysisFailed(reason))) => TaskCommand::Fail { attempt, reason },
        Err(_) => TaskCommand::Fail {
            attempt,
            reason: format!(
                "The analysis ran past its time limit ({} s).",
                timeout.as_secs()
            ),
        },
    };
    if let Err(error) = commit(state, task_id, command, &system()).await {
        tracing::warn!(task_id, attempt, %error, "ending a task failed");
    }
}

/// Renews the lease while the run lasts; returns only when it is lost.
async fn keep_lease(state: &AppState, task_id: &str, attempt: u32) {
    let lease_ms = lease_ms(state);
    loop {
        tokio::time::sleep(state.settings.agent.lease / 3).await;
        let command = TaskCommand::Renew {
            attempt,
            now_ms: state.clock.now_ms(),
            lease_ms,
        };
        match commit(state, task_id, command, &system()).await {
            Ok(_) => {}
            Err(AppError::Task(_)) => return,
            // A store hiccup: the lease may still hold until the next try.
            Err(error) => tracing::warn!(task_id, %error, "renewing a lease failed"),
        }
    }
}

/// The text and attachments the task was created with.
async fn input(state: &AppState, task_id: &str) -> anyhow::Result<Input> {
    let events = EventReader::new(&state.db)
        .events_after::<Task>(task_id, 0)
        .await?;
    let first = events
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("the task has no events"))?;
    let TaskEvent::Created {
        content,
        attachments,
        ..
    } = serde_json::from_value(first.payload)?
    else {
        anyhow::bail!("the task's first event is not its creation");
    };
    let mut read = Vec::with_capacity(attachments.len());
    for attachment in attachments {
        let bytes = state.attachments.get(&attachment.sha256).await?;
        read.push((attachment, bytes));
    }
    Ok(Input {
        content,
        attachments: read,
    })
}
