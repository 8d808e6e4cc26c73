//! Configuration: command-line flags that fall back to the environment variables of the
//! contract (§5); `.env` is read first. Secrets are read from the environment only, so they
//! never show up in a process listing.

use clap::{Args, ValueEnum};

#[derive(Args, Debug, Clone)]
pub struct Config {
    /// Where events and views live: sqlite://PATH (created on first start) or postgres://…
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://clara.db",
        global = true
    )]
    pub database_url: String,

    /// Address the HTTP server listens on.
    #[arg(long, env = "HOST", default_value = "127.0.0.1", global = true)]
    pub host: String,

    /// Port the HTTP server listens on.
    #[arg(long, env = "PORT", default_value_t = 8080, global = true)]
    pub port: u16,

    /// How many days a user token (and its session) lasts.
    #[arg(
        long,
        env = "SESSION_EXPIRY_IN_DAYS",
        default_value_t = 7,
        global = true
    )]
    pub session_expiry_in_days: u32,

    /// Log line format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The environment variables that carry secrets, documented in `clara --help`.
pub const SECRET_VARIABLES: &str = "\
Secrets (environment only; with SQLite they are generated on first start and kept in
<database file>.keys when unset; with PostgreSQL they are required):
  PUBLIC_API_KEY    raw key for pre-login calls (register, send OTP, activate)
  PRIVATE_API_KEY   raw key for admin calls and acting on any user
  JWT_SECRET        HS256 signing secret for user and API key tokens

Logging: RUST_LOG (default info), LOG_FORMAT (text or json). A .env file is read too.";

impl Config {
    pub fn settings(&self) -> crate::state::Settings {
        crate::state::Settings {
            session_expiry_ms: i64::from(self.session_expiry_in_days) * 24 * 3_600_000,
        }
    }
}
