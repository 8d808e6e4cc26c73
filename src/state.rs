//! The state every handler shares: one cheap-to-clone bundle of pools, buses and secrets.

use std::sync::Arc;

use clara_aggregates::{EmailClaim, User};

use crate::auth::password::Passwords;
use crate::commands::CommandBus;
use crate::secrets::Secrets;
use crate::storage::{Db, Projector};

/// Tunable behaviour, from configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a user token and its session last.
    pub session_expiry_ms: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session_expiry_ms: 7 * 24 * 3_600_000,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub secrets: Arc<Secrets>,
    pub passwords: Passwords,
    pub projector: Arc<Projector>,
    pub users: CommandBus<User>,
    pub claims: CommandBus<EmailClaim>,
}

impl AppState {
    pub fn new(db: Db, secrets: Secrets, passwords: Passwords, settings: Settings) -> Self {
        let projector = Arc::new(Projector::new(db.clone()));
        Self {
            settings: Arc::new(settings),
            users: CommandBus::new(&db, projector.clone()),
            claims: CommandBus::new(&db, projector.clone()),
            secrets: Arc::new(secrets),
            passwords,
            projector,
            db,
        }
    }
}
