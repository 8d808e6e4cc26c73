//! The paid analysis: submitted as a form, charged with its task in one commit, run by the
//! workers to a result, listed and viewed; and every refusal leaving nothing behind.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use futures::future::join_all;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::analyses::{content, credits, ended, file, funded, pdf, png, submit};
use crate::support::{assert_error, id_of, Backend, Client, TestApp};

crate::on_both_backends!(
    an_analysis_is_charged_run_and_its_result_listed,
    concurrent_analyses_are_accepted_exactly_as_far_as_the_balance_pays,
    tasks_need_an_active_owner_and_a_valid_page,
);

const SCHEMA: &str = "One or more required parameters are either not given or have invalid schema.";

async fn an_analysis_is_charged_run_and_its_result_listed(backend: Backend) {
    let mut app = TestApp::with_mail(backend).await;
    let ada = funded(&app, "ada@example.com", "50").await;
    let id = id_of(&ada);
    let notes = b"Sales rose 40% in March. Nothing else happened".to_vec();
    let report = pdf("The survey covered 1200 households.");
    let parts = [
        content("Revenue grew 12% in 2024. Thanks for reading."),
        file("notes.txt", notes.clone()),
        file("report.pdf", report.clone()),
        file("chart.png", png()),
    ];
    let created = submit(&app, &id, &Client::bearer(&ada), &parts).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.json["message"], "Task created successfully.");
    let task = &created.json["data"];
    assert_eq!(task["status"], "PENDING");
    assert_eq!(task["result"], serde_json::Value::Null);
    assert_eq!(task["user_id"], id.as_str());
    let task_id = task["id"].as_str().unwrap().to_string();
    assert!(task_id.starts_with("task_"));
    assert_eq!(credits(&app, &id).await, 30.0);

    app.start_workers();
    let done = ended(&app, &id, &task_id, Duration::from_secs(20)).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    let result = &done["result"];
    assert_eq!(result["analyzer"], "builtin");
    let sha = |bytes: &[u8]| hex::encode(Sha256::digest(bytes));
    assert_eq!(
        result["attachments"],
        json!([
            {"bytes": notes.len(), "category": "document", "name": "notes.txt", "sha256": sha(&notes)},
            {"bytes": report.len(), "category": "document", "name": "report.pdf", "sha256": sha(&report)},
            {"bytes": png().len(), "category": "image", "name": "chart.png", "sha256": sha(&png())},
        ])
    );
    let claims: Vec<&str> = result["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        claims,
        [
            "Revenue grew 12% in 2024.",
            "Sales rose 40% in March.",
            "The survey covered 1200 households."
        ]
    );
    assert!(result["summary"]
        .as_str()
        .unwrap()
        .contains("3 check-worthy"));
    // Stored by content, never under the client's name.
    let stored = app
        .attachments
        .join("sha256")
        .join(&sha(&notes)[..2])
        .join(sha(&notes));
    assert_eq!(std::fs::read(stored).unwrap(), notes);

    let list = app
        .as_user(
            Method::GET,
            &format!("/api/v1/users/{id}/tasks?limit=10&offset=0"),
            &ada,
            None,
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text);
    assert_eq!(list.json["message"], "Tasks fetched successfully.");
    assert_eq!(list.json["data"][0]["id"], task_id.as_str());
    assert_eq!(list.json["data"][0]["status"], "COMPLETED");
    let view = app
        .as_user(
            Method::GET,
            &format!("/api/v1/users/{id}/tasks/{task_id}"),
            &ada,
            None,
        )
        .await;
    assert_eq!(view.json["message"], "Task fetched successfully.");
    assert_eq!(view.json["data"]["result"], *result);

    let ledger = app
        .as_user(
            Method::GET,
            &format!("/api/v1/users/{id}/transactions?limit=1&offset=0"),
            &ada,
            None,
        )
        .await;
    assert_eq!(ledger.json["data"][0]["type"], "DEBIT");
    assert_eq!(
        ledger.json["data"][0]["description"],
        format!("Agent analysis {task_id} charged 20.0 credits.")
    );
    app.assert_views_match_log().await;
}

async fn concurrent_analyses_are_accepted_exactly_as_far_as_the_balance_pays(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = funded(&app, "ada@example.com", "100").await;
    let id = id_of(&ada);
    let auth = Client::bearer(&ada);
    let runs = (0..12).map(|i| {
        let (client, id, auth) = (app.client.clone(), id.clone(), auth.clone());
        tokio::spawn(async move {
            let parts = [content(&format!("Claim number {i} says 5 apples."))];
            submit(&client, &id, &auth, &parts).await
        })
    });
    let replies: Vec<_> = join_all(runs)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let accepted = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(accepted, 5, "100 credits pay for exactly five runs of 20");
    for refused in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
        assert_error(
            refused,
            StatusCode::FORBIDDEN,
            "You do not have enough credits to perform this action.",
        );
    }
    assert_eq!(credits(&app, &id).await, 0.0);
    assert_eq!(app.count_events(Some("Created")).await, 5);
    assert_eq!(app.count_events(Some("TaskCharged")).await, 5);
    let list = app
        .as_user(
            Method::GET,
            &format!("/api/v1/users/{id}/tasks?limit=100&offset=0"),
            &ada,
            None,
        )
        .await;
    assert_eq!(list.json["data"].as_array().unwrap().len(), 5);
}

async fn tasks_need_an_active_owner_and_a_valid_page(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    let ada = funded(&app, "ada@example.com", "40").await;
    let id = id_of(&ada);
    let grace = app.register_active("grace@example.com").await;
    let created = submit(&app, &id, &app.private_key(), &[content("Up 3%.")]).await;
    assert_eq!(
        created.status,
        StatusCode::CREATED,
        "the operator acts for any user"
    );
    let task_id = created.json["data"]["id"].as_str().unwrap().to_string();
    let list = format!("/api/v1/users/{id}/tasks?limit=10&offset=0");
    let view = format!("/api/v1/users/{id}/tasks/{task_id}");
    for path in [&list, &view] {
        assert_error(
            &app.as_user(Method::GET, path, &grace, None).await,
            StatusCode::FORBIDDEN,
            "You do not have access to the requested resource.",
        );
        assert_error(
            &app.send(Method::GET, path, None, None).await,
            StatusCode::UNAUTHORIZED,
            "Authorization header or OTP is either missing, invalid or expired.",
        );
    }
    for query in [
        "limit=101&offset=0",
        "limit=-1&offset=0",
        "offset=0",
        "limit=x&offset=0",
    ] {
        let path = format!("/api/v1/users/{id}/tasks?{query}");
        assert_error(
            &app.as_user(Method::GET, &path, &ada, None).await,
            StatusCode::BAD_REQUEST,
            SCHEMA,
        );
    }
    let grace_id = id_of(&grace);
    let elsewhere = format!("/api/v1/users/{grace_id}/tasks/{task_id}");
    let unknown = format!("/api/v1/users/{id}/tasks/task_00000000000000000000000000000000");
    for path in [elsewhere, unknown] {
        assert_error(
            &app.send(Method::GET, &path, Some(&app.private_key()), None)
                .await,
            StatusCode::NOT_FOUND,
            "Task with the given identifier does not exist.",
        );
    }
    let nobody = "/api/v1/users/user_00000000000000000000000000000000/tasks?limit=1&offset=0";
    assert_error(
        &app.send(Method::GET, nobody, Some(&app.private_key()), None)
            .await,
        StatusCode::NOT_FOUND,
        "User with the given identifier does not exist.",
    );
    let inactive = app.register("alan@example.com").await;
    let path = format!("/api/v1/users/{}/tasks?limit=1&offset=0", id_of(&inactive));
    assert_error(
        &app.as_user(Method::GET, &path, &inactive, None).await,
        StatusCode::UNAUTHORIZED,
        "Please activate your account to access the requested resource.",
    );
}
