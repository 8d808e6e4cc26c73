//! How views appear on the wire: the contract's objects, HTTP-dates and decimal credits.

use clara_aggregates::money::format_minor;
use clara_projections::UserView;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

pub use crate::clock::http_date;

/// Hundredths of a credit (or US cents) as the contract's number: written digit by digit
/// from the integer, with at most two decimals and never an exponent (`12.34`, `10.0`).
/// Bodies carrying one are serialised straight to JSON text, not through `serde_json::Value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credits(pub i64);

impl Serialize for Credits {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let number =
            RawValue::from_string(format_minor(self.0)).map_err(serde::ser::Error::custom)?;
        number.serialize(serializer)
    }
}

/// The user object; never the password hash or any other secret. Fields are declared in
/// alphabetical order, as the contract's bodies have them; `token` only where the route
/// answers with one.
#[derive(Serialize)]
pub struct User<'a> {
    created_at: String,
    credits: Credits,
    email: &'a str,
    first_name: &'a Option<String>,
    id: &'a str,
    is_2fa_enabled: bool,
    is_active: bool,
    is_dark_mode: bool,
    last_name: &'a Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    updated_at: String,
}

pub fn user(view: &UserView) -> User<'_> {
    User {
        created_at: http_date(view.created_at_ms),
        credits: Credits(view.credits_minor),
        email: &view.email,
        first_name: &view.first_name,
        id: &view.id,
        is_2fa_enabled: view.is_2fa_enabled,
        is_active: view.is_active,
        is_dark_mode: view.is_dark_mode,
        last_name: &view.last_name,
        token: None,
        updated_at: http_date(view.updated_at_ms),
    }
}

/// The user object with the session token, as Register and Login answer.
pub fn user_with_token<'a>(view: &'a UserView, token: &'a str) -> User<'a> {
    User {
        token: Some(token),
        ..user(view)
    }
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
    fn credits_print_exactly_with_at_most_two_decimals() {
        let text = |minor| serde_json::to_string(&Credits(minor)).unwrap();
        assert_eq!(text(0), "0.0");
        assert_eq!(text(1_000), "10.0");
        assert_eq!(text(10), "0.1");
        assert_eq!(text(123_456), "1234.56");
        // Past what an f64 holds exactly, and where it would switch to an exponent.
        assert_eq!(text(9_007_199_254_740_993), "90071992547409.93");
        assert_eq!(text(100_000_000_000_000_000), "1000000000000000.0");
    }
}
