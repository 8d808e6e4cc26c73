//! User: one person's account. It decides every rule of the Auth and User routes: sessions,
//! the sign-in lockout, profile changes.

#[cfg(test)]
mod abandon_tests;
mod aggregate;
mod events;
pub mod lockout;
pub mod otp;
#[cfg(test)]
mod otp_tests;
#[cfg(test)]
mod tests;

pub use aggregate::{
    NewOtp, NewSession, Presented, SecondFactor, User, UserCommand, UserError,
    FORGET_SESSIONS_AFTER_MS,
};
pub use events::UserEvent;
pub use otp::OtpType;
