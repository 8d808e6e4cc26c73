//! Public identifiers: a prefix and the 32 lowercase hex digits of a random UUIDv4.

pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
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
    }
}
