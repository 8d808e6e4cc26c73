//! Password hashing with argon2id (OWASP parameters), run on a bounded blocking pool so
//! hashing can neither starve the async runtime nor queue unboundedly many threads.

use std::sync::Arc;

use anyhow::anyhow;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::ApiError;

#[derive(Clone)]
pub struct Passwords {
    params: Params,
    permits: Arc<Semaphore>,
    /// A hash of nothing anyone knows, verified against when the e-mail is unknown so that
    /// the answer takes as long as for a wrong password.
    decoy: Arc<tokio::sync::OnceCell<String>>,
}

impl Passwords {
    /// argon2id with m = 19456 KiB, t = 2, p = 1, one hash at a time per core.
    pub fn production() -> Self {
        let params = Params::new(19_456, 2, 1, None).expect("valid argon2 parameters");
        Self::with_params(params)
    }

    /// Other parameters: the benchmark uses the cheapest ones so it measures the event store,
    /// not the hash.
    pub fn with_params(params: Params) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            params,
            permits: Arc::new(Semaphore::new(cores)),
            decoy: Arc::default(),
        }
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// The PHC string of `password` with a fresh random salt.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        let _permit = self.permits.acquire().await.map_err(|e| anyhow!(e))?;
        let argon2 = self.argon2();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2
                .hash_password(password.as_bytes(), &salt)
                .map(|hash| hash.to_string())
                .map_err(|e| anyhow!("hashing failed: {e}"))
        })
        .await
        .map_err(|e| anyhow!(e))?
        .map_err(ApiError::from)
    }
}

impl Passwords {
    /// Whether `password` matches the PHC string `hash`; with no hash (unknown e-mail), the
    /// same work is done against a decoy and the answer is no.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        let known = hash.is_some();
        let hash = match hash {
            Some(hash) => hash,
            None => {
                let decoy = crate::ids::new_id("decoy");
                self.decoy
                    .get_or_try_init(|| self.hash(decoy))
                    .await?
                    .clone()
            }
        };
        let _permit = self.permits.acquire().await.map_err(|e| anyhow!(e))?;
        let argon2 = self.argon2();
        let matches = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .map(|parsed| argon2.verify_password(password.as_bytes(), &parsed).is_ok())
                .unwrap_or(false)
        })
        .await
        .map_err(|e| anyhow!(e))?;
        Ok(known && matches)
    }
}
