//! Normalisation rules for names and e-mail addresses shared by several aggregates.

/// Title-cases a personal name the way the original Clara service did (Python's `str.title`):
/// a letter is upper-cased when it follows a non-letter, lower-cased otherwise.
pub fn title_case(name: &str) -> String {
    let mut previous_is_letter = false;
    name.chars()
        .flat_map(|c| {
            let is_letter = c.is_alphabetic();
            let out: Vec<char> = if is_letter && !previous_is_letter {
                c.to_uppercase().collect()
            } else if is_letter {
                c.to_lowercase().collect()
            } else {
                vec![c]
            };
            previous_is_letter = is_letter;
            out
        })
        .collect()
}

/// The canonical form of an e-mail address: surrounding space removed, lower-cased. Two
/// addresses that differ only in case belong to the same account.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

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
    fn title_case_capitalises_each_word_and_lowers_the_rest() {
        assert_eq!(title_case("aDA lovelace"), "Ada Lovelace");
        assert_eq!(title_case("jean-luc o'neil"), "Jean-Luc O'Neil");
        assert_eq!(title_case("élodie"), "Élodie");
        assert_eq!(title_case(""), "");
    }

    #[test]
    fn normalised_emails_ignore_case_and_surrounding_space() {
        assert_eq!(normalise_email("  Ada@Example.COM "), "ada@example.com");
    }
}
