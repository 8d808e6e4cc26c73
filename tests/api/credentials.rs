//! Credentials: API keys (view, reset, derived tokens), which credential forms each route
//! admits, the admin's user list, and rate limits.

use axum::http::{Method, StatusCode};

use crate::support::{assert_error, id_of, Backend, Client, Reply, TestApp};

crate::on_both_backends!(
    an_api_key_is_shown_with_a_working_token_and_a_reset_retires_it,
    every_route_admits_exactly_its_credential_forms,
    the_admin_lists_users_a_page_at_a_time,
    a_credential_past_its_rate_is_429_with_retry_after,
);

const UNAUTHORIZED: &str = "Authorization header or OTP is either missing, invalid or expired.";

async fn api_key(app: &TestApp, user: &Reply, method: Method) -> Reply {
    let path = format!("/api/v1/users/{}/api_key", id_of(user));
    app.send(method, &path, Some(&Client::bearer(user)), None)
        .await
}

async fn an_api_key_is_shown_with_a_working_token_and_a_reset_retires_it(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register("ada@example.com").await;
    let shown = api_key(&app, &ada, Method::GET).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.text);
    assert_eq!(shown.json["message"], "API key fetched successfully.");
    let key = &shown.json["data"];
    let fields: Vec<&String> = key.as_object().unwrap().keys().collect();
    assert_eq!(
        fields,
        ["created_at", "id", "token", "updated_at", "user_id"]
    );
    assert!(key["id"].as_str().unwrap().starts_with("api_key_"));
    assert_eq!(key["user_id"], ada.json["data"]["id"]);
    let old = key["token"].as_str().unwrap().to_string();
    assert!(old.starts_with("clara_api_"));
    assert_eq!(
        api_key(&app, &ada, Method::GET).await.json["data"]["token"],
        old.as_str(),
        "derived the same way each time"
    );

    let path = format!("/api/v1/users/{}", id_of(&ada));
    let with_key = app
        .send(Method::GET, &path, Some(&format!("Bearer {old}")), None)
        .await;
    assert_eq!(with_key.status, StatusCode::OK);

    let reset = api_key(&app, &ada, Method::POST).await;
    assert_eq!(reset.status, StatusCode::CREATED, "{}", reset.text);
    assert_eq!(reset.json["message"], "API key reset successfully.");
    assert_ne!(reset.json["data"]["id"], key["id"]);
    let new = reset.json["data"]["token"].as_str().unwrap().to_string();
    assert_error(
        &app.send(Method::GET, &path, Some(&format!("Bearer {old}")), None)
            .await,
        StatusCode::UNAUTHORIZED,
        UNAUTHORIZED,
    );
    assert_eq!(
        app.send(Method::GET, &path, Some(&format!("Bearer {new}")), None)
            .await
            .status,
        StatusCode::OK
    );

    let stored: Vec<String> = clara::with_pool!(app.db(), pool => sqlx::query_scalar(
        "SELECT CAST(payload AS TEXT) FROM events UNION ALL SELECT data FROM api_key_views UNION ALL SELECT data FROM user_views"
    ).fetch_all(pool).await.unwrap());
    for token in [&old, &new] {
        let signature = token.rsplit('.').next().unwrap();
        assert!(
            stored.iter().all(|row| !row.contains(signature)),
            "no token is stored"
        );
    }
    let grace = app.register("grace@example.com").await;
    let other = app
        .send(
            Method::GET,
            &format!("/api/v1/users/{}", id_of(&grace)),
            Some(&format!("Bearer {new}")),
            None,
        )
        .await;
    assert_error(
        &other,
        StatusCode::FORBIDDEN,
        "You do not have access to the requested resource.",
    );
    let mut tampered = new.clone();
    tampered.insert(new.len() - 4, 'x');
    assert_error(
        &app.send(
            Method::GET,
            &path,
            Some(&format!("Bearer {tampered}")),
            None,
        )
        .await,
        StatusCode::UNAUTHORIZED,
        UNAUTHORIZED,
    );
}

/// The credential forms of the contract's §2, for one fresh user.
struct Forms {
    user: Reply,
    none: Option<String>,
    garbage: Option<String>,
    basic: Option<String>,
    user_token: Option<String>,
    api_key: Option<String>,
    public: Option<String>,
    private: Option<String>,
}

async fn forms(app: &TestApp, n: usize) -> Forms {
    let email = format!("matrix{n}@example.com");
    let user = app.register(&email).await;
    let api = api_key(app, &user, Method::GET).await.json["data"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    Forms {
        none: None,
        garbage: Some("Bearer clara_user_garbage".into()),
        basic: Some(Client::basic(&email, Client::PASSWORD)),
        user_token: Some(Client::bearer(&user)),
        api_key: Some(format!("Bearer {api}")),
        public: Some(app.public_key()),
        private: Some(app.private_key()),
        user,
    }
}

async fn every_route_admits_exactly_its_credential_forms(backend: Backend) {
    let app = TestApp::new(backend).await;
    type Route = (Method, &'static str, Option<&'static str>);
    // Expected status for: none, garbage, basic, user token, API key, public key, private key.
    let table: Vec<(Route, [u16; 7])> = vec![
        (
            (Method::POST, "/api/v1/auth/register", Some("register")),
            [401, 401, 401, 403, 403, 201, 403],
        ),
        (
            (Method::POST, "/api/v1/auth/session", None),
            [401, 401, 200, 401, 401, 401, 401],
        ),
        (
            (Method::DELETE, "/api/v1/auth/session", None),
            [401, 401, 401, 204, 403, 403, 403],
        ),
        (
            (Method::GET, "/api/v1/users/{id}", None),
            [401, 401, 401, 200, 200, 403, 200],
        ),
        (
            (
                Method::PATCH,
                "/api/v1/users/{id}",
                Some(r#"{"is_dark_mode": false}"#),
            ),
            [401, 401, 401, 200, 403, 403, 403],
        ),
        (
            (Method::GET, "/api/v1/users/{id}/api_key", None),
            [401, 401, 401, 200, 403, 403, 403],
        ),
        (
            (Method::POST, "/api/v1/users/{id}/api_key", None),
            [401, 401, 401, 201, 403, 403, 403],
        ),
        (
            (Method::GET, "/api/v1/users?limit=1&offset=0", None),
            [401, 401, 401, 403, 403, 403, 200],
        ),
        (
            (Method::POST, "/api/v1/users/{email}/otp/ACTIVATION", None),
            [401, 401, 401, 403, 403, 201, 403],
        ),
    ];
    for (n, ((method, template, body), expected)) in table.into_iter().enumerate() {
        for (form, want) in expected.into_iter().enumerate() {
            // Fresh credentials for every call, so a logout or reset cannot spoil the next.
            let f = forms(&app, n * 10 + form).await;
            let credential = [
                &f.none,
                &f.garbage,
                &f.basic,
                &f.user_token,
                &f.api_key,
                &f.public,
                &f.private,
            ][form];
            let path = template
                .replace("{id}", &id_of(&f.user))
                .replace("{email}", f.user.json["data"]["email"].as_str().unwrap());
            let body = body.map(|b| {
                if b == "register" {
                    format!(r#"{{"first_name": "a", "last_name": "b", "email": "new{n}x{form}@example.com", "password": "long enough"}}"#)
                } else {
                    b.to_string()
                }
            });
            let reply = app
                .send(
                    method.clone(),
                    &path,
                    credential.as_deref(),
                    body.as_deref(),
                )
                .await;
            assert_eq!(
                reply.status.as_u16(),
                want,
                "{method} {template} with credential form {form}: {}",
                reply.text
            );
        }
    }
}

async fn the_admin_lists_users_a_page_at_a_time(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        ids.push(id_of(&app.register(&format!("u{n}@example.com")).await));
    }
    let admin = app.private_key();
    let page = app
        .send(
            Method::GET,
            "/api/v1/users?limit=2&offset=1",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    assert_eq!(page.json["message"], "Users fetched successfully.");
    let listed: Vec<&str> = page.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [ids[1].as_str(), ids[2].as_str()], "oldest first");
    for query in [
        "",
        "?limit=2",
        "?offset=0",
        "?limit=-1&offset=0",
        "?limit=a&offset=0",
        "?limit=101&offset=0",
        "?limit=1&offset=1.5",
    ] {
        let reply = app
            .send(
                Method::GET,
                &format!("/api/v1/users{query}"),
                Some(&admin),
                None,
            )
            .await;
        assert_error(
            &reply,
            StatusCode::BAD_REQUEST,
            "One or more required parameters are either not given or have invalid schema.",
        );
    }
    let most = app
        .send(
            Method::GET,
            "/api/v1/users?limit=100&offset=0",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(most.json["data"].as_array().unwrap().len(), 3);
}

async fn a_credential_past_its_rate_is_429_with_retry_after(backend: Backend) {
    let app =
        TestApp::create_with(backend, None, |settings| settings.rate_limit_per_second = 3).await;
    let ada = app.register("ada@example.com").await;
    let path = format!("/api/v1/users/{}", id_of(&ada));
    let mut limited = Vec::new();
    // Ten quick calls span at most two one-second windows: at most six get through.
    for _ in 0..10 {
        let reply = app.as_user(Method::GET, &path, &ada, None).await;
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            limited.push(reply);
        }
    }
    assert!(limited.len() >= 4, "{} of 10 limited", limited.len());
    assert_error(
        &limited[0],
        StatusCode::TOO_MANY_REQUESTS,
        "You have exceeded the rate limit.",
    );
    assert!(
        limited[0].headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    // The private key is not limited; calls without a credential are limited per address.
    assert_eq!(
        app.send(Method::GET, &path, Some(&app.private_key()), None)
            .await
            .status,
        StatusCode::OK
    );
    let mut anonymous_limited = 0;
    for _ in 0..10 {
        let reply = app
            .send(
                Method::POST,
                "/api/v1/users/nobody@example.com/otp/ACTIVATION",
                Some(&app.public_key()),
                None,
            )
            .await;
        anonymous_limited += usize::from(reply.status == StatusCode::TOO_MANY_REQUESTS);
    }
    assert!(anonymous_limited >= 4, "{anonymous_limited} of 10 limited");
}
