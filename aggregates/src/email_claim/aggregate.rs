//! Commands, events and decisions of the EmailClaim aggregate.

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};
use serde::{Deserialize, Serialize};

use crate::redaction::{Redaction, Shown};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailClaimCommand {
    /// Claim the address for `user_id` at `now_ms`. `owner_abandoned` says the service has
    /// recorded the current owner's registration as abandoned (it never completed, as after
    /// a crash between the two commits); only then, and only for a claim older than
    /// [`STALE_CLAIM_AFTER_MS`], is the address taken over. A younger claim belongs to a
    /// registration still in flight.
    Claim {
        user_id: String,
        owner_abandoned: bool,
        now_ms: i64,
    },
    /// Free the address of `user_id`, whose account was deleted, for a new registration. A
    /// claim that another user holds now is left as it is.
    Release { user_id: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(strum::EnumIter))]
pub enum EmailClaimEvent {
    Claimed {
        user_id: String,
        at_ms: i64,
    },
    /// The owner's account was deleted: the address belongs to nobody.
    Released {
        user_id: String,
    },
}

impl Redaction for EmailClaimEvent {
    const FIELDS: &'static [(&'static str, &'static str, Shown)] = &[
        ("Claimed", "user_id", Shown::Kept),
        ("Claimed", "at_ms", Shown::Kept),
        ("Released", "user_id", Shown::Kept),
    ];
}

/// How long an unregistered owner's claim is protected before it counts as abandoned.
pub const STALE_CLAIM_AFTER_MS: i64 = 60_000;

impl DomainEvent for EmailClaimEvent {
    fn event_type(&self) -> String {
        match self {
            EmailClaimEvent::Claimed { .. } => "Claimed".to_string(),
            EmailClaimEvent::Released { .. } => "Released".to_string(),
        }
    }

    fn event_version(&self) -> String {
        "1".to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailClaimError {
    #[error("the e-mail address already belongs to a user")]
    AlreadyClaimed,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EmailClaim {
    owner: Option<String>,
    claimed_at_ms: i64,
}

impl EmailClaim {
    /// The user currently holding the address, if any.
    pub fn owner(&self) -> Option<&str> {
        self.owner.as_deref()
    }

    /// Whether at `now_ms` the claim is old enough that, if its owner's registration never
    /// completed, it counts as abandoned.
    pub fn is_stale(&self, now_ms: i64) -> bool {
        now_ms - self.claimed_at_ms >= STALE_CLAIM_AFTER_MS
    }
}

impl Aggregate for EmailClaim {
    const TYPE: &'static str = "EmailClaim";
    type Command = EmailClaimCommand;
    type Event = EmailClaimEvent;
    type Error = EmailClaimError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        match command {
            EmailClaimCommand::Claim {
                user_id,
                owner_abandoned,
                now_ms,
            } => {
                let abandoned = owner_abandoned && self.is_stale(now_ms);
                if self.owner.is_some() && !abandoned {
                    return Err(EmailClaimError::AlreadyClaimed);
                }
                let event = EmailClaimEvent::Claimed {
                    user_id,
                    at_ms: now_ms,
                };
                sink.write(event, self).await;
                Ok(())
            }
            EmailClaimCommand::Release { user_id } => {
                if self.owner.as_ref() == Some(&user_id) {
                    sink.write(EmailClaimEvent::Released { user_id }, self)
                        .await;
                }
                Ok(())
            }
        }
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            EmailClaimEvent::Claimed { user_id, at_ms } => {
                self.owner = Some(user_id);
                self.claimed_at_ms = at_ms;
            }
            EmailClaimEvent::Released { .. } => *self = EmailClaim::default(),
        }
    }
}
