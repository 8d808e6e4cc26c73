//! `clara replay`: rebuild every view from the event log with a progress bar.

use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Common;
use crate::secrets::Secrets;
use crate::server::open_existing_database;
use clara_projections::ViewSet;

use crate::storage::Projector;
use crate::with_pool;

pub async fn run(common: &Common) -> anyhow::Result<()> {
    let db = open_existing_database(common).await?;
    let total: i64 = with_pool!(&db, pool => sqlx::query_scalar("SELECT COUNT(*) FROM events").fetch_one(pool).await?);
    let bar = ProgressBar::new(u64::try_from(total).unwrap_or(0));
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} replaying [{bar:40}] {pos}/{len} events ({per_sec}, eta {eta})",
        )?
        .progress_chars("=> "),
    );
    let keyring = Secrets::resolve(&common.database_url)?.keyring();
    let projector = Projector::new(db.clone(), keyring);
    let report = projector.rebuild(&|done| bar.set_position(done)).await?;
    bar.finish_and_clear();
    let mut rows = 0i64;
    for table in ViewSet::TABLES {
        let count: i64 = with_pool!(&db, pool => sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(pool).await?);
        rows += count;
    }
    println!(
        "Replayed {} events into {} view rows across {} views; the last event read is at position {}.",
        report.events,
        rows,
        ViewSet::TABLES.len(),
        report.cursor.position
    );
    db.close().await;
    Ok(())
}

/// `clara replay --verify`: the live views against a fresh fold of the log.
pub async fn verify(common: &Common) -> anyhow::Result<()> {
    let db = open_existing_database(common).await?;
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template(
        "{spinner} folding the log: {pos} events",
    )?);
    let keyring = Secrets::resolve(&common.database_url)?.keyring();
    let found =
        crate::storage::verify::verify(&db, &keyring, &|done| bar.set_position(done)).await?;
    bar.finish_and_clear();
    db.close().await;
    for (table, id) in found.differing.iter().take(20) {
        println!("differs: {table} {id}");
    }
    anyhow::ensure!(
        found.differing.is_empty(),
        "{} of {} view rows differ from the log (up to position {}); `clara replay` rebuilds them",
        found.differing.len(),
        found.rows,
        found.position
    );
    println!(
        "Verified {} view rows against {} events (log position {}): all match.",
        found.rows, found.events, found.position
    );
    Ok(())
}
