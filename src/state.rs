//! The state every handler shares: one cheap-to-clone bundle of pools, buses and secrets.

use std::sync::Arc;

use clara_aggregates::{EmailClaim, Task, User, Wallet};
use tokio::sync::{Notify, Semaphore};

use crate::agent::analyzer::{Analyzer, Builtin, OpenAi};
use crate::agent::store::AttachmentStore;
use crate::agent::{AgentSettings, AnalyzerChoice};
use crate::auth::google::GoogleVerifier;
use crate::auth::otp::OtpCodes;
use crate::auth::password::Passwords;
use crate::auth::totp::TotpKeys;
use crate::clock::Clock;
use crate::commands::CommandBus;
use crate::limits::RateLimiter;
use crate::mail::{MailSettings, Mailer, Transport};
use crate::privacy::claim_ids::ClaimIds;
use crate::secrets::Secrets;
use crate::storage::{Db, Projector};
use crate::stripe::api::StripeApi;
use crate::stripe::StripeSettings;

/// Tunable behaviour, from configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a user token and its session last.
    pub session_expiry_ms: i64,
    /// How long a one-time code lives.
    pub otp_expiry_ms: i64,
    pub mail: MailSettings,
    /// Google sign-in: the OAuth client id tokens must be issued for (unset: off), and where
    /// Google's signing keys are published.
    pub google_client_id: Option<String>,
    pub google_jwks_url: String,
    /// Secrets Stripe signs webhooks with (several while one is rolled); empty: webhook off.
    pub stripe_webhook_secrets: Vec<String>,
    /// Stripe's API: secret key, base URL and where buyers return (`CLIENT_URL`); unset: off.
    pub stripe_api: Option<(String, String, String)>,
    /// Purchase tiers: amounts in USD and the credits a dollar buys.
    pub credit_rates: Vec<crate::stripe::rates::RateTier>,
    /// Requests per second per verified owner or client address; 0 turns limits off.
    pub rate_limit_per_second: u32,
    /// Redis that processes share their rate-limit budgets through (unset: per process).
    pub rate_limit_redis_url: Option<String>,
    /// How long a request's headers may take to arrive and its body may stall (30 s, the
    /// contract's; tests shorten it).
    pub read_timeout: std::time::Duration,
    /// Longest a request may take to be answered before it gets 503.
    pub request_timeout: std::time::Duration,
    /// Requests handled at once; more are answered 503 at once rather than queued.
    pub max_in_flight: usize,
    /// How long in-flight requests may go on once shutdown is asked for.
    pub shutdown_timeout: std::time::Duration,
    pub agent: AgentSettings,
    /// Seal personal data in the log; off only in the bench's baseline.
    pub seal_personal_data: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session_expiry_ms: 7 * 24 * 3_600_000,
            otp_expiry_ms: 10 * 60_000,
            mail: MailSettings::default(),
            google_client_id: None,
            google_jwks_url: crate::auth::google::GOOGLE_JWKS_URL.to_string(),
            rate_limit_per_second: 10,
            rate_limit_redis_url: None,
            read_timeout: std::time::Duration::from_secs(30),
            request_timeout: std::time::Duration::from_secs(60),
            max_in_flight: 1024,
            shutdown_timeout: std::time::Duration::from_secs(30),
            stripe_webhook_secrets: Vec::new(),
            credit_rates: crate::stripe::rates::default_tiers(),
            stripe_api: None,
            agent: AgentSettings::default(),
            seal_personal_data: true,
        }
    }
}

/// Analysis forms read at once: each may hold five files at the size limit in memory.
const UPLOADS_AT_ONCE: usize = 4;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub secrets: Arc<Secrets>,
    pub passwords: Passwords,
    pub clock: Clock,
    pub otp: Arc<OtpCodes>,
    pub totp: Arc<TotpKeys>,
    pub projector: Arc<Projector>,
    pub mailer: Arc<Mailer>,
    pub google: Arc<GoogleVerifier>,
    pub limiter: Arc<RateLimiter>,
    pub stripe: Option<Arc<StripeSettings>>,
    pub users: CommandBus<User>,
    pub claims: CommandBus<EmailClaim>,
    /// The ids e-mail claims are kept under: keyed hashes of the addresses.
    pub claim_ids: ClaimIds,
    pub wallets: CommandBus<Wallet>,
    pub tasks: CommandBus<Task>,
    pub attachments: AttachmentStore,
    pub analyzer: Arc<dyn Analyzer>,
    /// Wakes idle workers when a task is submitted here.
    pub work: Arc<Notify>,
    /// Analysis forms being read at once, each held in memory.
    pub uploads: Arc<Semaphore>,
}

impl AppState {
    pub fn new(
        db: Db,
        secrets: Secrets,
        passwords: Passwords,
        settings: Settings,
    ) -> anyhow::Result<Self> {
        crate::meter::handle();
        let keyring = match settings.seal_personal_data {
            true => secrets.keyring(),
            false => secrets.keyring().without_sealing(),
        };
        let projector = Arc::new(Projector::new(db.clone(), keyring));
        let clock = Clock::default();
        let otp = Arc::new(OtpCodes::new(&secrets.jwt_secret));
        let totp = Arc::new(TotpKeys::new(&secrets.jwt_secret));
        let transport = Transport::new(&settings.mail)?;
        let mailer = Mailer::new(
            db.clone(),
            transport,
            settings.mail.from.clone(),
            otp.clone(),
            clock.clone(),
            settings.mail.claim_timeout,
            secrets.keyring(),
        );
        let google = Arc::new(GoogleVerifier::new(
            settings.google_client_id.clone(),
            settings.google_jwks_url.clone(),
            clock.clone(),
        ));
        let limiter = Arc::new(RateLimiter::new(
            settings.rate_limit_per_second,
            settings.rate_limit_redis_url.as_deref(),
        )?);
        let stripe = settings.stripe_api.as_ref().map(|(key, base, client_url)| {
            Arc::new(StripeSettings {
                api: StripeApi::new(key, base),
                client_url: client_url.clone(),
            })
        });
        let analyzer: Arc<dyn Analyzer> = match &settings.agent.analyzer {
            AnalyzerChoice::Builtin => Arc::new(Builtin),
            AnalyzerChoice::OpenAi(openai) => Arc::new(OpenAi::new(openai.clone())?),
        };
        Ok(Self {
            attachments: AttachmentStore::open(&settings.agent.attachments_url)?,
            analyzer,
            work: Arc::new(Notify::new()),
            uploads: Arc::new(Semaphore::new(UPLOADS_AT_ONCE)),
            tasks: CommandBus::new(&db, projector.clone()),
            users: CommandBus::new(&db, projector.clone()),
            claim_ids: ClaimIds::new(&secrets.data_key),
            claims: CommandBus::new(&db, projector.clone()),
            wallets: CommandBus::new(&db, projector.clone()),
            settings: Arc::new(settings),
            secrets: Arc::new(secrets),
            mailer: Arc::new(mailer),
            google,
            limiter,
            stripe,
            passwords,
            clock,
            totp,
            otp,
            projector,
            db,
        })
    }
}
