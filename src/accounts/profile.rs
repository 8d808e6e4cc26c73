//! Profile changes: names and the dark-mode preference.

use clara_aggregates::UserCommand;
use clara_projections::UserView;

use crate::accounts::users::view_after;
use crate::commands::Meta;
use crate::error::AppError;
use crate::state::AppState;

pub struct ProfileChange {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub is_dark_mode: Option<bool>,
}

pub async fn update(
    state: &AppState,
    user_id: &str,
    change: ProfileChange,
    meta: &Meta,
) -> Result<UserView, AppError> {
    let command = UserCommand::UpdateProfile {
        first_name: change.first_name,
        last_name: change.last_name,
        is_dark_mode: change.is_dark_mode,
    };
    let executed = state.users.execute(user_id, command, meta).await?;
    view_after(state, user_id, executed.views).await
}
