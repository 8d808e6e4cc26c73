//! Authenticated encryption of small values (ChaCha20-Poly1305 with a fresh random nonce),
//! written as base64 of the nonce followed by the ciphertext.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;

const NONCE: usize = 12;

#[derive(Clone)]
pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

impl Sealer {
    pub fn new(key: &[u8]) -> Self {
        Self {
            cipher: ChaCha20Poly1305::new(Key::from_slice(key)),
        }
    }

    /// `plain` sealed, bound to `context` (which opening must present again).
    pub fn seal(&self, plain: &[u8], context: &[u8]) -> String {
        let mut nonce = [0u8; NONCE];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plain,
            aad: context,
        };
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .expect("ChaCha20-Poly1305 seals any message this small");
        base64::engine::general_purpose::STANDARD.encode([nonce.as_slice(), &sealed].concat())
    }

    /// What [`Sealer::seal`] sealed with this key and `context`; none for anything else.
    pub fn open(&self, sealed: &str, context: &[u8]) -> Option<Vec<u8>> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .ok()?;
        let (nonce, ciphertext) = bytes.split_at_checked(NONCE)?;
        let payload = Payload {
            msg: ciphertext,
            aad: context,
        };
        self.cipher.decrypt(Nonce::from_slice(nonce), payload).ok()
    }
}
