//! The application's typed failures, below HTTP: what a use case can end in. The HTTP layer
//! maps each to the contract's catalogue in one place (`http::error`).

use clara_aggregates::{EmailClaimError, TaskError, UserError, WalletError};

use crate::commands::{CommitError, Conflicting};
use crate::storage::StoreError;

/// Things that can be missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    User,
    Transaction,
    Task,
    ApiKey,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    User(#[from] UserError),
    #[error(transparent)]
    Wallet(#[from] WalletError),
    #[error(transparent)]
    Claim(#[from] EmailClaimError),
    #[error(transparent)]
    Task(#[from] TaskError),
    #[error("{0:?} not found")]
    NotFound(Resource),
    /// A credential or one-time code that is missing, wrong or expired.
    #[error("missing, invalid or expired credential or code")]
    Unauthenticated,
    #[error("two-factor sign-in needs a valid code")]
    SecondFactorRequired,
    #[error("the account is not active")]
    Inactive,
    /// A verified caller acting beyond what it may.
    #[error("the caller may not do this")]
    Forbidden,
    #[error("the input is invalid")]
    InvalidInput,
    #[error("no credits rate for the amount")]
    NoRate,
    #[error("concurrent modification lost the race after retries")]
    Conflict,
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(why) => AppError::Unavailable(why),
            StoreError::Internal(error) => AppError::Internal(error),
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        StoreError::from(error).into()
    }
}

impl<E: Into<AppError>> From<CommitError<E>> for AppError {
    fn from(error: CommitError<E>) -> Self {
        match error {
            CommitError::Domain(domain) => domain.into(),
            CommitError::Conflict => AppError::Conflict,
            CommitError::Store(store) => store.into(),
        }
    }
}

impl Conflicting for AppError {
    fn is_conflict(&self) -> bool {
        matches!(self, AppError::Conflict)
    }
}
