//! Personal data in and out of the log: the fields an event's decisions call personal, and
//! the client IP in its metadata, are sealed under their person's key as the event is
//! appended, and opened wherever the log is read (or read as `"[erased]"`).

use std::collections::HashMap;

use clara_aggregates::redaction::{decisions, personal};
use cqrs_es::persist::SerializedEvent;
use serde_json::Value;

use super::conn::Conn;
use super::Db;
use crate::privacy::aead::Sealer;
use crate::privacy::keys::{open, seal, sealed_by, Keyring, ERASED};
use crate::with_pool;

/// Whose personal data an event holds: the user of a User or Wallet, else the `user_id` its
/// payload names (a task's owner, a claim's holder).
pub fn person_of(row: &SerializedEvent) -> Option<String> {
    match row.aggregate_type.as_str() {
        "User" | "Wallet" => Some(row.aggregate_id.clone()),
        _ => row
            .payload
            .get(&row.event_type)?
            .get("user_id")?
            .as_str()
            .map(str::to_string),
    }
}

/// The personal values `row` holds: its personal fields that are set, and the client IP.
pub fn personal_values(row: &SerializedEvent) -> Vec<&Value> {
    let inner = row.payload.get(&row.event_type);
    let fields = personal(decisions(&row.aggregate_type), &row.event_type)
        .filter_map(|field| inner?.get(field))
        .filter(|value| !value.is_null() && value.as_str() != Some(ERASED));
    let ip = row.metadata.get("ip").filter(|ip| ip.is_string());
    fields.chain(ip).collect()
}

/// What [`seal_rows`] made of a commit's rows.
pub struct Sealed {
    pub rows: Vec<SerializedEvent>,
    /// The keys it sealed with: the caller keeps them once the rows have committed (see
    /// `kept_keys`), never before, since a key created in a commit that fails is no one's.
    pub keys: Vec<(String, Sealer)>,
}

/// `rows` with their personal values sealed, each person's key created in `conn` when they
/// have none. A person whose key is destroyed gets `"[erased]"`: nothing of theirs enters
/// the log readable after their account is deleted.
pub async fn seal_rows(
    conn: &mut impl Conn,
    keyring: &Keyring,
    rows: &[SerializedEvent],
) -> Result<Sealed, sqlx::Error> {
    if !keyring.seals() {
        let rows = rows.to_vec();
        return Ok(Sealed {
            rows,
            keys: Vec::new(),
        });
    }
    let mut keys: HashMap<String, Option<Sealer>> = HashMap::new();
    // A person being registered gets their key first, whichever of the commit's rows
    // (their claim's, say) comes before their registration.
    for row in rows.iter().filter(|row| creates_person(row)) {
        let key = key_of(conn, keyring, row).await?;
        keys.insert(person_of(row).unwrap_or_default(), key);
    }
    let mut sealed = Vec::with_capacity(rows.len());
    for row in rows {
        if deletes_person(row) {
            keyring.kept().forget(&row.aggregate_id);
        }
        let fields: Vec<&str> = personal(decisions(&row.aggregate_type), &row.event_type).collect();
        let ip = row.metadata.get("ip").filter(|ip| !ip.is_null()).is_some();
        let person = person_of(row).filter(|_| ip || !fields.is_empty());
        let Some(person) = person else {
            sealed.push(row.clone());
            continue;
        };
        if !keys.contains_key(&person) {
            let key = key_of(conn, keyring, row).await?;
            keys.insert(person.clone(), key);
        }
        let key = keys[&person].as_ref();
        let mut row = row.clone();
        let close = |value: &mut Value| {
            *value = match key {
                Some(key) => seal(key, &person, value),
                None => Value::String(ERASED.into()),
            }
        };
        if let Some(inner) = row
            .payload
            .get_mut(&row.event_type)
            .and_then(Value::as_object_mut)
        {
            for field in fields {
                if let Some(value) = inner.get_mut(field).filter(|v| !v.is_null()) {
                    close(value);
                }
            }
        }
        if let Some(value) = row.metadata.get_mut("ip").filter(|_| ip) {
            close(value);
        }
        sealed.push(row);
    }
    // The key of a person deleted here is destroyed by this commit: not one to keep.
    let deleted: Vec<&str> = rows
        .iter()
        .filter(|row| deletes_person(row))
        .map(|row| row.aggregate_id.as_str())
        .collect();
    let keys = keys
        .into_iter()
        .filter(|(person, _)| !deleted.contains(&person.as_str()))
        .filter_map(|(person, key)| Some((person, key?)))
        .collect();
    Ok(Sealed { rows: sealed, keys })
}

/// Whether `row` is one of the first events of its person, who has no key yet as a rule: an
/// address is claimed only for an account being registered.
fn creates_person(row: &SerializedEvent) -> bool {
    matches!(
        (row.aggregate_type.as_str(), row.event_type.as_str()),
        ("User", "Registered" | "RegisteredWithGoogle") | ("EmailClaim", "Claimed")
    )
}

fn deletes_person(row: &SerializedEvent) -> bool {
    (row.aggregate_type.as_str(), row.event_type.as_str()) == ("User", "AccountDeleted")
}

/// The key of the person of `row`, created if they have none; none when it was destroyed.
/// A User event may take the key this process kept (see `kept_keys` for why that is safe).
async fn key_of(
    conn: &mut impl Conn,
    keyring: &Keyring,
    row: &SerializedEvent,
) -> Result<Option<Sealer>, sqlx::Error> {
    let person = person_of(row).unwrap_or_default();
    if row.aggregate_type == "User" {
        if let Some(key) = keyring.kept().get(&person) {
            return Ok(Some(key));
        }
    }
    let ids = [person.clone()];
    if !creates_person(row) {
        if let Some((_, wrapped)) = conn.person_keys(&ids).await?.first() {
            return unwrap(keyring, &person, wrapped);
        }
    }
    let (key, wrapped) = keyring.create(&person);
    if conn.add_person_key(&person, &wrapped).await? {
        return Ok(Some(key));
    }
    // A concurrent append gave them one first.
    match conn.person_keys(&ids).await?.first() {
        Some((_, wrapped)) => unwrap(keyring, &person, wrapped),
        None => Ok(None),
    }
}

/// The key `wrapped` holds; none when it was destroyed (emptied). One that does not open is
/// an error, not an erasure: the master key is not the one the database was written with.
fn unwrap(keyring: &Keyring, person: &str, wrapped: &str) -> Result<Option<Sealer>, sqlx::Error> {
    if wrapped.is_empty() {
        return Ok(None);
    }
    match keyring.unwrap(person, wrapped) {
        Some(key) => Ok(Some(key)),
        None => Err(sqlx::Error::Protocol(
            "a person key does not open with this DATA_KEY: set the DATA_KEY this database was written with".into(),
        )),
    }
}

/// Opens sealed values, fetching each person's key once.
pub struct Opener {
    keyring: Keyring,
    keys: HashMap<String, Option<Sealer>>,
}

impl Opener {
    pub fn new(keyring: &Keyring) -> Self {
        Self {
            keyring: keyring.clone(),
            keys: HashMap::new(),
        }
    }

    /// Opens the sealed fields of log payloads (`{"<type>": {fields}}`).
    pub async fn open_payloads(
        &mut self,
        conn: &mut impl Conn,
        payloads: impl IntoIterator<Item = &mut Value>,
    ) -> Result<(), sqlx::Error> {
        self.open_values(conn, fields_of(payloads)).await
    }

    /// Opens those of `values` that are sealed.
    pub async fn open_values(
        &mut self,
        conn: &mut impl Conn,
        values: Vec<&mut Value>,
    ) -> Result<(), sqlx::Error> {
        let mut sealed: Vec<&mut Value> = values
            .into_iter()
            .filter(|value| sealed_by(value).is_some())
            .collect();
        let mut missing: Vec<String> = sealed
            .iter()
            .filter_map(|value| sealed_by(value))
            .filter(|person| !self.keys.contains_key(*person))
            .map(str::to_string)
            .collect();
        missing.sort();
        missing.dedup();
        for (person, wrapped) in conn.person_keys(&missing).await? {
            let key = unwrap(&self.keyring, &person, &wrapped)?;
            self.keys.insert(person, key);
        }
        // A person with no key row has none to open with.
        for person in missing {
            self.keys.entry(person).or_insert(None);
        }
        for value in sealed.iter_mut() {
            let person = sealed_by(value).unwrap_or_default().to_string();
            let key = self.keys.get(&person).and_then(Option::as_ref);
            let opened = open(key, value);
            **value = opened;
        }
        Ok(())
    }
}

/// The fields of log payloads (`{"<type>": {fields}}`).
pub fn fields_of<'a>(payloads: impl IntoIterator<Item = &'a mut Value>) -> Vec<&'a mut Value> {
    payloads
        .into_iter()
        .filter_map(|payload| payload.as_object_mut()?.values_mut().next())
        .filter_map(Value::as_object_mut)
        .flat_map(|inner| inner.values_mut())
        .collect()
}

/// [`Opener::open_values`] through a connection of `db`, taken only when a value is sealed.
pub async fn open_in(
    db: &Db,
    opener: &mut Opener,
    values: Vec<&mut Value>,
) -> Result<(), sqlx::Error> {
    if !values.iter().any(|value| sealed_by(value).is_some()) {
        return Ok(());
    }
    with_pool!(db, pool => {
        let mut conn = pool.acquire().await?;
        opener.open_values(&mut *conn, values).await
    })
}

/// The person-keys row that only checks the master key: it holds no person's key.
const KEY_CHECK: &str = "(data key check)";

/// Refuses a `DATA_KEY` other than the one this database's keys were wrapped by, before it
/// could wrap keys that no other process opens; the first start leaves a check for the next.
pub async fn check_master_key(db: &Db, keyring: &Keyring) -> anyhow::Result<()> {
    with_pool!(&db.writer(), pool => {
        let mut conn = pool.acquire().await?;
        let ids = [KEY_CHECK.to_string()];
        if conn.person_keys(&ids).await?.is_empty() {
            let (_, wrapped) = keyring.create(KEY_CHECK);
            conn.add_person_key(KEY_CHECK, &wrapped).await?;
        }
        let found = conn.person_keys(&ids).await?;
        let opens = found.first().is_some_and(|(_, wrapped)| keyring.unwrap(KEY_CHECK, wrapped).is_some());
        anyhow::ensure!(
            opens,
            "DATA_KEY is not the key this database was written with: set the DATA_KEY it was started with"
        );
    });
    Ok(())
}
