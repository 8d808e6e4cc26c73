//! Money as integer minor units (hundredths of a credit, US cents), and how amounts read in
//! the descriptions users see.

/// The largest amount or balance there is: 1,000,000,000,000 credits (or US dollars), in
/// minor units. Larger ones are refused, so every sum of two stays far inside `i64`.
pub const MAX_MINOR: i64 = 100_000_000_000_000;

/// `1234` → `"12.34"`, `1230` → `"12.3"`, `1200` → `"12.0"`: the shortest decimal with at
/// least one fractional digit, as the original service printed its numbers.
pub fn format_minor(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let (whole, cents) = (minor.abs() / 100, minor.abs() % 100);
    if cents % 10 == 0 {
        format!("{sign}{whole}.{}", cents / 10)
    } else {
        format!("{sign}{whole}.{cents:02}")
    }
}

/// A non-negative decimal text with at most two decimals (`"10"`, `"10.5"`, `"0.07"`,
/// `"19.990"`), as minor units; read digit by digit, never through a float.
pub fn parse_minor(text: &str) -> Option<i64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let fraction = fraction.trim_end_matches('0');
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || fraction.len() > 2 || !(fraction.is_empty() || digits(fraction)) {
        return None;
    }
    let cents: i64 = format!("{fraction:0<2}").parse().ok()?;
    whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(cents)
}

#[cfg(test)]
mod tests {
    use super::{format_minor, parse_minor};

    #[test]
    fn decimal_text_is_read_exactly() {
        assert_eq!(parse_minor("10"), Some(1_000));
        assert_eq!(parse_minor("10.5"), Some(1_050));
        assert_eq!(parse_minor("0.07"), Some(7));
        assert_eq!(parse_minor("19.990"), Some(1_999));
        for bad in ["0.001", "-1", "1e3", "", ".5", "1,5"] {
            assert_eq!(parse_minor(bad), None, "{bad}");
        }
    }

    #[test]
    fn amounts_print_like_the_original_service() {
        assert_eq!(format_minor(0), "0.0");
        assert_eq!(format_minor(1_000), "10.0");
        assert_eq!(format_minor(10), "0.1");
        assert_eq!(format_minor(1_234), "12.34");
        assert_eq!(format_minor(50_000), "500.0");
        assert_eq!(format_minor(-5), "-0.05");
    }
}
