//! An in-memory store: for benchmarks and tests that measure the component rather than
//! the disk. Same semantics as the others (versions never repeat); nothing survives the process.

use super::{KvBackend, Version, Versioned};
use anyhow::{Result, bail};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// (bucket, key) to (value, version).
type Entries = BTreeMap<(String, String), (Vec<u8>, Version)>;

#[derive(Default)]
pub struct MemoryBackend {
    /// The entries and the last version handed out.
    state: Mutex<(Entries, Version)>,
}

impl MemoryBackend {
    fn with<R>(&self, f: impl FnOnce(&mut Entries, &mut Version) -> R) -> R {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (map, last) = &mut *guard;
        f(map, last)
    }
}

fn k(bucket: &str, key: &str) -> (String, String) {
    (bucket.to_string(), key.to_string())
}

impl KvBackend for MemoryBackend {
    fn get(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.with(|m, _| m.get(&k(bucket, key)).map(|(v, _)| v.clone())))
    }

    fn set(&self, bucket: &str, key: &str, value: &[u8]) -> Result<()> {
        self.with(|m, last| {
            *last += 1;
            m.insert(k(bucket, key), (value.to_vec(), *last));
        });
        Ok(())
    }

    fn delete(&self, bucket: &str, key: &str) -> Result<()> {
        self.with(|m, _| m.remove(&k(bucket, key)));
        Ok(())
    }

    fn exists(&self, bucket: &str, key: &str) -> Result<bool> {
        Ok(self.with(|m, _| m.contains_key(&k(bucket, key))))
    }

    fn list_keys(
        &self,
        bucket: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<String>, Option<String>)> {
        let keys: Vec<String> = self.with(|m, _| {
            let from = k(bucket, cursor.unwrap_or(""));
            m.range(from..)
                .take_while(|((b, _), _)| b == bucket)
                .map(|((_, key), _)| key.clone())
                .filter(|key| cursor.is_none_or(|c| key.as_str() > c))
                .take(limit + 1)
                .collect()
        });
        Ok(super::page(keys, limit))
    }

    fn read_versioned(&self, bucket: &str, key: &str) -> Result<Versioned> {
        Ok(self.with(|m, _| match m.get(&k(bucket, key)) {
            Some((v, version)) => Versioned { value: Some(v.clone()), version: *version },
            None => Versioned { value: None, version: 0 },
        }))
    }

    fn swap(&self, bucket: &str, key: &str, expected: Version, value: &[u8]) -> Result<bool> {
        Ok(self.with(|m, last| {
            let current = m.get(&k(bucket, key)).map_or(0, |(_, v)| *v);
            if current != expected {
                return false;
            }
            *last += 1;
            m.insert(k(bucket, key), (value.to_vec(), *last));
            true
        }))
    }

    fn increment(&self, bucket: &str, key: &str, delta: i64) -> Result<i64> {
        self.with(|m, last| {
            let n = match m.get(&k(bucket, key)) {
                None => 0,
                Some((v, _)) => match std::str::from_utf8(v).ok().and_then(|s| s.parse::<i64>().ok()) {
                    Some(n) => n,
                    None => bail!("the value is not an integer"),
                },
            };
            let next = n.checked_add(delta).ok_or_else(|| anyhow::anyhow!("the increment overflows"))?;
            *last += 1;
            m.insert(k(bucket, key), (next.to_string().into_bytes(), *last));
            Ok(next)
        })
    }

    fn describe(&self) -> String {
        "memory:".into()
    }
}
