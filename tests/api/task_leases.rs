//! Runs that die: a task whose worker stopped answering is taken again once its lease runs
//! out, fails after three runs, and is refunded exactly once however many workers race.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use clara::agent::tasks::commit;
use clara::commands::Meta;
use clara::error::AppError;
use clara_aggregates::{TaskCommand, TaskError, TaskEvent};
use futures::future::join_all;

use clara::agent::analyzer::OpenAiSettings;
use clara::agent::AnalyzerChoice;
use clara::state::Settings;

use crate::analyses::{content, credits, ended, funded, submit, task};
use crate::fake_llm::{FakeLlm, Mode};
use crate::support::{id_of, Backend, Client, TestApp};

crate::on_both_backends!(
    a_dead_workers_task_is_taken_again_once_its_lease_runs_out,
    three_dead_runs_fail_the_task_and_refund_it_exactly_once,
    a_live_run_keeps_its_lease_past_the_lease_time_against_another_process,
);

/// A worker that takes the task and dies: its lease is committed, its run never ends.
async fn take_and_die(app: &TestApp, task_id: &str) -> Result<Vec<TaskEvent>, AppError> {
    let command = TaskCommand::Take {
        worker: "ghost".into(),
        now_ms: app.state.clock.now_ms(),
        lease_ms: lease_ms(app),
    };
    let committed = commit(&app.state, task_id, command, &Meta::default()).await?;
    Ok(committed.first)
}

fn lease_ms(app: &TestApp) -> i64 {
    app.state.settings.agent.lease.as_millis() as i64
}

/// A funded user's submitted task: the user's bearer token, id, and the task id.
async fn submitted(app: &TestApp) -> (String, String, String) {
    let ada = funded(app, "ada@example.com", "50").await;
    let (auth, id) = (Client::bearer(&ada), id_of(&ada));
    let reply = submit(app, &id, &auth, &[content("GDP rose 2%.")]).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let task_id = reply.json["data"]["id"].as_str().unwrap().to_string();
    (auth, id, task_id)
}

async fn a_dead_workers_task_is_taken_again_once_its_lease_runs_out(backend: Backend) {
    let mut app = TestApp::with_mail(backend).await;
    let (_, user_id, task_id) = submitted(&app).await;
    let taken = take_and_die(&app, &task_id).await.unwrap();
    assert!(matches!(taken[..], [TaskEvent::Started { attempt: 1, .. }]));
    app.start_workers();
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        task(&app, &user_id, &task_id).await["status"],
        "RUNNING",
        "no one takes a task over while its lease holds"
    );
    app.state.clock.advance(lease_ms(&app));
    let done = ended(&app, &user_id, &task_id, Duration::from_secs(10)).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(app.count_events(Some("Started")).await, 2);
    // The dead run, were it to wake up, cannot end the task any more.
    let late = TaskCommand::Fail {
        attempt: 1,
        reason: "late".into(),
    };
    let refused = commit(&app.state, &task_id, late, &Meta::default()).await;
    assert!(matches!(refused, Err(AppError::Task(TaskError::Ended))));
    assert_eq!(app.count_events(Some("TaskCharged")).await, 1);
    assert_eq!(app.count_events(Some("TaskRefunded")).await, 0);
    assert_eq!(credits(&app, &user_id).await, 30.0);
}

async fn three_dead_runs_fail_the_task_and_refund_it_exactly_once(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let (auth, user_id, task_id) = submitted(&app).await;
    for attempt in 1..=3 {
        let taken = take_and_die(&app, &task_id).await.unwrap();
        assert!(
            matches!(taken[..], [TaskEvent::Started { attempt: a, .. }] if a == attempt),
            "{taken:?}"
        );
        app.state.clock.advance(lease_ms(&app));
    }
    // Eight workers find the expired third run at once: one fails the task.
    let racing = (0..8).map(|_| take_and_die(&app, &task_id));
    let outcomes = join_all(racing).await;
    let failed = outcomes
        .iter()
        .filter(|o| matches!(o.as_deref(), Ok([TaskEvent::Failed { .. }])))
        .count();
    assert_eq!(failed, 1, "{outcomes:?}");
    for other in outcomes.iter().filter(|o| o.is_err()) {
        assert!(matches!(
            other,
            Err(AppError::Task(TaskError::Ended)) | Err(AppError::Conflict)
        ));
    }
    let done = task(&app, &user_id, &task_id).await;
    assert_eq!(done["status"], "FAILED");
    assert_eq!(
        done["result"]["error"],
        "The agent stopped before finishing 3 times; the charge was refunded."
    );
    assert_eq!(app.count_events(Some("TaskRefunded")).await, 1);
    assert_eq!(credits(&app, &user_id).await, 50.0);
    let ledger = app
        .send(
            Method::GET,
            &format!("/api/v1/users/{user_id}/transactions?limit=1&offset=0"),
            Some(&auth),
            None,
        )
        .await;
    assert_eq!(ledger.json["data"][0]["type"], "CREDIT");
    assert_eq!(
        ledger.json["data"][0]["description"],
        format!("Agent analysis {task_id} refunded.")
    );
    assert_eq!(ledger.json["data"][0]["value_in_credits"], 20.0);
}

async fn a_live_run_keeps_its_lease_past_the_lease_time_against_another_process(backend: Backend) {
    let fake = FakeLlm::start(Mode::Stall).await;
    let slow = |settings: &mut Settings| {
        settings.agent.analyzer = AnalyzerChoice::OpenAi(OpenAiSettings {
            base_url: fake.base_url.clone(),
            api_key: None,
            model: "m".into(),
        });
        settings.agent.lease = Duration::from_secs(1);
        settings.agent.timeout = Duration::from_secs(4);
    };
    let mut app = TestApp::with_mail_adjusted(backend, slow).await;
    let (_, user_id, task_id) = submitted(&app).await;
    app.start_workers();
    // A second process on the same database, its workers looking for due tasks all along.
    let mut other = TestApp::open_adjusted(&app.database_url, None, slow).await;
    other.start_workers();
    let done = ended(&app, &user_id, &task_id, Duration::from_secs(20)).await;
    assert_eq!(done["status"], "FAILED");
    assert_eq!(
        done["result"]["error"],
        "The analysis ran past its time limit (4 s)."
    );
    assert_eq!(
        app.count_events(Some("Started")).await,
        1,
        "run in one place only"
    );
    assert_eq!(fake.received().len(), 1);
    assert!(app.count_events(Some("LeaseRenewed")).await >= 3);
    assert_eq!(app.count_events(Some("TaskRefunded")).await, 1);
}
