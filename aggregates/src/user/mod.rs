//! User: one person's account. It decides every rule of the Auth and User routes: sessions,
//! the sign-in lockout, one-time codes and their caps, the second factor, profile changes.

#[cfg(test)]
mod abandon_tests;
mod account;
mod aggregate;
mod codes;
mod commands;
#[cfg(test)]
mod delete_tests;
mod events;
#[cfg(test)]
mod google_tests;
pub mod lockout;
pub mod otp;
#[cfg(test)]
mod otp_tests;
#[cfg(test)]
mod second_factor_tests;
mod sign_in;
#[cfg(test)]
mod tests;

pub use aggregate::{User, FORGET_SESSIONS_AFTER_MS};
pub use commands::{NewOtp, NewSession, Presented, SecondFactor, UserCommand, UserError};
pub use events::{FailedAttempt, UserEvent};
pub use otp::{Check, OtpType};
pub use sign_in::MAX_OPEN_SESSIONS;
