//! Every view, as a batch of them is folded forward: storage loads the stored views a batch
//! changes, this folds the events in, and storage writes back the rows it hands out. Adding a
//! view is adding it here (and its table in a migration); storage needs no change.

use std::collections::{BTreeMap, BTreeSet};

use clara_aggregates::{TaskEvent, UserEvent};

use crate::view::{Row, View};
use crate::{
    ApiKeyView, LoggedEvent, QueuedTask, Recorded, SessionView, TaskView, TransactionView, UserView,
};

#[derive(Debug, Default)]
pub struct ViewSet {
    /// User views by user id, as loaded plus every change folded in since.
    pub users: BTreeMap<String, UserView>,
    /// Session views by session id.
    pub sessions: BTreeMap<String, SessionView>,
    /// The current API key by user id.
    pub api_keys: BTreeMap<String, ApiKeyView>,
    /// Ledger entries by transaction id.
    pub transactions: BTreeMap<String, TransactionView>,
    /// Tasks by task id.
    pub tasks: BTreeMap<String, TaskView>,
    /// The work queue's entries by task id.
    pub queue: BTreeMap<String, QueuedTask>,
    /// Users whose accounts were deleted in this batch: storage deletes every stored view
    /// they own, and the set holds none of theirs.
    pub forgotten: BTreeSet<String>,
}

/// The stored views a batch needs before it can be folded, as `(table, id)`.
pub type ToLoad = Vec<(&'static str, String)>;

impl ViewSet {
    /// Every view table.
    pub const TABLES: [&'static str; 6] = [
        UserView::TABLE,
        SessionView::TABLE,
        ApiKeyView::TABLE,
        TransactionView::TABLE,
        TaskView::TABLE,
        QueuedTask::TABLE,
    ];

    /// The rows to write for every view the set holds, per table.
    pub fn rows(&self) -> Result<Vec<(&'static str, Vec<Row>)>, serde_json::Error> {
        Ok(vec![
            rows_of(&self.users)?,
            rows_of(&self.sessions)?,
            rows_of(&self.api_keys)?,
            rows_of(&self.transactions)?,
            rows_of(&self.tasks)?,
            rows_of(&self.queue)?,
        ])
    }

    /// Takes in a stored view that [`ViewSet::to_load`] asked for.
    pub fn insert_stored(&mut self, table: &str, id: &str, data: &str) -> serde_json::Result<()> {
        match table {
            UserView::TABLE => insert(&mut self.users, id, data),
            SessionView::TABLE => insert(&mut self.sessions, id, data),
            ApiKeyView::TABLE => insert(&mut self.api_keys, id, data),
            TransactionView::TABLE => insert(&mut self.transactions, id, data),
            TaskView::TABLE => insert(&mut self.tasks, id, data),
            QueuedTask::TABLE => insert(&mut self.queue, id, data),
            _ => Ok(()),
        }
    }

    /// The views storage must load before folding `batch`: those changed by the batch whose
    /// first event in it does not create them afresh.
    pub fn to_load(batch: &[(Recorded, LoggedEvent)]) -> ToLoad {
        let (mut seen_users, mut seen_sessions) = (BTreeSet::new(), BTreeSet::new());
        let mut seen_tasks = BTreeSet::new();
        let mut load = ToLoad::default();
        for (at, event) in batch {
            if let LoggedEvent::Task(event) = event {
                let creates = matches!(event, TaskEvent::Created { .. });
                if seen_tasks.insert(at.aggregate_id.as_str()) && !creates {
                    load.push((TaskView::TABLE, at.aggregate_id.clone()));
                    load.push((QueuedTask::TABLE, at.aggregate_id.clone()));
                }
                // A task is shown only to an owner who still exists (see `apply`).
                if let TaskEvent::Created { user_id, .. } = event {
                    if seen_users.insert(user_id.as_str()) {
                        load.push((UserView::TABLE, user_id.clone()));
                    }
                }
                continue;
            }
            if let LoggedEvent::Wallet(event) = event {
                // A wallet has the id of its user, whose credits it changes.
                if UserView::is_changed_by_wallet(event)
                    && seen_users.insert(at.aggregate_id.as_str())
                {
                    load.push((UserView::TABLE, at.aggregate_id.clone()));
                }
                continue;
            }
            let LoggedEvent::User(event) = event else {
                continue;
            };
            let creates_user = matches!(
                event,
                UserEvent::Registered { .. } | UserEvent::RegisteredWithGoogle { .. }
            );
            if UserView::is_changed_by(event)
                && seen_users.insert(at.aggregate_id.as_str())
                && !creates_user
            {
                load.push((UserView::TABLE, at.aggregate_id.clone()));
            }
            if let Some(id) = SessionView::id_of(event) {
                let creates_session = matches!(event, UserEvent::SessionOpened { .. });
                if seen_sessions.insert(id) && !creates_session {
                    load.push((SessionView::TABLE, id.to_string()));
                }
            }
        }
        load
    }

    /// How many views the set holds.
    pub fn len(&self) -> usize {
        self.users.len()
            + self.sessions.len()
            + self.api_keys.len()
            + self.transactions.len()
            + self.tasks.len()
            + self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn apply(&mut self, at: &Recorded, event: &LoggedEvent) {
        match event {
            LoggedEvent::User(UserEvent::AccountDeleted) => self.forget(&at.aggregate_id),
            LoggedEvent::User(event) => {
                if UserView::is_changed_by(event) {
                    self.users
                        .entry(at.aggregate_id.clone())
                        .or_default()
                        .apply(at, event);
                }
                if let Some(id) = SessionView::id_of(event) {
                    self.sessions
                        .entry(id.to_string())
                        .or_default()
                        .apply(at, event);
                }
                if let Some(key) = ApiKeyView::from_event(at, event) {
                    self.api_keys.insert(at.aggregate_id.clone(), key);
                }
            }
            LoggedEvent::Wallet(event) => {
                // The user view was loaded for this batch or created in it, unless the account
                // is deleted: then the ledger keeps its events but no view shows them.
                let Some(user) = self.users.get_mut(&at.aggregate_id) else {
                    return;
                };
                if UserView::is_changed_by_wallet(event) {
                    user.apply_wallet(at, event);
                }
                if let Some(entry) = TransactionView::from_event(at, event) {
                    self.transactions.insert(entry.id.clone(), entry);
                }
            }
            LoggedEvent::Task(event) => {
                // A task of a deleted account (created by a request that raced the deletion,
                // or run to its end after it) gets no view: its owner has no user view, and a
                // task view that is neither created here nor stored is not made up.
                let id = &at.aggregate_id;
                let exists = match event {
                    TaskEvent::Created { user_id, .. } => self.users.contains_key(user_id),
                    _ => self.tasks.contains_key(id),
                };
                if !exists {
                    return;
                }
                self.tasks.entry(id.clone()).or_default().apply(at, event);
                self.queue.entry(id.clone()).or_default().apply(at, event);
            }
            // Claims only guard uniqueness; no view shows them.
            LoggedEvent::EmailClaim(_) => {}
        }
    }
}

impl ViewSet {
    /// Drops every view of `user_id` from the set and marks them for deletion from storage.
    fn forget(&mut self, user_id: &str) {
        self.users.remove(user_id);
        self.api_keys.remove(user_id);
        self.sessions.retain(|_, view| view.user_id != user_id);
        self.transactions.retain(|_, view| view.user_id != user_id);
        self.tasks.retain(|_, view| view.user_id != user_id);
        self.queue.retain(|_, view| view.user_id != user_id);
        self.forgotten.insert(user_id.to_string());
    }
}

fn rows_of<V: View>(
    views: &BTreeMap<String, V>,
) -> Result<(&'static str, Vec<Row>), serde_json::Error> {
    let rows = views
        .iter()
        .map(|(id, view)| Row::of(id, view))
        .collect::<Result<_, _>>()?;
    Ok((V::TABLE, rows))
}

fn insert<V: View>(
    views: &mut BTreeMap<String, V>,
    id: &str,
    data: &str,
) -> serde_json::Result<()> {
    views.insert(id.to_string(), serde_json::from_str(data)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clara_aggregates::EmailClaimEvent;

    fn at(id: &str) -> Recorded {
        Recorded {
            position: 1,
            aggregate_id: id.into(),
            recorded_at_ms: 0,
        }
    }

    fn user(event: UserEvent) -> LoggedEvent {
        LoggedEvent::User(event)
    }

    fn registered() -> LoggedEvent {
        user(UserEvent::Registered {
            email: "a@b.co".into(),
            first_name: "A".into(),
            last_name: "B".into(),
            password_hash: "h".into(),
        })
    }

    #[test]
    fn views_created_in_the_batch_are_not_loaded_and_claims_touch_no_view() {
        let claim = LoggedEvent::EmailClaim(EmailClaimEvent::Claimed {
            user_id: "u1".into(),
            at_ms: 0,
        });
        let opened = user(UserEvent::SessionOpened {
            session_id: "s1".into(),
            expires_at_ms: 9,
        });
        let closed = user(UserEvent::SessionClosed {
            session_id: "s1".into(),
        });
        let batch = vec![
            (at("a@b.co"), claim),
            (at("u1"), registered()),
            (at("u1"), opened),
            (at("u1"), closed),
        ];
        assert!(ViewSet::to_load(&batch).is_empty());
    }

    #[test]
    fn views_changed_but_not_created_in_the_batch_are_loaded() {
        let closed = user(UserEvent::SessionClosed {
            session_id: "s1".into(),
        });
        let renamed = user(UserEvent::ProfileUpdated {
            first_name: Some("B".into()),
            last_name: None,
            is_dark_mode: None,
        });
        let batch = vec![(at("u1"), closed), (at("u1"), renamed)];
        assert_eq!(
            ViewSet::to_load(&batch),
            vec![
                (SessionView::TABLE, "s1".to_string()),
                (UserView::TABLE, "u1".to_string())
            ]
        );
    }

    #[test]
    fn sign_in_activity_neither_loads_nor_writes_the_user_view() {
        let opened = user(UserEvent::SessionOpened {
            session_id: "s2".into(),
            expires_at_ms: 9,
        });
        let failed = user(UserEvent::LoginFailed {
            at_ms: 0,
            failures: 1,
            locked_until_ms: 0,
        });
        let batch = vec![(at("u1"), opened), (at("u1"), failed)];
        assert!(ViewSet::to_load(&batch).is_empty());
        let mut set = ViewSet::default();
        for (at, event) in &batch {
            set.apply(at, event);
        }
        assert!(set.users.is_empty());
        assert_eq!(set.sessions.len(), 1);
    }

    #[test]
    fn a_deleted_account_leaves_no_view_and_later_events_make_none() {
        use clara_aggregates::WalletEvent;
        let opened = user(UserEvent::SessionOpened {
            session_id: "s1".into(),
            expires_at_ms: 9,
        });
        let credited = |entry: &str| {
            LoggedEvent::Wallet(WalletEvent::Credited {
                entry_id: entry.into(),
                amount: 5,
                balance: 5,
                description: "gift".into(),
                purchase: None,
            })
        };
        let failed = LoggedEvent::Task(TaskEvent::Failed {
            reason: "late".into(),
        });
        let mut set = ViewSet::default();
        set.apply(&at("u2"), &registered());
        for (id, event) in [("u1", registered()), ("u1", opened), ("u1", credited("e1"))] {
            set.apply(&at(id), &event);
        }
        assert_eq!(
            (set.users.len(), set.sessions.len(), set.transactions.len()),
            (2, 1, 1)
        );
        set.apply(&at("u1"), &user(UserEvent::AccountDeleted));
        set.apply(&at("u1"), &credited("e2"));
        set.apply(&at("task_1"), &failed);
        let created = LoggedEvent::Task(TaskEvent::Created {
            user_id: "u1".into(),
            price: 1,
            content: "raced the deletion".into(),
            attachments: Vec::new(),
        });
        set.apply(&at("task_2"), &created);
        assert_eq!(set.users.keys().collect::<Vec<_>>(), ["u2"]);
        assert!(set.sessions.is_empty() && set.transactions.is_empty() && set.tasks.is_empty());
        assert!(set.forgotten.contains("u1") && !set.forgotten.contains("u2"));
    }
}
