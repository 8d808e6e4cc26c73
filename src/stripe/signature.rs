//! Verifying `Stripe-Signature` over the raw body: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
//! "<t>.<body>">` (several `v1` while Stripe rolls a secret), within a tolerance of the
//! current time, against any of our signing secrets (several while we roll ours).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How far the signed time may be from ours.
pub const TOLERANCE_SECONDS: i64 = 300;

/// Whether `header` signs `body` with one of `secrets` at a time within the tolerance of
/// `now_seconds`.
pub fn verify(header: &str, body: &[u8], secrets: &[String], now_seconds: i64) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = unix_seconds(t),
            Some(("v1", sig)) => signatures.push(sig),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return false;
    };
    if now_seconds.abs_diff(timestamp) > TOLERANCE_SECONDS.unsigned_abs() {
        return false;
    }
    secrets.iter().any(|secret| {
        let expected = sign(secret, timestamp, body);
        signatures
            .iter()
            .any(|sig| bool::from(sig.as_bytes().ct_eq(expected.as_bytes())))
    })
}

/// A `t=` value exactly as Stripe writes it: decimal digits, no sign, no leading zero, at
/// most 12 of them (Unix seconds until the year 33658).
fn unix_seconds(text: &str) -> Option<i64> {
    let canonical = (1..=12).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_digit())
        && !(text.len() > 1 && text.starts_with('0'));
    canonical.then(|| text.parse().ok()).flatten()
}

/// The hex `v1` signature of `body` at `timestamp` (also what tests sign with).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
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

    #[test]
    fn the_time_is_read_only_as_stripe_writes_it() {
        let secrets = vec!["whsec".to_string()];
        let body = b"{}";
        let v1 = sign("whsec", NOW, body);
        for t in [
            "+1800000000",
            "01800000000",
            " 1800000000",
            "1800000000.0",
            "-0",
            "",
        ] {
            assert!(
                !verify(&format!("t={t},v1={v1}"), body, &secrets, NOW),
                "{t:?}"
            );
        }
        // Times that would overflow a subtraction are merely out of tolerance.
        assert!(!verify("t=999999999999,v1=00", body, &secrets, i64::MIN));
        assert_eq!(unix_seconds("0"), Some(0));
        assert_eq!(unix_seconds("1800000000"), Some(NOW));
        assert_eq!(unix_seconds("1234567890123"), None);
    }
}
