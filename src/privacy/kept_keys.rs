//! Person keys this process has sealed with in a commit that went through, kept for sealing
//! the person's next User event without reading their key again. What it buys: the key's
//! read on every sign-in (which seals the client's address) and on a registration's second
//! commit; measured by `clara bench --only privacy` (see the README).
//!
//! Only a User event may be sealed with a kept key. A person's key changes once, when their
//! account is deleted, and the deletion is itself a User event: a User event sealed with a kept
//! key either commits before the deletion (the key was still theirs) or loses the race for its
//! sequence and is decided again on the deleted account, which refuses it. Events of other
//! aggregates read the key each time, since nothing orders them against a deletion. A key is
//! kept for [`KEEP_FOR`] after the last commit that used it; a deletion on another process
//! stops such commits, so no copy of the destroyed key stays here for long.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::aead::Sealer;

/// How long a key is kept after the last commit that used it.
const KEEP_FOR: Duration = Duration::from_secs(300);
/// Keys kept at most; past this, an arbitrary one makes room.
const CAPACITY: usize = 10_000;

#[derive(Clone, Default)]
pub struct KeptKeys {
    keys: Arc<Mutex<HashMap<String, (Instant, Sealer)>>>,
}

impl KeptKeys {
    /// The key kept for `person`, if a commit used it within [`KEEP_FOR`].
    pub fn get(&self, person: &str) -> Option<Sealer> {
        let mut keys = self.lock();
        match keys.get(person) {
            Some((used, key)) if used.elapsed() < KEEP_FOR => Some(key.clone()),
            Some(_) => {
                keys.remove(person);
                None
            }
            None => None,
        }
    }

    pub fn keep(&self, person: &str, key: &Sealer) {
        let mut keys = self.lock();
        if keys.len() >= CAPACITY && !keys.contains_key(person) {
            if let Some(evicted) = keys.keys().next().cloned() {
                keys.remove(&evicted);
            }
        }
        keys.insert(person.to_string(), (Instant::now(), key.clone()));
    }

    /// Drops the key of `person`, whose account is being deleted.
    pub fn forget(&self, person: &str) {
        self.lock().remove(person);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Sealer)>> {
        self.keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
