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
/// to a group of hundreds takes, and short enough that a retry a little later finishes
/// what a stopped call began.
pub(crate) const LEASE: Instant = 30 * SECOND;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Announcement {
    /// Being made since then, or cut short then.
    Claimed(Instant),
    Made,
}

impl Meetkit<'_> {
    /// Claims the announcement under `key` for a record this call is about to create,
    /// unless a call before claimed it (one that stopped before creating the record; or,
    /// of two deliveries of one upload, the other).
    pub(crate) fn claim_new_announcement(&self, key: &str) -> Result<()> {
        let now = self.host.now();
        self.store.update(key, |a: Option<Announcement>| {
            Ok(match a {
                None => Update::Write(Announcement::Claimed(now), ()),
                Some(_) => Update::Keep(()),
            })
        })
    }

    /// Whether this call is to make the announcement under `key` of a record it found:
    /// only when the claim on it has outlived [`LEASE`] (it is then this call's).
    pub(crate) fn take_over_announcement(&self, key: &str) -> Result<bool> {
        let now = self.host.now();
        self.store.update(key, |a: Option<Announcement>| {
            Ok(match a {
                Some(Announcement::Claimed(at)) if now - at >= LEASE => {
                    Update::Write(Announcement::Claimed(now), true)
                }
                _ => Update::Keep(false),
            })
        })
    }

    /// Notes the announcement under `key` made.
    pub(crate) fn announcement_made(&self, key: &str) -> Result<()> {
        self.store.put(key, &Announcement::Made)
    }
}
