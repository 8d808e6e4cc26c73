//! The README doctest: every `sh` block of README.md, top to bottom in one shell, against a
//! real `clara serve` on a fresh SQLite file, as a newcomer would run them. A command that
//! fails, or a request answered 4xx or 5xx, fails the test.

use std::process::{Command, Stdio};
use std::time::Duration;

const CLARA: &str = env!("CARGO_BIN_EXE_clara");

/// The bodies of the fenced blocks tagged exactly `sh`, in order.
fn sh_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_end()) {
            (None, "```sh") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), text) => {
                block.push_str(text);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// Runs what the README says to run where it says `cargo run -- …`; nothing else of cargo.
const PRELUDE: &str = r#"set -euo pipefail
curl() { command curl --fail-with-body "$@"; }
cargo() {
  if [ "$1" = run ]; then shift; [ "${1:-}" = "--" ] && shift; "$CLARA" "$@"
  else echo "the README test does not run: cargo $*" >&2; return 1; fi
}
"#;

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn every_sh_block_of_the_readme_runs_against_a_fresh_server() {
    let readme = include_str!("../../README.md");
    let blocks = sh_blocks(readme);
    assert!(blocks.len() >= 5, "the README's walkthroughs are sh blocks");
    let dir = std::env::temp_dir().join(format!("clara-readme-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // As the README says: `cargo run` in a folder, restarted with the webhook's secret.
    let server = Server(
        Command::new(CLARA)
            .current_dir(&dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PORT", port.to_string())
            .env("STRIPE_WEBHOOK_SECRET", "whsec_local")
            // One person typing commands never meets the limit; a script running them might.
            .env("RATE_LIMIT_PER_SECOND", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let health = format!("http://127.0.0.1:{port}/api/v1/health");
    let mut up = false;
    for _ in 0..200 {
        if reqwest::get(&health).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "clara serve started");
    let mut script = PRELUDE.to_string();
    for (n, block) in blocks.iter().enumerate() {
        script.push_str(&format!("echo '--- README sh block {}' >&2\n", n + 1));
        script.push_str(
            &block
                .replace("localhost:8080", &format!("localhost:{port}"))
                .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}")),
        );
    }
    let output = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || {
            Command::new("bash")
                .arg("-c")
                .arg(&script)
                .current_dir(&dir)
                .env("CLARA", CLARA)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "a README block failed:\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
