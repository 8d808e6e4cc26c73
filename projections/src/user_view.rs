//! The user object served by the User routes, folded from User events.

use clara_aggregates::{UserEvent, WalletEvent};
use serde::{Deserialize, Serialize};

use crate::{Recorded, View};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Hundredths of a credit.
    pub credits_minor: i64,
    pub is_active: bool,
    pub is_2fa_enabled: bool,
    pub is_dark_mode: bool,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// Log position of the last event that changed this view.
    pub position: i64,
}

impl View for UserView {
    const TABLE: &'static str = "user_views";

    /// Users are listed in the order they registered.
    fn keys(&self) -> (&str, i64, i64) {
        (&self.id, self.created_at_ms, self.position)
    }
}

impl UserView {
    /// Whether `event` changes the user object. Sign-in activity, keys and codes do not, so
    /// folding them neither reads nor writes this view.
    pub fn is_changed_by(event: &UserEvent) -> bool {
        !matches!(
            event,
            UserEvent::RegistrationAbandoned
                | UserEvent::SessionOpened { .. }
                | UserEvent::SessionClosed { .. }
                | UserEvent::SessionsExpired { .. }
                | UserEvent::LoginFailed { .. }
                | UserEvent::SecondFactorFailed { .. }
                | UserEvent::SignInRefusedWhileLocked { .. }
                | UserEvent::PasswordCleared
                | UserEvent::GoogleLinked { .. }
                | UserEvent::ApiKeyIssued { .. }
                | UserEvent::TotpEnrolled { .. }
                | UserEvent::TotpStepUsed { .. }
                | UserEvent::OtpIssued { .. }
                | UserEvent::OtpFailed { .. }
                | UserEvent::OtpConsumed { .. }
        )
    }

    /// Whether `event` changes the user's credits.
    pub fn is_changed_by_wallet(event: &WalletEvent) -> bool {
        matches!(
            event,
            WalletEvent::Credited { .. }
                | WalletEvent::Debited { .. }
                | WalletEvent::TaskCharged { .. }
                | WalletEvent::TaskRefunded { .. }
        )
    }

    /// Folds in `event`, which must be one that [`UserView::is_changed_by`].
    pub fn apply(&mut self, at: &Recorded, event: &UserEvent) {
        match event {
            UserEvent::Registered {
                email,
                first_name,
                last_name,
                ..
            } => {
                *self = UserView {
                    id: at.aggregate_id.clone(),
                    email: email.clone(),
                    first_name: Some(first_name.clone()),
                    last_name: Some(last_name.clone()),
                    is_dark_mode: true,
                    created_at_ms: at.recorded_at_ms,
                    ..UserView::default()
                };
                self.updated_at_ms = self.updated_at_ms.max(at.recorded_at_ms);
            }
            UserEvent::RegisteredWithGoogle {
                email, first_name, ..
            } => {
                *self = UserView {
                    id: at.aggregate_id.clone(),
                    email: email.clone(),
                    first_name: first_name.clone(),
                    last_name: None,
                    is_dark_mode: true,
                    created_at_ms: at.recorded_at_ms,
                    ..UserView::default()
                };
                self.updated_at_ms = self.updated_at_ms.max(at.recorded_at_ms);
            }
            UserEvent::ProfileUpdated {
                first_name,
                last_name,
                is_dark_mode,
            } => {
                if let Some(name) = first_name {
                    self.first_name = Some(name.clone());
                }
                if let Some(name) = last_name {
                    self.last_name = Some(name.clone());
                }
                if let Some(dark) = is_dark_mode {
                    self.is_dark_mode = *dark;
                }
                self.updated_at_ms = self.updated_at_ms.max(at.recorded_at_ms);
            }
            UserEvent::Activated => {
                self.is_active = true;
                self.updated_at_ms = self.updated_at_ms.max(at.recorded_at_ms);
            }
            UserEvent::TwoFactorEnabled | UserEvent::TwoFactorDisabled => {
                self.is_2fa_enabled = matches!(event, UserEvent::TwoFactorEnabled);
                self.updated_at_ms = self.updated_at_ms.max(at.recorded_at_ms);
            }
            UserEvent::PasswordChanged { .. } => {
                self.updated_at_ms = self.updated_at_ms.max(at.recorded_at_ms)
            }
            _ => return,
        }
        self.position = self.position.max(at.position);
    }
}

impl UserView {
    /// The user's credits follow the wallet's balance. The account's and the wallet's events
    /// change disjoint fields (and the latest time and position, a maximum), so the view is
    /// the same whichever of two concurrent commits is folded first.
    pub fn apply_wallet(&mut self, at: &Recorded, event: &WalletEvent) {
        if let WalletEvent::Credited { balance, .. }
        | WalletEvent::Debited { balance, .. }
        | WalletEvent::TaskCharged { balance, .. }
        | WalletEvent::TaskRefunded { balance, .. } = event
        {
            self.credits_minor = *balance;
            self.updated_at_ms = self.updated_at_ms.max(at.recorded_at_ms);
            self.position = self.position.max(at.position);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_creates_an_inactive_user_with_dark_mode_and_no_credits() {
        let at = Recorded {
            position: 7,
            aggregate_id: "user_1".into(),
            recorded_at_ms: 1_000,
        };
        let mut view = UserView::default();
        view.apply(
            &at,
            &UserEvent::Registered {
                email: "ada@example.com".into(),
                first_name: "Ada".into(),
                last_name: "Lovelace".into(),
                password_hash: "secret-hash".into(),
            },
        );
        assert_eq!(view.id, "user_1");
        assert_eq!(view.first_name.as_deref(), Some("Ada"));
        assert!(!view.is_active && view.is_dark_mode && view.credits_minor == 0);
        assert_eq!(
            (view.created_at_ms, view.updated_at_ms, view.position),
            (1_000, 1_000, 7)
        );
        assert!(!serde_json::to_string(&view)
            .unwrap()
            .contains("secret-hash"));
    }

    #[test]
    fn account_and_wallet_events_fold_to_the_same_view_in_either_order() {
        let user = Recorded {
            position: 1,
            aggregate_id: "user_1".into(),
            recorded_at_ms: 1_000,
        };
        let registered = UserEvent::Registered {
            email: "ada@example.com".into(),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            password_hash: "hash".into(),
        };
        // Concurrent commits: the profile change drew the later position, the credit the
        // later time.
        let renamed = (
            Recorded {
                position: 9,
                recorded_at_ms: 2_000,
                ..user.clone()
            },
            UserEvent::ProfileUpdated {
                first_name: Some("Augusta".into()),
                last_name: None,
                is_dark_mode: Some(false),
            },
        );
        let credited = (
            Recorded {
                position: 8,
                recorded_at_ms: 3_000,
                ..user.clone()
            },
            WalletEvent::Credited {
                entry_id: "entry_1".into(),
                amount: 500,
                balance: 500,
                description: "Welcome".into(),
                purchase: None,
            },
        );
        let fold = |profile_first: bool| {
            let mut view = UserView::default();
            view.apply(&user, &registered);
            if profile_first {
                view.apply(&renamed.0, &renamed.1);
            }
            view.apply_wallet(&credited.0, &credited.1);
            if !profile_first {
                view.apply(&renamed.0, &renamed.1);
            }
            view
        };
        let (one, other) = (fold(true), fold(false));
        assert_eq!(
            serde_json::to_value(&one).unwrap(),
            serde_json::to_value(&other).unwrap()
        );
        assert_eq!(
            (
                one.first_name.as_deref(),
                one.credits_minor,
                one.updated_at_ms,
                one.position
            ),
            (Some("Augusta"), 500, 3_000, 9)
        );
    }
}
