//! The identifier of an e-mail address's claim: a keyed hash of the normalised address, so
//! the log can be searched by address without holding it in clear.

use clara_aggregates::names::normalise_email;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Prefix of a hashed claim id.
const PREFIX: &str = "email_";

#[derive(Clone)]
pub struct ClaimIds {
    key: Vec<u8>,
}

impl ClaimIds {
    /// Keys the hash with one derived from `data_key`, so the hash reveals nothing of the
    /// master key and serves no other purpose.
    pub fn new(data_key: &str) -> Self {
        let mut derive = hmac(data_key.as_bytes());
        derive.update(b"clara e-mail claim ids v1");
        Self {
            key: derive.finalize().into_bytes().to_vec(),
        }
    }

    /// The claim id of `address`: the same for every spelling that normalises alike.
    pub fn of(&self, address: &str) -> String {
        let mut mac = hmac(&self.key);
        mac.update(normalise_email(address).as_bytes());
        format!("{PREFIX}{}", hex::encode(mac.finalize().into_bytes()))
    }

    /// Whether `id` is a claim id from before hashing: an address in clear, which (unlike a
    /// hash) holds an `@`.
    pub fn is_clear(id: &str) -> bool {
        id.contains('@')
    }
}

fn hmac(key: &[u8]) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_hashes_alike_however_spelt_and_differently_under_another_key() {
        let ids = ClaimIds::new(&"1".repeat(64));
        let id = ids.of("Ada@Example.com");
        assert_eq!(id, ids.of(" ada@example.com"));
        assert_ne!(id, ids.of("grace@example.com"));
        assert_ne!(id, ClaimIds::new(&"2".repeat(64)).of("ada@example.com"));
        assert!(!id.contains("ada") && !ClaimIds::is_clear(&id));
        assert!(ClaimIds::is_clear("ada@example.com"));
        assert!(ClaimIds::is_clear("email_alerts@example.com"));
        assert_eq!(id.len(), PREFIX.len() + 64);
    }
}
