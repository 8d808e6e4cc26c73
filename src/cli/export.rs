//! `clara export`: the log as NDJSON on standard output, with progress on standard error.

use futures::TryStreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::io::AsyncWriteExt;

use crate::audit::export::{count_after, ndjson};
use crate::config::Common;
use crate::secrets::Secrets;
use crate::server::open_existing_database;

pub async fn run(common: &Common, after: i64) -> anyhow::Result<()> {
    let db = open_existing_database(common).await?;
    let total = count_after(&db, after).await?;
    let bar = ProgressBar::new(u64::try_from(total).unwrap_or(0));
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} exporting [{bar:40}] {pos}/{len} events ({per_sec})",
        )?
        .progress_chars("=> "),
    );
    let mut out = tokio::io::BufWriter::new(tokio::io::stdout());
    let keyring = Secrets::resolve(&common.database_url)?.keyring();
    let mut lines = std::pin::pin!(ndjson(db.clone(), keyring, after, i64::MAX));
    while let Some(line) = lines.try_next().await? {
        out.write_all(&line).await?;
        bar.inc(1);
    }
    out.flush().await?;
    bar.finish_and_clear();
    eprintln!("Exported {} events after position {after}.", bar.position());
    db.close().await;
    Ok(())
}
