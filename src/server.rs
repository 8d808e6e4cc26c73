//! `clara serve`: open the database, catch the views up, run the mail dispatcher and the
//! agent's workers, serve HTTP until SIGTERM or Ctrl-C.

use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::auth::password::Passwords;
use crate::config::{redact, Common, Config};
use crate::privacy::upgrade::upgrade_log;
use crate::secrets::Secrets;
use crate::state::AppState;
use crate::storage::Db;

/// How often the projector looks for events committed by other processes.
const PROJECTOR_INTERVAL: Duration = Duration::from_millis(500);
/// How often the mail dispatcher looks for codes to send when nobody nudges it.
const MAILER_INTERVAL: Duration = Duration::from_secs(2);

/// Connects to and migrates the configured database (creating a SQLite file if missing).
pub async fn open_database(common: &Common) -> anyhow::Result<Db> {
    let db = Db::connect(&common.database_url).await?;
    db.migrate().await?;
    Ok(db)
}

/// [`open_database`] for commands that read an existing log: a SQLite file that does not
/// exist is refused, not created empty.
pub async fn open_existing_database(common: &Common) -> anyhow::Result<Db> {
    if let Some(path) = crate::secrets::sqlite_path(&common.database_url) {
        anyhow::ensure!(
            path.exists(),
            "{} does not exist: check DATABASE_URL (or --database-url); `clara serve` or `clara migrate` creates a new database",
            path.display()
        );
    }
    open_database(common).await
}

pub async fn serve(common: &Common, config: &Config) -> anyhow::Result<()> {
    let acquire = Duration::from_secs(u64::from(config.db_acquire_timeout_seconds.max(1)));
    let db = Db::connect_with(&common.database_url, acquire).await?;
    db.migrate().await?;
    let secrets = Secrets::resolve(&common.database_url)?;
    upgrade_log(&db, &secrets).await?;
    let state = AppState::new(
        db.clone(),
        secrets,
        Passwords::production(),
        config.settings(&common.database_url)?,
    )?;
    let report = state
        .projector
        .catch_up()
        .await
        .context("catching the views up with the event log failed")?;
    tracing::info!(
        events = report.events,
        position = crate::storage::log::last_position(&state.db).await?,
        "views caught up with the event log"
    );

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let projector = state.projector.clone();
    let projector_stopped = stopped.clone();
    let background =
        tokio::spawn(async move { projector.run(PROJECTOR_INTERVAL, projector_stopped).await });
    let workers = tokio::spawn(crate::agent::runner::run_workers(
        state.clone(),
        stopped.clone(),
    ));
    let mailer = state.mailer.clone();
    let mail = tokio::spawn(async move { mailer.run(MAILER_INTERVAL, stopped).await });

    let address = format!("{}:{}", config.host, config.port);
    let listener = TcpListener::bind(&address).await.with_context(|| {
        format!(
            "cannot listen on {address}; is another process using it? Set HOST/PORT to change it"
        )
    })?;
    let url = format!("http://{}", listener.local_addr()?);
    let keys = crate::secrets::key_file(&common.database_url).map_or_else(
        || "the environment".to_string(),
        |file| file.display().to_string(),
    );
    let settings = &state.settings;
    let mail_to = match &settings.mail.smtp {
        Some(smtp) => format!("SMTP {}:{}", smtp.host, smtp.port),
        None => format!("the folder {}", settings.mail.outbox_dir.display()),
    };
    let database = redact(&common.database_url);
    let attachments = &settings.agent.attachments_url;
    tracing::info!(%url, %database, %keys, mail = %mail_to, %attachments,
        "Clara is listening on {url} (API reference at {url}/docs): database {database}, keys in {keys}, mail to {mail_to}, attachments in {attachments}");
    let (read_timeout, deadline) = (state.settings.read_timeout, state.settings.shutdown_timeout);
    crate::listen::serve(
        listener,
        crate::router(state),
        read_timeout,
        deadline,
        shutdown_signal(),
    )
    .await;

    let _ = stop.send(true);
    let _ = background.await;
    let _ = mail.await;
    let _ = workers.await;
    db.close().await;
    tracing::info!("clara stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests then finish before the server stops.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
