//! Slow clients: a request whose headers or body stall past the read timeout has its
//! connection closed, through a real server on loopback (the timeout shortened to 1 s).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{Backend, TestApp};

crate::on_both_backends!(
    stalled_headers_close_the_connection,
    a_stalled_body_is_answered_and_closed,
);

const TIMEOUT: Duration = Duration::from_secs(1);

/// A served instance of `app` on a loopback port, stopped when the test ends.
async fn serve(app: &TestApp) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = clara::router(app.state.clone());
    tokio::spawn(clara::listen::serve(
        listener,
        router,
        TIMEOUT,
        Duration::from_secs(30),
        std::future::pending(),
    ));
    address
}

/// Everything the server sends until it closes the connection; fails after 10 s.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut received))
        .await
        .expect("the server closes a stalled connection")
        .unwrap();
    String::from_utf8_lossy(&received).into_owned()
}

async fn app(backend: Backend) -> TestApp {
    TestApp::create_with(backend, None, |settings| settings.read_timeout = TIMEOUT).await
}

async fn stalled_headers_close_the_connection(backend: Backend) {
    let app = app(backend).await;
    let mut stream = TcpStream::connect(serve(&app).await).await.unwrap();
    stream
        .write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: clara\r\nX-Slow: ")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    read_until_closed(&mut stream).await;
    assert!(started.elapsed() >= TIMEOUT);
}

async fn a_stalled_body_is_answered_and_closed(backend: Backend) {
    let app = app(backend).await;
    let mut stream = TcpStream::connect(serve(&app).await).await.unwrap();
    let head = format!(
        "POST /api/v1/auth/register HTTP/1.1\r\nHost: clara\r\nAuthorization: {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"first",
        app.public_key()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut stream).await;
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains(r#""status":"error""#), "{answer}");
    assert_eq!(app.count_events(None).await, 0);
}
