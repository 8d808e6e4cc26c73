//! Storage: one seam over SQLite and PostgreSQL for the event log, the views and the projector.

pub mod append;
pub mod checkpoints;
mod conn;
mod db;
mod event_repo;
mod fold;
pub mod log;
pub mod projector;
mod settle;
pub mod snapshots;
pub mod verify;
pub mod views;

pub use db::Db;
pub use event_repo::AnyEventRepository;
pub use projector::Projector;
