//! Each person's data key: random, kept outside the log wrapped by the master key, and
//! destroyed when their account is deleted. A value sealed under it names its person, so a
//! reader knows which key opens it.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use rand::RngCore;
use serde_json::Value;
use sha2::Sha256;

use super::aead::Sealer;
use super::kept_keys::KeptKeys;

/// What a sealed value reads as once its person's key is destroyed.
pub const ERASED: &str = "[erased]";
const SEALED: &str = "sealed:v1:";

/// The master key, derived from `DATA_KEY`, that wraps the person keys.
#[derive(Clone)]
pub struct Keyring {
    master: Arc<Sealer>,
    /// Off only for the bench's baseline, which measures what sealing costs.
    seals: bool,
    kept: KeptKeys,
}

impl Keyring {
    pub fn new(data_key: &str) -> Self {
        let mut derive = Hmac::<Sha256>::new_from_slice(data_key.as_bytes())
            .expect("HMAC takes a key of any length");
        derive.update(b"clara person keys v1");
        Self {
            master: Arc::new(Sealer::new(&derive.finalize().into_bytes())),
            seals: true,
            kept: KeptKeys::default(),
        }
    }

    /// This key ring, writing personal data as it comes (it still opens what is sealed): the
    /// bench's baseline.
    pub fn without_sealing(self) -> Self {
        Self {
            seals: false,
            ..self
        }
    }

    /// Whether appends seal personal data.
    pub fn seals(&self) -> bool {
        self.seals
    }

    /// The person keys this key ring has unwrapped lately.
    pub fn kept(&self) -> &KeptKeys {
        &self.kept
    }

    /// A fresh key for `user_id`, and its wrapped form to keep.
    pub fn create(&self, user_id: &str) -> (Sealer, String) {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        let wrapped = self.master.seal(&key, user_id.as_bytes());
        (Sealer::new(&key), wrapped)
    }

    /// The key of `user_id` from its wrapped form; none for a destroyed (empty) or foreign one.
    pub fn unwrap(&self, user_id: &str, wrapped: &str) -> Option<Sealer> {
        let key = self.master.open(wrapped, user_id.as_bytes())?;
        (key.len() == 32).then(|| Sealer::new(&key))
    }
}

/// `value` sealed under `key`, the key of `user_id`.
pub fn seal(key: &Sealer, user_id: &str, value: &Value) -> Value {
    let sealed = key.seal(value.to_string().as_bytes(), user_id.as_bytes());
    Value::String(format!("{SEALED}{user_id}:{sealed}"))
}

/// The person whose key sealed `value`; none for a value that is not sealed.
pub fn sealed_by(value: &Value) -> Option<&str> {
    let rest = value.as_str()?.strip_prefix(SEALED)?;
    rest.split_once(':').map(|(user_id, _)| user_id)
}

/// `value` opened with its person's key, or [`ERASED`] when the key is gone.
pub fn open(key: Option<&Sealer>, value: &Value) -> Value {
    let opened = (|| {
        let rest = value.as_str()?.strip_prefix(SEALED)?;
        let (user_id, sealed) = rest.split_once(':')?;
        let plain = key?.open(sealed, user_id.as_bytes())?;
        serde_json::from_slice(&plain).ok()
    })();
    opened.unwrap_or_else(|| Value::String(ERASED.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_value_opens_with_its_persons_key_only_and_reads_erased_without_it() {
        let keyring = Keyring::new(&"7".repeat(64));
        let (key, wrapped) = keyring.create("user_a");
        let sealed = seal(&key, "user_a", &json!("ada@example.com"));
        assert!(!sealed.to_string().contains("ada"));
        assert_eq!(sealed_by(&sealed), Some("user_a"));
        let unwrapped = keyring.unwrap("user_a", &wrapped).unwrap();
        assert_eq!(open(Some(&unwrapped), &sealed), json!("ada@example.com"));
        assert!(
            keyring.unwrap("user_b", &wrapped).is_none(),
            "bound to its person"
        );
        assert!(Keyring::new(&"8".repeat(64))
            .unwrap("user_a", &wrapped)
            .is_none());
        let (other, _) = keyring.create("user_a");
        assert_eq!(open(Some(&other), &sealed), json!(ERASED));
        assert_eq!(open(None, &sealed), json!(ERASED));
        assert_eq!(sealed_by(&json!("plain")), None);
        let name = seal(&key, "user_a", &json!(["not", "a string"]));
        assert_eq!(open(Some(&key), &name), json!(["not", "a string"]));
    }
}
