//! One run of a task: read its input, let the analyzer judge it within the time limit, and
//! commit the end, the lease renewed all along so that no other worker takes the task over
//! while this run is alive.

use std::time::Duration;

use clara_aggregates::upcast::upcast;
use clara_aggregates::{Analysis, Task, TaskCommand, TaskEvent};
use cqrs_es::Aggregate;

use super::analyzer::{AnalysisFailed, Input};
use super::tasks::commit;
use crate::commands::Meta;
use crate::error::AppError;
use crate::privacy::keys::ERASED;
use crate::state::AppState;
use crate::storage::sealing::{fields_of, open_in, Opener};
use crate::storage::EventReader;

/// Runs attempt `attempt` of `task_id` to its end, its lease renewed throughout (reading
/// the input and committing the end included), unless the lease is lost on the way.
pub(super) async fn run(state: &AppState, task_id: &str, attempt: u32) {
    let started = std::time::Instant::now();
    let timeout = state.settings.agent.timeout;
    let outcome = tokio::select! {
        outcome = tokio::time::timeout(timeout, analyze(state, task_id)) => outcome,
        () = keep_lease(state, task_id, attempt) => {
            tracing::warn!(task_id, attempt, "a run lost its lease and was abandoned");
            return;
        }
    };
    let analysed_ms = started.elapsed().as_millis();
    let command = match outcome {
        Ok(Ok(analysis)) => TaskCommand::Complete { attempt, analysis },
        Ok(Err(Stopped::Failed(AnalysisFailed(reason)))) => TaskCommand::Fail { attempt, reason },
        Ok(Err(Stopped::Unreadable(error))) => {
            // Left to its lease: the next run may find the store reachable again.
            tracing::error!(task_id, %error, "reading a task's input failed");
            return;
        }
        Err(_) => TaskCommand::Fail {
            attempt,
            reason: format!(
                "The analysis ran past its time limit ({} s).",
                timeout.as_secs()
            ),
        },
    };
    let completed = matches!(command, TaskCommand::Complete { .. });
    tokio::select! {
        () = end(state, task_id, command) => {}
        () = keep_lease(state, task_id, attempt) => {}
    }
    let took_ms = started.elapsed().as_millis();
    tracing::info!(
        task_id,
        attempt,
        completed,
        analysed_ms,
        took_ms,
        "a task's run ended"
    );
}

/// Why a run stopped short of a result.
enum Stopped {
    Failed(AnalysisFailed),
    Unreadable(anyhow::Error),
}

/// Reads the task's input and lets the analyzer judge it.
async fn analyze(state: &AppState, task_id: &str) -> Result<Analysis, Stopped> {
    let input = input(state, task_id).await.map_err(Stopped::Unreadable)?;
    let judgement = state
        .analyzer
        .analyze(&input)
        .await
        .map_err(Stopped::Failed)?;
    Ok(Analysis {
        analyzer: state.analyzer.name().to_string(),
        attachments: input.attachments.into_iter().map(|(a, _)| a).collect(),
        claims: judgement.claims,
        summary: judgement.summary,
    })
}

/// Commits the run's end; a store that fails is tried again (a finished analysis is worth
/// keeping) until the task refuses, for as long as the lease is kept.
async fn end(state: &AppState, task_id: &str, command: TaskCommand) {
    let mut pause = Duration::from_millis(250);
    loop {
        match commit(state, task_id, command.clone(), &system()).await {
            Ok(_) => return,
            Err(AppError::Task(refused)) => {
                tracing::warn!(task_id, %refused, "the task refused its run's end");
                return;
            }
            Err(error) => tracing::warn!(task_id, %error, "ending a task failed; trying again"),
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(5));
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
    let mut first = events
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("the task has no events"))?;
    let keyring = state.projector.keyring();
    open_in(
        &state.db,
        &mut Opener::new(keyring),
        fields_of([&mut first.payload]),
    )
    .await?;
    let TaskEvent::Created {
        content,
        attachments,
        ..
    } = serde_json::from_value(upcast(
        Task::TYPE,
        &first.event_type,
        &first.event_version,
        first.payload,
    ))?
    else {
        anyhow::bail!("the task's first event is not its creation");
    };
    anyhow::ensure!(
        content != ERASED,
        "the task's owner has deleted their account"
    );
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

/// Who the workers' events are by.
pub(super) fn system() -> Meta {
    Meta {
        actor: Some("system".into()),
        ..Meta::default()
    }
}

/// A run's lease, in milliseconds.
pub(super) fn lease_ms(state: &AppState) -> i64 {
    i64::try_from(state.settings.agent.lease.as_millis()).unwrap_or(i64::MAX)
}
