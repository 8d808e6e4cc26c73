//! Reading one aggregate's events after a sequence, through the event repositories of
//! sqlite-es and postgres-es: the one thing of theirs Clara uses at run time. Appends go
//! through `storage::append`, which also folds the views in the same transaction.

use cqrs_es::persist::{PersistedEventRepository, PersistenceError, SerializedEvent};
use cqrs_es::Aggregate;
use postgres_es::PostgresEventRepository;
use sqlite_es::SqliteEventRepository;

use super::Db;

pub enum EventReader {
    /// Over the reader pool.
    Sqlite(SqliteEventRepository),
    Postgres(PostgresEventRepository),
}

impl EventReader {
    pub fn new(db: &Db) -> Self {
        match db {
            Db::Sqlite(readers, _) => Self::Sqlite(SqliteEventRepository::new(readers.clone())),
            Db::Postgres(pool) => Self::Postgres(PostgresEventRepository::new(pool.clone())),
        }
    }

    /// The events of aggregate `id` numbered above `sequence`, oldest first.
    pub async fn events_after<A: Aggregate>(
        &self,
        id: &str,
        sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        match self {
            EventReader::Sqlite(repo) => repo.get_last_events::<A>(id, sequence).await,
            EventReader::Postgres(repo) => repo.get_last_events::<A>(id, sequence).await,
        }
    }
}
