//! Every failure a request can meet, each naming its entry in the contract's error
//! catalogue; the application's typed errors are mapped to it here and nowhere else.

use clara_aggregates::{EmailClaimError, UserError, WalletError};

use crate::error::{AppError, Resource};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("request body is empty")]
    EmptyBody,
    #[error("request parameters have an invalid schema")]
    InvalidSchema,
    #[error("the identifier already exists")]
    AlreadyExists,
    #[error("missing, invalid or expired credential")]
    Unauthorized,
    #[error("two-factor sign-in needs a valid code")]
    SecondFactorRequired,
    #[error("the account is not active")]
    Inactive,
    #[error("no credits rate for the amount")]
    NoRate,
    #[error("the balance is too low")]
    InsufficientCredits,
    #[error("caller may not access this resource")]
    Forbidden,
    #[error("{0:?} not found")]
    NotFound(Resource),
    #[error("unknown route")]
    RouteNotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("concurrent modification lost the race after retries")]
    Conflict,
    #[error("rate limited")]
    RateLimited { retry_after: u64 },
    #[error("request too large")]
    TooLarge,
    #[error("the Authorization header is too large")]
    HeaderTooLarge,
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
}

impl From<UserError> for ApiError {
    fn from(error: UserError) -> Self {
        match error {
            // An abandoned registration's address has gone to another user.
            UserError::AlreadyRegistered | UserError::Abandoned => ApiError::AlreadyExists,
            UserError::NotFound => ApiError::NotFound(Resource::User),
            // A locked account answers exactly like a wrong password, so the lock reveals
            // nothing to whoever is guessing.
            UserError::Locked | UserError::SessionNotOpen | UserError::InvalidCode => {
                ApiError::Unauthorized
            }
            UserError::SecondFactorRequired => ApiError::SecondFactorRequired,
            UserError::GoogleMismatch => ApiError::Unauthorized,
            UserError::TooManyCodes { retry_after_ms } => ApiError::RateLimited {
                retry_after: u64::try_from(retry_after_ms.max(1))
                    .unwrap_or(1)
                    .div_ceil(1000),
            },
        }
    }
}

impl From<WalletError> for ApiError {
    fn from(error: WalletError) -> Self {
        match error {
            WalletError::InsufficientCredits => ApiError::InsufficientCredits,
            WalletError::InvalidAmount | WalletError::BalanceTooHigh => ApiError::InvalidSchema,
            // Only the webhook pays purchases, and it acknowledges these itself.
            WalletError::UnknownPurchase | WalletError::PaidAmountMismatch => {
                ApiError::Internal(error.into())
            }
        }
    }
}

impl From<EmailClaimError> for ApiError {
    fn from(error: EmailClaimError) -> Self {
        match error {
            EmailClaimError::AlreadyClaimed => ApiError::AlreadyExists,
        }
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::User(error) => error.into(),
            AppError::Wallet(error) => error.into(),
            AppError::Claim(error) => error.into(),
            // Requests only create tasks; the rest is the workers' business.
            AppError::Task(error) => ApiError::Internal(error.into()),
            AppError::NotFound(resource) => ApiError::NotFound(resource),
            AppError::Unauthenticated => ApiError::Unauthorized,
            AppError::SecondFactorRequired => ApiError::SecondFactorRequired,
            AppError::Inactive => ApiError::Inactive,
            AppError::Forbidden => ApiError::Forbidden,
            AppError::InvalidInput => ApiError::InvalidSchema,
            AppError::NoRate => ApiError::NoRate,
            AppError::Conflict => ApiError::Conflict,
            AppError::Unavailable(why) => ApiError::Unavailable(why),
            AppError::Internal(error) => ApiError::Internal(error),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        AppError::from(error).into()
    }
}
