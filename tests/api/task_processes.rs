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

/// Over a real connection, an upload past a limit is answered 413 as soon as it passes it,
/// whether its length is declared or streamed in chunks, and the server goes on serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn oversized_uploads_are_answered_413_without_reading_them_to_the_end() {
    let app = TestApp::with_mail(Backend::Sqlite).await;
    let ada = funded(&app, "ada@example.com", "20").await;
    let id = id_of(&ada);
    let served = Served::start(&app, &[("AGENT_MAX_FILE_MB", "1".into())]).await;
    let url = format!("{}/api/v1/users/{id}/agent/analysis", served.base_url);
    let client = reqwest::Client::new();
    let file = vec![b'a'; 3 * 1024 * 1024];
    let (content_type, body) = crate::analyses::form(&[crate::analyses::file("big.txt", file)]);
    let declared = client
        .post(&url)
        .header("authorization", Client::bearer(&ada))
        .header("content-type", &content_type)
        .body(body);
    let reply = tokio::time::timeout(Duration::from_secs(10), declared.send())
        .await
        .expect("answered in time")
        .unwrap();
    assert_eq!(reply.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A file of 64 MiB sent in chunks with no declared length: refused once past the limit.
    let (content_type, form) = crate::analyses::form(&[crate::analyses::file("big.txt", vec![])]);
    let head = form[..form.len() - "\r\n--clara-test-boundary-7d9f--\r\n".len()].to_vec();
    let chunks = std::iter::once(Ok::<_, std::io::Error>(head))
        .chain((0..1024).map(|_| Ok(vec![b'a'; 64 * 1024])));
    let streamed = client
        .post(&url)
        .header("authorization", Client::bearer(&ada))
        .header("content-type", &content_type)
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)));
    let outcome = tokio::time::timeout(Duration::from_secs(10), streamed.send())
        .await
        .expect("answered in time");
    if let Ok(reply) = outcome {
        assert_eq!(reply.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    let health = client
        .get(format!("{}/health", served.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(app.count_events(Some("Created")).await, 0);
}

/// Two processes on one PostgreSQL database take 100 analyses at once, half each, on a balance
/// that pays for 10: exactly 10 are accepted, and the balance ends at zero.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_accept_exactly_as_many_analyses_as_the_balance_pays_for() {
    let app = TestApp::with_mail(Backend::Postgres).await;
    let ada = funded(&app, "ada@example.com", "200").await;
    let id = id_of(&ada);
    let env = [("AGENT_WORKERS", "0".to_string())];
    let (one, two) = (
        Served::start(&app, &env).await,
        Served::start(&app, &env).await,
    );
    let http = reqwest::Client::new();
    let token = Client::bearer(&ada);
    let attempts = (0..100).map(|i| {
        let base = if i % 2 == 0 {
            one.base_url.clone()
        } else {
            two.base_url.clone()
        };
        let (http, token, id) = (http.clone(), token.clone(), id.clone());
        tokio::spawn(async move {
            let form =
                reqwest::multipart::Form::new().text("content", format!("Claim {i}: 7 apples."));
            http.post(format!("{base}/api/v1/users/{id}/agent/analysis"))
                .header("authorization", token)
                .multipart(form)
                .send()
                .await
                .unwrap()
                .status()
        })
    });
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let accepted = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(accepted, 10, "{statuses:?}");
    assert!(statuses
        .iter()
        .all(|s| *s == StatusCode::CREATED || *s == StatusCode::FORBIDDEN));
    assert_eq!(app.count_events(Some("TaskCharged")).await, 10);
    app.state.projector.catch_up().await.unwrap();
    assert_eq!(credits(&app, &id).await, 0.0);
}
