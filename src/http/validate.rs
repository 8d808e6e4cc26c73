//! Field rules shared by request bodies.

pub use clara_aggregates::names::is_email;

/// Passwords are 8 to 128 characters.
pub fn is_password(password: &str) -> bool {
    (8..=128).contains(&password.chars().count())
}

/// A name is present (not only spaces), at most 100 characters, and free of control and
/// text-direction characters, which could disguise it wherever it is shown.
pub fn is_name(name: &str) -> bool {
    !name.trim().is_empty() && name.chars().count() <= 100 && !name.chars().any(is_hidden)
}

/// Control characters (NUL included) and the invisible marks that reorder or hide text.
fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{061C}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_lengths_at_both_boundaries() {
        assert!(!is_password(&"x".repeat(7)));
        assert!(is_password(&"x".repeat(8)));
        assert!(is_password(&"é".repeat(128)));
        assert!(!is_password(&"x".repeat(129)));
    }

    #[test]
    fn names() {
        assert!(is_name("Ada"));
        assert!(!is_name("  "));
        assert!(is_name(&"a".repeat(100)));
        assert!(!is_name(&"a".repeat(101)));
        for hidden in [
            "Ada\0",
            "Ada\u{202E}ecalevol",
            "A\u{2066}da",
            "Ada\n",
            "A\u{200B}da",
        ] {
            assert!(!is_name(hidden), "{hidden:?}");
        }
        assert!(is_name("Élodie O'Neil-Ådahl"));
    }
}
