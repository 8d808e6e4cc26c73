//! The text inside an attachment, for the types that carry text: plain text as is, HTML
//! rendered to text, PDF through `pdf-extract`. Other types have none.

use axum::body::Bytes;
use clara_aggregates::Attachment;

use crate::agent::attachments::extension_of;

/// The name and text of each attachment that carries text. CPU work on large files: call it
/// off the async workers.
pub fn attachment_texts(attachments: &[(Attachment, Bytes)]) -> Vec<(&str, String)> {
    attachments
        .iter()
        .filter_map(|(attachment, bytes)| {
            text_of(&attachment.name, bytes).map(|text| (attachment.name.as_str(), text))
        })
        .collect()
}

/// The text of attachment `name`, if its type carries text that can be read.
pub fn text_of(name: &str, bytes: &[u8]) -> Option<String> {
    match extension_of(name)?.as_str() {
        ".txt" | ".md" | ".csv" | ".json" => std::str::from_utf8(bytes).ok().map(str::to_string),
        ".html" => html2text::from_read(bytes, 100).ok(),
        ".pdf" => pdf_text(bytes),
        _ => None,
    }
}

/// `pdf-extract` panics on some malformed files instead of returning an error; a panic
/// there only means this file has no text we can read.
fn pdf_text(bytes: &[u8]) -> Option<String> {
    let extracted = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(bytes));
    match extracted {
        Ok(Ok(text)) => Some(text),
        Ok(Err(error)) => {
            tracing::info!(%error, "a PDF attachment has no readable text");
            None
        }
        Err(_) => {
            tracing::info!("a PDF attachment could not be parsed");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::text_of;

    #[test]
    fn html_is_read_as_its_text_without_scripts() {
        let html = b"<html><head><script>var x = 1;</script></head><body><p>Sales rose 5% in May.</p></body></html>";
        let text = text_of("a.html", html).unwrap();
        assert!(text.contains("Sales rose 5% in May."));
        assert!(!text.contains("var x"));
    }

    #[test]
    fn media_and_broken_pdfs_have_no_text() {
        assert_eq!(text_of("a.png", b"\x89PNG"), None);
        assert_eq!(text_of("a.pdf", b"%PDF-1.5 truncated"), None);
    }
}
