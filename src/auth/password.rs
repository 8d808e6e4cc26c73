//! Password hashing with argon2id (OWASP parameters), run on a pool of one thread per core
//! so hashing can neither starve the async runtime nor pile up threads.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::anyhow;
use argon2::password_hash::ParamsString;
use argon2::password_hash::{rand_core::OsRng, Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use super::hash_pool::HashPool;
use crate::error::AppError;

#[derive(Clone)]
pub struct Passwords {
    params: Params,
    pool: HashPool,
    /// A hash of nothing anyone knows, verified against when the e-mail is unknown so that
    /// the answer takes as long as for a wrong password.
    decoy: Arc<tokio::sync::OnceCell<String>>,
    /// New hashes made so far: each costs a core ~15 ms, so callers avoid needless ones.
    hashes_made: Arc<AtomicU64>,
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
            pool: HashPool::new(cores),
            decoy: Arc::default(),
            hashes_made: Arc::default(),
        }
    }

    /// How many new hashes this process has made.
    pub fn hashes_made(&self) -> u64 {
        self.hashes_made.load(Ordering::Relaxed)
    }

    /// The PHC string of `password` with a fresh random salt.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.hashes_made.fetch_add(1, Ordering::Relaxed);
        let params = self.params.clone();
        let hashed = self
            .pool
            .run(move || hash_phc(&params, password.as_bytes()))
            .await??;
        Ok(hashed)
    }
}

impl Passwords {
    /// Whether `password` matches the PHC string `hash`. With no hash to verify against (an
    /// unknown e-mail, or an account created through Google that has no password yet), the
    /// same work is done against a decoy and the answer is no, so the time taken does not
    /// tell which accounts exist.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, AppError> {
        let hash = hash.filter(|hash| PasswordHash::new(hash).is_ok());
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
        let matches = self
            .pool
            .run(move || verify_phc(password.as_bytes(), &hash))
            .await?;
        Ok(known && matches)
    }
}

thread_local! {
    /// The argon2 working memory of this thread, kept between hashes: allocating 19 MiB
    /// afresh for each one costs page faults and zeroing on top of the hash itself. Every
    /// block is written before it is read, so nothing of an earlier hash carries over.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// Runs `hash` with at least `blocks` blocks of this thread's working memory.
fn with_memory<T>(blocks: usize, hash: impl FnOnce(&mut [Block]) -> T) -> T {
    MEMORY.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            memory.resize(blocks, Block::default());
        }
        hash(&mut memory[..blocks])
    })
}

/// The argon2id PHC string of `password` under `params`, with a fresh random salt.
pub fn hash_phc(params: &Params, password: &[u8]) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let raw_salt = salt.as_salt().decode_b64(&mut salt_bytes).map_err(failed)?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
    with_memory(params.block_count(), |memory| {
        argon2.hash_password_into_with_memory(password, raw_salt, &mut out, memory)
    })
    .map_err(failed)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(failed)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(failed)?),
    };
    Ok(phc.to_string())
}

fn failed(error: impl std::fmt::Display) -> anyhow::Error {
    anyhow!("hashing failed: {error}")
}

/// Whether `password` matches the PHC string `phc`, with the parameters the string names;
/// the comparison takes the same time wherever the outputs differ.
pub fn verify_phc(password: &[u8], phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(version), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        parsed
            .version
            .map_or(Ok(Version::default()), Version::try_from),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    let hashed = with_memory(blocks, |memory| {
        argon2.hash_password_into_with_memory(password, salt, &mut out, memory)
    });
    // `Output` compares in constant time.
    hashed.is_ok() && Output::new(&out).is_ok_and(|out| out == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phc(params: Params, password: &str) -> String {
        use argon2::password_hash::PasswordHasher;
        let salt = SaltString::generate(&mut OsRng);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(password.as_bytes(), &salt)
            .unwrap()
            .to_string()
    }

    #[test]
    fn verifies_with_the_parameters_each_hash_names_reusing_one_buffer() {
        let small = phc(Params::new(8, 1, 1, None).unwrap(), "small secret");
        let large = phc(Params::new(19_456, 2, 1, None).unwrap(), "large secret");
        // Large, then small, then large again on one thread: the buffer only ever grows.
        for (hash, right, wrong) in [
            (&large, "large secret", "large secreT"),
            (&small, "small secret", "small secreT"),
            (&large, "large secret", ""),
        ] {
            assert!(verify_phc(right.as_bytes(), hash));
            assert!(!verify_phc(wrong.as_bytes(), hash));
        }
    }

    #[test]
    fn our_hashes_are_standard_phc_strings_with_fresh_salts() {
        use argon2::password_hash::PasswordVerifier;
        let params = Params::new(19_456, 2, 1, None).unwrap();
        let (a, b) = (
            hash_phc(&params, b"same secret").unwrap(),
            hash_phc(&params, b"same secret").unwrap(),
        );
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        let reference = Argon2::default();
        let parsed = PasswordHash::new(&a).unwrap();
        assert!(reference.verify_password(b"same secret", &parsed).is_ok());
        assert!(reference.verify_password(b"other secret", &parsed).is_err());
        assert!(verify_phc(b"same secret", &b));
    }

    /// An unknown e-mail and a password-less account both cost one real verification,
    /// against the decoy, as a wrong password does.
    #[tokio::test]
    async fn without_a_usable_hash_the_decoy_is_verified_and_the_answer_is_no() {
        for hash in [None, Some(String::new())] {
            let passwords = Passwords::with_params(Params::new(8, 1, 1, None).unwrap());
            let verified = passwords.verify("anything".into(), hash).await.unwrap();
            assert!(!verified);
            assert!(
                passwords.decoy.get().is_some(),
                "the decoy was hashed and verified"
            );
        }
        let passwords = Passwords::with_params(Params::new(8, 1, 1, None).unwrap());
        let real = phc(Params::new(8, 1, 1, None).unwrap(), "secret");
        assert!(passwords.verify("secret".into(), Some(real)).await.unwrap());
        assert!(passwords.decoy.get().is_none());
    }

    #[test]
    fn refuses_what_is_not_an_argon2_hash() {
        for phc in ["", "not a hash", "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ"] {
            assert!(!verify_phc(b"anything", phc));
        }
    }
}
