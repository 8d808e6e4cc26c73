//! Attachments in S3: a real S3-protocol server on loopback (moto's `moto_server`), written
//! by the process that accepts an analysis and read back by the worker that runs it.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::http::StatusCode;
use object_store::aws::AmazonS3Builder;
use object_store::ObjectStore;
use sha2::{Digest, Sha256};

use crate::analyses::{content, ended, file, form, funded};
use crate::served::Served;
use crate::support::{id_of, Backend, TestApp};

crate::on_both_backends!(attachments_go_to_s3_and_the_worker_reads_them_back);

/// `moto_server` on a free port, stopped when dropped.
struct MotoServer {
    child: Child,
    url: String,
}

impl MotoServer {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server must be installed (pip install 'moto[server]'; see README)");
        let server = MotoServer {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..200 {
            if reqwest::get(&server.url).await.is_ok() {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("moto_server did not start");
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn attachments_go_to_s3_and_the_worker_reads_them_back(backend: Backend) {
    let s3 = MotoServer::start().await;
    let http = reqwest::Client::new();
    let bucket = http
        .put(format!("{}/clara-test", s3.url))
        .send()
        .await
        .unwrap();
    assert!(bucket.status().is_success(), "the bucket was created");
    let app = TestApp::with_mail(backend).await;
    let ada = funded(&app, "ada@example.com", "20").await;
    let id = id_of(&ada);
    let env = [
        ("ATTACHMENTS_URL", "s3://clara-test/attachments".to_string()),
        ("AWS_ENDPOINT_URL", s3.url.clone()),
        ("AWS_ALLOW_HTTP", "true".into()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_REGION", "us-east-1".into()),
    ];
    let served = Served::start(&app, &env).await;
    let notes = b"Exports doubled in 2023.".to_vec();
    let (content_type, body) = form(&[content("See the notes."), file("notes.txt", notes.clone())]);
    let reply = http
        .post(format!(
            "{}/api/v1/users/{id}/agent/analysis",
            served.base_url
        ))
        .header("authorization", app.private_key())
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::CREATED);
    let created: serde_json::Value = reply.json().await.unwrap();
    let task_id = created["data"]["id"].as_str().unwrap();
    let done = ended(&app, &id, task_id, Duration::from_secs(30)).await;
    assert_eq!(done["status"], "COMPLETED", "{done}");
    assert_eq!(
        done["result"]["claims"][0]["text"],
        "Exports doubled in 2023."
    );

    let sha = hex::encode(Sha256::digest(&notes));
    let key = format!("attachments/sha256/{}/{sha}", &sha[..2]);
    let bucket = AmazonS3Builder::new()
        .with_bucket_name("clara-test")
        .with_endpoint(&s3.url)
        .with_allow_http(true)
        .with_access_key_id("test")
        .with_secret_access_key("test")
        .with_region("us-east-1")
        .build()
        .unwrap();
    let stored = bucket
        .get(&key.as_str().into())
        .await
        .expect("stored under its SHA-256");
    assert_eq!(stored.bytes().await.unwrap().to_vec(), notes);
    assert!(!app.attachments.exists(), "nothing was written locally");
}
