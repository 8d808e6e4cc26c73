//! Configuration: command-line flags that fall back to the environment variables of the
//! contract (§5); `.env` is read first. Secrets are read from the environment only, so they
//! never show up in a process listing.

use clap::{Args, ValueEnum};

use crate::agent::analyzer::OpenAiSettings;
use crate::agent::{AgentSettings, AnalyzerChoice};
use crate::mail::{MailSettings, SmtpSettings, SmtpTls};

/// What every command uses: the database, and how to log.
#[derive(Args, Debug, Clone)]
pub struct Common {
    /// Where events and views live: sqlite://PATH (created on first start) or postgres://…
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://clara.db",
        global = true
    )]
    pub database_url: String,

    /// Log line format.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

/// `clara serve`'s settings.
#[derive(Args, Debug, Clone)]
pub struct Config {
    /// Address the HTTP server listens on.
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    pub host: String,

    /// Port the HTTP server listens on.
    #[arg(long, env = "PORT", default_value_t = 8080)]
    pub port: u16,

    /// How many days a user token (and its session) lasts.
    #[arg(long, env = "SESSION_EXPIRY_IN_DAYS", default_value_t = 7)]
    pub session_expiry_in_days: u32,

    /// How many minutes a one-time code lives.
    #[arg(long, env = "OTP_EXPIRY_IN_MINUTES", default_value_t = 10)]
    pub otp_expiry_in_minutes: u32,

    /// SMTP server for outgoing mail; unset: mail is written to MAIL_OUTBOX_DIR instead.
    #[arg(long, env = "SMTP_HOST")]
    pub smtp_host: Option<String>,

    /// SMTP port.
    #[arg(long, env = "SMTP_PORT", default_value_t = 587)]
    pub smtp_port: u16,

    /// How the SMTP connection is secured.
    #[arg(long, env = "SMTP_TLS", value_enum, default_value_t = SmtpTls::Starttls)]
    pub smtp_tls: SmtpTls,

    /// SMTP user name (the password comes from SMTP_PASSWORD in the environment).
    #[arg(long, env = "SMTP_USERNAME")]
    pub smtp_username: Option<String>,

    /// Sender of Clara's mail.
    #[arg(long, env = "MAIL_FROM", default_value = "Clara <no-reply@localhost>")]
    pub mail_from: String,

    /// Where mail is written when SMTP is not configured.
    #[arg(long, env = "MAIL_OUTBOX_DIR", default_value = "outbox")]
    pub mail_outbox_dir: std::path::PathBuf,

    /// Seconds a mail being sent stays with the process sending it; a crashed process's mail
    /// is sent by another after this (longer than an SMTP send can take).
    #[arg(long, env = "MAIL_CLAIM_TIMEOUT_SECONDS", default_value_t = 300)]
    pub mail_claim_timeout_seconds: u32,

    /// OAuth client id Google ID tokens must be issued for; unset turns Google sign-in off.
    #[arg(long, env = "GOOGLE_CLIENT_ID")]
    pub google_client_id: Option<String>,

    /// Where Google publishes its token-signing keys (JWKS).
    #[arg(long, env = "GOOGLE_JWKS_URL", default_value = crate::auth::google::GOOGLE_JWKS_URL)]
    pub google_jwks_url: String,

    /// Requests per second per credential (and per client address for calls without one);
    /// 0 turns rate limits off.
    #[arg(long, env = "RATE_LIMIT_PER_SECOND", default_value_t = 10)]
    pub rate_limit_per_second: u32,

    /// Redis that processes share rate-limit budgets through (redis://HOST:PORT); unset:
    /// each process keeps its own.
    #[arg(long, env = "RATE_LIMIT_REDIS_URL")]
    pub rate_limit_redis_url: Option<String>,

    /// Purchase tiers as a JSON list of {lower_limit, upper_limit, rate, stripe_price_id}
    /// (limits in USD, rate in credits per USD); default one tier, 5 to 10000 USD at 100.
    #[arg(long, env = "CREDITS_RATE")]
    pub credits_rate: Option<String>,

    /// Stripe's API base URL (tests point it at a local stand-in).
    #[arg(
        long,
        env = "STRIPE_API_BASE",
        default_value = "https://api.stripe.com/"
    )]
    pub stripe_api_base: String,

    /// The web client buyers return to after Checkout: `{CLIENT_URL}/{return_path}`.
    #[arg(long, env = "CLIENT_URL", default_value = "http://localhost:3000")]
    pub client_url: String,

    /// Seconds a request may take to be answered; longer ones get 503.
    #[arg(long, env = "REQUEST_TIMEOUT_SECONDS", default_value_t = 60)]
    pub request_timeout_seconds: u32,

    /// Requests handled at once; beyond it requests get 503 at once instead of queueing.
    #[arg(long, env = "MAX_IN_FLIGHT_REQUESTS", default_value_t = 1024)]
    pub max_in_flight_requests: u32,

    /// Seconds in-flight requests may go on after SIGTERM or Ctrl-C.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECONDS", default_value_t = 30)]
    pub shutdown_timeout_seconds: u32,

    /// Seconds a request waits for a database connection before it gets 503.
    #[arg(long, env = "DB_ACQUIRE_TIMEOUT_SECONDS", default_value_t = 5)]
    pub db_acquire_timeout_seconds: u32,

    /// Which analyzer judges agent tasks: offline `builtin`, or `openai` (any
    /// OpenAI-compatible chat-completions server; the key comes from OPENAI_API_KEY).
    #[arg(long, env = "AGENT_ANALYZER", value_enum, default_value_t = AnalyzerKind::Builtin)]
    pub agent_analyzer: AnalyzerKind,

    /// Base URL of the OpenAI-compatible server (…/v1), e.g. http://127.0.0.1:11434/v1 for Ollama.
    #[arg(long, env = "OPENAI_BASE_URL", default_value = crate::agent::analyzer::OPENAI_BASE_URL)]
    pub openai_base_url: String,

    /// Model the openai analyzer asks.
    #[arg(long, env = "OPENAI_MODEL", default_value = "gpt-4o-mini")]
    pub openai_model: String,

    /// Credits one analysis costs (at most two decimals).
    #[arg(long, env = "AGENT_ANALYSIS_CREDITS", default_value = "20")]
    pub agent_analysis_credits: String,

    /// Largest attachment in MB; a request may carry 5 of them plus 1 MB.
    #[arg(long, env = "AGENT_MAX_FILE_MB", default_value_t = 25)]
    pub agent_max_file_mb: u32,

    /// Seconds an analysis may run before its task fails (and is refunded).
    #[arg(long, env = "AGENT_TIMEOUT_SECONDS", default_value_t = 120)]
    pub agent_timeout_seconds: u32,

    /// Seconds after which a task whose worker stopped answering is taken again.
    #[arg(long, env = "AGENT_LEASE_SECONDS", default_value_t = 60)]
    pub agent_lease_seconds: u32,

    /// Workers running tasks in this process (0: none; other processes run them).
    #[arg(long, env = "AGENT_WORKERS", default_value_t = 2)]
    pub agent_workers: u16,

    /// Where attachments are kept: file:///PATH or s3://bucket/prefix (with the usual AWS_*
    /// variables); default a folder beside the SQLite file, or ./attachments.
    #[arg(long, env = "ATTACHMENTS_URL")]
    pub attachments_url: Option<String>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalyzerKind {
    Builtin,
    Openai,
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
  PUBLIC_API_KEY    raw key for pre-login calls (register, send OTP, activate, change password)
  PRIVATE_API_KEY   raw key for admin calls and acting on any user
  JWT_SECRET        HS256 signing secret for user and API key tokens
  DATA_KEY          master key of personal data, 64 hex digits: wraps each person's key and
                    keys the ids of e-mail addresses in the log. Keep it for good: without it
                    the log's personal data cannot be read
  SMTP_PASSWORD     password for SMTP_USERNAME
  STRIPE_SECRET_KEY      Stripe API key; unset turns Buy and Portal off (503)
  STRIPE_WEBHOOK_SECRET  Stripe webhook signing secret(s), comma-separated while rolling
  OPENAI_API_KEY    key for AGENT_ANALYZER=openai (needed for api.openai.com, optional elsewhere)
  AWS_*             credentials, region and endpoint for an s3:// ATTACHMENTS_URL

Logging: RUST_LOG (default info), LOG_FORMAT (text or json). A .env file is read too.";

impl Config {
    /// The settings from the environment alone, for `clara` run without a subcommand.
    pub fn from_env() -> anyhow::Result<Self> {
        use clap::{Command, FromArgMatches};
        let matches = Self::augment_args(Command::new("clara")).try_get_matches_from(["clara"])?;
        Ok(Self::from_arg_matches(&matches)?)
    }

    pub fn settings(&self, database_url: &str) -> anyhow::Result<crate::state::Settings> {
        let credit_rates = match &self.credits_rate {
            Some(json) => crate::stripe::rates::parse_tiers(json)?,
            None => crate::stripe::rates::default_tiers(),
        };
        let smtp = self.smtp_host.clone().map(|host| SmtpSettings {
            host,
            port: self.smtp_port,
            tls: self.smtp_tls,
            username: self.smtp_username.clone(),
            password: std::env::var("SMTP_PASSWORD").ok(),
        });
        let stripe_api = std::env::var("STRIPE_SECRET_KEY")
            .ok()
            .filter(|key| !key.is_empty())
            .map(|key| (key, self.stripe_api_base.clone(), self.client_url.clone()));
        Ok(crate::state::Settings {
            stripe_api,
            credit_rates,
            session_expiry_ms: i64::from(self.session_expiry_in_days) * 24 * 3_600_000,
            otp_expiry_ms: i64::from(self.otp_expiry_in_minutes) * 60_000,
            mail: MailSettings {
                smtp,
                from: self.mail_from.clone(),
                outbox_dir: self.mail_outbox_dir.clone(),
                claim_timeout: std::time::Duration::from_secs(u64::from(
                    self.mail_claim_timeout_seconds.max(1),
                )),
            },
            google_client_id: self.google_client_id.clone(),
            google_jwks_url: self.google_jwks_url.clone(),
            rate_limit_per_second: self.rate_limit_per_second,
            rate_limit_redis_url: self.rate_limit_redis_url.clone(),
            stripe_webhook_secrets: std::env::var("STRIPE_WEBHOOK_SECRET")
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            agent: self.agent_settings(database_url)?,
            request_timeout: std::time::Duration::from_secs(u64::from(
                self.request_timeout_seconds.max(1),
            )),
            max_in_flight: usize::try_from(self.max_in_flight_requests.max(1))?,
            shutdown_timeout: std::time::Duration::from_secs(u64::from(
                self.shutdown_timeout_seconds,
            )),
            ..crate::state::Settings::default()
        })
    }

    fn agent_settings(&self, database_url: &str) -> anyhow::Result<AgentSettings> {
        let price = clara_aggregates::money::parse_minor(&self.agent_analysis_credits)
            .filter(|price| *price > 0)
            .ok_or_else(|| {
                anyhow::anyhow!("AGENT_ANALYSIS_CREDITS must be a positive amount like 20 or 2.5")
            })?;
        let analyzer = match self.agent_analyzer {
            AnalyzerKind::Builtin => AnalyzerChoice::Builtin,
            AnalyzerKind::Openai => AnalyzerChoice::OpenAi(OpenAiSettings {
                base_url: self.openai_base_url.clone(),
                api_key: std::env::var("OPENAI_API_KEY")
                    .ok()
                    .filter(|k| !k.is_empty()),
                model: self.openai_model.clone(),
            }),
        };
        let seconds = |s: u32| std::time::Duration::from_secs(u64::from(s.max(1)));
        Ok(AgentSettings {
            analyzer,
            price,
            max_file_bytes: usize::try_from(self.agent_max_file_mb)?.saturating_mul(1024 * 1024),
            timeout: seconds(self.agent_timeout_seconds),
            lease: seconds(self.agent_lease_seconds),
            workers: usize::from(self.agent_workers),
            attachments_url: match &self.attachments_url {
                Some(url) => url.clone(),
                None => default_attachments(database_url),
            },
        })
    }
}

/// A folder beside the SQLite file (`clara.db` → `clara.db.attachments`), else
/// `attachments` in the working directory.
fn default_attachments(database_url: &str) -> String {
    crate::secrets::sqlite_path(database_url).map_or_else(
        || "attachments".into(),
        |file| format!("{}.attachments", file.display()),
    )
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}
