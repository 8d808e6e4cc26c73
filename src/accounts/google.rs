//! Signing in with Google: a verified identity signs in to the account with its e-mail, or
//! creates one.

use clara_aggregates::names::normalise_email;
use clara_aggregates::UserCommand;
use clara_projections::UserView;

use crate::accounts::lookup::by_email;
use crate::accounts::register::claim_email;
use crate::accounts::session::new_session;
use crate::accounts::users::view_after;
use crate::commands::{retry_on_conflict, Meta};
use crate::error::AppError;
use crate::ids::new_id;
use crate::state::AppState;

/// How a Google sign-in went: the user, their token, and whether the account is new.
pub struct GoogleSignIn {
    pub view: UserView,
    pub token: String,
    pub created: bool,
}

pub async fn sign_in(
    state: &AppState,
    id_token: &str,
    meta: &Meta,
) -> Result<GoogleSignIn, AppError> {
    let identity = state.google.verify(id_token).await?;
    if let Some((user_id, _)) = by_email(state, &identity.email).await? {
        let (session, token) = new_session(state, &user_id);
        let command = UserCommand::SignInWithGoogle {
            google_subject: identity.subject,
            session,
            api_key_id: new_id("api_key"),
            now_ms: state.clock.now_ms(),
        };
        let executed = state.users.execute(&user_id, command, meta).await?;
        return Ok(GoogleSignIn {
            view: view_after(state, &user_id, executed.views).await?,
            token,
            created: false,
        });
    }
    let email = normalise_email(&identity.email);
    let user_id = new_id("user");
    retry_on_conflict(|| claim_email(state, &email, &user_id, meta)).await?;
    let (session, token) = new_session(state, &user_id);
    let command = UserCommand::RegisterWithGoogle {
        email,
        name: identity.name,
        google_subject: identity.subject,
        session,
        api_key_id: new_id("api_key"),
    };
    let account = state.users.fresh(&user_id);
    let executed = state.users.execute_on(account, command, meta).await?;
    Ok(GoogleSignIn {
        view: view_after(state, &user_id, executed.views).await?,
        token,
        created: true,
    })
}
