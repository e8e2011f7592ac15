//! The `wasi:keyvalue` (0.2.0-draft2) store and atomics the component imports, over a
//! pluggable backend: SQLite on disk by default (`sqlite.rs`), Redis for several host
//! processes (`redis.rs`).

mod memory;
mod redis;
mod sqlite;
mod wasi;

pub use self::memory::MemoryBackend;
pub use self::redis::RedisBackend;
pub use sqlite::SqliteBackend;
pub use wasi::{BucketRes, CasRes, KvCtx, add_to_linker, bindings};

use anyhow::Result;
use std::sync::Arc;

/// A version of a key as a backend counts it: 0 means absent; versions never repeat.
pub type Version = u64;

/// A key's value with the version it had when read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Versioned {
    pub value: Option<Vec<u8>>,
    pub version: Version,
}

/// A key-value store with compare-and-swap. Every method is atomic on its own; `swap`
/// writes only when the key still has the version read before.
pub trait KvBackend: Send + Sync {
    fn get(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>>;
    fn set(&self, bucket: &str, key: &str, value: &[u8]) -> Result<()>;
    fn delete(&self, bucket: &str, key: &str) -> Result<()>;
    fn exists(&self, bucket: &str, key: &str) -> Result<bool>;
    /// Up to `limit` keys after `cursor` (exclusive), and the cursor of the next page.
    fn list_keys(
        &self,
        bucket: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<String>, Option<String>)>;
    fn read_versioned(&self, bucket: &str, key: &str) -> Result<Versioned>;
    /// Writes `value` if the key's version is still `expected`; false on conflict.
    fn swap(&self, bucket: &str, key: &str, expected: Version, value: &[u8]) -> Result<bool>;
    fn increment(&self, bucket: &str, key: &str, delta: i64) -> Result<i64>;
    /// Describes the backend for people ("sqlite:/path", "redis://host").
    fn describe(&self) -> String;
}

/// Cuts keys read in order (up to `limit + 1` of them) into a page and the cursor of
/// the next page: the last key of this page, when there are more.
fn page(mut keys: Vec<String>, limit: usize) -> (Vec<String>, Option<String>) {
    let more = keys.len() > limit;
    keys.truncate(limit);
    let next = if more { keys.last().cloned() } else { None };
    (keys, next)
}

/// Opens a backend from its address: `memory:`, a `redis://` URL, or an SQLite file path.
pub fn open(address: &str) -> Result<Arc<dyn KvBackend>> {
    if address == "memory:" {
        return Ok(Arc::new(MemoryBackend::default()));
    }
    if address.starts_with("redis://") || address.starts_with("rediss://") {
        return Ok(Arc::new(RedisBackend::open(address)?));
    }
    // A mistyped URL would otherwise become an SQLite file of that name: a store of its
    // own where a shared one was meant.
    if let Some((scheme, _)) = address.split_once("://") {
        return Err(crate::InputError::Invalid(format!(
            "the store {address:?} has the scheme {scheme:?}: use redis:// (or rediss://), memory:, or an SQLite file path"
        ))
        .into());
    }
    let path = address.strip_prefix("sqlite:").unwrap_or(address);
    let (path, full_sync) = match path.rsplit_once('?') {
        Some((p, "synchronous=full")) => (p, true),
        Some((p, "synchronous=normal")) => (p, false),
        Some((_, option)) => {
            return Err(crate::InputError::Invalid(format!(
                "unknown store option {option:?}: use synchronous=full or synchronous=normal"
            ))
            .into());
        }
        None => (path, false),
    };
    Ok(Arc::new(SqliteBackend::open_with(path, full_sync)?))
}

/// A backend's failure as one line: its causes joined with ": ", each said once (the
/// Redis client's message already repeats the system error beneath it).
pub fn describe(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_failure_says_each_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        let repeated = anyhow::Error::new(io).context("Connection refused");
        assert_eq!(super::describe(&repeated), "Connection refused");
        let chained = anyhow::anyhow!("disk full").context("record x not written");
        assert_eq!(super::describe(&chained), "record x not written: disk full");
    }
}
