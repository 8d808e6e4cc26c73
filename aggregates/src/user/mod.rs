//! User: one person's account. It decides every rule of the Auth and User routes: sessions,
//! the sign-in lockout, profile changes.

mod aggregate;
mod events;
pub mod lockout;
#[cfg(test)]
mod tests;

pub use aggregate::{NewSession, User, UserCommand, UserError};
pub use events::UserEvent;
