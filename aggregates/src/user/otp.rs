//! One-time codes as the User aggregate keeps them: only a MAC of the code, its expiry and
//! the wrong tries so far; one live code per type, a new one replacing the old.

use serde::{Deserialize, Serialize};

/// Wrong tries a code survives; the next try is refused even with the right code.
pub const MAX_OTP_FAILURES: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OtpType {
    Activation,
    ChangePassword,
    TwoFactorAuth,
}

impl OtpType {
    /// Parses the contract's spelling (`ACTIVATION`, `CHANGE_PASSWORD`, `TWO_FACTOR_AUTH`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ACTIVATION" => Some(OtpType::Activation),
            "CHANGE_PASSWORD" => Some(OtpType::ChangePassword),
            "TWO_FACTOR_AUTH" => Some(OtpType::TwoFactorAuth),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OtpType::Activation => "ACTIVATION",
            OtpType::ChangePassword => "CHANGE_PASSWORD",
            OtpType::TwoFactorAuth => "TWO_FACTOR_AUTH",
        }
    }
}

/// The live code of one type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveOtp {
    pub code_mac: String,
    pub expires_at_ms: i64,
    pub failures: u32,
}

/// What presenting a code amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Right, in time, within the tries: consume it.
    Valid,
    /// Wrong, but the code lives on: record the failure.
    Wrong,
    /// No code, expired, or out of tries: refuse without recording anything.
    Dead,
}

impl LiveOtp {
    pub fn check(&self, code_mac: &str, now_ms: i64) -> Check {
        if now_ms >= self.expires_at_ms || self.failures >= MAX_OTP_FAILURES {
            Check::Dead
        } else if constant_time_eq(self.code_mac.as_bytes(), code_mac.as_bytes()) {
            Check::Valid
        } else {
            Check::Wrong
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_valid_until_it_expires_or_runs_out_of_tries() {
        let otp = LiveOtp {
            code_mac: "mac".into(),
            expires_at_ms: 100,
            failures: 0,
        };
        assert_eq!(otp.check("mac", 99), Check::Valid);
        assert_eq!(otp.check("mac", 100), Check::Dead);
        assert_eq!(otp.check("other", 99), Check::Wrong);
        let tired = LiveOtp {
            failures: MAX_OTP_FAILURES - 1,
            ..otp.clone()
        };
        assert_eq!(tired.check("mac", 0), Check::Valid);
        let dead = LiveOtp {
            failures: MAX_OTP_FAILURES,
            ..otp
        };
        assert_eq!(dead.check("mac", 0), Check::Dead);
    }

    #[test]
    fn types_parse_from_the_contract_spelling_only() {
        for t in [
            OtpType::Activation,
            OtpType::ChangePassword,
            OtpType::TwoFactorAuth,
        ] {
            assert_eq!(OtpType::parse(t.as_str()), Some(t));
        }
        assert_eq!(OtpType::parse("activation"), None);
    }
}
