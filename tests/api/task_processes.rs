//! Tasks across real processes: a worker process killed mid-run (SIGKILL) leaves its task to
//! the next process once the lease runs out, charged once; and two processes on one
//! PostgreSQL database run each of 50 tasks exactly once.

use std::time::Duration;

use axum::http::StatusCode;

use crate::analyses::{content, credits, ended, funded, submit, task};
use crate::fake_llm::{FakeLlm, Mode};
use crate::served::Served;
use crate::support::{id_of, Backend, Client, TestApp};

crate::on_both_backends!(a_task_whose_process_is_killed_is_finished_by_the_next_one);

fn openai_env(fake: &FakeLlm) -> Vec<(&'static str, String)> {
    vec![
        ("AGENT_ANALYZER", "openai".into()),
        ("OPENAI_BASE_URL", fake.base_url.clone()),
        ("OPENAI_API_KEY", "sk-test".into()),
        ("AGENT_LEASE_SECONDS", "2".into()),
        ("AGENT_WORKERS", "1".into()),
    ]
}

async fn a_task_whose_process_is_killed_is_finished_by_the_next_one(backend: Backend) {
    let fake = FakeLlm::start(Mode::Stall).await;
    let app = TestApp::with_mail(backend).await;
    let ada = funded(&app, "ada@example.com", "50").await;
    let id = id_of(&ada);
    let mut first = Served::start(&app, &openai_env(&fake)).await;
    let created = submit(
        &app,
        &id,
        &Client::bearer(&ada),
        &[content("Water boils at 90 C.")],
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let task_id = created.json["data"]["id"].as_str().unwrap().to_string();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while fake.received().is_empty() || task(&app, &id, &task_id).await["status"] != "RUNNING" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first process took the task"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.kill();

    fake.set_mode(Mode::Answer);
    let _second = Served::start(&app, &openai_env(&fake)).await;
    let done = ended(&app, &id, &task_id, Duration::from_secs(30)).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(fake.received().len(), 2, "run once per process");
    assert_eq!(app.count_events(Some("Started")).await, 2);
    assert_eq!(app.count_events(Some("TaskCharged")).await, 1);
    assert_eq!(app.count_events(Some("TaskRefunded")).await, 0);
    assert_eq!(credits(&app, &id).await, 30.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_on_one_postgresql_database_run_each_of_50_tasks_once() {
    let app = TestApp::with_mail(Backend::Postgres).await;
    let ada = funded(&app, "ada@example.com", "1000").await;
    let id = id_of(&ada);
    let env = [("AGENT_WORKERS", "2".to_string())];
    let _one = Served::start(&app, &env).await;
    let _two = Served::start(&app, &env).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let parts = [content(&format!("Task {i} counts 3 apples."))];
        let created = submit(&app, &id, &Client::bearer(&ada), &parts).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        tasks.push(created.json["data"]["id"].as_str().unwrap().to_string());
    }
    for task_id in &tasks {
        let done = ended(&app, &id, task_id, Duration::from_secs(60)).await;
        assert_eq!(done["status"], "COMPLETED", "{done}");
    }
    assert_eq!(
        app.count_events(Some("Started")).await,
        50,
        "each task ran once"
    );
    assert_eq!(app.count_events(Some("Completed")).await, 50);
    assert_eq!(credits(&app, &id).await, 0.0);
}
