//! Rate limits under attack: budgets belong to verified owners, whatever the header's
//! spelling; unverified credentials count against the client address; the limiter's memory
//! does not grow with what clients send; budgets are shared through Redis.

use axum::http::{Method, StatusCode};

use crate::support::{assert_error, id_of, Backend, Client, TestApp};

crate::on_both_backends!(
    respelling_a_token_buys_no_fresh_budget,
    a_users_tokens_and_api_key_share_one_budget,
    junk_credentials_count_against_the_address_and_are_not_kept,
    an_oversized_authorization_header_is_431,
    processes_sharing_redis_share_budgets,
    without_redis_each_process_still_limits,
);

const LIMITED: &str = "You have exceeded the rate limit.";

async fn limited_app(backend: Backend) -> TestApp {
    TestApp::create_with(backend, None, |settings| settings.rate_limit_per_second = 3).await
}

/// How many of the calls, sent one after another, were refused with 429.
async fn refused(app: &TestApp, calls: &[(Method, String, String)]) -> usize {
    let mut refused = 0;
    for (method, path, auth) in calls {
        let reply = app.send(method.clone(), path, Some(auth), None).await;
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            assert_error(&reply, StatusCode::TOO_MANY_REQUESTS, LIMITED);
            refused += 1;
        }
    }
    refused
}

async fn respelling_a_token_buys_no_fresh_budget(backend: Backend) {
    let app = limited_app(backend).await;
    let ada = app.register("ada@example.com").await;
    let path = format!("/api/v1/users/{}", id_of(&ada));
    let token = ada.json["data"]["token"].as_str().unwrap().to_string();
    let spellings = [
        format!("Bearer {token}"),
        format!("Bearer  {token}"),
        format!(" Bearer {token}  "),
        format!("Bearer \t{token}"),
    ];
    let calls: Vec<_> = (0..12)
        .map(|i| (Method::GET, path.clone(), spellings[i % 4].clone()))
        .collect();
    // A burst of three, then about one every 333 ms: most of twelve quick calls are refused.
    assert!(refused(&app, &calls).await >= 6);
}

async fn a_users_tokens_and_api_key_share_one_budget(backend: Backend) {
    let app = limited_app(backend).await;
    let ada = app.register("ada@example.com").await;
    let path = format!("/api/v1/users/{}", id_of(&ada));
    let key = app
        .as_user(Method::GET, &format!("{path}/api_key"), &ada, None)
        .await;
    let api_key = format!("Bearer {}", key.json["data"]["token"].as_str().unwrap());
    let second = app.login("ada@example.com", Client::PASSWORD).await;
    let credentials = [Client::bearer(&ada), Client::bearer(&second), api_key];
    let calls: Vec<_> = (0..12)
        .map(|i| (Method::GET, path.clone(), credentials[i % 3].clone()))
        .collect();
    assert!(refused(&app, &calls).await >= 6);
    // Another user's budget is untouched.
    let bob = app.register("bob@example.com").await;
    let bob_path = format!("/api/v1/users/{}", id_of(&bob));
    assert_eq!(
        app.as_user(Method::GET, &bob_path, &bob, None).await.status,
        StatusCode::OK
    );
}

async fn junk_credentials_count_against_the_address_and_are_not_kept(backend: Backend) {
    let app = limited_app(backend).await;
    let calls: Vec<_> = (0..12)
        .map(|i| {
            let path = "/api/v1/users/nobody@example.com/otp/ACTIVATION".to_string();
            (
                Method::POST,
                path,
                format!("Bearer junk-{i}-{}", "x".repeat(2_000)),
            )
        })
        .collect();
    assert!(refused(&app, &calls).await >= 6);
    // One budget, the address's, however many different headers were sent.
    assert_eq!(app.state.limiter.tracked(), 1);
    // Only the probes themselves are exempt, not paths that end like them.
    let lookalikes: Vec<_> = (0..12)
        .map(|i| {
            let path = "/api/v1/users/health".to_string();
            (Method::GET, path, format!("Bearer junk-{i}"))
        })
        .collect();
    assert!(refused(&app, &lookalikes).await >= 10);
}

async fn an_oversized_authorization_header_is_431(backend: Backend) {
    let app = limited_app(backend).await;
    let huge = format!("Bearer {}", "x".repeat(8 * 1024));
    let reply = app
        .send(Method::GET, "/api/v1/users", Some(&huge), None)
        .await;
    assert_eq!(reply.status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert_eq!(reply.json["message"], "The request is too large.");
    assert_eq!(reply.json["status"], "error");
    let at_limit = format!("Bearer {}", "x".repeat(8 * 1024 - 7));
    let reply = app
        .send(Method::GET, "/api/v1/users", Some(&at_limit), None)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.state.limiter.tracked(), 1);
}

fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Two processes on one database and one Redis: what one spends, the other cannot.
async fn processes_sharing_redis_share_budgets(backend: Backend) {
    let unlimited = TestApp::new(backend).await;
    let ada = unlimited.register("ada@example.com").await;
    let path = format!("/api/v1/users/{}", id_of(&ada));
    let shared = |settings: &mut clara::state::Settings| {
        settings.rate_limit_per_second = 3;
        settings.rate_limit_redis_url = Some(redis_url());
    };
    let first = TestApp::open_adjusted(&unlimited.database_url, None, shared).await;
    let second = TestApp::open_adjusted(&unlimited.database_url, None, shared).await;
    let mut statuses = Vec::new();
    for app in [&first, &second, &first, &second, &first, &second] {
        statuses.push(app.as_user(Method::GET, &path, &ada, None).await.status);
    }
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(refused >= 2, "{statuses:?}");
    // The budgets are Redis's, not the processes'.
    assert_eq!(
        first.state.limiter.tracked() + second.state.limiter.tracked(),
        0
    );
}

/// Redis away: the processes fall back to limits of their own rather than none.
async fn without_redis_each_process_still_limits(backend: Backend) {
    let app = TestApp::create_with(backend, None, |settings| {
        settings.rate_limit_per_second = 3;
        settings.rate_limit_redis_url = Some("redis://127.0.0.1:1".into());
    })
    .await;
    let ada = app.register("ada@example.com").await;
    let path = format!("/api/v1/users/{}", id_of(&ada));
    let calls: Vec<_> = (0..12)
        .map(|_| (Method::GET, path.clone(), Client::bearer(&ada)))
        .collect();
    assert!(refused(&app, &calls).await >= 6);
}
