//! Account use cases: resolve the outside facts a command needs, then execute it.

pub mod api_key;
pub mod credits;
pub mod delete;
pub mod google;
pub mod lookup;
pub mod otp;
pub mod profile;
pub mod register;
pub mod session;
pub mod users;
