//! The cqrs-es event repository over either backend, through which commands load aggregates.
//! Appends go through `storage::append`, which folds the views in the same transaction.

use cqrs_es::persist::{
    PersistedEventRepository, PersistenceError, ReplayStream, SerializedEvent, SerializedSnapshot,
};
use cqrs_es::Aggregate;
use postgres_es::PostgresEventRepository;
use serde_json::Value;
use sqlite_es::SqliteEventRepository;

use super::Db;

pub enum AnyEventRepository {
    /// Over the reader pool.
    Sqlite(SqliteEventRepository),
    Postgres(PostgresEventRepository),
}

impl AnyEventRepository {
    pub fn new(db: &Db) -> Self {
        match db {
            Db::Sqlite(readers, _) => Self::Sqlite(SqliteEventRepository::new(readers.clone())),
            Db::Postgres(pool) => Self::Postgres(PostgresEventRepository::new(pool.clone())),
        }
    }
}

macro_rules! delegate {
    ($self:ident, $repo:ident => $call:expr) => {
        match $self {
            AnyEventRepository::Sqlite($repo) => $call,
            AnyEventRepository::Postgres($repo) => $call,
        }
    };
}

impl PersistedEventRepository for AnyEventRepository {
    async fn get_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        delegate!(self, repo => repo.get_events::<A>(aggregate_id).await)
    }

    async fn get_last_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
        last_sequence: usize,
    ) -> Result<Vec<SerializedEvent>, PersistenceError> {
        delegate!(self, repo => repo.get_last_events::<A>(aggregate_id, last_sequence).await)
    }

    async fn get_snapshot<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<Option<SerializedSnapshot>, PersistenceError> {
        delegate!(self, repo => repo.get_snapshot::<A>(aggregate_id).await)
    }

    async fn persist<A: Aggregate>(
        &self,
        events: &[SerializedEvent],
        snapshot_update: Option<(String, Value, usize)>,
    ) -> Result<(), PersistenceError> {
        delegate!(self, repo => repo.persist::<A>(events, snapshot_update).await)
    }

    async fn stream_events<A: Aggregate>(
        &self,
        aggregate_id: &str,
    ) -> Result<ReplayStream, PersistenceError> {
        delegate!(self, repo => repo.stream_events::<A>(aggregate_id).await)
    }

    async fn stream_all_events<A: Aggregate>(&self) -> Result<ReplayStream, PersistenceError> {
        delegate!(self, repo => repo.stream_all_events::<A>().await)
    }
}
