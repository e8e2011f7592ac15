//! Due-lists: one record listing ids and the next time something happens to each, so
//! that a tick or a listing reads one small record instead of every record.
//!
//! A list is stored as postcard's `Vec<Due>` and changed in place: its entries are
//! located without being decoded into strings, and those a change keeps are copied into
//! the record written back byte for byte. Decoding a list whole and encoding it again cost
//! about 2 000 instructions an entry, and a tenant keeping recordings' copies for 30 days
//! has thousands of entries on its due-list, a few hundred in the shard an upload rewrites.

use crate::prelude::*;

use crate::error::{MeetError, Result};
use crate::model::Instant;
use crate::store::{FORMAT, Store};

/// An entry of a due-list: a record and the next time something happens to it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Due {
    pub id: String,
    pub at: Instant,
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

/// An entry of a list being changed: one read from the record (`stored` holds its bytes,
/// written back as they are), or one a change adds (`stored` empty).
#[derive(Clone, Copy)]
struct Entry<'a> {
    id: &'a [u8],
    at: Instant,
    stored: &'a [u8],
}

/// The id's bytes as postcard writes a string: its length, then the bytes (serde's
/// `[u8]` would be a sequence of numbers).
struct Bytes<'a>(&'a [u8]);

impl serde::Serialize for Bytes<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        s.serialize_bytes(self.0)
    }
}

/// A LEB128 number as postcard writes lengths and integers, and the bytes after it.
/// Read here rather than through postcard's serde reader, which cost about a thousand
/// instructions an entry in the component: a list's entries are read on every change.
fn varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut value = 0_u64;
    for (i, &byte) in bytes.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, &bytes[i + 1..]));
        }
    }
    None
}

/// The entry at the start of `rest` ([`Due`]'s layout: the id's length and bytes, then the
/// time, zigzag-encoded), and the bytes after it.
fn entry(rest: &[u8]) -> Option<(Entry<'_>, &[u8])> {
    let (len, after) = varint(rest)?;
    let id = after.get(..usize::try_from(len).ok()?)?;
    let (zigzag, next) = varint(&after[id.len()..])?;
    let at = (zigzag >> 1) as i64 ^ -((zigzag & 1) as i64);
    Some((Entry { id, at, stored: &rest[..rest.len() - next.len()] }, next))
}

/// Reads the entries of the list stored as `record` one at a time, in place, handing each
/// to `take`, which answers whether to read on.
fn read<'a>(key: &str, record: &'a [u8], mut take: impl FnMut(Entry<'a>) -> Result<bool>) -> Result<()> {
    let unreadable = || MeetError::StoreFailure(format!("record {key} is unreadable"));
    let [FORMAT, rest @ ..] = record else {
        return Err(MeetError::StoreFailure(format!("record {key} has an unknown format")));
    };
    // A list is its length, then its entries.
    let (len, mut rest) = varint(rest).ok_or_else(unreadable)?;
    for _ in 0..len {
        let (entry, next) = entry(rest).ok_or_else(unreadable)?;
        rest = next;
        if !take(entry)? {
            break;
        }
    }
    Ok(())
}

/// The record of `entries`: those read copied as they were, those added encoded.
fn write(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut record = vec![FORMAT];
    record = postcard::to_extend(&(entries.len() as u64), record).cannot_fail("a length serialises");
    for entry in entries {
        if entry.stored.is_empty() {
            record =
                postcard::to_extend(&(Bytes(entry.id), entry.at), record).cannot_fail("an entry serialises");
        } else {
            record.extend_from_slice(entry.stored);
        }
    }
    record
}

/// Due-list changes as [`Store::change_dues`] takes them.
fn borrowed(changes: &[(String, Option<Instant>)]) -> Vec<(&str, Option<Instant>)> {
    changes.iter().map(|(id, at)| (id.as_str(), *at)).collect()
}

impl Store<'_> {
    /// Sets (or, with `None`, removes) the entry of `id` in the due-list at `key`.
    pub fn set_due(&self, key: &str, id: &str, at: Option<Instant>) -> Result<()> {
        self.change_dues(key, &[(id, at)], true, Kept::AsAdded).map(drop)
    }

    /// [`Store::set_due`] for a list kept in order of time (see [`Kept::ByTime`]).
    pub fn set_due_by_time(&self, key: &str, id: &str, at: Option<Instant>) -> Result<()> {
        self.change_dues(key, &[(id, at)], true, Kept::ByTime).map(drop)
    }

    /// Moves the entry of `id` to `at` if it is still in the due-list at `key`. Never adds
    /// it: an entry removed meanwhile (the request completed in another process) stays gone.
    pub fn move_due(&self, key: &str, id: &str, at: Instant) -> Result<()> {
        self.change_dues(key, &[(id, Some(at))], false, Kept::AsAdded).map(drop)
    }

    /// Moves each entry of `moves` as [`Store::move_due`] does (or, at `None`, removes
    /// it), in one write: a tick changing many rewrites the list once, not once each.
    pub fn move_dues(&self, key: &str, moves: &[(String, Option<Instant>)], kept: Kept) -> Result<()> {
        self.change_dues(key, &borrowed(moves), false, kept).map(drop)
    }

    /// Sets each entry of `changes` as [`Store::set_due`] does, in one write, and answers
    /// how many entries the list holds after (0 when `changes` is empty).
    pub fn set_dues(&self, key: &str, changes: &[(String, Option<Instant>)], kept: Kept) -> Result<usize> {
        self.change_dues(key, &borrowed(changes), true, kept)
    }

    /// Applies `changes` to the due-list at `key` in one write, each setting (or, with
    /// `None`, removing) its id's entry; an entry missing is added only when `add`.
    /// Answers how many entries the list holds after (0 for no changes: it is not read
    /// then).
    fn change_dues(
        &self,
        key: &str,
        changes: &[(&str, Option<Instant>)],
        add: bool,
        kept: Kept,
    ) -> Result<usize> {
        let mut count = 0;
        if changes.is_empty() {
            return Ok(count);
        }
        self.update_bytes(key, |current| {
            let mut list = Vec::new();
            if let Some(record) = current {
                read(key, record, |entry| {
                    list.push(entry);
                    Ok(true)
                })?;
            }
            let mut changed = false;
            for &(id, at) in changes {
                let id = id.as_bytes();
                let new = |at| Entry { id, at, stored: &[] };
                let position = list.iter().position(|d| d.id == id);
                changed |= match (position, at, kept) {
                    (Some(i), Some(at), _) if list[i].at == at => false,
                    (Some(i), Some(at), Kept::AsAdded) => {
                        list[i] = new(at);
                        true
                    }
                    (Some(i), None, Kept::AsAdded) => {
                        list.swap_remove(i);
                        true
                    }
                    (None, Some(at), Kept::AsAdded) if add => {
                        list.push(new(at));
                        true
                    }
                    // In order of time: out, and back in at its time after its equals.
                    (Some(i), at, Kept::ByTime) => {
                        list.remove(i);
                        if let Some(at) = at {
                            list.insert(list.partition_point(|d| d.at <= at), new(at));
                        }
                        true
                    }
                    (None, Some(at), Kept::ByTime) if add => {
                        list.insert(list.partition_point(|d| d.at <= at), new(at));
                        true
                    }
                    (None, _, _) => false,
                };
            }
            count = list.len();
            Ok(changed.then(|| write(&list)))
        })?;
        Ok(count)
    }

    /// Removes from the due-list at `key` each entry of `dues` that is still as it was
    /// read (one set again meanwhile stays), in one write.
    pub fn drop_dues_unmoved(&self, key: &str, dues: &[Due]) -> Result<()> {
        if dues.is_empty() {
            return Ok(());
        }
        self.update_bytes(key, |current| {
            let Some(record) = current else { return Ok(None) };
            let (mut list, mut dropped) = (Vec::new(), false);
            read(key, record, |entry| {
                if dues.iter().any(|due| due.id.as_bytes() == entry.id && due.at == entry.at) {
                    dropped = true;
                } else {
                    list.push(entry);
                }
                Ok(true)
            })?;
            Ok(dropped.then(|| write(&list)))
        })
    }

    /// Every entry of the due-list at `key`.
    pub fn due(&self, key: &str) -> Result<Vec<Due>> {
        Ok(self.get::<Vec<Due>>(key)?.unwrap_or_default())
    }

    /// The first `max` entries of the due-list at `key` whose time is `now` or before.
    /// An entry not due costs neither a copy nor a check of its id, and a list kept in
    /// order of time is read no further than its first entry not due (a tick reads lists
    /// of thousands of recordings kept for weeks, few of them due).
    pub fn due_by(&self, key: &str, now: Instant, max: usize, kept: Kept) -> Result<Vec<Due>> {
        let Some(record) = self.get_bytes(key)? else { return Ok(Vec::new()) };
        let mut due = Vec::new();
        read(key, &record, |entry| {
            if due.len() == max || (entry.at > now && kept == Kept::ByTime) {
                return Ok(false);
            }
            if entry.at <= now {
                let id = core::str::from_utf8(entry.id).map_err(|_| {
                    MeetError::StoreFailure(format!("record {key} is unreadable: an id not UTF-8"))
                })?;
                due.push(Due { id: id.to_string(), at: entry.at });
            }
            Ok(true)
        })?;
        Ok(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::MemoryKv;

    fn ids(store: &Store<'_>) -> Vec<(String, Instant)> {
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
        let due = |max| -> Vec<(String, Instant)> {
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
        let all: Vec<(String, Instant)> = ids(&store);
        let expected = [("b", 60), ("c", 100), ("e", 100), ("d", 200)];
        assert_eq!(all, expected.map(|(id, at)| (id.to_string(), at)));
        let due: Vec<String> =
            store.due_by("index/due", 100, 10, Kept::ByTime).unwrap().into_iter().map(|d| d.id).collect();
        assert_eq!(due, ["b", "c", "e"]);
    }

    /// What the list reads in place and writes back is postcard's `Vec<Due>` to the byte:
    /// long ids (a two-byte length), times before 1970 and large ones (zigzag), kept and
    /// changed entries side by side.
    #[test]
    fn a_list_read_in_place_is_written_back_as_postcard_writes_it() {
        let kv = MemoryKv::default();
        let store = Store::new(&kv);
        let long = "x".repeat(300);
        let entries = [("a", -5), (long.as_str(), 1 << 40), ("é", i64::MAX), ("b", i64::MIN)];
        for (id, at) in entries {
            store.set_due("index/due", id, Some(at)).unwrap();
        }
        store.move_due("index/due", "a", 7).unwrap();
        let expected: Vec<Due> = [("a", 7), (long.as_str(), 1 << 40), ("é", i64::MAX), ("b", i64::MIN)]
            .map(|(id, at)| Due { id: id.into(), at })
            .into();
        assert_eq!(store.get_bytes("index/due").unwrap().unwrap(), crate::store::encode(&expected));
        assert_eq!(store.due_by("index/due", i64::MAX, 10, Kept::AsAdded).unwrap(), expected);
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
