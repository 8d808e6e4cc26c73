//! A real SMTP server process on loopback (tests/smtp_sink.py) and reading codes out of the
//! mails it received — the only way the tests learn a code.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct SmtpSink {
    child: Child,
    pub port: u16,
    pub dir: PathBuf,
}

impl SmtpSink {
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir =
            std::env::temp_dir().join(format!("clara-mail-{}", uuid::Uuid::new_v4().simple()));
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_sink.py");
        let mut child = Command::new("python3")
            .args([script, &port.to_string(), dir.to_str().unwrap()])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 with aiosmtpd (pip install aiosmtpd) runs the test SMTP server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(
            line.trim(),
            "ready",
            "the SMTP sink did not start (is aiosmtpd installed?)"
        );
        Self { child, port, dir }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Every message in `dir` addressed to `to`, oldest first.
pub fn mails_to(dir: &PathBuf, to: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .filter(|mail| {
            mail.lines()
                .any(|l| l.eq_ignore_ascii_case(&format!("To: {to}")))
        })
        .collect()
}

/// Waits (up to 15 s) until `to` has received `count` mails, and returns the code in the last.
pub async fn nth_code(dir: &PathBuf, to: &str, count: usize) -> String {
    for _ in 0..300 {
        let mails = mails_to(dir, to);
        if mails.len() >= count {
            return code_in(&mails[count - 1]);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{to} did not receive mail number {count}");
}

/// The six-digit code in a mail: the digits after "is ".
pub fn code_in(mail: &str) -> String {
    mail.match_indices(" is ")
        .map(|(at, _)| &mail[at + 4..])
        .find_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            (digits.len() == 6).then_some(digits)
        })
        .unwrap_or_else(|| panic!("no code in mail:\n{mail}"))
}
