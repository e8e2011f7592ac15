//! Announcements made once, and made again only when the call making them stopped.
//!
//! A start's chat comment and bells, a call request's bells and an upload's comment and
//! copy are shown by the platform, a store apart from the component's records: a call
//! killed between its record and what it shows (or a platform whose database is down,
//! which fails the call) would lose the showing for good, the next call finding the
//! record and doing nothing. So the call that creates the record first claims its
//! announcement (`claimed` with the time), announces, and then notes it `made`. A later
//! start, request or delivery that finds a claim older than [`LEASE`] takes it over and
//! announces; one that finds a younger claim leaves it to the call that holds it, so two
//! calls at the same moment announce once. No record at all is an announcement made
//! before announcements were recorded.

use crate::Meetkit;
use crate::error::Result;
use crate::model::{Instant, SECOND};
use crate::store::Update;
use serde::{Deserialize, Serialize};

/// How long a claim is left to the call that made it: far longer than a call announcing
/// to a group of hundreds takes, as long as a host waits for its locked database before
/// failing the call, and short enough that a retry a little later finishes what a
/// stopped call began.
pub(crate) const LEASE: Instant = 10 * SECOND;

/// What a call that found a record is to do about its announcement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TakeOver {
    /// Make it: the claim was cut short, and is now this call's.
    Take,
    /// Leave it: another call claimed it within the lease, and may be making it; the
    /// claim runs out then.
    Held(Instant),
    /// Nothing: it was made (or made before announcements were recorded).
    Made,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Announcement {
    /// Being made since then, or cut short then.
    Claimed(Instant),
    Made,
}

impl Meetkit<'_> {
    /// Claims the announcement of a record this call is about to create under an id it
    /// has just made: nobody can have claimed it (a write, not a compare-and-swap).
    pub(crate) fn claim_fresh_announcement(&self, key: &str) -> Result<()> {
        self.store.put(key, &Announcement::Claimed(self.host.now()))
    }

    /// Claims the announcement under `key` for a record this call is about to create:
    /// anew when a call before claimed it and stopped (before creating the record), but
    /// not a claim within the lease (of two deliveries of one upload, the other's).
    pub(crate) fn claim_new_announcement(&self, key: &str) -> Result<()> {
        let now = self.host.now();
        self.store.update(key, |a: Option<Announcement>| {
            Ok(match a {
                None => Update::Write(Announcement::Claimed(now), ()),
                Some(Announcement::Claimed(at)) if now - at >= LEASE => {
                    Update::Write(Announcement::Claimed(now), ())
                }
                Some(_) => Update::Keep(()),
            })
        })
    }

    /// What this call is to do about the announcement under `key` of a record it found:
    /// make it when the claim on it has outlived [`LEASE`] (it is then this call's).
    pub(crate) fn take_over_announcement(&self, key: &str) -> Result<TakeOver> {
        let now = self.host.now();
        self.store.update(key, |a: Option<Announcement>| {
            Ok(match a {
                Some(Announcement::Claimed(at)) if now - at >= LEASE => {
                    Update::Write(Announcement::Claimed(now), TakeOver::Take)
                }
                Some(Announcement::Claimed(at)) => Update::Keep(TakeOver::Held(at + LEASE)),
                _ => Update::Keep(TakeOver::Made),
            })
        })
    }

    /// Notes the announcement under `key` made.
    pub(crate) fn announcement_made(&self, key: &str) -> Result<()> {
        self.store.put(key, &Announcement::Made)
    }
}
