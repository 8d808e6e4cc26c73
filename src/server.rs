//! `clara serve`: open the database, catch the views up, run the mail dispatcher and the
//! agent's workers, serve HTTP until SIGTERM or Ctrl-C.

use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::auth::password::Passwords;
use crate::config::Config;
use crate::secrets::Secrets;
use crate::state::AppState;
use crate::storage::Db;

/// How often the projector looks for events committed by other processes.
const PROJECTOR_INTERVAL: Duration = Duration::from_millis(500);
/// How often the mail dispatcher looks for codes to send when nobody nudges it.
const MAILER_INTERVAL: Duration = Duration::from_secs(2);

/// Connects to and migrates the configured database.
pub async fn open_database(config: &Config) -> anyhow::Result<Db> {
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    Ok(db)
}

pub async fn serve(config: &Config) -> anyhow::Result<()> {
    let db = open_database(config).await?;
    let secrets = Secrets::resolve(&config.database_url)?;
    let state = AppState::new(
        db.clone(),
        secrets,
        Passwords::production(),
        config.settings()?,
    )?;
    let report = state
        .projector
        .catch_up()
        .await
        .context("catching the views up with the event log failed")?;
    tracing::info!(
        events = report.events,
        position = report.position,
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
    tracing::info!(address = %listener.local_addr()?, database = db_kind(&db), "clara is listening");
    let read_timeout = state.settings.read_timeout;
    crate::listen::serve(
        listener,
        crate::router(state),
        read_timeout,
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

fn db_kind(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(..) => "sqlite",
        Db::Postgres(_) => "postgres",
    }
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
