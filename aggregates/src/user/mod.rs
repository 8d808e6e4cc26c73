//! User: one person's account. It decides every rule of the Auth and User routes; this first
//! slice covers registration.

mod aggregate;
mod events;
#[cfg(test)]
mod tests;

pub use aggregate::{User, UserCommand, UserError};
pub use events::UserEvent;
