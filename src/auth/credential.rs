//! Recognising which of the contract's credential forms an `Authorization` header carries.

use base64::Engine;
use subtle::ConstantTimeEq;

use crate::secrets::Secrets;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// No `Authorization` header.
    Missing,
    /// `Basic base64(email:password)`: Login only.
    Basic { email: String, password: String },
    /// `Bearer clara_user_<JWT>`, not yet verified.
    UserToken(String),
    /// `Bearer clara_api_<JWT>`, not yet verified.
    ApiKeyToken(String),
    /// The raw public key.
    Public,
    /// The raw private key.
    Private,
    /// Anything else.
    Invalid,
}

impl Credential {
    pub fn parse(header: Option<&str>, secrets: &Secrets) -> Self {
        let Some(value) = header.map(str::trim) else {
            return Credential::Missing;
        };
        if let Some(encoded) = value.strip_prefix("Basic ") {
            return parse_basic(encoded.trim()).unwrap_or(Credential::Invalid);
        }
        if let Some(token) = value.strip_prefix("Bearer ").map(str::trim) {
            if let Some(jwt) = token.strip_prefix("clara_user_") {
                return Credential::UserToken(jwt.to_string());
            }
            if let Some(jwt) = token.strip_prefix("clara_api_") {
                return Credential::ApiKeyToken(jwt.to_string());
            }
            return Credential::Invalid;
        }
        if constant_time_eq(value, &secrets.private_api_key) {
            Credential::Private
        } else if constant_time_eq(value, &secrets.public_api_key) {
            Credential::Public
        } else {
            Credential::Invalid
        }
    }
}

fn parse_basic(encoded: &str) -> Option<Credential> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (email, password) = text.split_once(':')?;
    Some(Credential::Basic {
        email: email.to_string(),
        password: password.to_string(),
    })
}

/// Compares without an early exit, so the time taken does not reveal how much of a key matched.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> Secrets {
        Secrets {
            public_api_key: "pub_key".into(),
            private_api_key: "prv_key".into(),
            jwt_secret: "s".into(),
            data_key: String::new(),
        }
    }

    #[test]
    fn each_form_is_recognised() {
        let s = secrets();
        assert_eq!(Credential::parse(None, &s), Credential::Missing);
        assert_eq!(Credential::parse(Some("pub_key"), &s), Credential::Public);
        assert_eq!(Credential::parse(Some("prv_key"), &s), Credential::Private);
        assert_eq!(Credential::parse(Some("pub_ke"), &s), Credential::Invalid);
        assert_eq!(Credential::parse(Some("pub_keyy"), &s), Credential::Invalid);
        assert_eq!(
            Credential::parse(Some("Bearer clara_user_abc"), &s),
            Credential::UserToken("abc".into())
        );
        assert_eq!(
            Credential::parse(Some("Bearer clara_api_abc"), &s),
            Credential::ApiKeyToken("abc".into())
        );
        assert_eq!(
            Credential::parse(Some("Bearer other"), &s),
            Credential::Invalid
        );
        assert_eq!(
            Credential::parse(Some("Basic YUBiLmM6cHc6eA=="), &s),
            Credential::Basic {
                email: "a@b.c".into(),
                password: "pw:x".into()
            }
        );
        assert_eq!(Credential::parse(Some("Basic !!"), &s), Credential::Invalid);
    }
}
