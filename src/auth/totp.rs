//! Authenticator-app codes (RFC 6238, 30-second steps, 6 digits). The secret is kept only
//! sealed with ChaCha20-Poly1305 under a key derived from the service secret; which step a
//! code belongs to is worked out here, and the User aggregate refuses a step used before.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use totp_rs::{Algorithm, TOTP};

use crate::privacy::aead::Sealer;

const STEP_SECONDS: u64 = 30;
const ISSUER: &str = "Clara";

pub struct TotpKeys {
    cipher: Sealer,
}

/// What a user gets once, when enrolling an authenticator.
pub struct Enrolment {
    pub sealed: String,
    pub otpauth_url: String,
    pub secret: String,
}

fn authenticator(secret: Vec<u8>, account: &str) -> Option<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECONDS,
        secret,
        Some(ISSUER.into()),
        account.into(),
    )
    .ok()
}

impl TotpKeys {
    pub fn new(service_secret: &str) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(service_secret.as_bytes())
            .expect("any key length");
        mac.update(b"clara/totp/seal");
        let key = mac.finalize().into_bytes();
        Self {
            cipher: Sealer::new(&key),
        }
    }

    /// A fresh 160-bit secret for `account`, sealed for storage, with its otpauth:// URL.
    pub fn enrol(&self, account: &str) -> anyhow::Result<Enrolment> {
        let mut secret = vec![0u8; 20];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let totp = authenticator(secret.clone(), account)
            .ok_or_else(|| anyhow::anyhow!("cannot build an authenticator"))?;
        Ok(Enrolment {
            sealed: self.seal(&secret)?,
            otpauth_url: totp.get_url(),
            secret: totp.get_secret_base32(),
        })
    }

    /// The step whose code `code` is (the current one or a neighbour, for clock skew), if any.
    pub fn matching_step(&self, sealed: &str, code: &str, now_ms: i64) -> Option<u64> {
        let totp = authenticator(self.open(sealed)?, "")?;
        let now = u64::try_from(now_ms / 1000).ok()?;
        [now.saturating_sub(STEP_SECONDS), now, now + STEP_SECONDS]
            .into_iter()
            .find(|t| totp.generate(*t) == code.trim())
            .map(|t| t / STEP_SECONDS)
    }

    fn seal(&self, secret: &[u8]) -> anyhow::Result<String> {
        Ok(self.cipher.seal(secret, b""))
    }

    fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        self.cipher.open(sealed, b"")
    }
}

/// The code an authenticator shows for `secret_base32` at `unix_ms` (for tests and tools).
pub fn code_at(secret_base32: &str, unix_ms: i64) -> Option<String> {
    let secret = totp_rs::Secret::Encoded(secret_base32.to_string())
        .to_bytes()
        .ok()?;
    Some(authenticator(secret, "")?.generate(u64::try_from(unix_ms / 1000).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_900_000_000_000;

    #[test]
    fn a_code_matches_its_step_and_neighbours_only() {
        let keys = TotpKeys::new("secret");
        let enrolment = keys.enrol("ada@example.com").unwrap();
        assert!(enrolment
            .otpauth_url
            .starts_with("otpauth://totp/Clara:ada%40example.com?"));
        assert!(!enrolment.sealed.contains(&enrolment.secret));
        let code = code_at(&enrolment.secret, NOW).unwrap();
        let step = (NOW / 1000) as u64 / STEP_SECONDS;
        assert_eq!(
            keys.matching_step(&enrolment.sealed, &code, NOW),
            Some(step)
        );
        assert_eq!(
            keys.matching_step(&enrolment.sealed, &code, NOW + 30_000),
            Some(step)
        );
        assert_eq!(
            keys.matching_step(&enrolment.sealed, &code, NOW + 120_000),
            None
        );
        assert_eq!(
            TotpKeys::new("other").matching_step(&enrolment.sealed, &code, NOW),
            None
        );
    }
}
