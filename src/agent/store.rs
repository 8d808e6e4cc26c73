//! Where attachments are kept: by the SHA-256 of their content (never under a name a client
//! chose), in a local folder or S3, so that whichever process runs a task can read them.

use std::sync::Arc;

use anyhow::Context;
use axum::body::Bytes;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, PutPayload};
use sha2::{Digest, Sha256};

#[derive(Clone)]
pub struct AttachmentStore {
    store: Arc<dyn ObjectStore>,
}

/// The hex SHA-256 an attachment is stored under.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl AttachmentStore {
    /// `s3://bucket/prefix` (credentials and endpoint from the usual `AWS_*` variables),
    /// `file:///path`, or a plain folder path.
    pub fn open(location: &str) -> anyhow::Result<Self> {
        let store: Arc<dyn ObjectStore> = if let Some(rest) = location.strip_prefix("s3://") {
            let s3 = AmazonS3Builder::from_env()
                .with_url(location)
                .build()
                .with_context(|| {
                    format!("ATTACHMENTS_URL {location} is not a usable S3 location")
                })?;
            match rest
                .split_once('/')
                .map(|(_, prefix)| prefix.trim_matches('/'))
            {
                Some(prefix) if !prefix.is_empty() => Arc::new(PrefixStore::new(s3, prefix)),
                _ => Arc::new(s3),
            }
        } else {
            // The folder is made by the first attachment stored, not by opening it, so
            // commands that store nothing leave no folder behind.
            let folder = location.strip_prefix("file://").unwrap_or(location);
            let absolute = std::path::absolute(folder)
                .with_context(|| format!("{folder} is not a usable attachments folder"))?;
            let prefix = Path::from_absolute_path(&absolute)
                .with_context(|| format!("{folder} is not a usable attachments folder"))?;
            Arc::new(PrefixStore::new(LocalFileSystem::new(), prefix))
        };
        Ok(Self { store })
    }

    fn path(sha256: &str) -> Path {
        Path::from(format!(
            "sha256/{}/{sha256}",
            &sha256[..2.min(sha256.len())]
        ))
    }

    /// Keeps `bytes` under their SHA-256; storing the same content twice stores it once.
    pub async fn put(&self, sha256: &str, bytes: Bytes) -> Result<(), object_store::Error> {
        self.store
            .put(&Self::path(sha256), PutPayload::from(bytes))
            .await
            .map(|_| ())
    }

    pub async fn get(&self, sha256: &str) -> Result<Bytes, object_store::Error> {
        self.store.get(&Self::path(sha256)).await?.bytes().await
    }

    /// Deletes the content stored under `sha256`; content already gone is no error.
    pub async fn delete(&self, sha256: &str) -> Result<(), object_store::Error> {
        match self.store.delete(&Self::path(sha256)).await {
            Err(object_store::Error::NotFound { .. }) => Ok(()),
            done => done,
        }
    }
}
