//! Typed records over the key-value store, with compare-and-swap updates.
//!
//! Every read-modify-write goes through [`Store::update`], a CAS loop: two instances on
//! two hosts that change one record at the same moment never both succeed on the same
//! version. Records are postcard (compact, and several times cheaper to decode in wasm
//! than JSON) behind a format byte, so that a later layout can be told apart and
//! migrated. An empty value stands for "absent": the draft `atomics` interface cannot
//! delete through a CAS handle.

use crate::prelude::*;

use crate::error::{MeetError, Result};
use crate::host::{CasSlot, Kv, KvError};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// How many times a contended update is retried before giving up.
pub(crate) const MAX_ATTEMPTS: usize = 64;

/// What an update function decided.
pub enum Update<T, R> {
    /// Write the new record and return `R`.
    Write(T, R),
    /// Clear the record (store it as absent) and return `R`.
    Clear(R),
    /// Change nothing and return `R`.
    Keep(R),
}

pub struct Store<'a> {
    kv: &'a dyn Kv,
}

impl From<KvError> for MeetError {
    fn from(e: KvError) -> Self {
        MeetError::StoreFailure(e.0)
    }
}

/// The layout of every record written by this version.
pub(crate) const FORMAT: u8 = 1;

fn decode<T: DeserializeOwned>(key: &str, bytes: Option<Vec<u8>>) -> Result<Option<T>> {
    match bytes.as_deref() {
        None | Some([]) => Ok(None),
        Some([FORMAT, rest @ ..]) => postcard::from_bytes(rest)
            .map(Some)
            .map_err(|e| MeetError::StoreFailure(format!("record {key} is unreadable: {e}"))),
        Some([other, ..]) => {
            Err(MeetError::StoreFailure(format!("record {key} has the unknown format {other}")))
        }
    }
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = vec![FORMAT];
    bytes.extend(postcard::to_allocvec(value).cannot_fail("records serialise infallibly"));
    bytes
}

impl<'a> Store<'a> {
    pub fn new(kv: &'a dyn Kv) -> Self {
        Store { kv }
    }

    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        decode(key, self.kv.get(key)?)
    }

    /// The record at `key`, or `NotFound` saying `missing` when there is none.
    pub fn require<T: DeserializeOwned>(&self, key: &str, missing: impl FnOnce() -> String) -> Result<T> {
        self.get(key)?.ok_or_else(|| MeetError::NotFound(missing()))
    }

    /// The stored bytes of a record (absent or cleared: none), for records read in place.
    pub fn get_bytes(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.kv.get(key)?.filter(|b| !b.is_empty()))
    }

    pub fn put<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        Ok(self.kv.set(key, &encode(value))?)
    }

    pub fn delete(&self, key: &str) -> Result<()> {
        Ok(self.kv.delete(key)?)
    }

    /// Reads the record at `key`, lets `f` decide, and writes the decision atomically:
    /// when another writer changed the record in between, `f` runs again on the new value.
    pub fn update<T, R>(&self, key: &str, mut f: impl FnMut(Option<T>) -> Result<Update<T, R>>) -> Result<R>
    where
        T: Serialize + DeserializeOwned,
    {
        let mut result = None;
        self.swap_loop(key, &mut |current| {
            let decision = f(decode(key, current)?)?;
            let (bytes, r) = match decision {
                Update::Keep(r) => (None, r),
                Update::Write(value, r) => (Some(encode(&value)), r),
                Update::Clear(r) => (Some(Vec::new()), r),
            };
            result = Some(r);
            Ok(bytes)
        })?;
        Ok(result.expect("the loop ran the decision at least once"))
    }

    /// Like [`Store::update`] for records with a layout of their own: `decide` sees the
    /// current bytes (none when absent) and answers the bytes to write (none: keep).
    pub fn update_bytes(
        &self,
        key: &str,
        mut decide: impl FnMut(Option<&[u8]>) -> Result<Option<Vec<u8>>>,
    ) -> Result<()> {
        self.swap_loop(key, &mut |current| decide(current.as_deref().filter(|b| !b.is_empty())))
    }

    /// The compare-and-swap loop, once for every record type: `decide` sees the current
    /// bytes and answers the bytes to write (none: keep).
    fn swap_loop(
        &self,
        key: &str,
        decide: &mut dyn FnMut(Option<Vec<u8>>) -> Result<Option<Vec<u8>>>,
    ) -> Result<()> {
        let mut slot: CasSlot = self.kv.cas(key)?;
        for _ in 0..MAX_ATTEMPTS {
            let Some(bytes) = decide(slot.current.take())? else { return Ok(()) };
            match self.kv.swap(slot, &bytes)? {
                Ok(()) => return Ok(()),
                Err(fresh) => slot = fresh,
            }
        }
        Err(MeetError::StoreFailure(format!("record {key} stayed contended after {MAX_ATTEMPTS} attempts")))
    }

    /// Every key that starts with `prefix`, across all pages.
    pub fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>> {
        let mut keys = Vec::new();
        let mut cursor = None;
        loop {
            let (page, next) = self.kv.list_keys(cursor)?;
            keys.extend(page.into_iter().filter(|k| k.starts_with(prefix)));
            match next {
                Some(c) => cursor = Some(c),
                None => return Ok(keys),
            }
        }
    }

    /// Every record under `prefix`.
    pub fn scan<T: DeserializeOwned>(&self, prefix: &str) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for key in self.keys_with_prefix(prefix)? {
            if let Some(v) = self.get(&key)? {
                out.push(v);
            }
        }
        Ok(out)
    }
}
