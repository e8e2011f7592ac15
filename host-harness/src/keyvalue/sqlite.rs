//! The embedded default store: one SQLite file in WAL mode, safe for several threads and
//! several processes (each change is one transaction).
//!
//! Durability: with `synchronous=NORMAL` (the default) every acknowledged change survives
//! the host process being killed; a power cut may lose the last changes. With
//! `synchronous=FULL` (`sqlite:<path>?synchronous=full`) each change is fsynced before it
//! is acknowledged, at the cost of one disk flush per write.

use super::{KvBackend, Version, Versioned};
use anyhow::{Context as _, Result};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

pub struct SqliteBackend {
    path: PathBuf,
    conn: Mutex<Connection>,
    full_sync: bool,
}

impl SqliteBackend {
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(path, false)
    }

    /// Opens the store; `full_sync` flushes every change to disk before acknowledging it.
    pub fn open_with(path: impl AsRef<Path>, full_sync: bool) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let conn = Connection::open(&path).with_context(|| format!("opening {}", path.display()))?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", if full_sync { "FULL" } else { "NORMAL" })?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS kv (
                 bucket TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, version INTEGER NOT NULL,
                 PRIMARY KEY (bucket, key)) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS kv_version (id INTEGER PRIMARY KEY CHECK (id = 1), last INTEGER NOT NULL);
             INSERT OR IGNORE INTO kv_version (id, last) VALUES (1, 0);",
        )?;
        Ok(SqliteBackend { path, conn: Mutex::new(conn), full_sync })
    }

    /// Runs `f` in an immediate (write-locked) transaction and commits it.
    fn write<R>(&self, f: impl FnOnce(&rusqlite::Transaction<'_>) -> rusqlite::Result<R>) -> Result<R> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let r = f(&tx)?;
        tx.commit()?;
        Ok(r)
    }

    fn read<R>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<R>) -> Result<R> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        Ok(f(&conn)?)
    }
}

// Statements are prepared once per connection and cached: parsing the SQL again on every
// operation was a visible part of each store call.
const SELECT_VALUE: &str = "SELECT value FROM kv WHERE bucket = ?1 AND key = ?2";
const SELECT_VERSION: &str = "SELECT version FROM kv WHERE bucket = ?1 AND key = ?2";
const SELECT_VERSIONED: &str = "SELECT value, version FROM kv WHERE bucket = ?1 AND key = ?2";

fn next_version(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<i64> {
    tx.prepare_cached("UPDATE kv_version SET last = last + 1 WHERE id = 1 RETURNING last")?
        .query_row([], |r| r.get(0))
}

fn put(tx: &rusqlite::Transaction<'_>, bucket: &str, key: &str, value: &[u8]) -> rusqlite::Result<()> {
    let v = next_version(tx)?;
    tx.prepare_cached(
        "INSERT INTO kv (bucket, key, value, version) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (bucket, key) DO UPDATE SET value = excluded.value, version = excluded.version",
    )?
    .execute(params![bucket, key, value, v])?;
    Ok(())
}

impl KvBackend for SqliteBackend {
    fn get(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>> {
        self.read(|c| {
            c.prepare_cached(SELECT_VALUE)?.query_row(params![bucket, key], |r| r.get(0)).optional()
        })
    }

    fn set(&self, bucket: &str, key: &str, value: &[u8]) -> Result<()> {
        self.write(|tx| put(tx, bucket, key, value))
    }

    fn delete(&self, bucket: &str, key: &str) -> Result<()> {
        self.write(|tx| {
            tx.prepare_cached("DELETE FROM kv WHERE bucket = ?1 AND key = ?2")?
                .execute(params![bucket, key])
                .map(drop)
        })
    }

    fn exists(&self, bucket: &str, key: &str) -> Result<bool> {
        Ok(self.read_versioned(bucket, key)?.version != 0)
    }

    fn list_keys(
        &self,
        bucket: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<String>, Option<String>)> {
        let keys: Vec<String> = self.read(|c| {
            let mut stmt =
                c.prepare_cached("SELECT key FROM kv WHERE bucket = ?1 AND key > ?2 ORDER BY key LIMIT ?3")?;
            stmt.query_map(params![bucket, cursor.unwrap_or(""), (limit + 1) as i64], |r| r.get(0))?.collect()
        })?;
        Ok(super::page(keys, limit))
    }

    fn read_versioned(&self, bucket: &str, key: &str) -> Result<Versioned> {
        let row: Option<(Vec<u8>, i64)> = self.read(|c| {
            c.prepare_cached(SELECT_VERSIONED)?
                .query_row(params![bucket, key], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })?;
        Ok(match row {
            Some((value, version)) => Versioned { value: Some(value), version: version as Version },
            None => Versioned { value: None, version: 0 },
        })
    }

    fn swap(&self, bucket: &str, key: &str, expected: Version, value: &[u8]) -> Result<bool> {
        self.write(|tx| {
            let current: i64 = tx
                .prepare_cached(SELECT_VERSION)?
                .query_row(params![bucket, key], |r| r.get(0))
                .optional()?
                .unwrap_or(0);
            if current as Version != expected {
                return Ok(false);
            }
            put(tx, bucket, key, value)?;
            Ok(true)
        })
    }

    fn increment(&self, bucket: &str, key: &str, delta: i64) -> Result<i64> {
        let value = self.write(|tx| {
            let current: Option<Vec<u8>> =
                tx.prepare_cached(SELECT_VALUE)?.query_row(params![bucket, key], |r| r.get(0)).optional()?;
            let n = match current {
                None => 0,
                Some(bytes) => {
                    std::str::from_utf8(&bytes).ok().and_then(|s| s.parse::<i64>().ok()).ok_or_else(|| {
                        rusqlite::Error::ToSqlConversionFailure("the value is not an integer".into())
                    })?
                }
            };
            let next = n
                .checked_add(delta)
                .ok_or_else(|| rusqlite::Error::ToSqlConversionFailure("the increment overflows".into()))?;
            put(tx, bucket, key, next.to_string().as_bytes())?;
            Ok(next)
        })?;
        Ok(value)
    }

    fn describe(&self) -> String {
        format!("sqlite:{}{}", self.path.display(), if self.full_sync { "?synchronous=full" } else { "" })
    }
}
