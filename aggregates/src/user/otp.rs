//! One-time codes as the User aggregate keeps them: only a MAC of the code, its expiry and
//! the wrong tries so far; one live code per type, a new one replacing the old; and, across
//! resends, the hourly caps on sends and wrong tries.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// Wrong tries a code survives; the next try is refused even with the right code.
pub const MAX_OTP_FAILURES: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(test, derive(Default))]
pub enum OtpType {
    #[cfg_attr(test, default)]
    Activation,
    ChangePassword,
    TwoFactorAuth,
    DeleteAccount,
}

impl OtpType {
    /// Parses the contract's spelling (`ACTIVATION`, `CHANGE_PASSWORD`, `TWO_FACTOR_AUTH`,
    /// `DELETE_ACCOUNT`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ACTIVATION" => Some(OtpType::Activation),
            "CHANGE_PASSWORD" => Some(OtpType::ChangePassword),
            "TWO_FACTOR_AUTH" => Some(OtpType::TwoFactorAuth),
            "DELETE_ACCOUNT" => Some(OtpType::DeleteAccount),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OtpType::Activation => "ACTIVATION",
            OtpType::ChangePassword => "CHANGE_PASSWORD",
            OtpType::TwoFactorAuth => "TWO_FACTOR_AUTH",
            OtpType::DeleteAccount => "DELETE_ACCOUNT",
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
        } else if bool::from(self.code_mac.as_bytes().ct_eq(code_mac.as_bytes())) {
            Check::Valid
        } else {
            Check::Wrong
        }
    }
}

/// The window of the hourly caps.
pub const CODE_WINDOW_MS: i64 = 3_600_000;
/// Codes of one type sent to one address per window; more are refused until the oldest ages.
pub const MAX_CODES_PER_WINDOW: usize = 5;
/// Wrong tries of one type per window, across resends; beyond them every code is refused.
pub const MAX_WRONG_TRIES_PER_WINDOW: usize = 10;

/// When codes of one type were sent and wrong ones tried, within the last window: what the
/// hourly caps count, so that resending does not buy fresh guesses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeHistory {
    sent_at_ms: Vec<i64>,
    failed_at_ms: Vec<i64>,
}

impl CodeHistory {
    pub fn record_send(&mut self, at_ms: i64) {
        remember(&mut self.sent_at_ms, at_ms);
    }

    pub fn record_failure(&mut self, at_ms: i64) {
        remember(&mut self.failed_at_ms, at_ms);
    }

    /// `Err(ms until another may be sent)` once the window's sends are used up.
    pub fn may_send(&self, now_ms: i64) -> Result<(), i64> {
        let recent: Vec<i64> = within_window(&self.sent_at_ms, now_ms).collect();
        match recent.iter().min() {
            Some(oldest) if recent.len() >= MAX_CODES_PER_WINDOW => {
                Err(oldest + CODE_WINDOW_MS - now_ms)
            }
            _ => Ok(()),
        }
    }

    /// Whether the window's wrong tries are used up: every code of the type is then refused.
    pub fn tries_exhausted(&self, now_ms: i64) -> bool {
        within_window(&self.failed_at_ms, now_ms).count() >= MAX_WRONG_TRIES_PER_WINDOW
    }
}

/// Adds `at_ms` and forgets what the window has left behind, so the list stays short.
fn remember(times: &mut Vec<i64>, at_ms: i64) {
    times.retain(|t| *t > at_ms - CODE_WINDOW_MS);
    times.push(at_ms);
}

fn within_window(times: &[i64], now_ms: i64) -> impl Iterator<Item = i64> + '_ {
    times
        .iter()
        .copied()
        .filter(move |t| *t > now_ms - CODE_WINDOW_MS && *t <= now_ms)
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
    fn sends_are_capped_per_window_and_free_again_as_the_oldest_ages() {
        let mut history = CodeHistory::default();
        for i in 0..MAX_CODES_PER_WINDOW as i64 {
            assert_eq!(history.may_send(1_000 + i), Ok(()));
            history.record_send(1_000 + i);
        }
        assert_eq!(history.may_send(2_000), Err(CODE_WINDOW_MS - 1_000));
        assert_eq!(history.may_send(1_000 + CODE_WINDOW_MS - 1), Err(1));
        assert_eq!(history.may_send(1_000 + CODE_WINDOW_MS), Ok(()));
    }

    #[test]
    fn wrong_tries_are_capped_per_window() {
        let mut history = CodeHistory::default();
        for i in 0..MAX_WRONG_TRIES_PER_WINDOW as i64 - 1 {
            history.record_failure(i);
        }
        assert!(!history.tries_exhausted(100));
        history.record_failure(100);
        assert!(history.tries_exhausted(100));
        assert!(history.tries_exhausted(CODE_WINDOW_MS - 1));
        assert!(!history.tries_exhausted(CODE_WINDOW_MS));
    }

    #[test]
    fn types_parse_from_the_contract_spelling_only() {
        for t in [
            OtpType::Activation,
            OtpType::ChangePassword,
            OtpType::TwoFactorAuth,
            OtpType::DeleteAccount,
        ] {
            assert_eq!(OtpType::parse(t.as_str()), Some(t));
        }
        assert_eq!(OtpType::parse("activation"), None);
    }
}
