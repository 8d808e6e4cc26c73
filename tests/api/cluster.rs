//! A throw-away PostgreSQL cluster of a test's own (initdb into a temp folder as the
//! `postgres` user, on a spare port), for tests that stop the database or hold a transaction
//! open: never the shared server, where that would stall every other test.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A throw-away PostgreSQL cluster, stopped and deleted when dropped.
pub struct Cluster {
    dir: PathBuf,
    port: u16,
    bin: PathBuf,
}

fn as_postgres(bin: &Path, args: &str) -> bool {
    Command::new("su")
        .args([
            "postgres",
            "-s",
            "/bin/sh",
            "-c",
            &format!("{} {args}", bin.display()),
        ])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

impl Cluster {
    pub fn start() -> Option<Self> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .flatten()
            .map(|e| e.path().join("bin"))
            .max()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let dir = std::env::temp_dir().join(format!("clara-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).ok()?;
        Command::new("chown")
            .args(["postgres:postgres", &dir.display().to_string()])
            .status()
            .ok()?;
        let cluster = Cluster { dir, port, bin };
        let data = cluster.dir.join("data");
        let initialised = as_postgres(
            &cluster.bin.join("initdb"),
            &format!("-D {} -A trust -U postgres --no-sync", data.display()),
        );
        (initialised && cluster.up()).then_some(cluster)
    }

    fn pg_ctl(&self, action: &str) -> bool {
        let data = self.dir.join("data");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.display()
        );
        as_postgres(
            &self.bin.join("pg_ctl"),
            &format!(
                "-D {} -l {}/log -o '{options}' -w -m immediate {action}",
                data.display(),
                self.dir.display()
            ),
        )
    }

    pub fn up(&self) -> bool {
        self.pg_ctl("start")
    }

    pub fn down(&self) -> bool {
        self.pg_ctl("stop")
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.down();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
