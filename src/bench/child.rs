//! `clara serve` as a child process of the bench, on the bench's database and with its keys:
//! for the figures only a server process of its own gives (its peak RSS; two processes on
//! one database).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::process::{Child, Command};

use crate::secrets::Secrets;

pub struct ChildServer {
    process: Child,
    scratch: PathBuf,
    pub base: String,
}

impl ChildServer {
    /// Starts this executable's `serve` on `database_url` and waits until `/health` answers.
    pub async fn start(database_url: &str, secrets: &Secrets) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let scratch = std::env::temp_dir().join(format!(
            "clara-bench-server-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&scratch)?;
        let process = Command::new(std::env::current_exe()?)
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("PORT", port.to_string())
            .env("PUBLIC_API_KEY", &secrets.public_api_key)
            .env("PRIVATE_API_KEY", &secrets.private_api_key)
            .env("JWT_SECRET", &secrets.jwt_secret)
            .env("DATA_KEY", &secrets.data_key)
            .env("RATE_LIMIT_PER_SECOND", "0")
            .env("AGENT_WORKERS", "0")
            .env("MAIL_OUTBOX_DIR", scratch.join("outbox"))
            .env("ATTACHMENTS_URL", scratch.join("attachments"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start `clara serve` for the bench")?;
        let server = ChildServer {
            process,
            scratch,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..200 {
            let health = client.get(format!("{}/health", server.base)).send().await;
            if health.is_ok_and(|reply| reply.status().is_success()) {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("the bench's `clara serve` did not answer /health within 10 s")
    }

    /// The process's peak resident set so far, in MiB (Linux only).
    pub fn peak_rss_mib(&self) -> Option<f64> {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.process.id()?)).ok()?;
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kib / 1024.0)
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.process.start_kill();
        std::fs::remove_dir_all(&self.scratch).ok();
    }
}
