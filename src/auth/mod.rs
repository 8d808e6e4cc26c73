//! Authentication: password hashing and the credentials of the contract's §2.

pub mod credential;
pub mod google;
mod hash_pool;
pub mod otp;
pub mod password;
pub mod principal;
pub mod token;
pub mod totp;
