//! Field rules shared by request bodies.

/// A syntactically valid e-mail address: one `@`, a dot-atom local part of at most 64
/// characters, and a domain of letter/digit/hyphen labels ending in a top-level label of at
/// least two letters.
pub fn is_email(email: &str) -> bool {
    let email = email.trim();
    if email.len() > 254 {
        return false;
    }
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    local_ok && domain_ok
}

/// Passwords are 8 to 128 characters.
pub fn is_password(password: &str) -> bool {
    (8..=128).contains(&password.chars().count())
}

/// A name is present (not only spaces) and at most 100 characters.
pub fn is_name(name: &str) -> bool {
    !name.trim().is_empty() && name.chars().count() <= 100
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for good in ["ada@example.com", "a.b+tag@sub.example.co", "x@a-b.io"] {
            assert!(is_email(good), "{good}");
        }
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a@@b.com",
            "a b@c.com",
            ".a@b.com",
            "a..b@c.com",
            "a@-b.com",
            "a@b.c0",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }

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
    }
}
