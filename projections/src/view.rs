//! How a view is kept: each kind in a table of its own, one row per view, with the view as
//! JSON and the keys storage lists and orders rows by. Storage knows views only through this.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// A kind of view: its table and the keys of one view's row.
pub trait View: Serialize + DeserializeOwned + Default {
    /// The table its rows live in (created by a migration of each backend).
    const TABLE: &'static str;

    /// The user it belongs to, the key lists are sorted by, and the last position folded in.
    fn keys(&self) -> (&str, i64, i64);
}

/// One view as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub owner: String,
    pub sort_key: i64,
    pub position: i64,
    pub data: String,
}

impl Row {
    pub fn of<V: View>(id: &str, view: &V) -> Result<Self, serde_json::Error> {
        let (owner, sort_key, position) = view.keys();
        Ok(Row {
            id: id.to_string(),
            owner: owner.to_string(),
            sort_key,
            position,
            data: serde_json::to_string(view)?,
        })
    }
}
