//! A crash under load: a real `clara serve` killed with SIGKILL while it takes registrations,
//! sign-ins, credit changes and analyses; restarted on the same database, nothing it
//! acknowledged is missing, the views rebuild to what they hold, the ledger adds up to the
//! balance, and every activation mail goes out exactly once.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::mailbox::mails_to;
use crate::served::Served;
use crate::support::{Backend, TestApp};

crate::on_both_backends!(a_crash_under_load_loses_no_acknowledged_command);

/// What the server answered 2xx to before it died.
#[derive(Default)]
struct Acknowledged {
    registered: Vec<(String, String)>,
    tasks: Vec<String>,
}

async fn wait_for_mail(dir: &std::path::Path, to: &str, within: Duration) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let mails = mails_to(&dir.to_path_buf(), to);
        if !mails.is_empty() || tokio::time::Instant::now() > deadline {
            return mails;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_crash_under_load_loses_no_acknowledged_command(backend: Backend) {
    let app = TestApp::new(backend).await;
    let outbox = app.outbox.join("served");
    // A crashed process's mail in the middle of being sent goes out 2 s later, not 5 min.
    let env = [("MAIL_CLAIM_TIMEOUT_SECONDS", "2".to_string())];
    let mut first = Served::start(&app, &env).await;
    let base = first.base_url.clone();
    let http = reqwest::Client::new();
    let (public, private) = (app.public_key(), app.private_key());
    let payer = json!({"first_name": "pay", "last_name": "er", "email": "payer@example.com", "password": "a long passphrase"});
    let reply: Value = http
        .post(format!("{base}/api/v1/auth/register"))
        .header("authorization", &public)
        .json(&payer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (payer_id, token) = (
        reply["data"]["id"].as_str().unwrap().to_string(),
        reply["data"]["token"].as_str().unwrap().to_string(),
    );
    let code = crate::mailbox::code_in(
        &wait_for_mail(&outbox, "payer@example.com", Duration::from_secs(10)).await[0],
    );
    let activated = http
        .post(format!("{base}/api/v1/users/payer@example.com/activate"))
        .header("authorization", &public)
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap();
    assert_eq!(activated.status(), StatusCode::OK);

    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let load = (0..6).map(|worker| {
        let (http, base, public, private, token, payer_id) = (http.clone(), base.clone(), public.clone(), private.clone(), token.clone(), payer_id.clone());
        let acknowledged = acknowledged.clone();
        tokio::spawn(async move {
            for i in 0.. {
                let sent = match (worker + i) % 4 {
                    0 => {
                        let email = format!("load{worker}x{i}@example.com");
                        let body = json!({"first_name": "a", "last_name": "b", "email": email, "password": "a long passphrase"});
                        let reply = http.post(format!("{base}/api/v1/auth/register")).header("authorization", &public).json(&body).send().await;
                        match reply {
                            Ok(reply) if reply.status() == StatusCode::CREATED => {
                                let data: Value = reply.json().await.unwrap_or_default();
                                let id = data["data"]["id"].as_str().unwrap_or_default().to_string();
                                acknowledged.lock().unwrap().registered.push((email, id));
                                Ok(())
                            }
                            Ok(_) => Ok(()),
                            Err(error) => Err(error),
                        }
                    }
                    1 => http.post(format!("{base}/api/v1/auth/session")).basic_auth("payer@example.com", Some("a long passphrase")).send().await.map(drop),
                    2 => http.put(format!("{base}/api/v1/users/{payer_id}/credits")).header("authorization", &private).json(&json!({"credits": 1000 + i})).send().await.map(drop),
                    _ => {
                        let form = reqwest::multipart::Form::new().text("content", format!("Load {i} grew 3%."));
                        let reply = http.post(format!("{base}/api/v1/users/{payer_id}/agent/analysis")).bearer_auth(&token).multipart(form).send().await;
                        match reply {
                            Ok(reply) if reply.status() == StatusCode::CREATED => {
                                let data: Value = reply.json().await.unwrap_or_default();
                                let id = data["data"]["id"].as_str().unwrap_or_default().to_string();
                                acknowledged.lock().unwrap().tasks.push(id);
                                Ok(())
                            }
                            Ok(_) => Ok(()),
                            Err(error) => Err(error),
                        }
                    }
                };
                // The server is gone: this worker's load ends.
                if sent.is_err() {
                    return;
                }
            }
        })
    });
    let load: Vec<_> = load.collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    first.kill();
    for worker in load {
        let _ = worker.await;
    }

    let _second = Served::start(&app, &env).await;
    app.state.projector.catch_up().await.unwrap();
    let acknowledged = std::mem::take(&mut *acknowledged.lock().unwrap());
    assert!(
        !acknowledged.registered.is_empty(),
        "the load registered someone"
    );
    for (email, id) in &acknowledged.registered {
        let user = app.user_view(id).await;
        assert_eq!(
            user.status,
            StatusCode::OK,
            "{email} was acknowledged and kept"
        );
        let mails = wait_for_mail(&outbox, email, Duration::from_secs(15)).await;
        assert_eq!(mails.len(), 1, "{email}'s activation mail went out once");
    }
    // Past another claim timeout, still once: nothing was sent twice.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for (email, _) in &acknowledged.registered {
        assert_eq!(
            mails_to(&outbox, email).len(),
            1,
            "{email}: one mail, not two"
        );
    }
    for task in &acknowledged.tasks {
        let path = format!("/api/v1/users/{payer_id}/tasks/{task}");
        let found = app
            .send(axum::http::Method::GET, &path, Some(&private), None)
            .await;
        assert_eq!(
            found.status,
            StatusCode::OK,
            "task {task} was acknowledged and kept"
        );
    }
    // The ledger adds up to the balance, and the views are what the log folds into.
    let sql = "SELECT data FROM transaction_views WHERE owner = $1";
    let entries: Vec<String> = clara::with_pool!(app.db(), pool => sqlx::query_scalar(sql).bind(&payer_id).fetch_all(pool).await.unwrap());
    let sum: i64 = entries
        .iter()
        .map(|text| {
            let entry: Value = serde_json::from_str(text).unwrap();
            let amount = entry["value_in_credits"].as_i64().unwrap();
            if entry["kind"] == "CREDIT" {
                amount
            } else {
                -amount
            }
        })
        .sum();
    let balance = app.user_view(&payer_id).await.json["data"]["credits"]
        .as_f64()
        .unwrap();
    assert_eq!(
        sum as f64 / 100.0,
        balance,
        "the ledger sums to the balance"
    );
    app.assert_views_match_log().await;
}
