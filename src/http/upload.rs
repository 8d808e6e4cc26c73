//! The Analysis form: a `content` text part and up to five files, read as a stream with hard
//! limits (a file over the limit is refused as soon as it passes it), each file's type
//! checked against its bytes. File names are labels only, never paths.

use axum::extract::multipart::{Field, MultipartError};
use axum::extract::Multipart;
use axum::http::StatusCode;

use super::error::ApiError;
use crate::agent::attachments::{category_of, content_matches, extension_of};
use crate::agent::tasks::Upload;

/// Files one analysis may carry.
pub const MAX_FILES: usize = 5;
/// Characters the `content` part may hold.
pub const MAX_CONTENT_CHARS: usize = 100_000;
/// Characters a file's name may have.
pub const MAX_NAME_CHARS: usize = 255;

pub struct AnalysisForm {
    pub content: String,
    pub uploads: Vec<Upload>,
}

fn refused(error: MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::TooLarge
    } else {
        ApiError::InvalidSchema
    }
}

/// Reads the form, refusing it as soon as it breaks a rule.
pub async fn read_form(
    mut multipart: Multipart,
    max_file_bytes: usize,
) -> Result<AnalysisForm, ApiError> {
    let mut content: Option<String> = None;
    let mut uploads = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(refused)? {
        if field.file_name().is_none() && field.name() == Some("content") {
            if content.is_some() {
                return Err(ApiError::InvalidSchema);
            }
            // UTF-8 needs at most four bytes a character.
            let bytes = read_bounded(field, MAX_CONTENT_CHARS * 4, ApiError::InvalidSchema).await?;
            let text = String::from_utf8(bytes).map_err(|_| ApiError::InvalidSchema)?;
            if text.chars().count() > MAX_CONTENT_CHARS {
                return Err(ApiError::InvalidSchema);
            }
            content = Some(text);
            continue;
        }
        if uploads.len() == MAX_FILES {
            return Err(ApiError::InvalidSchema);
        }
        uploads.push(read_file(field, max_file_bytes).await?);
    }
    let content = content.unwrap_or_default();
    if content.trim().is_empty() && uploads.is_empty() {
        return Err(ApiError::InvalidSchema);
    }
    Ok(AnalysisForm { content, uploads })
}

/// A file part, named after its file name (or, lacking one, its part name), whose bytes must
/// be of the type its extension names.
async fn read_file(field: Field<'_>, max_bytes: usize) -> Result<Upload, ApiError> {
    let label = field.file_name().or(field.name()).unwrap_or_default();
    // Whatever path a client sends, only its last segment names the file.
    let name = label
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .to_string();
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::InvalidSchema);
    }
    let extension = extension_of(&name).ok_or(ApiError::InvalidSchema)?;
    let category = category_of(&extension).ok_or(ApiError::InvalidSchema)?;
    let bytes = read_bounded(field, max_bytes, ApiError::TooLarge).await?;
    if !content_matches(&extension, &bytes) {
        return Err(ApiError::InvalidSchema);
    }
    Ok(Upload {
        name,
        category,
        bytes: bytes.into(),
    })
}

/// The part's bytes; `over` as soon as they pass `max_bytes`.
async fn read_bounded(
    mut field: Field<'_>,
    max_bytes: usize,
    over: ApiError,
) -> Result<Vec<u8>, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(refused)? {
        if bytes.len() + chunk.len() > max_bytes {
            return Err(over);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}
