//! Loading two aggregates in one read of the log, when this process keeps both: a
//! sign-in needs the address's claim and then the account it names, and each read is a
//! round trip to the database.

use clara_aggregates::Refusals;
use serde_json::Value;

use super::{load, CommandBus, Loaded};
use crate::storage::log::events_after_each;
use crate::storage::StoreError;

/// Aggregate `a_id` of bus `a` and `b_id` of bus `b`, as [`CommandBus::load`] gives them;
/// `None`, having read nothing, unless this process keeps a state of both.
pub async fn load_pair<A, B>(
    (a, a_id): (&CommandBus<A>, &str),
    (b, b_id): (&CommandBus<B>, &str),
) -> Result<Option<(Loaded<A>, Loaded<B>)>, StoreError>
where
    A: Refusals<Services = ()> + Clone,
    A::Command: Clone,
    B: Refusals<Services = ()> + Clone,
    B::Command: Clone,
{
    let (Some(kept_a), Some(kept_b)) = (a.inner.recent.get(a_id), b.inner.recent.get(b_id)) else {
        return Ok(None);
    };
    let wanted = [(A::TYPE, a_id, kept_a.0), (B::TYPE, b_id, kept_b.0)];
    let events = events_after_each(&a.inner.db, &wanted).await?;
    let of = |aggregate_type: &str, id: &str| -> Vec<(usize, Value)> {
        events
            .iter()
            .filter(|(t, i, ..)| t == aggregate_type && i == id)
            .map(|(_, _, sequence, payload)| (*sequence, payload.clone()))
            .collect()
    };
    let loaded_a = load::after(a_id, kept_a, of(A::TYPE, a_id))?;
    let loaded_b = load::after(b_id, kept_b, of(B::TYPE, b_id))?;
    Ok(Some((a.keep(loaded_a), b.keep(loaded_b))))
}
