//! Rooms nobody left close on their own, so that a meeting nobody ended (the tabs were
//! closed, the pop-up blocked, no webhook came) does not keep its context taken, its
//! people busy or a CRM client waiting, for ever:
//! - the room of a scheduled meeting when the meeting settles (start + duration + 2
//!   hours): from then on its status is final and nobody may enter;
//! - any other meeting after twelve hours without a sign of life: no join, and no
//!   participant event from JaaS, since it started or since the latest one.
//!
//! Meanwhile whoever was handed a ticket to a meeting of a group or record and never
//! appeared in JaaS's reports leaves it, as at the meeting's next event (see
//! `connection`), when no event comes to do it.

use crate::prelude::*;

use crate::Meetkit;
use crate::announcement::LEASE;
use crate::clock::{MAX_CHANGES_PER_TICK, TickReport};
use crate::connection::next_look;
use crate::due_list::Kept;
use crate::error::Result;
use crate::model::{Context, Instant, Meeting};
use crate::overview::{Appointment, appointment_key};

/// The due-list of the scheduled meetings whose room was opened: when each settles.
const OPEN_ROOMS: &str = "index/open-rooms";
/// The due-list of the running meetings of groups and records: when each has been quiet
/// too long, unless a participant event came since, first when its start's claim on its
/// announcement runs out, and every ten minutes at most for whoever never came. (A call
/// request's meeting is due on the list of active requests instead, which its accept
/// writes anyway.)
const RUNNING: &str = "index/running-meetings";

impl Meetkit<'_> {
    /// Notes that the room of `a` is open until `a` settles.
    pub(crate) fn room_opened(&self, a: &Appointment) -> Result<()> {
        self.store.set_due(OPEN_ROOMS, &a.id, Some(a.settles_at()))
    }

    /// Ends the meetings of the scheduled meetings that have settled with their room
    /// still open; answers the meetings ended.
    pub(crate) fn close_settled_rooms(&self, now: Instant) -> Result<Vec<String>> {
        let mut ended = Vec::new();
        for due in self.due_now(OPEN_ROOMS, now)?.into_iter().take(MAX_CHANGES_PER_TICK) {
            let a = self.store.get::<Appointment>(&appointment_key(&due.id))?;
            if let Some(a) = &a
                && now < a.settles_at()
            {
                // Moved since its room opened (the guest waited, the host never came).
                self.store.move_due(OPEN_ROOMS, &due.id, a.settles_at())?;
                continue;
            }
            // The meeting running in the room, whether or not the appointment recorded it
            // (a failure between opening the room and recording it).
            let context = Context::Appointment(due.id.clone());
            if let Some(meeting) = self.running_meeting(&context)?
                && self.end_meeting(&meeting.id)?.1
            {
                ended.push(meeting.id);
            }
            self.store.set_due(OPEN_ROOMS, &due.id, None)?;
        }
        Ok(ended)
    }

    /// Notes that `meeting` runs (before it is stored: a failure after this leaves no
    /// meeting nobody closes), due first when its start's claim on the announcement runs
    /// out: a start stopped before announcing, and not repeated, is announced by the tick.
    /// Scheduled meetings' rooms close by their settling instead, and call requests'
    /// meetings by the list of active requests.
    pub(crate) fn meeting_opened(&self, meeting: &Meeting) -> Result<()> {
        if !meeting.context.is_group_or_record() {
            return Ok(());
        }
        self.store.set_due(RUNNING, &meeting.id, Some(meeting.started_at + LEASE))
    }

    /// Takes an ended meeting off the list of running ones.
    pub(crate) fn meeting_closed(&self, meeting: &Meeting) -> Result<()> {
        if !meeting.context.is_group_or_record() {
            return Ok(());
        }
        self.store.set_due(RUNNING, &meeting.id, None)
    }

    /// Ends the meetings that have been quiet for twelve hours, at most
    /// [`MAX_CHANGES_PER_TICK`] (the others end at the next tick); takes out of the others
    /// whoever never came, in as many; announces a start cut short that nobody repeated.
    /// Moves or removes the entries it does not end in one write.
    pub(crate) fn close_quiet_meetings(&self, now: Instant, report: &mut TickReport) -> Result<()> {
        let mut moves = Vec::new();
        let (mut ended, mut taken_out) = (0, 0);
        for due in self.due_now(RUNNING, now)? {
            let meeting = self.store.get::<Meeting>(&crate::meeting::meeting_key(&due.id))?;
            match meeting.filter(Meeting::is_running) {
                Some(m) if now < m.quiet_until() && taken_out < MAX_CHANGES_PER_TICK => {
                    // Due when its start's claim ran out, when someone's time to appear
                    // did, or quiet since a join; the tick looks again for tickets handed
                    // out since.
                    let absent = self.take_out_absent(&m, now)?;
                    taken_out += usize::from(!absent.is_empty());
                    report.never_came.extend(absent.into_iter().map(|user| format!("{}: {user}", m.id)));
                    let next = [self.announce_start_if_cut_short(&m)?, Some(next_look(&m, now))]
                        .into_iter()
                        .flatten()
                        .fold(m.quiet_until(), Instant::min);
                    moves.push((due.id, Some(next)));
                }
                Some(m) if now >= m.quiet_until() && ended < MAX_CHANGES_PER_TICK => {
                    if self.close_if_quiet(RUNNING, &due.id, &m, now)? {
                        report.ended_meetings.push(m.id);
                        ended += 1;
                    }
                }
                // Left due: the next tick.
                Some(_) => {}
                // Ended meanwhile, or an open that lost to another start.
                None => moves.push((due.id, None)),
            }
        }
        self.store.move_dues(RUNNING, &moves, Kept::AsAdded)
    }

    /// What the tick does with the running `meeting` it found due as `entry` of the
    /// due-list `list`: moves the entry on to when the meeting will have been quiet too
    /// long, or ends the meeting if it has been, and still is as its record is changed (a
    /// join after the tick read it keeps it running). Answers whether it ended it.
    pub(crate) fn close_if_quiet(
        &self,
        list: &str,
        entry: &str,
        meeting: &Meeting,
        now: Instant,
    ) -> Result<bool> {
        let until = meeting.quiet_until();
        if now < until {
            self.store.move_due(list, entry, until)?;
            return Ok(false);
        }
        Ok(self.end_meeting_when(&meeting.id, &|m| now >= m.quiet_until())?.1)
    }
}
