//! The attachment types the agent reads, by category, as lower-case file extensions.

use std::collections::BTreeMap;

/// Every supported extension, by category; both lists sorted, as the contract shows them.
pub fn supported() -> BTreeMap<&'static str, &'static [&'static str]> {
    BTreeMap::from([
        ("audio", &[".flac", ".m4a", ".mp3", ".ogg", ".wav"][..]),
        (
            "document",
            &[".csv", ".html", ".json", ".md", ".pdf", ".txt"][..],
        ),
        ("image", &[".gif", ".jpeg", ".jpg", ".png", ".webp"][..]),
        ("video", &[".mov", ".mp4", ".webm"][..]),
    ])
}

#[cfg(test)]
mod tests {
    use super::supported;

    #[test]
    fn every_list_is_sorted_lower_case_and_dotted() {
        for extensions in supported().values() {
            let mut sorted = extensions.to_vec();
            sorted.sort();
            assert_eq!(sorted, extensions.to_vec());
            for extension in *extensions {
                assert!(extension.starts_with('.'));
                assert_eq!(extension.to_lowercase(), *extension);
            }
        }
    }
}
