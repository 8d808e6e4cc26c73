//! Read throughput: User View through the full router against a bare axum route that selects
//! the same view row and returns it, same process and client.

use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use super::load::{compare, drive};
use super::{BenchArgs, Figure};
use crate::state::AppState;
use crate::storage::Db;
use crate::with_pool;

/// Users registered before the reads; requests cycle through them.
const USERS: usize = 200;
/// Reads are quick: more of them make a measurement long enough to be steady.
const READS_PER_WRITE: usize = 5;

pub async fn measure(
    backend: &'static str,
    state: &AppState,
    args: &BenchArgs,
) -> anyhow::Result<Figure> {
    let (base, server) = serve(crate::router(state.clone())).await?;
    let (bare_base, bare_server) = serve(bare_router(state.db.clone())).await?;
    let client = reqwest::Client::new();
    let mut ids = Vec::with_capacity(USERS);
    for i in 0..USERS {
        let email = format!("reader{i}@example.com");
        let reply = register(state, &client, &base, &email).await?;
        ids.push(reply["data"]["id"].as_str().unwrap_or_default().to_string());
    }
    let get_all = |label: String, url: String, key: Option<String>| {
        let (client, ids) = (client.clone(), ids.clone());
        drive(
            label,
            args.requests * READS_PER_WRITE,
            args.concurrency,
            move |i| {
                let mut request = client.get(format!("{url}/{}", ids[i % ids.len()]));
                if let Some(key) = &key {
                    request = request.header("authorization", key);
                }
                async move {
                    let reply = request.send().await?;
                    anyhow::ensure!(
                        reply.status() == StatusCode::OK,
                        "view answered {}",
                        reply.status()
                    );
                    reply.bytes().await?;
                    Ok(())
                }
            },
        )
    };
    let key = Some(state.secrets.private_api_key.clone());
    let (clara, baseline) = compare(
        |_| {
            get_all(
                format!("{backend}: GET /users/{{id}}"),
                format!("{base}/api/v1/users"),
                key.clone(),
            )
        },
        |_| {
            get_all(
                format!("{backend}: bare axum, same row"),
                format!("{bare_base}/bare"),
                None,
            )
        },
    )
    .await?;
    server.abort();
    bare_server.abort();
    Ok(Figure {
        backend,
        measure: "user view",
        clara,
        baseline,
        target: 0.8,
    })
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

/// Serves `router` on a free loopback port; returns its base URL and the server task.
pub async fn serve(router: Router) -> anyhow::Result<(String, JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
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
