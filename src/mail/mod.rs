//! E-mail: how a message leaves (SMTP, or a local outbox folder when SMTP is not configured)
//! and the dispatcher that sends the one-time codes the event log asks for.

mod deliveries;
mod dispatcher;
mod message;

pub use dispatcher::Mailer;
pub use message::{otp_mail, Mail};

use std::path::PathBuf;

use anyhow::Context;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// How SMTP connections are secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MailSettings {
    /// `None`: write each message to `outbox_dir` instead.
    pub smtp: Option<SmtpSettings>,
    pub from: String,
    pub outbox_dir: PathBuf,
    /// How long a mail being sent is left to the dispatcher that claimed it; after a crash
    /// it goes out once this has passed.
    pub claim_timeout: std::time::Duration,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            smtp: None,
            from: "Clara <no-reply@localhost>".into(),
            outbox_dir: PathBuf::from("outbox"),
            claim_timeout: std::time::Duration::from_secs(300),
        }
    }
}

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(PathBuf),
}

impl Transport {
    pub fn new(settings: &MailSettings) -> anyhow::Result<Self> {
        let Some(smtp) = &settings.smtp else {
            return Ok(Transport::Outbox(settings.outbox_dir.clone()));
        };
        let builder = match smtp.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
                .context("SMTP_HOST is not a valid host for STARTTLS")?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)
                .context("SMTP_HOST is not a valid host for TLS")?,
        };
        let mut builder = builder.port(smtp.port);
        if let (Some(user), Some(password)) = (&smtp.username, &smtp.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Transport::Smtp(builder.build()))
    }

    /// Sends `mail`; in outbox mode writes it as `<name>.eml` and logs where.
    pub async fn send(&self, mail: lettre::Message, name: &str) -> Result<(), SendError> {
        match self {
            Transport::Smtp(smtp) => smtp.send(mail).await.map(drop).map_err(|error| {
                // A 5xx answer will not change on a retry; anything else (4xx, the
                // connection) may.
                let permanent = error.is_permanent();
                let error =
                    anyhow::Error::new(error).context("the SMTP server refused the message");
                if permanent {
                    SendError::Permanent(error)
                } else {
                    SendError::Transient(error)
                }
            }),
            Transport::Outbox(dir) => {
                let path = dir.join(format!("{name}.eml"));
                let written = async {
                    tokio::fs::create_dir_all(dir).await?;
                    tokio::fs::write(&path, mail.formatted()).await
                };
                written.await.map_err(|error| {
                    let error = anyhow::Error::new(error)
                        .context(format!("cannot write to the outbox {}", dir.display()));
                    SendError::Transient(error)
                })?;
                tracing::info!(path = %path.display(), "SMTP is not configured; mail written to the outbox");
                Ok(())
            }
        }
    }
}

/// Why a mail was not sent, and whether trying again may help.
#[derive(Debug)]
pub enum SendError {
    Transient(anyhow::Error),
    Permanent(anyhow::Error),
}
