//! User tokens: `clara_user_` + an HS256 JWT naming the user and the session it belongs to.
//! The algorithm is pinned; a token is honoured only while its session is open (checked
//! against the session view by the caller).

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::ids::new_id;

pub const USER_TOKEN_PREFIX: &str = "clara_user_";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    pub iat: i64,
    pub exp: i64,
    pub sid: String,
    pub jti: String,
}

/// A signed user token for `user_id`'s session `session_id`, expiring with it.
pub fn issue_user_token(
    secret: &str,
    user_id: &str,
    session_id: &str,
    now_ms: i64,
    expires_at_ms: i64,
) -> String {
    let claims = Claims {
        sub: user_id.to_string(),
        role: "user".to_string(),
        iat: now_ms / 1000,
        exp: expires_at_ms / 1000,
        sid: session_id.to_string(),
        jti: new_id("token"),
    };
    let jwt = encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("HS256 signing of plain claims cannot fail");
    format!("{USER_TOKEN_PREFIX}{jwt}")
}

/// The claims of a genuine, unexpired HS256 token of `role`; `None` for anything else
/// (another algorithm, `alg: none`, a bad signature, a tampered payload, expiry).
pub fn verify(secret: &str, jwt: &str, role: &str) -> Option<Claims> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.set_required_spec_claims(&["exp", "sub"]);
    let data = decode::<Claims>(
        jwt,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .ok()?;
    (data.claims.role == role).then_some(data.claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    const NOW: i64 = 1_900_000_000_000;

    fn jwt_of(token: &str) -> &str {
        token.strip_prefix(USER_TOKEN_PREFIX).unwrap()
    }

    #[test]
    fn a_token_verifies_with_its_secret_only() {
        let token = issue_user_token("secret", "user_1", "session_1", NOW, NOW + 60_000);
        let claims = verify("secret", jwt_of(&token), "user").unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.sid.as_str()),
            ("user_1", "session_1")
        );
        assert!(verify("other", jwt_of(&token), "user").is_none());
        assert!(verify("secret", jwt_of(&token), "api_key").is_none());
    }

    #[test]
    fn expired_tampered_and_unsigned_tokens_are_refused() {
        let expired = issue_user_token("secret", "user_1", "s", 0, 1_000);
        assert!(verify("secret", jwt_of(&expired), "user").is_none());

        let token = issue_user_token("secret", "user_1", "s", NOW, NOW + 60_000);
        let parts: Vec<&str> = jwt_of(&token).split('.').collect();
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let payload = String::from_utf8(b64.decode(parts[1]).unwrap())
            .unwrap()
            .replace("user_1", "user_2");
        let tampered = format!("{}.{}.{}", parts[0], b64.encode(payload), parts[2]);
        assert!(verify("secret", &tampered, "user").is_none());

        let none_header = b64.encode(r#"{"alg":"none","typ":"JWT"}"#);
        assert!(verify("secret", &format!("{none_header}.{}.", parts[1]), "user").is_none());
        let hs512 = encode(
            &Header::new(Algorithm::HS512),
            &verify("secret", jwt_of(&token), "user").unwrap(),
            &EncodingKey::from_secret(b"secret"),
        )
        .unwrap();
        assert!(verify("secret", &hs512, "user").is_none());
    }
}
