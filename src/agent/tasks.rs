//! Task use cases: submitting a paid analysis, committing a task's progress (a failure
//! always with its refund), and reading tasks back.

use axum::body::Bytes;
use clara_aggregates::{Attachment, Task, TaskCommand, TaskEvent, WalletCommand};
use clara_projections::TaskView;

use super::store::sha256_hex;
use crate::commands::{CommittedPair, Meta};
use crate::error::{AppError, Resource};
use crate::ids::new_id;
use crate::state::AppState;
use crate::storage::views;

/// A file as uploaded, its type already checked against its bytes.
pub struct Upload {
    pub name: String,
    pub category: &'static str,
    pub bytes: Bytes,
}

/// Whether an analysis for `user_id` can be taken at all, asked before its files are read:
/// the analyzer must be configured and the balance must cover the price (which the wallet
/// decides again, for real, when the task is created).
pub async fn admit(state: &AppState, user_id: &str) -> Result<(), AppError> {
    if let Some(setting) = state.analyzer.missing_setting() {
        return Err(AppError::Unavailable(format!("{setting} is not set")));
    }
    if state.wallets.load(user_id).await?.balance() < state.settings.agent.price {
        return Err(clara_aggregates::WalletError::InsufficientCredits.into());
    }
    Ok(())
}

/// Stores the attachments, then charges the wallet and creates the task in one commit:
/// refused with no task and no charge when the balance does not cover the price.
pub async fn submit(
    state: &AppState,
    user_id: &str,
    content: String,
    uploads: Vec<Upload>,
    meta: &Meta,
) -> Result<TaskView, AppError> {
    let price = state.settings.agent.price;
    let mut attachments = Vec::with_capacity(uploads.len());
    for upload in uploads {
        let sha256 = sha256_hex(&upload.bytes);
        let bytes = upload.bytes.len() as u64;
        state
            .attachments
            .put(&sha256, upload.bytes)
            .await
            .map_err(|error| {
                tracing::error!(%error, "storing an attachment failed");
                AppError::Unavailable("the attachment store is unreachable".into())
            })?;
        attachments.push(Attachment {
            name: upload.name,
            category: upload.category.to_string(),
            bytes,
            sha256,
        });
    }
    let task_id = new_id("task");
    let charge = WalletCommand::ChargeTask {
        task_id: task_id.clone(),
        entry_id: new_id("transaction"),
        amount: price,
    };
    let create = TaskCommand::Create {
        user_id: user_id.to_string(),
        price,
        content,
        attachments,
    };
    let follow = |_: &_, _: &[_]| Some((task_id.clone(), create.clone()));
    let committed = state
        .wallets
        .execute_with::<Task, AppError>(user_id, charge, &state.tasks, follow, meta)
        .await?;
    state.work.notify_waiters();
    crate::meter::task("created");
    match committed
        .views
        .and_then(|mut views| views.tasks.remove(&task_id))
    {
        Some(view) => Ok(view),
        // No view was folded (the account was deleted meanwhile); the task exists all the same.
        None => Ok(views::task(&state.db, user_id, &task_id)
            .await?
            .unwrap_or_else(|| pending(state, user_id, task_id))),
    }
}

/// Commits `command` on task `task_id`; when the task fails by it, its refund commits in
/// the same transaction, so a task is refunded exactly when it fails, and once.
pub async fn commit(
    state: &AppState,
    task_id: &str,
    command: TaskCommand,
    meta: &Meta,
) -> Result<CommittedPair<Task>, AppError> {
    let refund = |task: &Task, events: &[TaskEvent]| {
        let failed = events.iter().any(|e| matches!(e, TaskEvent::Failed { .. }));
        failed.then(|| {
            let command = WalletCommand::RefundTask {
                task_id: task_id.to_string(),
                entry_id: new_id("transaction"),
                amount: task.price(),
            };
            (task.user_id().to_string(), command)
        })
    };
    let committed = state
        .tasks
        .execute_with::<_, AppError>(task_id, command, &state.wallets, refund, meta)
        .await?;
    for event in &committed.first {
        match event {
            TaskEvent::Completed { .. } => crate::meter::task("completed"),
            TaskEvent::Failed { .. } => crate::meter::task("failed"),
            _ => {}
        }
    }
    Ok(committed)
}

/// A task as it is when just created, for when no view of it can be read yet.
fn pending(state: &AppState, user_id: &str, id: String) -> TaskView {
    let now_ms = state.clock.now_ms();
    TaskView {
        id,
        user_id: user_id.to_string(),
        status: "PENDING".into(),
        created_at_ms: now_ms,
        updated_at_ms: now_ms,
        ..TaskView::default()
    }
}

pub async fn tasks(
    state: &AppState,
    user_id: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<TaskView>, AppError> {
    Ok(views::tasks_page(&state.db, user_id, limit, offset).await?)
}

pub async fn task(state: &AppState, user_id: &str, id: &str) -> Result<TaskView, AppError> {
    views::task(&state.db, user_id, id)
        .await?
        .ok_or(AppError::NotFound(Resource::Task))
}
