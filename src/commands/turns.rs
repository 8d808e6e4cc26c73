//! Turns per aggregate within this process: commands on one aggregate wait for each other here
//! instead of racing to the event store, so a burst on one aggregate (fifty sign-in attempts
//! on one account, say) commits one after another rather than exhausting its retries.
//! Optimistic concurrency still guards against other processes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::OwnedMutexGuard;

#[derive(Default)]
pub struct Turns {
    /// Only aggregates someone holds or waits for keep an entry alive.
    queues: Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>,
}

impl Turns {
    /// Waits for the turn on aggregate `id`; it passes on when the guard is dropped.
    pub async fn take(&self, id: &str) -> OwnedMutexGuard<()> {
        let queue = {
            let mut queues = self
                .queues
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            match queues.get(id).and_then(Weak::upgrade) {
                Some(queue) => queue,
                None => {
                    queues.retain(|_, queue| queue.strong_count() > 0);
                    let queue = Arc::new(tokio::sync::Mutex::new(()));
                    queues.insert(id.to_string(), Arc::downgrade(&queue));
                    queue
                }
            }
        };
        queue.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn one_turn_per_aggregate_at_a_time_and_none_kept_once_done() {
        let turns = Turns::default();
        let first = turns.take("a").await;
        let other = tokio::time::timeout(Duration::from_millis(50), turns.take("b")).await;
        assert!(other.is_ok(), "another aggregate does not wait");
        let same = tokio::time::timeout(Duration::from_millis(50), turns.take("a")).await;
        assert!(same.is_err(), "the same aggregate waits");
        drop(first);
        assert!(
            tokio::time::timeout(Duration::from_millis(50), turns.take("a"))
                .await
                .is_ok()
        );
        drop(other);
        turns.take("c").await;
        let kept = turns.queues.lock().unwrap().len();
        assert!(kept <= 1, "finished aggregates are forgotten ({kept} kept)");
    }
}
