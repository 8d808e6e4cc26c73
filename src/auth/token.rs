//! User tokens: `clara_user_` + an HS256 JWT naming the user and the session it belongs to.
//! The algorithm is pinned; a token is honoured only while its session is open (checked
//! against the session view by the caller).

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::ids::new_id;

pub const USER_TOKEN_PREFIX: &str = "clara_user_";
pub const API_TOKEN_PREFIX: &str = "clara_api_";

/// The claims of an API key token: the user and the key id. No expiry; a reset retires the
/// key id, and with it every token naming it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiClaims {
    pub sub: String,
    pub role: String,
    pub kid: String,
}

/// The token of API key `key_id`. It is the same every time it is derived, so it never needs
/// to be stored.
pub fn api_key_token(secret: &str, user_id: &str, key_id: &str) -> String {
    let claims = ApiClaims {
        sub: user_id.to_string(),
        role: "api_key".to_string(),
        kid: key_id.to_string(),
    };
    let key = EncodingKey::from_secret(secret.as_bytes());
    let jwt = encode(&Header::new(Algorithm::HS256), &claims, &key)
        .expect("HS256 signing of plain claims cannot fail");
    format!("{API_TOKEN_PREFIX}{jwt}")
}

/// The claims of a genuine HS256 API key token; `None` for anything else.
pub fn verify_api_key(secret: &str, jwt: &str) -> Option<ApiClaims> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.set_required_spec_claims(&["sub"]);
    let data = decode::<ApiClaims>(
        jwt,
        &DecodingKey::from_secret(secret.as_bytes()),
        &validation,
    )
    .ok()?;
    (data.claims.role == "api_key").then_some(data.claims)
}

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
    fn an_api_key_token_is_derived_the_same_each_time_and_verifies_with_its_secret_only() {
        let token = api_key_token("secret", "user_1", "api_key_1");
        assert_eq!(token, api_key_token("secret", "user_1", "api_key_1"));
        let jwt = token.strip_prefix(API_TOKEN_PREFIX).unwrap();
        assert_eq!(verify_api_key("secret", jwt).unwrap().kid, "api_key_1");
        assert!(verify_api_key("other", jwt).is_none());
        let user = issue_user_token("secret", "user_1", "s", NOW, NOW + 60_000);
        assert!(
            verify_api_key("secret", jwt_of(&user)).is_none(),
            "a user token is not an API key"
        );
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
