//! The whole log in its order (see `storage::cursor`) as NDJSON, read a page at a time and
//! streamed through a short channel: memory stays flat however many events are exported.

use axum::body::Bytes;
use futures::Stream;
use tokio::sync::mpsc;

use super::record::{AuditEvent, COLUMNS};
use crate::privacy::keys::Keyring;
use crate::storage::cursor::{self, AFTER, ORDER};
use crate::storage::sealing::{open_in, Opener};
use crate::storage::Db;
use crate::with_pool;

/// Lines in flight between the reader of the log and the client.
const BUFFERED: usize = 256;
/// Events read from the log at once.
const PAGE: i64 = 1_000;

/// The events after `after`, at most `limit` of them, one JSON object and a newline each.
/// A database failure ends the stream with an error, so a reader never mistakes a cut
/// export for a complete one.
pub fn ndjson(
    db: Db,
    keyring: Keyring,
    after: i64,
    limit: i64,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    let (lines, received) = mpsc::channel(BUFFERED);
    tokio::spawn(async move {
        if let Err(error) = send_lines(&db, &keyring, after, limit, &lines).await {
            tracing::error!(%error, "exporting the log failed");
            let _ = lines.send(Err(std::io::Error::other(error))).await;
        }
    });
    futures::stream::unfold(received, |mut received| async move {
        received.recv().await.map(|line| (line, received))
    })
}

async fn send_lines(
    db: &Db,
    keyring: &Keyring,
    after: i64,
    limit: i64,
    lines: &mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> anyhow::Result<()> {
    let (mut at, settled) = cursor::resume(db, after).await?;
    let sql = format!("SELECT {COLUMNS} FROM events WHERE {AFTER}{settled} {ORDER} LIMIT $3");
    let mut left = limit;
    let mut opener = Opener::new(keyring);
    // A page at a time, its connection given back before the keys are read through another:
    // an export never holds two connections.
    while left > 0 {
        let mut page: Vec<AuditEvent> = with_pool!(db, pool => {
            let rows = sqlx::query(&sql).bind(at.xact_id).bind(at.position).bind(left.min(PAGE)).fetch_all(pool).await?;
            rows.iter().map(AuditEvent::from_row).collect::<Result<_, _>>()?
        });
        let Some(last) = page.last().map(AuditEvent::cursor) else {
            break;
        };
        let fields = page.iter_mut().flat_map(|event| event.data.values_mut());
        open_in(db, &mut opener, fields.collect()).await?;
        for event in &page {
            let mut line = serde_json::to_vec(event)?;
            line.push(b'\n');
            if lines.send(Ok(Bytes::from(line))).await.is_err() {
                // The reader went away: stop reading the log.
                return Ok(());
            }
        }
        left -= page.len() as i64;
        at = last;
    }
    Ok(())
}

/// How many events there are after `after`, for progress.
pub async fn count_after(db: &Db, after: i64) -> Result<i64, sqlx::Error> {
    let at = cursor::after_position(db, after).await?;
    let sql = format!("SELECT COUNT(*) FROM events WHERE {AFTER}");
    Ok(
        with_pool!(db, pool => sqlx::query_scalar(&sql).bind(at.xact_id).bind(at.position).fetch_one(pool).await?),
    )
}
