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
const FORMAT: u8 = 1;

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

/// Decodes a record whose strings stay in `bytes` (no copies): for large lists.
pub fn decode_in_place<'a, T: serde::Deserialize<'a>>(key: &str, bytes: &'a [u8]) -> Result<T> {
    match bytes {
        [FORMAT, rest @ ..] => postcard::from_bytes(rest)
            .map_err(|e| MeetError::StoreFailure(format!("record {key} is unreadable: {e}"))),
        _ => Err(MeetError::StoreFailure(format!("record {key} has an unknown format"))),
    }
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
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

    /// The stored bytes of a record (absent or cleared: none), for `decode_in_place`.
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

/// How a due-list keeps its entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kept {
    /// As they were added: small lists, read whole.
    AsAdded,
    /// In order of time, the earliest first (equal times as they came): a list of
    /// thousands, of which a tick reads only the entries due. Only for lists written
    /// so from the start.
    ByTime,
}

/// Due-list changes as [`Store::change_dues`] takes them.
fn borrowed(
    changes: &[(String, Option<crate::model::Instant>)],
) -> Vec<(&str, Option<crate::model::Instant>)> {
    changes.iter().map(|(id, at)| (id.as_str(), *at)).collect()
}

/// An entry of a due-list: a record and the next time something happens to it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Due {
    pub id: String,
    pub at: crate::model::Instant,
}

impl Store<'_> {
    /// Sets (or, with `None`, removes) the entry of `id` in the due-list at `key`. A
    /// due-list lets a tick or a listing read one small record instead of every record.
    pub fn set_due(&self, key: &str, id: &str, at: Option<crate::model::Instant>) -> Result<()> {
        self.change_dues(key, &[(id, at)], true, Kept::AsAdded)
    }

    /// [`Store::set_due`] for a list kept in order of time (see [`Kept::ByTime`]).
    pub fn set_due_by_time(&self, key: &str, id: &str, at: Option<crate::model::Instant>) -> Result<()> {
        self.change_dues(key, &[(id, at)], true, Kept::ByTime)
    }

    /// Moves the entry of `id` to `at` if it is still in the due-list at `key`. Never adds
    /// it: an entry removed meanwhile (the request completed in another process) stays gone.
    pub fn move_due(&self, key: &str, id: &str, at: crate::model::Instant) -> Result<()> {
        self.change_dues(key, &[(id, Some(at))], false, Kept::AsAdded)
    }

    /// Moves each entry of `moves` as [`Store::move_due`] does (or, at `None`, removes
    /// it), in one write: a tick changing many rewrites the list once, not once each.
    pub fn move_dues(
        &self,
        key: &str,
        moves: &[(String, Option<crate::model::Instant>)],
        kept: Kept,
    ) -> Result<()> {
        self.change_dues(key, &borrowed(moves), false, kept)
    }

    /// Sets each entry of `changes` as [`Store::set_due`] does, in one write.
    pub fn set_dues(
        &self,
        key: &str,
        changes: &[(String, Option<crate::model::Instant>)],
        kept: Kept,
    ) -> Result<()> {
        self.change_dues(key, &borrowed(changes), true, kept)
    }

    /// Applies `changes` to the due-list at `key` in one write, each setting (or, with
    /// `None`, removing) its id's entry; an entry missing is added only when `add`.
    fn change_dues(
        &self,
        key: &str,
        changes: &[(&str, Option<crate::model::Instant>)],
        add: bool,
        kept: Kept,
    ) -> Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        self.update(key, |list: Option<Vec<Due>>| {
            let mut list = list.unwrap_or_default();
            let mut changed = false;
            for &(id, at) in changes {
                let position = list.iter().position(|d| d.id == id);
                changed |= match (position, at, kept) {
                    (Some(i), Some(at), _) if list[i].at == at => false,
                    (Some(i), Some(at), Kept::AsAdded) => {
                        list[i].at = at;
                        true
                    }
                    (Some(i), None, Kept::AsAdded) => {
                        list.swap_remove(i);
                        true
                    }
                    (None, Some(at), Kept::AsAdded) if add => {
                        list.push(Due { id: id.to_string(), at });
                        true
                    }
                    // In order of time: out, and back in at its time after its equals.
                    (Some(i), at, Kept::ByTime) => {
                        let due = list.remove(i);
                        if let Some(at) = at {
                            list.insert(list.partition_point(|d| d.at <= at), Due { at, ..due });
                        }
                        true
                    }
                    (None, Some(at), Kept::ByTime) if add => {
                        list.insert(list.partition_point(|d| d.at <= at), Due { id: id.to_string(), at });
                        true
                    }
                    (None, _, _) => false,
                };
            }
            Ok(if changed { Update::Write(list, ()) } else { Update::Keep(()) })
        })
    }

    /// Removes from the due-list at `key` each entry of `dues` that is still as it was
    /// read (one set again meanwhile stays), in one write.
    pub fn drop_dues_unmoved(&self, key: &str, dues: &[Due]) -> Result<()> {
        if dues.is_empty() {
            return Ok(());
        }
        self.update(key, |list: Option<Vec<Due>>| {
            let mut list = list.unwrap_or_default();
            let before = list.len();
            list.retain(|d| !dues.contains(d));
            Ok(if list.len() == before { Update::Keep(()) } else { Update::Write(list, ()) })
        })
    }

    /// Every entry of the due-list at `key`.
    pub fn due(&self, key: &str) -> Result<Vec<Due>> {
        Ok(self.get::<Vec<Due>>(key)?.unwrap_or_default())
    }

    /// The first `max` entries of the due-list at `key` whose time is `now` or before.
    /// Read in place, one entry at a time: an entry not due costs neither a copy nor a
    /// check of its id, and a list kept in order of time is read no further than its
    /// first entry not due (a tick reads lists of thousands of recordings kept for
    /// weeks, few of them due).
    pub fn due_by(&self, key: &str, now: crate::model::Instant, max: usize, kept: Kept) -> Result<Vec<Due>> {
        /// An entry as stored ([`Due`]'s layout), its id left as bytes.
        #[derive(serde::Deserialize)]
        struct Stored<'a> {
            #[serde(borrow)]
            id: &'a [u8],
            at: crate::model::Instant,
        }
        let bytes = match self.kv.get(key)? {
            Some(bytes) if !bytes.is_empty() => bytes,
            _ => return Ok(Vec::new()),
        };
        let unreadable =
            |e: postcard::Error| MeetError::StoreFailure(format!("record {key} is unreadable: {e}"));
        let [FORMAT, rest @ ..] = bytes.as_slice() else {
            return Err(MeetError::StoreFailure(format!("record {key} has an unknown format")));
        };
        // A list is its length, then its entries.
        let (len, mut rest) = postcard::take_from_bytes::<u64>(rest).map_err(unreadable)?;
        let mut due = Vec::new();
        for _ in 0..len {
            let (entry, next) = postcard::take_from_bytes::<Stored<'_>>(rest).map_err(unreadable)?;
            rest = next;
            if due.len() == max || (entry.at > now && kept == Kept::ByTime) {
                break;
            }
            if entry.at <= now {
                let id = core::str::from_utf8(entry.id).map_err(|_| {
                    MeetError::StoreFailure(format!("record {key} is unreadable: an id not UTF-8"))
                })?;
                due.push(Due { id: id.to_string(), at: entry.at });
            }
        }
        Ok(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MemoryKv;

    fn ids(store: &Store<'_>) -> Vec<(String, crate::model::Instant)> {
        store.due("index/due").unwrap().into_iter().map(|d| (d.id, d.at)).collect()
    }

    #[test]
    fn dropping_entries_as_read_keeps_one_set_again_meanwhile() {
        let kv = MemoryKv::default();
        let store = Store::new(&kv);
        store.set_due("index/due", "a", Some(10)).unwrap();
        store.set_due("index/due", "b", Some(10)).unwrap();
        let read = store.due("index/due").unwrap();
        store.set_due("index/due", "b", Some(20)).unwrap();
        store.drop_dues_unmoved("index/due", &read).unwrap();
        assert_eq!(ids(&store), [("b".to_string(), 20)]);
    }

    #[test]
    fn the_entries_due_are_read_in_order_up_to_a_limit() {
        let kv = MemoryKv::default();
        let store = Store::new(&kv);
        assert!(store.due_by("index/due", 100, 2, Kept::AsAdded).unwrap().is_empty(), "no list yet");
        for (id, at) in [("a", 50), ("b", 500), ("c", 100), ("d", 10)] {
            store.set_due("index/due", id, Some(at)).unwrap();
        }
        let due = |max| -> Vec<(String, crate::model::Instant)> {
            store
                .due_by("index/due", 100, max, Kept::AsAdded)
                .unwrap()
                .into_iter()
                .map(|d| (d.id, d.at))
                .collect()
        };
        assert_eq!(due(10), [("a".to_string(), 50), ("c".to_string(), 100), ("d".to_string(), 10)]);
        assert_eq!(due(2), [("a".to_string(), 50), ("c".to_string(), 100)]);
    }

    /// A list kept in order of time stays so through every change, and is read up to
    /// its first entry not due.
    #[test]
    fn a_list_kept_in_order_of_time_is_read_up_to_the_first_not_due() {
        let kv = MemoryKv::default();
        let store = Store::new(&kv);
        for (id, at) in [("a", 50), ("b", 500), ("c", 100), ("d", 10), ("e", 100)] {
            store.set_due_by_time("index/due", id, Some(at)).unwrap();
        }
        store.move_dues("index/due", &[("d".into(), Some(200)), ("a".into(), None)], Kept::ByTime).unwrap();
        store.set_due_by_time("index/due", "b", Some(60)).unwrap();
        let all: Vec<(String, crate::model::Instant)> = ids(&store);
        let expected = [("b", 60), ("c", 100), ("e", 100), ("d", 200)];
        assert_eq!(all, expected.map(|(id, at)| (id.to_string(), at)));
        let due: Vec<String> =
            store.due_by("index/due", 100, 10, Kept::ByTime).unwrap().into_iter().map(|d| d.id).collect();
        assert_eq!(due, ["b", "c", "e"]);
    }

    #[test]
    fn moving_an_entry_never_brings_back_one_removed_meanwhile() {
        let kv = MemoryKv::default();
        let store = Store::new(&kv);
        store.set_due("index/due", "a", Some(10)).unwrap();
        store.move_due("index/due", "a", 20).unwrap();
        assert_eq!(ids(&store), [("a".to_string(), 20)]);
        // Another process completed it: a late move must not list it again.
        store.set_due("index/due", "a", None).unwrap();
        store.move_due("index/due", "a", 30).unwrap();
        assert!(ids(&store).is_empty());
        // Setting adds.
        store.set_due("index/due", "b", Some(5)).unwrap();
        assert_eq!(ids(&store), [("b".to_string(), 5)]);
    }
}
