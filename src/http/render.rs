//! How views appear on the wire: the contract's objects, HTTP-dates and decimal credits.

use std::time::{Duration, UNIX_EPOCH};

use clara_projections::UserView;
use serde::Serialize;
use serde_json::{json, Value};

/// An HTTP-date in GMT, e.g. `Thu, 27 Nov 2025 00:10:11 GMT`.
pub fn http_date(unix_ms: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_millis(u64::try_from(unix_ms).unwrap_or(0));
    httpdate::fmt_http_date(at)
}

/// Hundredths of a credit as the contract's number with at most two decimals.
pub fn credits(minor: i64) -> Value {
    // Display only: the integer is exact, and dividing it by 100 gives the nearest binary
    // fraction of a two-decimal number, which JSON prints as that number.
    json!(minor as f64 / 100.0)
}

/// The user object; never the password hash or any other secret. Fields are declared in
/// alphabetical order, as the contract's bodies have them.
#[derive(Serialize)]
pub struct User<'a> {
    created_at: String,
    credits: f64,
    email: &'a str,
    first_name: &'a Option<String>,
    id: &'a str,
    is_2fa_enabled: bool,
    is_active: bool,
    is_dark_mode: bool,
    last_name: &'a Option<String>,
    updated_at: String,
}

pub fn user(view: &UserView) -> User<'_> {
    User {
        created_at: http_date(view.created_at_ms),
        // Display only, as in `credits`.
        credits: view.credits_minor as f64 / 100.0,
        email: &view.email,
        first_name: &view.first_name,
        id: &view.id,
        is_2fa_enabled: view.is_2fa_enabled,
        is_active: view.is_active,
        is_dark_mode: view.is_dark_mode,
        last_name: &view.last_name,
        updated_at: http_date(view.updated_at_ms),
    }
}

/// The user object with the session token, as Register and Login answer.
pub fn user_with_token(view: &UserView, token: &str) -> Value {
    let mut object = json!(user(view));
    object["token"] = json!(token);
    object
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_http_dates_in_gmt() {
        assert_eq!(
            http_date(1_764_202_211_000),
            "Thu, 27 Nov 2025 00:10:11 GMT"
        );
    }

    #[test]
    fn credits_print_with_at_most_two_decimals() {
        assert_eq!(credits(0).to_string(), "0.0");
        assert_eq!(credits(1_000).to_string(), "10.0");
        assert_eq!(credits(10).to_string(), "0.1");
        assert_eq!(credits(123_456).to_string(), "1234.56");
    }
}
