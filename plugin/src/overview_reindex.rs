//! The overview's index following a change that a failure cut short.
//!
//! A change of a scheduled meeting is one write of its record, then one or two writes of
//! its hosts' index records (see `overview_index`): the index is what the overview
//! filters, sorts and pages on. So that a failure or a stopped process between them
//! leaves no meeting listed in the wrong place for good (under its former host, among
//! the upcoming ones once it is past), the change is noted on a due-list before its
//! record is written and taken off once the index follows. The tick brings the index up
//! to date for any note still there when its lease has run out.

use crate::prelude::*;

use crate::Meetkit;
use crate::announcement::LEASE;
use crate::due_list::Due;
use crate::error::Result;
use crate::model::Instant;
use crate::overview::{Appointment, appointment_key};

/// The due-list of the changes whose index update is under way.
const CHANGING: &str = "index/overview-changes";
/// At most this many changes are followed in one tick: each copies one or two hosts'
/// index records, with 10 000 meetings a million instructions or so, and what follows
/// in the tick must still fit the call's budget.
const MAX_PER_TICK: usize = 5;

/// A note's entry: the meeting's id and, when the change gave it another host, a space
/// and the former host, whose index must lose its row (generated ids hold no space).
fn entry(id: &str, former_host: &str, host: &str) -> String {
    if former_host == host { id.to_string() } else { format!("{id} {former_host}") }
}

impl Meetkit<'_> {
    /// Notes, before the change of `id` is written, that its index update is under way.
    /// Answers the note, for [`Meetkit::follow_change`].
    pub(crate) fn noting_change(&self, id: &str, former_host: &str, host: &str) -> Result<Due> {
        let due = Due { id: entry(id, former_host, host), at: self.host.now() + LEASE };
        self.store.set_due(CHANGING, &due.id, Some(due.at))?;
        Ok(due)
    }

    /// Brings the index up to date with the change of `a` noted as `note`, and takes the
    /// note off. The change is stored whatever happens here: a failure leaves the note to
    /// the tick rather than failing the call, whose repeat would find it made.
    pub(crate) fn follow_change(&self, a: &Appointment, former_host: &str, note: Due) {
        let _ = match self.reindex(a, Some(former_host)) {
            // A note made again meanwhile (another change of the meeting) stays.
            Ok(()) => self.store.drop_dues_unmoved(CHANGING, &[note]),
            // Noted anew: the note may be another call's, which followed its own change
            // and may take the note off, or be older than this call (the tick dropped it).
            Err(_) => self.store.set_due(CHANGING, &note.id, Some(self.host.now() + LEASE)),
        };
    }

    /// Makes the index follow the changes a failure or a stopped process cut short, at
    /// most [`MAX_PER_TICK`] (the others at the next tick).
    pub(crate) fn finish_changes(&self, now: Instant) -> Result<()> {
        self.finish_noted(CHANGING, now, MAX_PER_TICK, &mut |entry| self.finish_change(entry))
    }

    /// Brings the index up to date with the stored record of the change noted as `entry`.
    fn finish_change(&self, entry: &str) -> Result<()> {
        let (id, former_host) = match entry.split_once(' ') {
            Some((id, former_host)) => (id, Some(former_host)),
            None => (entry, None),
        };
        match self.store.get::<Appointment>(&appointment_key(id))? {
            Some(a) => self.reindex(&a, former_host),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{CasSlot, KvError};
    use crate::model::Licence;
    use crate::testing::{FakeHost, MemoryKv};

    /// A meeting hosted by `host`, stored and indexed as scheduling leaves it.
    fn scheduled(mk: &Meetkit<'_>, host: &str) -> Appointment {
        let a = crate::overview_index::tests::appointment(1, host);
        mk.reindex(&a, None).unwrap();
        mk.store.put(&appointment_key(&a.id), &a).unwrap();
        a
    }

    fn hosted(mk: &Meetkit<'_>, host: &str) -> Vec<String> {
        mk.hosted(host).unwrap().into_iter().map(|(id, _)| id).collect()
    }

    /// A meeting given to another host while the index would not write: the change
    /// stands, and the tick moves its row once the lease has run out.
    #[test]
    fn a_move_the_index_missed_is_made_by_the_tick() {
        let host = FakeHost::new(Licence::X20Advanced);
        let kv = MemoryKv::default();
        let mk = Meetkit::new(&host, &kv);
        let a = scheduled(&mk, "h0");

        kv.fail_cas_on.set(Some("overview/"));
        let moved = mk
            .change(&a.id, |a, _| {
                a.host = "h1".into();
                Ok(())
            })
            .unwrap();
        kv.fail_cas_on.set(None);
        assert_eq!(moved.host, "h1");
        assert_eq!(hosted(&mk, "h0"), [a.id.as_str()], "the index missed the move");

        mk.tick().unwrap();
        assert_eq!(hosted(&mk, "h0"), [a.id.as_str()], "within the lease the change may still follow");
        host.advance(LEASE);
        mk.tick().unwrap();
        assert!(hosted(&mk, "h0").is_empty());
        assert_eq!(hosted(&mk, "h1"), [a.id.as_str()]);
        assert!(mk.store.due(CHANGING).unwrap().is_empty());
    }

    /// A change whose index followed leaves no note behind.
    #[test]
    fn a_change_the_index_followed_leaves_no_note() {
        let host = FakeHost::new(Licence::X20Advanced);
        let kv = MemoryKv::default();
        let mk = Meetkit::new(&host, &kv);
        let a = scheduled(&mk, "h0");
        mk.change(&a.id, |a, _| {
            a.details = "renamed".into();
            Ok(())
        })
        .unwrap();
        assert!(mk.store.due(CHANGING).unwrap().is_empty());
    }

    /// A store whose next swap of `key` first lets `meanwhile` run: another process's
    /// change landing between this one's read of a record and its write.
    struct Racing<'a> {
        inner: &'a MemoryKv,
        key: &'static str,
        meanwhile: core::cell::RefCell<Option<Box<dyn FnOnce() + 'a>>>,
    }

    impl crate::host::Kv for Racing<'_> {
        fn get(&self, key: &str) -> core::result::Result<Option<Vec<u8>>, KvError> {
            self.inner.get(key)
        }
        fn set(&self, key: &str, value: &[u8]) -> core::result::Result<(), KvError> {
            self.inner.set(key, value)
        }
        fn delete(&self, key: &str) -> core::result::Result<(), KvError> {
            self.inner.delete(key)
        }
        fn list_keys(
            &self,
            cursor: Option<String>,
        ) -> core::result::Result<(Vec<String>, Option<String>), KvError> {
            self.inner.list_keys(cursor)
        }
        fn cas(&self, key: &str) -> core::result::Result<CasSlot, KvError> {
            self.inner.cas(key)
        }
        fn swap(
            &self,
            slot: CasSlot,
            value: &[u8],
        ) -> core::result::Result<core::result::Result<(), CasSlot>, KvError> {
            let key = slot.handle.downcast_ref::<(String, u64)>().map(|(key, _)| key.as_str());
            if key == Some(self.key)
                && let Some(meanwhile) = self.meanwhile.borrow_mut().take()
            {
                meanwhile();
            }
            self.inner.swap(slot, value)
        }
    }

    /// Ana's meeting is given to Ben, and at that moment another process gives it on to
    /// Chloe: Ben's index gains its row just after Chloe's change looked there and found
    /// none. The row leaves Ben's index all the same.
    #[test]
    fn racing_moves_leave_the_meeting_with_its_last_host_only() {
        let host = FakeHost::new(Licence::X20Advanced);
        let kv = MemoryKv::default();
        let other = Meetkit::new(&host, &kv);
        let a = scheduled(&other, "ana");
        let racing = Racing {
            inner: &kv,
            key: "overview/ben",
            meanwhile: core::cell::RefCell::new(Some(Box::new(|| {
                other
                    .change(&a.id, |a, _| {
                        a.host = "chloe".into();
                        Ok(())
                    })
                    .unwrap();
            }))),
        };
        let mk = Meetkit::new(&host, &racing);
        mk.change(&a.id, |a, _| {
            a.host = "ben".into();
            Ok(())
        })
        .unwrap();
        assert!(racing.meanwhile.borrow().is_none(), "the other change ran");
        assert!(hosted(&mk, "ana").is_empty());
        assert!(hosted(&mk, "ben").is_empty(), "no row is left where the meeting no longer is");
        assert_eq!(hosted(&mk, "chloe"), [a.id.as_str()]);
    }
}
