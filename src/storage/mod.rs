//! Storage: one seam over SQLite and PostgreSQL for the event log, the views and the projector.

pub mod append;
pub mod attachments;
pub mod checkpoints;
mod conn;
pub mod cursor;
mod db;
mod event_repo;
pub mod fold;
pub mod log;
pub mod projector;
pub mod reseal;
pub mod sealing;
pub mod snapshots;
pub mod verify;
pub mod views;

pub use db::Db;
pub use event_repo::EventReader;
pub use projector::Projector;

/// Why storage could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached now; trying later may work.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StoreError::Unavailable(error.to_string())
            }
            other => StoreError::Internal(other.into()),
        }
    }
}

impl From<anyhow::Error> for StoreError {
    fn from(error: anyhow::Error) -> Self {
        match error.downcast::<sqlx::Error>() {
            Ok(error) => error.into(),
            Err(other) => StoreError::Internal(other),
        }
    }
}
