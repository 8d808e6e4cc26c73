//! Refusals an aggregate records instead of returning: a wrong password or code must count
//! toward a limit, so its event commits, yet the caller is refused all the same. The commit
//! path hands the refusal back typed, next to the events.

use cqrs_es::Aggregate;

pub trait Refusals: Aggregate {
    type Refusal: Copy + std::fmt::Debug + Send + Sync;

    /// The refusal that a command's `events` record, if they record one.
    fn refusal(events: &[Self::Event]) -> Option<Self::Refusal>;
}

/// For aggregates that record no refusal: every refusal of theirs is an error.
macro_rules! never_refuses {
    ($($aggregate:ty),*) => {$(
        impl Refusals for $aggregate {
            type Refusal = std::convert::Infallible;

            fn refusal(_: &[Self::Event]) -> Option<Self::Refusal> {
                None
            }
        }
    )*};
}

never_refuses!(crate::Wallet, crate::EmailClaim, crate::Task);

impl Refusals for crate::User {
    type Refusal = crate::FailedAttempt;

    fn refusal(events: &[Self::Event]) -> Option<Self::Refusal> {
        crate::FailedAttempt::among(events)
    }
}
