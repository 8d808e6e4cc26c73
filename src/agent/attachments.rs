//! The attachment types the agent reads, by category, as lower-case file extensions, and the
//! check that a file's bytes are of the type its name claims.

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

/// The category of a supported extension (`.pdf` → `document`).
pub fn category_of(extension: &str) -> Option<&'static str> {
    supported()
        .into_iter()
        .find(|(_, extensions)| extensions.contains(&extension))
        .map(|(category, _)| category)
}

/// The extension of a file name, lower-cased with its dot, if it has one.
pub fn extension_of(name: &str) -> Option<String> {
    let (_, extension) = name.rsplit_once('.')?;
    Some(format!(".{}", extension.to_ascii_lowercase()))
}

/// Whether `bytes` are of the type `extension` names: text types by being UTF-8 (and JSON
/// by parsing), the others by their magic bytes.
pub fn content_matches(extension: &str, bytes: &[u8]) -> bool {
    match extension {
        ".txt" | ".md" | ".csv" | ".html" => std::str::from_utf8(bytes).is_ok(),
        ".json" => serde_json::from_slice::<serde_json::Value>(bytes).is_ok(),
        _ => infer::get(bytes).is_some_and(|kind| sniffed_as(extension, kind.extension())),
    }
}

/// Whether a file named with `extension` may sniff as `sniffed` (infer's name for a type).
fn sniffed_as(extension: &str, sniffed: &str) -> bool {
    let accepted: &[&str] = match extension {
        ".jpg" | ".jpeg" => &["jpg"],
        // An m4a file whose container brand is a generic MP4 one sniffs as mp4.
        ".m4a" => &["m4a", "mp4"],
        ".mp4" => &["mp4", "m4v"],
        // Ogg with Opus inside is still an .ogg file.
        ".ogg" => &["ogg", "opus"],
        other => return other.strip_prefix('.') == Some(sniffed),
    };
    accepted.contains(&sniffed)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_file_is_judged_by_its_bytes_not_its_name() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
        assert!(content_matches(".png", png));
        assert!(!content_matches(".jpg", png));
        assert!(!content_matches(".pdf", b"plain text"));
        assert!(content_matches(".pdf", b"%PDF-1.5\n"));
        assert!(content_matches(".txt", "Grüße".as_bytes()));
        assert!(!content_matches(".txt", b"\xff\xfe\x00"));
        assert!(!content_matches(".json", b"{not json"));
        assert_eq!(extension_of("Report.PDF").as_deref(), Some(".pdf"));
        assert_eq!(extension_of("README"), None);
        assert_eq!(category_of(".webm"), Some("video"));
        assert_eq!(category_of(".exe"), None);
    }
}
