//! Clara: an event-sourced account-and-credits service. Commands are decided by aggregates
//! (`clara-aggregates`), every accepted change is an event in one log, and the projector folds
//! the log into the views (`clara-projections`) that serve the GET routes.

pub mod accounts;
pub mod agent;
pub mod audit;
pub mod auth;
pub mod bench;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod error;
pub mod http;
pub mod ids;
pub mod limits;
pub mod listen;
pub mod mail;
pub mod meter;
pub mod privacy;
pub mod secrets;
pub mod server;
pub mod state;
pub mod storage;
pub mod stripe;
pub mod telemetry;

pub use http::router;
pub use state::AppState;
