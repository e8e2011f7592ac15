//! A store that fails on purpose: it wraps a real backend and refuses the writes
//! (compare-and-swap or plain), or the reads, of chosen keys, as a store that goes away in
//! the middle of an operation would, so that tests can see what a half-done operation
//! leaves.

use anyhow::{Result, bail};
use meetkit_host::keyvalue::{KvBackend, Version, Versioned};
use std::sync::{Arc, Mutex};

pub struct Faulty {
    inner: Arc<dyn KvBackend>,
    /// Writes of keys that start with this prefix fail, while it is set.
    failing: Mutex<Option<String>>,
    /// Reads of keys that start with this prefix fail, while it is set.
    unreadable: Mutex<Option<String>>,
}

impl Faulty {
    pub fn new(inner: Arc<dyn KvBackend>) -> Arc<Self> {
        Arc::new(Faulty { inner, failing: Mutex::new(None), unreadable: Mutex::new(None) })
    }

    /// Makes writes of keys under `prefix` fail (none: every write succeeds again).
    pub fn fail_writes_under(&self, prefix: Option<&str>) {
        *self.failing.lock().unwrap() = prefix.map(String::from);
    }

    /// Makes reads of keys under `prefix` fail (none: every read succeeds again).
    pub fn fail_reads_under(&self, prefix: Option<&str>) {
        *self.unreadable.lock().unwrap() = prefix.map(String::from);
    }

    fn write(&self, key: &str) -> Result<()> {
        if self.failing.lock().unwrap().as_deref().is_some_and(|p| key.starts_with(p)) {
            bail!("the store went away while writing {key}");
        }
        Ok(())
    }

    fn read(&self, key: &str) -> Result<()> {
        if self.unreadable.lock().unwrap().as_deref().is_some_and(|p| key.starts_with(p)) {
            bail!("the store went away while reading {key}");
        }
        Ok(())
    }
}

impl KvBackend for Faulty {
    fn get(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>> {
        self.read(key)?;
        self.inner.get(bucket, key)
    }
    fn set(&self, bucket: &str, key: &str, value: &[u8]) -> Result<()> {
        self.write(key)?;
        self.inner.set(bucket, key, value)
    }
    fn delete(&self, bucket: &str, key: &str) -> Result<()> {
        self.inner.delete(bucket, key)
    }
    fn exists(&self, bucket: &str, key: &str) -> Result<bool> {
        self.read(key)?;
        self.inner.exists(bucket, key)
    }
    fn list_keys(
        &self,
        bucket: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<String>, Option<String>)> {
        self.inner.list_keys(bucket, cursor, limit)
    }
    fn read_versioned(&self, bucket: &str, key: &str) -> Result<Versioned> {
        self.read(key)?;
        self.inner.read_versioned(bucket, key)
    }
    fn swap(&self, bucket: &str, key: &str, expected: Version, value: &[u8]) -> Result<bool> {
        self.write(key)?;
        self.inner.swap(bucket, key, expected, value)
    }
    fn increment(&self, bucket: &str, key: &str, delta: i64) -> Result<i64> {
        self.inner.increment(bucket, key, delta)
    }
    fn describe(&self) -> String {
        format!("faulty over {}", self.inner.describe())
    }
}
