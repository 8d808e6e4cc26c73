//! The state every handler shares: one cheap-to-clone bundle of pools, buses and secrets.

use std::sync::Arc;

use clara_aggregates::{EmailClaim, User};

use crate::auth::password::Passwords;
use crate::commands::CommandBus;
use crate::secrets::Secrets;
use crate::storage::{Db, Projector};

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub secrets: Arc<Secrets>,
    pub passwords: Passwords,
    pub projector: Arc<Projector>,
    pub users: CommandBus<User>,
    pub claims: CommandBus<EmailClaim>,
}

impl AppState {
    pub fn new(db: Db, secrets: Secrets, passwords: Passwords) -> Self {
        let projector = Arc::new(Projector::new(db.clone()));
        Self {
            users: CommandBus::new(&db, projector.clone()),
            claims: CommandBus::new(&db, projector.clone()),
            secrets: Arc::new(secrets),
            passwords,
            projector,
            db,
        }
    }
}
