//! The service's secrets: from the environment, or — for a local SQLite database only —
//! generated once and kept in a file beside it, so `cargo run` works with no setup.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::privacy::keys::Keyring;

#[derive(Clone, Serialize, Deserialize)]
pub struct Secrets {
    pub public_api_key: String,
    pub private_api_key: String,
    pub jwt_secret: String,
    /// The master key of personal data (64 hex digits): it keys the identifiers that stand
    /// for e-mail addresses in the log. Key files written before it existed get one added.
    #[serde(default)]
    pub data_key: String,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets { .. }")
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

impl Secrets {
    /// Fresh random secrets (used for development files and by tests).
    pub fn generate() -> Self {
        Self {
            public_api_key: format!("pub_{}", random_hex(24)),
            private_api_key: format!("prv_{}", random_hex(24)),
            jwt_secret: random_hex(32),
            data_key: random_hex(32),
        }
    }

    /// The key ring of personal data, under this `DATA_KEY`.
    pub fn keyring(&self) -> Keyring {
        Keyring::new(&self.data_key)
    }

    /// Reads the secrets from the environment. Any that is unset comes from the key file
    /// beside a SQLite database (created on first use and announced once on stderr); with
    /// PostgreSQL every secret must be set.
    pub fn resolve(database_url: &str) -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let from_env = (
            var("PUBLIC_API_KEY"),
            var("PRIVATE_API_KEY"),
            var("JWT_SECRET"),
            var("DATA_KEY"),
        );
        let secrets = match from_env.clone() {
            (Some(public_api_key), Some(private_api_key), Some(jwt_secret), Some(data_key)) => {
                Self {
                    public_api_key,
                    private_api_key,
                    jwt_secret,
                    data_key,
                }
            }
            _ => {
                let file = key_file(database_url).context(
                    "PUBLIC_API_KEY, PRIVATE_API_KEY, JWT_SECRET and DATA_KEY must be set when DATABASE_URL is not a SQLite file",
                )?;
                let stored = load_or_create(&file)?;
                Self {
                    public_api_key: from_env.0.unwrap_or(stored.public_api_key),
                    private_api_key: from_env.1.unwrap_or(stored.private_api_key),
                    jwt_secret: from_env.2.unwrap_or(stored.jwt_secret),
                    data_key: from_env.3.unwrap_or(stored.data_key),
                }
            }
        };
        anyhow::ensure!(
            secrets.data_key.len() == 64 && secrets.data_key.chars().all(|c| c.is_ascii_hexdigit()),
            "DATA_KEY must be 64 hex digits (32 random bytes, e.g. `openssl rand -hex 32`)"
        );
        Ok(secrets)
    }
}

/// The file of a `sqlite://PATH` URL; `None` for PostgreSQL or in-memory SQLite.
pub fn sqlite_path(database_url: &str) -> Option<PathBuf> {
    let path = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next()?;
    (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path))
}

/// `<database file>.keys` for a `sqlite://PATH` URL; `None` for PostgreSQL or in-memory SQLite.
pub fn key_file(database_url: &str) -> Option<PathBuf> {
    sqlite_path(database_url).map(|path| PathBuf::from(format!("{}.keys", path.display())))
}

fn load_or_create(file: &Path) -> anyhow::Result<Secrets> {
    if file.exists() {
        return load(file);
    }
    let secrets = Secrets::generate();
    write_private(file, &serde_json::to_string_pretty(&secrets)?)
        .with_context(|| format!("cannot write the development key file {}", file.display()))?;
    eprintln!(
        "Generated development keys, kept in {} (set them in the environment for production):\n  PUBLIC_API_KEY={}\n  PRIVATE_API_KEY={}",
        file.display(),
        secrets.public_api_key,
        secrets.private_api_key
    );
    Ok(secrets)
}

/// Reads the key file, adding a DATA_KEY to one written before it existed. The file is locked
/// meanwhile, so that processes starting together on an old file agree on one key.
fn load(file: &Path) -> anyhow::Result<Secrets> {
    use std::io::{Read, Seek, Write};
    let invalid = || {
        format!(
            "{} is not a valid key file; delete it to generate new keys",
            file.display()
        )
    };
    let mut handle = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(file)?;
    handle.lock()?;
    let mut text = String::new();
    handle.read_to_string(&mut text)?;
    let mut stored: Secrets = serde_json::from_str(&text).with_context(invalid)?;
    if stored.data_key.is_empty() {
        stored.data_key = random_hex(32);
        handle.set_len(0)?;
        handle.rewind()?;
        handle
            .write_all(serde_json::to_string_pretty(&stored)?.as_bytes())
            .with_context(|| format!("cannot add DATA_KEY to {}", file.display()))?;
    }
    Ok(stored)
}

fn write_private(file: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(file)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::{key_file, load};
    use std::path::PathBuf;

    #[test]
    fn a_key_file_from_before_data_key_gets_one_kept_for_good() {
        let dir =
            std::env::temp_dir().join(format!("clara-keys-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("clara.db.keys");
        let old = r#"{"public_api_key": "pub_a", "private_api_key": "prv_b", "jwt_secret": "c"}"#;
        std::fs::write(&file, old).unwrap();
        let first = load(&file).unwrap();
        let again = load(&file).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(first.data_key.len(), 64);
        assert_eq!(
            first.data_key, again.data_key,
            "written once, then read back"
        );
        assert_eq!(
            (first.public_api_key.as_str(), first.jwt_secret.as_str()),
            ("pub_a", "c")
        );
    }

    #[test]
    fn the_key_file_sits_beside_a_sqlite_file_only() {
        assert_eq!(
            key_file("sqlite://data/clara.db"),
            Some(PathBuf::from("data/clara.db.keys"))
        );
        assert_eq!(
            key_file("sqlite://clara.db?mode=rwc"),
            Some(PathBuf::from("clara.db.keys"))
        );
        assert_eq!(key_file("sqlite::memory:"), None);
        assert_eq!(key_file("postgres://localhost/clara"), None);
    }
}
