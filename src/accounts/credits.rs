//! Credits: the operator setting a balance, and reading a user's ledger.

use clara_aggregates::WalletCommand;
use clara_projections::{TransactionView, UserView};

use crate::accounts::users::view_after;
use crate::commands::Meta;
use crate::error::{AppError, Resource};
use crate::ids::new_id;
use crate::state::AppState;
use crate::storage::views;

/// Sets `user_id`'s balance to `balance` (minor units); the wallet records the difference.
pub async fn set_balance(
    state: &AppState,
    user_id: &str,
    balance: i64,
    meta: &Meta,
) -> Result<UserView, AppError> {
    if !state.users.load(user_id).await?.is_registered() {
        return Err(AppError::NotFound(Resource::User));
    }
    let command = WalletCommand::SetBalance {
        entry_id: new_id("transaction"),
        balance,
    };
    let executed = state.wallets.execute(user_id, command, meta).await?;
    view_after(state, user_id, executed.views).await
}

pub async fn transactions(
    state: &AppState,
    user_id: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<TransactionView>, AppError> {
    Ok(views::transactions_page(&state.db, user_id, limit, offset).await?)
}

pub async fn transaction(
    state: &AppState,
    user_id: &str,
    id: &str,
) -> Result<TransactionView, AppError> {
    views::transaction(&state.db, user_id, id)
        .await?
        .ok_or(AppError::NotFound(Resource::Transaction))
}
