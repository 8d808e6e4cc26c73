//! Money as integer minor units (hundredths of a credit, US cents), and how amounts read in
//! the descriptions users see.

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

#[cfg(test)]
mod tests {
    use super::format_minor;

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
