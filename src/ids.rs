//! Public identifiers: a prefix and the 32 lowercase hex digits of a random UUIDv4.

pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// Whether `text` is an id of `prefix` as [`new_id`] makes them.
pub fn is_id(prefix: &str, text: &str) -> bool {
    text.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('_'))
        .is_some_and(|hex| {
            hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_prefix_and_32_lowercase_hex_digits() {
        let id = super::new_id("user");
        let hex = id.strip_prefix("user_").unwrap();
        assert_eq!(hex.len(), 32);
        assert!(hex.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')));
        assert_ne!(super::new_id("user"), id);
        assert!(super::is_id("user", &id));
        assert!(!super::is_id("task", &id));
        assert!(!super::is_id("user", &format!("{id}\0")));
        assert!(!super::is_id("user", &id.to_uppercase()));
    }
}
