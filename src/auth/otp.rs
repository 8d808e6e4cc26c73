//! One-time code material. A code is never stored: the log keeps a random `otp_id` and a MAC
//! of the code; the code itself is derived from the `otp_id` with a server key when the mail
//! is sent, and a presented code is checked by computing its MAC.

use clara_aggregates::OtpType;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

pub struct OtpCodes {
    code_key: Vec<u8>,
    mac_key: Vec<u8>,
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(&(part.len() as u64).to_be_bytes());
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

impl OtpCodes {
    /// Keys derived from the service secret, one per purpose.
    pub fn new(secret: &str) -> Self {
        Self {
            code_key: hmac(secret.as_bytes(), &[b"clara/otp/code"]),
            mac_key: hmac(secret.as_bytes(), &[b"clara/otp/mac"]),
        }
    }

    /// The 6-digit code of `otp_id` (128 random bits from the OS): a keyed PRF of it, so
    /// nobody without the key can tell it from a random code.
    pub fn code(&self, otp_id: &str) -> String {
        let digest = hmac(&self.code_key, &[otp_id.as_bytes()]);
        let number = u64::from_be_bytes(digest[..8].try_into().expect("32-byte digest"));
        format!("{:06}", number % 1_000_000)
    }

    /// The MAC under which `code` of `otp_type` is kept for `user_id`.
    pub fn mac(&self, user_id: &str, otp_type: OtpType, code: &str) -> String {
        let digest = hmac(
            &self.mac_key,
            &[
                user_id.as_bytes(),
                otp_type.as_str().as_bytes(),
                code.trim().as_bytes(),
            ],
        );
        hex::encode(digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_stable_per_id_and_macs_bind_user_type_and_code() {
        let codes = OtpCodes::new("secret");
        let code = codes.code("otp_1");
        assert_eq!(code.len(), 6);
        assert!(code.chars().all(|c| c.is_ascii_digit()));
        assert_eq!(codes.code("otp_1"), code);
        assert_ne!(OtpCodes::new("other").code("otp_1"), code);
        let mac = codes.mac("user_1", OtpType::Activation, &code);
        assert!(!mac.contains(&code));
        assert_ne!(mac, codes.mac("user_2", OtpType::Activation, &code));
        assert_ne!(mac, codes.mac("user_1", OtpType::ChangePassword, &code));
    }
}
