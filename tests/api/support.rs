//! The test harness: a fresh database per test, the router driven in-process, and a macro
//! that runs each test case on both backends.

use clara::privacy::upgrade::upgrade_log;
use std::path::PathBuf;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use clara::auth::password::Passwords;
use clara::mail::{MailSettings, SmtpSettings, SmtpTls};
use clara::secrets::Secrets;
use clara::state::Settings;
use clara::storage::Db;
use clara::AppState;
use serde_json::Value;
use tower::ServiceExt;

use crate::mailbox::SmtpSink;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `sqlite::NAME` and `postgres::NAME` tests from `async fn NAME(Backend)` cases.
#[macro_export]
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::$case($crate::support::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::$case($crate::support::Backend::Postgres).await
                }
            )*
        }
    };
}

/// The server PostgreSQL test databases are created on.
fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub struct TestApp {
    pub state: AppState,
    pub client: Client,
    pub database_url: String,
    /// The SMTP server receiving this service's mail, when started with [`TestApp::with_mail`].
    pub smtp: Option<SmtpSink>,
    pub outbox: PathBuf,
    /// Where this app keeps attachments; removed with it.
    pub attachments: PathBuf,
    sqlite_dir: Option<PathBuf>,
    /// The PostgreSQL database this app created, dropped with it.
    postgres_database: Option<String>,
    /// Stops the background loops this app started (mail dispatcher, agent workers).
    stops: Vec<tokio::sync::watch::Sender<bool>>,
}

/// Sends requests to the router; cheap to clone into spawned tasks.
#[derive(Clone)]
pub struct Client {
    pub router: Router,
    pub public_key: String,
    pub private_key: String,
}

impl std::ops::Deref for TestApp {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Reply {
    pub async fn read(response: axum::response::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            text,
            json,
        }
    }
}

impl TestApp {
    /// A service on a brand-new database whose mail goes to a real SMTP server on loopback,
    /// delivered by a running dispatcher.
    pub async fn with_mail(backend: Backend) -> Self {
        let sink = SmtpSink::start();
        let mut app = Self::create(backend, Some(sink.port)).await;
        app.smtp = Some(sink);
        app.start_mailer();
        app
    }

    /// Like [`TestApp::with_mail`], with settings that `adjust` changes first.
    pub async fn with_mail_adjusted(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Self {
        let sink = SmtpSink::start();
        let mut app = Self::create_with(backend, Some(sink.port), adjust).await;
        app.smtp = Some(sink);
        app.start_mailer();
        app
    }

    /// Runs the mail dispatcher in the background, as `clara serve` does.
    pub fn start_mailer(&mut self) {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let mailer = self.state.mailer.clone();
        tokio::spawn(async move {
            mailer
                .run(std::time::Duration::from_millis(200), stopped)
                .await
        });
        self.stops.push(stop);
    }

    /// Runs the agent's workers in the background, as `clara serve` does.
    pub fn start_workers(&mut self) {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let state = self.state.clone();
        tokio::spawn(clara::agent::runner::run_workers(state, stopped));
        self.stops.push(stop);
    }

    /// The code in mail number `count` (from 1) that `to` received.
    pub async fn code(&self, to: &str, count: usize) -> String {
        let sink = self.smtp.as_ref().expect("a TestApp::with_mail");
        crate::mailbox::nth_code(&sink.dir, to, count).await
    }

    /// Activates `email` with the code in the mail number `mail` (from 1) it received.
    pub async fn activate_from_mail(&self, email: &str, mail: usize) {
        let code = self.code(email, mail).await;
        let body = format!(r#"{{"code": "{code}"}}"#);
        let path = format!("/api/v1/users/{email}/activate");
        let reply = self
            .send(Method::POST, &path, Some(&self.public_key()), Some(&body))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    }

    /// Registers `email` and activates it with the code of its first mail.
    pub async fn register_active(&self, email: &str) -> Reply {
        let user = self.register(email).await;
        self.activate_from_mail(email, 1).await;
        user
    }

    /// A service on a brand-new, migrated database; mail goes to a private outbox folder and
    /// no dispatcher runs.
    pub async fn new(backend: Backend) -> Self {
        Self::create(backend, None).await
    }

    /// A brand-new database whose mail would go to the SMTP server on `smtp_port`, with no
    /// dispatcher running.
    pub async fn open_fresh(backend: Backend, smtp_port: Option<u16>) -> Self {
        Self::create(backend, smtp_port).await
    }

    async fn create(backend: Backend, smtp_port: Option<u16>) -> Self {
        Self::create_with(backend, smtp_port, |_| {}).await
    }

    /// A brand-new database and a service whose settings `adjust` changes first.
    pub async fn create_with(
        backend: Backend,
        smtp_port: Option<u16>,
        adjust: impl FnOnce(&mut Settings),
    ) -> Self {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let (database_url, sqlite_dir, postgres_database) = match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("clara-test-{suffix}"));
                std::fs::create_dir_all(&dir).unwrap();
                (
                    format!("sqlite://{}", dir.join("clara.db").display()),
                    Some(dir),
                    None,
                )
            }
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let pool = sqlx::PgPool::connect(&admin)
                    .await
                    .expect("PostgreSQL must be running for the tests (see README)");
                let name = format!("clara_test_{suffix}");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&pool)
                    .await
                    .unwrap();
                pool.close().await;
                let base = admin.rsplit_once('/').unwrap().0;
                (format!("{base}/{name}"), None, Some(name))
            }
        };
        let mut app = Self::open_adjusted(&database_url, smtp_port, adjust).await;
        app.sqlite_dir = sqlite_dir;
        app.postgres_database = postgres_database;
        app
    }

    /// Another service instance on an existing database, as after a restart.
    pub async fn open(database_url: &str) -> Self {
        Self::open_with(database_url, None).await
    }

    /// Another service instance on an existing database, its mail going to the SMTP server
    /// on `smtp_port` (or to a private outbox folder).
    pub async fn open_with(database_url: &str, smtp_port: Option<u16>) -> Self {
        Self::open_adjusted(database_url, smtp_port, |_| {}).await
    }

    /// Another service instance on an existing database, with settings `adjust` changes.
    pub async fn open_adjusted(
        database_url: &str,
        smtp_port: Option<u16>,
        adjust: impl FnOnce(&mut Settings),
    ) -> Self {
        let db = Db::connect(database_url).await.unwrap();
        db.migrate().await.unwrap();
        // As `clara serve` does before serving.
        upgrade_log(&db, &test_secrets()).await.unwrap();
        let outbox =
            std::env::temp_dir().join(format!("clara-outbox-{}", uuid::Uuid::new_v4().simple()));
        let smtp = smtp_port.map(|port| SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            tls: SmtpTls::None,
            username: None,
            password: None,
        });
        let mail = MailSettings {
            smtp,
            from: "Clara <clara@example.com>".into(),
            outbox_dir: outbox.clone(),
            ..MailSettings::default()
        };
        let attachments = std::env::temp_dir().join(format!(
            "clara-attachments-{}",
            uuid::Uuid::new_v4().simple()
        ));
        // Requests here all come from one unknown address: limits are tested on their own.
        let mut settings = Settings {
            mail,
            rate_limit_per_second: 0,
            ..Settings::default()
        };
        settings.agent.attachments_url = attachments.display().to_string();
        adjust(&mut settings);
        let state = AppState::new(db, test_secrets(), Passwords::production(), settings).unwrap();
        state.projector.catch_up().await.unwrap();
        Self {
            client: Client {
                router: clara::router(state.clone()),
                public_key: state.secrets.public_api_key.clone(),
                private_key: state.secrets.private_api_key.clone(),
            },
            state,
            database_url: database_url.to_string(),
            smtp: None,
            outbox,
            attachments,
            sqlite_dir: None,
            postgres_database: None,
            stops: Vec::new(),
        }
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    /// `clara replay --verify`, in process: the views are exactly what a fresh fold of the log
    /// makes.
    pub async fn assert_views_match_log(&self) {
        let keyring = self.state.secrets.keyring();
        let verification = clara::storage::verify::verify(self.db(), &keyring, &|_| {})
            .await
            .unwrap();
        assert!(
            verification.differing.is_empty(),
            "views differ from the log: {:?}",
            verification.differing
        );
    }

    /// The count `sql` returns with `$1` bound to `bind`.
    pub async fn scalar(&self, sql: &str, bind: &str) -> i64 {
        clara::with_pool!(self.db(), pool => sqlx::query_scalar(sql).bind(bind).fetch_one(pool).await.unwrap())
    }

    /// Waits until the dispatcher has recorded the delivery of a mail to `user_id`.
    pub async fn wait_for_mail_records(&self, user_id: &str) {
        let sql = "SELECT count(*) FROM mail_deliveries WHERE position IN \
            (SELECT position FROM events WHERE aggregate_id = $1)";
        for _ in 0..100 {
            if self.scalar(sql, user_id).await > 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("no mail to {user_id} was recorded as delivered");
    }

    /// Number of rows in the event log, optionally of one event type.
    pub async fn count_events(&self, event_type: Option<&str>) -> i64 {
        let sql = "SELECT COUNT(*) FROM events WHERE event_type = COALESCE($1, event_type)";
        clara::with_pool!(self.db(), pool => sqlx::query_scalar(sql).bind(event_type).fetch_one(pool).await.unwrap())
    }
}

impl Client {
    /// `Bearer <token>` of a Register or Login reply.
    pub fn bearer(reply: &Reply) -> String {
        format!(
            "Bearer {}",
            reply.json["data"]["token"]
                .as_str()
                .expect("a token in the reply")
        )
    }

    /// `Basic base64(email:password)`.
    pub fn basic(email: &str, password: &str) -> String {
        use base64::Engine;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{email}:{password}"))
        )
    }

    pub fn public_key(&self) -> String {
        self.public_key.clone()
    }

    pub fn private_key(&self) -> String {
        self.private_key.clone()
    }

    /// Sends a request; `body` is sent verbatim.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        auth: Option<&str>,
        body: Option<&str>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(auth) = auth {
            request = request.header(header::AUTHORIZATION, auth);
        }
        if body.is_some() {
            request = request.header(header::CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Body::from(body.unwrap_or_default().to_string()))
            .unwrap();
        let response = self.router.clone().oneshot(request).await.unwrap();
        Reply::read(response).await
    }

    /// Sends `body` as it is, with `content_type`.
    pub async fn send_bytes(
        &self,
        method: Method,
        path: &str,
        auth: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::CONTENT_TYPE, content_type);
        if let Some(auth) = auth {
            request = request.header(header::AUTHORIZATION, auth);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        Reply::read(response).await
    }

    /// Sends a request as the user of a Register or Login reply, with their token.
    pub async fn as_user(
        &self,
        method: Method,
        path: &str,
        user: &Reply,
        body: Option<&str>,
    ) -> Reply {
        self.send(method, path, Some(&Client::bearer(user)), body)
            .await
    }

    /// `Bearer <API key token>` of the user of a Register or Login reply, as API View shows it.
    pub async fn api_key_bearer(&self, user: &Reply) -> String {
        let path = format!("/api/v1/users/{}/api_key", id_of(user));
        let key = self.as_user(Method::GET, &path, user, None).await;
        format!(
            "Bearer {}",
            key.json["data"]["token"]
                .as_str()
                .expect("an API key token")
        )
    }

    /// `GET /users/{id}` with the private key.
    pub async fn user_view(&self, id: &str) -> Reply {
        let key = self.private_key();
        self.send(
            Method::GET,
            &format!("/api/v1/users/{id}"),
            Some(&key),
            None,
        )
        .await
    }

    /// Signs in with Basic credentials and no body.
    pub async fn login(&self, email: &str, password: &str) -> Reply {
        let auth = Client::basic(email, password);
        self.send(Method::POST, "/api/v1/auth/session", Some(&auth), None)
            .await
    }

    /// The password [`Client::register`] gives every user.
    pub const PASSWORD: &'static str = "correct horse battery";

    /// Registers a user with the public key and returns the reply.
    pub async fn register(&self, email: &str) -> Reply {
        let body = serde_json::json!({
            "first_name": "ada", "last_name": "lovelace", "email": email, "password": "correct horse battery"
        });
        self.send(
            Method::POST,
            "/api/v1/auth/register",
            Some(&self.public_key()),
            Some(&body.to_string()),
        )
        .await
    }
}

fn test_secrets() -> Secrets {
    // Fixed per process so an `open` after `new` sees the same keys.
    static SECRETS: std::sync::OnceLock<Secrets> = std::sync::OnceLock::new();
    SECRETS.get_or_init(Secrets::generate).clone()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for stop in &self.stops {
            let _ = stop.send(true);
        }
        let _ = std::fs::remove_dir_all(&self.outbox);
        let _ = std::fs::remove_dir_all(&self.attachments);
        if let Some(dir) = &self.sqlite_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(name) = self.postgres_database.take() {
            drop_postgres_database(name);
        }
    }
}

/// Drops a test database, closing whatever connections still use it. Runs on a thread of
/// its own, since `Drop` cannot await, and is waited for so no database outlives its test.
fn drop_postgres_database(name: String) {
    let dropping = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            if let Ok(pool) = sqlx::PgPool::connect(&postgres_admin_url()).await {
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let _ = sqlx::query(&sql).execute(&pool).await;
                pool.close().await;
            }
        });
    });
    let _ = dropping.join();
}

/// The id of the user (or other object) in a reply's data.
pub fn id_of(reply: &Reply) -> String {
    reply.json["data"]["id"]
        .as_str()
        .expect("an id in the reply")
        .to_string()
}

/// Asserts the contract's error envelope.
pub fn assert_error(reply: &Reply, status: StatusCode, message: &str) {
    assert_eq!(reply.status, status, "body: {}", reply.text);
    assert_eq!(reply.json["status"], "error", "body: {}", reply.text);
    assert_eq!(reply.json["message"], message, "body: {}", reply.text);
    assert_eq!(reply.json["data"], Value::Null, "body: {}", reply.text);
}
