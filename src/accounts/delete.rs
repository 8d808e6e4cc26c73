//! Deleting an account: its owner with a DELETE_ACCOUNT code, or the operator. The account's
//! deletion and its address's release commit together; then its stored attachments go.

use clara_aggregates::{EmailClaimCommand, OtpType, UserCommand, UserEvent};

use crate::accounts::otp::presented;
use crate::commands::Meta;
use crate::error::{AppError, Resource};
use crate::state::AppState;
use crate::storage::attachments;

/// Deletes `user_id`'s account; with `code` (the owner's), only when it is right. 404 for an
/// account that does not exist or is already deleted.
pub async fn delete_account(
    state: &AppState,
    user_id: &str,
    code: Option<&str>,
    meta: &Meta,
) -> Result<(), AppError> {
    let user = state.users.load(user_id).await?;
    if !user.is_registered() {
        return Err(AppError::NotFound(Resource::User));
    }
    let claim_id = state.claim_ids.of(user.email());
    // Read while the task views still name the owner; the deletion removes them.
    let files = attachments::only_of(&state.db, user_id).await?;
    let command = UserCommand::DeleteAccount {
        code: code.map(|code| presented(state, user_id, OtpType::DeleteAccount, code)),
    };
    let release = |_: &_, events: &[UserEvent]| {
        let deleted = events.contains(&UserEvent::AccountDeleted);
        let user_id = user_id.to_string();
        deleted.then(|| (claim_id.clone(), EmailClaimCommand::Release { user_id }))
    };
    let committed = state
        .users
        .execute_with::<_, AppError>(user_id, command, &state.claims, release, meta)
        .await?;
    if !committed.first.contains(&UserEvent::AccountDeleted) {
        // A wrong code: recorded, so that it counts, and refused.
        return Err(AppError::Unauthenticated);
    }
    for sha256 in files {
        if let Err(error) = state.attachments.delete(&sha256).await {
            tracing::warn!(%error, "an attachment of a deleted account could not be deleted");
        }
    }
    Ok(())
}
