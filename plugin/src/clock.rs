//! Time-driven rules, applied when the host ticks.

use crate::prelude::*;

use crate::Meetkit;
use crate::due_list::{Due, Kept};
use crate::error::{MeetError, Result};
use crate::model::{Instant, MINUTE};

/// At most this many costly changes of each kind are made in one tick (meetings ended,
/// requests expired, recordings deleted or moved to their copy: each is many writes and
/// calls to the platform); the others at the next tick.
pub(crate) const MAX_CHANGES_PER_TICK: usize = 20;
/// At most this many entries of a due-list are looked at in one tick (each is a record
/// read), so that a backlog after ticks stopped for hours stays within a call's budget.
pub(crate) const MAX_DUE_PER_TICK: usize = 200;
/// How long work on a note that the store failed waits before it is tried again.
const RETRY: Instant = 10 * MINUTE;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TickReport {
    pub expired_requests: Vec<String>,
    pub deleted_files: Vec<String>,
    pub released_copies: Vec<String>,
    /// Recordings whose change Files refused, each with the reason: tried again next tick.
    pub postponed: Vec<String>,
    /// Meetings ended because nobody ended them: scheduled meetings that settled with
    /// their room open, and other meetings quiet for twelve hours.
    pub ended_meetings: Vec<String>,
    /// People taken out of a running meeting of a group or record because they never
    /// appeared in JaaS's reports of it: "<meeting>: <user>".
    pub never_came: Vec<String>,
    /// Meetings whose end a failure or a stopped process cut short, finished now.
    pub finished_ends: Vec<String>,
}

impl Meetkit<'_> {
    /// Applies every rule whose time has come; a second tick at the same time does nothing.
    pub fn tick(&self) -> Result<TickReport> {
        let now = self.host.now();
        let mut report = TickReport::default();
        self.expire_overdue(now, &mut report)?;
        report.ended_meetings.extend(self.close_settled_rooms(now)?);
        self.close_quiet_meetings(now, &mut report)?;
        // Allowed to fail: their entries stay for the next tick, and a store failing here
        // must not cost the host this tick's report of the recordings changed below.
        let _ = self.finish_ends(now, &mut report);
        let _ = self.finish_changes(now);
        // Last: the host acts on the recordings reported (copies released), so nothing
        // after them may fail the call.
        self.expire_recordings(now, &mut report)?;
        Ok(report)
    }

    /// Works off the notes of work under way on the due-list `list` whose lease has run
    /// out, at most `max` of them: `finish` does the work of one. A note whose work the
    /// store failed is tried again ten minutes on, without holding up the rest of the
    /// tick; any other note leaves the list (done, or nothing left to do it with), unless
    /// a call noted it again meanwhile.
    pub(crate) fn finish_noted(
        &self,
        list: &str,
        now: Instant,
        max: usize,
        finish: &mut dyn FnMut(&str) -> Result<()>,
    ) -> Result<()> {
        let (mut retried, mut dropped) = (Vec::new(), Vec::new());
        for due in self.due_now(list, now)?.into_iter().take(max) {
            match finish(&due.id) {
                Err(MeetError::StoreFailure(_)) => retried.push((due.id, Some(now + RETRY))),
                _ => dropped.push(due),
            }
        }
        self.store.move_dues(list, &retried, Kept::AsAdded)?;
        self.store.drop_dues_unmoved(list, &dropped)
    }

    /// The entries of the due-list `list` whose time has come: the first
    /// [`MAX_DUE_PER_TICK`] of them.
    pub(crate) fn due_now(&self, list: &str, now: Instant) -> Result<Vec<Due>> {
        self.store.due_by(list, now, MAX_DUE_PER_TICK, Kept::AsAdded)
    }
}
