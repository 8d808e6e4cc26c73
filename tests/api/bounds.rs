//! Bounded work: more requests than the in-flight limit are shed with 503 at once, a request
//! past its time limit gets 503, a request that cannot get a database connection gets 503
//! within the acquire timeout, and shutdown does not wait past its deadline.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{Method, Request, StatusCode};
use clara::auth::password::Passwords;
use clara::storage::Db;
use clara::AppState;
use tokio::sync::mpsc;
use tower::ServiceExt;

use crate::support::{assert_error, id_of, Backend, TestApp};

crate::on_both_backends!(
    requests_beyond_the_in_flight_limit_are_shed,
    a_request_past_its_time_limit_gets_503,
    a_request_without_a_database_connection_gets_503_within_the_acquire_timeout,
);

const UNAVAILABLE: &str = "The service is temporarily unavailable.";

/// A Register request whose body arrives only as the test feeds it: in flight until then.
fn trickling(app: &TestApp) -> (Request<Body>, mpsc::Sender<Result<Bytes, std::io::Error>>) {
    let (feed, chunks) = mpsc::channel(1);
    let stream = futures::stream::unfold(chunks, |mut chunks| async move {
        chunks.recv().await.map(|chunk| (chunk, chunks))
    });
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/auth/register")
        .header("authorization", app.public_key())
        .header("content-type", "application/json")
        .body(Body::from_stream(stream))
        .unwrap();
    (request, feed)
}

async fn requests_beyond_the_in_flight_limit_are_shed(backend: Backend) {
    let app = TestApp::create_with(backend, None, |s| s.max_in_flight = 2).await;
    let mut feeds = Vec::new();
    let mut in_flight = Vec::new();
    for _ in 0..2 {
        let (request, feed) = trickling(&app);
        feeds.push(feed);
        in_flight.push(tokio::spawn(app.client.router.clone().oneshot(request)));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let shed = app.send(Method::GET, "/api/v1/health", None, None).await;
    assert_error(&shed, StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "shed at once, not queued"
    );
    drop(feeds);
    for request in in_flight {
        let _ = request.await;
    }
    let served = app.send(Method::GET, "/api/v1/health", None, None).await;
    assert_eq!(
        served.status,
        StatusCode::OK,
        "served again once the load is gone"
    );
}

async fn a_request_past_its_time_limit_gets_503(backend: Backend) {
    let app = TestApp::create_with(backend, None, |s| {
        s.request_timeout = Duration::from_millis(300)
    })
    .await;
    let (request, feed) = trickling(&app);
    let started = Instant::now();
    let response = app.client.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    drop(feed);
}

async fn a_request_without_a_database_connection_gets_503_within_the_acquire_timeout(
    backend: Backend,
) {
    let app = TestApp::new(backend).await;
    let ada = app.register("ada@example.com").await;
    // The same database through pools that wait at most 300 ms, all of whose connections
    // something else holds: as when the database stops answering.
    let db = Db::connect_with(&app.database_url, Duration::from_millis(300))
        .await
        .unwrap();
    let mut held = 0;
    clara::with_pool!(&db, pool => {
        while let Ok(Ok(connection)) = tokio::time::timeout(Duration::from_secs(1), pool.acquire()).await {
            // Never given back: the database's own cleanup closes it with the test.
            std::mem::forget(connection);
            held += 1;
        }
    });
    assert!(held > 0);
    let secrets = app.state.secrets.as_ref().clone();
    let settings = app.state.settings.as_ref().clone();
    let state = AppState::new(db, secrets, Passwords::production(), settings).unwrap();
    let request = Request::builder()
        .uri(format!("/api/v1/users/{}", id_of(&ada)))
        .header("authorization", app.private_key())
        .body(Body::empty())
        .unwrap();
    let started = Instant::now();
    let response = clara::router(state).oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shutdown_stops_waiting_for_requests_at_its_deadline() {
    let app = TestApp::new(Backend::Sqlite).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_clara"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &app.database_url)
        .env("PORT", port.to_string())
        .env("SHUTDOWN_TIMEOUT_SECONDS", "1")
        .env("DATA_KEY", &app.state.secrets.data_key)
        .env("MAIL_OUTBOX_DIR", app.outbox.join("served"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut up = false;
    for _ in 0..100 {
        if reqwest::get(format!("http://127.0.0.1:{port}/health"))
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up);
    // A request whose body never finishes: it would hold shutdown for the 30 s read timeout.
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{").unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut exited = false;
    while started.elapsed() < Duration::from_secs(10) {
        if child.try_wait().unwrap().is_some() {
            exited = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let took = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    assert!(exited, "clara stopped at its shutdown deadline");
    assert!(took < Duration::from_secs(5), "{took:?}");
}
