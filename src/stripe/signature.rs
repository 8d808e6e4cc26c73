//! Verifying `Stripe-Signature` over the raw body: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
//! "<t>.<body>">` (several `v1` while Stripe rolls a secret), within a tolerance of the
//! current time, against any of our signing secrets (several while we roll ours).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far the signed time may be from ours.
pub const TOLERANCE_SECONDS: i64 = 300;

/// Whether `header` signs `body` with one of `secrets` at a time within the tolerance of
/// `now_seconds`.
pub fn verify(header: &str, body: &[u8], secrets: &[String], now_seconds: i64) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", sig)) => signatures.push(sig),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return false;
    };
    if (now_seconds - timestamp).abs() > TOLERANCE_SECONDS {
        return false;
    }
    secrets.iter().any(|secret| {
        let expected = sign(secret, timestamp, body);
        signatures
            .iter()
            .any(|sig| constant_time_eq(sig.as_bytes(), expected.as_bytes()))
    })
}

/// The hex `v1` signature of `body` at `timestamp` (also what tests sign with).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_signature_verifies_with_any_current_secret_within_the_tolerance() {
        let secrets = vec!["whsec_old".to_string(), "whsec_new".to_string()];
        let body = br#"{"id":"evt_1"}"#;
        let header = |secret: &str, t: i64| format!("t={t},v1={}", sign(secret, t, body));
        assert!(verify(&header("whsec_new", NOW), body, &secrets, NOW));
        assert!(verify(
            &header("whsec_old", NOW - TOLERANCE_SECONDS),
            body,
            &secrets,
            NOW
        ));
        assert!(!verify(
            &header("whsec_old", NOW - TOLERANCE_SECONDS - 1),
            body,
            &secrets,
            NOW
        ));
        assert!(!verify(&header("whsec_other", NOW), body, &secrets, NOW));
        assert!(!verify(
            &header("whsec_new", NOW),
            br#"{"id":"evt_2"}"#,
            &secrets,
            NOW
        ));
        assert!(!verify("v1=abc", body, &secrets, NOW));
        let rolled = format!("t={NOW},v1=deadbeef,v1={}", sign("whsec_new", NOW, body));
        assert!(verify(&rolled, body, &secrets, NOW));
    }
}
