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

#[cfg(test)]
mod tests {
    use super::*;

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
