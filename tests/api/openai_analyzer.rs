//! The openai analyzer against a chat-completions server on loopback: what the service
//! sends, a good answer kept as the result, and every failure failing the task and
//! refunding it.

use std::time::Duration;

use axum::http::StatusCode;
use base64::Engine;
use clara::agent::analyzer::{OpenAiSettings, OPENAI_BASE_URL};
use clara::agent::AnalyzerChoice;
use clara::state::Settings;

use crate::analyses::{content, credits, ended, file, funded, png, submit};
use crate::fake_llm::{answer, FakeLlm, Mode};
use crate::support::{assert_error, id_of, Backend, Client, TestApp};

crate::on_both_backends!(
    the_model_gets_the_text_and_images_and_its_answer_is_the_result,
    a_failing_server_fails_the_task_and_refunds_it,
    without_a_key_for_openai_analyses_are_unavailable,
);

const KEY: &str = "sk-test-not-a-real-key";

fn openai(base_url: &str, api_key: Option<&str>) -> impl FnOnce(&mut Settings) {
    let settings = OpenAiSettings {
        base_url: base_url.to_string(),
        api_key: api_key.map(str::to_string),
        model: "test-model".into(),
    };
    move |s: &mut Settings| {
        s.agent.analyzer = AnalyzerChoice::OpenAi(settings);
        s.agent.timeout = Duration::from_secs(1);
    }
}

async fn the_model_gets_the_text_and_images_and_its_answer_is_the_result(backend: Backend) {
    let fake = FakeLlm::start(Mode::Answer).await;
    let mut app = TestApp::with_mail_adjusted(backend, openai(&fake.base_url, Some(KEY))).await;
    app.start_workers();
    let ada = funded(&app, "ada@example.com", "20").await;
    let id = id_of(&ada);
    let parts = [
        content("Is the moon made of cheese?"),
        file("notes.md", b"# Notes\nThe moon is made of cheese.".to_vec()),
        file("moon.png", png()),
    ];
    let created = submit(&app, &id, &Client::bearer(&ada), &parts).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let task_id = created.json["data"]["id"].as_str().unwrap();
    let done = ended(&app, &id, task_id, Duration::from_secs(10)).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(done["result"]["analyzer"], "openai");
    assert_eq!(done["result"]["claims"], answer()["claims"]);
    assert_eq!(done["result"]["summary"], answer()["summary"]);
    assert_eq!(done["result"]["attachments"][1]["name"], "moon.png");

    let received = fake.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(
        request.authorization.as_deref(),
        Some("Bearer sk-test-not-a-real-key")
    );
    assert_eq!(request.body["model"], "test-model");
    assert_eq!(request.body["messages"][0]["role"], "system");
    let user = &request.body["messages"][1]["content"];
    let text = user[0]["text"].as_str().unwrap();
    assert!(text.contains("Is the moon made of cheese?"), "{text}");
    assert!(
        text.contains("The moon is made of cheese."),
        "the markdown's text is sent"
    );
    let image = base64::engine::general_purpose::STANDARD.encode(png());
    assert_eq!(
        user[1]["image_url"]["url"],
        format!("data:image/png;base64,{image}")
    );
}

async fn a_failing_server_fails_the_task_and_refunds_it(backend: Backend) {
    let fake = FakeLlm::start(Mode::ServerError).await;
    let mut app = TestApp::with_mail_adjusted(backend, openai(&fake.base_url, Some(KEY))).await;
    app.start_workers();
    let ada = funded(&app, "ada@example.com", "20").await;
    let id = id_of(&ada);
    let cases = [
        (Mode::ServerError, "The analysis server answered HTTP 500."),
        (
            Mode::Prose,
            "The analysis server's answer was not a valid result.",
        ),
        (Mode::Stall, "The analysis ran past its time limit (1 s)."),
    ];
    for (charged, (mode, reason)) in (1..).zip(cases) {
        fake.set_mode(mode);
        let created = submit(&app, &id, &Client::bearer(&ada), &[content("2 + 2 = 5.")]).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        // Charged up front (the refund may already have followed: the server fails fast).
        assert_eq!(app.count_events(Some("TaskCharged")).await, charged);
        let task_id = created.json["data"]["id"].as_str().unwrap();
        let done = ended(&app, &id, task_id, Duration::from_secs(10)).await;
        assert_eq!(done["status"], "FAILED", "{done}");
        assert_eq!(done["result"]["error"], reason);
        assert_eq!(credits(&app, &id).await, 20.0, "refunded");
    }
    assert_eq!(app.count_events(Some("TaskRefunded")).await, 3);
}

async fn without_a_key_for_openai_analyses_are_unavailable(backend: Backend) {
    let app = TestApp::with_mail_adjusted(backend, openai(OPENAI_BASE_URL, None)).await;
    let ada = funded(&app, "ada@example.com", "20").await;
    let id = id_of(&ada);
    let reply = submit(&app, &id, &Client::bearer(&ada), &[content("1 + 1 = 2.")]).await;
    assert_error(
        &reply,
        StatusCode::SERVICE_UNAVAILABLE,
        "The service is temporarily unavailable.",
    );
    assert_eq!(credits(&app, &id).await, 20.0);
    assert_eq!(app.count_events(Some("Created")).await, 0);
}
