//! `clara serve` as a real child process on a test's database, with the test's keys; killed
//! (SIGKILL, as a crash) when dropped or asked to.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::TestApp;

pub const CLARA: &str = env!("CARGO_BIN_EXE_clara");

pub struct Served {
    child: Child,
    pub base_url: String,
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

impl Served {
    /// Starts `clara serve` on `app`'s database with `env` added, and waits until it
    /// answers `/health`.
    pub async fn start(app: &TestApp, env: &[(&str, String)]) -> Self {
        let port = free_port();
        let secrets = &app.state.secrets;
        let mut command = Command::new(CLARA);
        command
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &app.database_url)
            .env("PORT", port.to_string())
            .env("MAIL_OUTBOX_DIR", app.outbox.join("served"))
            .env("ATTACHMENTS_URL", app.attachments.display().to_string())
            .env("RATE_LIMIT_PER_SECOND", "0")
            .env("PUBLIC_API_KEY", &secrets.public_api_key)
            .env("PRIVATE_API_KEY", &secrets.private_api_key)
            .env("JWT_SECRET", &secrets.jwt_secret)
            .env("DATA_KEY", &secrets.data_key)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let served = Served {
            child: command.spawn().unwrap(),
            base_url: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client
                .get(format!("{}/health", served.base_url))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return served;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("clara serve did not answer /health");
    }

    /// Kills the process at once, as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.kill();
    }
}
