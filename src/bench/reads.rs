//! Read throughput: User View through the full router against a bare axum route that selects
//! the same view row and returns it, same process and client; and with the credentials real
//! clients send (a user token, an API key) against the private key.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use super::load::{compare, drive, expect};
use super::{BenchArgs, Figure};
use crate::state::AppState;
use crate::storage::Db;
use crate::with_pool;

/// Users registered before the reads; requests cycle through them.
const USERS: usize = 200;
/// Reads are quick: more of them make a measurement long enough to be steady.
const READS_PER_WRITE: usize = 5;

/// The user-view figures: through the router with the private key against a bare route,
/// and with each user's own token and API key (what real clients send) against the private
/// key, whose read checks no credential row.
pub async fn measure(
    backend: &'static str,
    state: &AppState,
    args: &BenchArgs,
) -> anyhow::Result<Vec<Figure>> {
    let (base, server) = serve(crate::router(state.clone())).await?;
    let (bare_base, bare_server) = serve(bare_router(state.db.clone())).await?;
    let client = reqwest::Client::new();
    let (mut ids, mut tokens, mut api_keys) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..USERS {
        let reply = register(state, &client, &base, &format!("reader{i}@example.com")).await?;
        let id = reply["data"]["id"].as_str().unwrap_or_default().to_string();
        let token = format!(
            "Bearer {}",
            reply["data"]["token"].as_str().unwrap_or_default()
        );
        let key: Value = client
            .get(format!("{base}/api/v1/users/{id}/api_key"))
            .header("authorization", &token)
            .send()
            .await?
            .json()
            .await?;
        api_keys.push(format!(
            "Bearer {}",
            key["data"]["token"].as_str().unwrap_or_default()
        ));
        ids.push(id);
        tokens.push(token);
    }
    let reads = args.requests * READS_PER_WRITE;
    // Request `i` reads user `i mod USERS`, with that user's credential in `auths` (or the
    // one credential there is, or none).
    let get_all = |label: String, url: String, auths: Vec<String>| {
        let (client, ids) = (client.clone(), ids.clone());
        drive(label, reads, args.concurrency, move |i| {
            let mut request = client.get(format!("{url}/{}", ids[i % ids.len()]));
            if !auths.is_empty() {
                request = request.header("authorization", &auths[i % auths.len()]);
            }
            expect(request, StatusCode::OK, "view")
        })
    };
    let users = format!("{base}/api/v1/users");
    let private = vec![state.secrets.private_api_key.clone()];
    let by_private = |_| {
        get_all(
            format!("{backend}: GET /users/{{id}}, private key"),
            users.clone(),
            private.clone(),
        )
    };
    let bare = |_| {
        get_all(
            format!("{backend}: bare axum, same row"),
            format!("{bare_base}/bare"),
            Vec::new(),
        )
    };
    let by_token = |_| {
        get_all(
            format!("{backend}: GET /users/{{id}}, user token"),
            users.clone(),
            tokens.clone(),
        )
    };
    let by_key = |_| {
        get_all(
            format!("{backend}: GET /users/{{id}}, API key"),
            users.clone(),
            api_keys.clone(),
        )
    };
    let mut figures = Vec::new();
    for (measure, (clara, baseline)) in [
        (
            "user view vs bare route",
            compare(args.rounds, by_private, bare).await?,
        ),
        (
            "user view: token vs private key",
            compare(args.rounds, by_token, by_private).await?,
        ),
        (
            "user view: API key vs private key",
            compare(args.rounds, by_key, by_private).await?,
        ),
    ] {
        let target = 0.8;
        figures.push(Figure {
            backend,
            measure,
            clara,
            baseline,
            target,
        });
    }
    server.abort();
    bare_server.abort();
    Ok(figures)
}

/// Registers `email` over HTTP, as a client does; returns Register's reply.
pub async fn register(
    state: &AppState,
    client: &reqwest::Client,
    base: &str,
    email: &str,
) -> anyhow::Result<Value> {
    let body = json!({"first_name": "bench", "last_name": "user", "email": email, "password": "benchmark password"});
    Ok(client
        .post(format!("{base}/api/v1/auth/register"))
        .header("authorization", &state.secrets.public_api_key)
        .json(&body)
        .send()
        .await?
        .json()
        .await?)
}

/// Serves `router` on a free loopback port as `clara serve` does (so requests carry the
/// client's address, which the log seals); returns its base URL and the server task.
pub async fn serve(router: Router) -> anyhow::Result<(String, JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let limit = std::time::Duration::from_secs(30);
    let forever = std::future::pending();
    let task = tokio::spawn(crate::listen::serve(
        listener, router, limit, limit, forever,
    ));
    Ok((base, task))
}

fn bare_router(db: Db) -> Router {
    async fn row(State(db): State<Db>, Path(id): Path<String>) -> Json<Value> {
        let sql = "SELECT data FROM user_views WHERE id = $1";
        let data: Option<String> = with_pool!(&db, pool => sqlx::query_scalar(sql).bind(&id).fetch_optional(pool).await.ok().flatten());
        Json(
            data.and_then(|text| serde_json::from_str(&text).ok())
                .unwrap_or(Value::Null),
        )
    }
    Router::new().route("/bare/{id}", get(row)).with_state(db)
}
