//! Ending a meeting, and what follows the end: the context is free again, the bells
//! asking to join are taken back, whoever was inside is available, open pages and the
//! chat are told, a call request completes, a scheduled meeting's status follows.
//!
//! The end is one write of the meeting; what follows is many writes and calls to the
//! platform. So that a failure or a stopped process between them loses none of it, the
//! meeting goes on the due-list of ends under way before it is written ended, and leaves
//! it once everything that follows is done. The tick finishes any end still on it when
//! its lease has run out.

use crate::prelude::*;

use crate::Meetkit;
use crate::announcement::LEASE;
use crate::call_request::{CallRequest, RequestStatus, Unread, request_key};
use crate::clock::{MAX_CHANGES_PER_TICK, TickReport};
use crate::error::{MeetError, Result};
use crate::host::{Comment, PageSignal};
use crate::meeting::{ENDED_TEXT, context_key, meeting_key};
use crate::model::{Context, Instant, Meeting};
use crate::order;
use crate::store::Update;

/// The due-list of the meetings whose end is under way: due when the end's lease runs
/// out, so that the tick finishes an end its caller did not.
const ENDING: &str = "index/ending-meetings";

impl Meetkit<'_> {
    /// Ends a running meeting for everyone (room destroyed, call completed). Returns the
    /// meeting and whether this call ended it.
    pub(crate) fn end_meeting(&self, id: &str) -> Result<(Meeting, bool)> {
        self.end_meeting_when(id, &|_| true)
    }

    /// Ends meeting `id` if it runs and `still` holds for its record as it is written.
    pub(crate) fn end_meeting_when(
        &self,
        id: &str,
        still: &dyn Fn(&Meeting) -> bool,
    ) -> Result<(Meeting, bool)> {
        let now = self.host.now();
        let (meeting, remaining) = self.store.update(&meeting_key(id), |m: Option<Meeting>| {
            let mut m = m.ok_or_else(|| MeetError::NotFound(format!("there is no meeting {id}")))?;
            if !m.is_running() || !still(&m) {
                return Ok(Update::Keep((m, None)));
            }
            self.ending(&m)?;
            let remaining = m.end(now);
            Ok(Update::Write(m.clone(), (m, Some(remaining))))
        })?;
        match remaining {
            Some(remaining) => {
                self.after_end(&meeting, &remaining)?;
                Ok((meeting, true))
            }
            None => Ok((meeting, false)),
        }
    }

    /// Takes `user` out of `meeting` (see [`Meeting::depart`]), noting the end under way
    /// when that ends it: every leave that may end a meeting goes through here, so that
    /// none forgets the note its write needs.
    pub(crate) fn depart(
        &self,
        meeting: &mut Meeting,
        user: &str,
        now: Instant,
    ) -> Result<Option<Vec<String>>> {
        let remaining = meeting.depart(user, now);
        if remaining.is_some() {
            self.ending(meeting)?;
        }
        Ok(remaining)
    }

    /// Ends `meeting` when those who never came were all that was left in it after a
    /// leave that did not end it (taken out after the leave was counted, see
    /// `connection`): a room with nobody in it does not run on. Returns who was in it
    /// (nobody) when it ends.
    pub(crate) fn end_if_empty(&self, meeting: &mut Meeting, now: Instant) -> Result<Option<Vec<String>>> {
        if !meeting.is_running() || !meeting.present.is_empty() {
            return Ok(None);
        }
        self.ending(meeting)?;
        Ok(Some(meeting.end(now)))
    }

    /// Notes, before `meeting` is written ended, that its end is under way. Noted again
    /// when a contended write is retried; an entry whose meeting still runs (a join won
    /// the write) is dropped by the tick.
    pub(crate) fn ending(&self, meeting: &Meeting) -> Result<()> {
        self.store.set_due(ENDING, &meeting.id, Some(self.host.now() + LEASE))
    }

    /// What follows the end of `meeting`, which `remaining` were still in. Done again in
    /// full, should a failure stop it, by the tick: each step may be repeated (a repeat
    /// posts "The meeting has ended." to the chat once more).
    pub(crate) fn after_end(&self, meeting: &Meeting, remaining: &[String]) -> Result<()> {
        let id = meeting.id.as_str();
        // "Meeting started" asks to join: once it has ended, it asks nothing more. Taken
        // back by meeting, so that a meeting started in the context since, however late
        // this end is finished, keeps its own. Then the context is free again.
        if meeting.context.is_group_or_record() {
            self.withdraw_start_notifications(meeting);
        }
        let key = context_key(&meeting.context);
        let newer = self.store.update(&key, |current: Option<String>| {
            Ok(match current {
                Some(c) if c == id => Update::Clear(false),
                Some(_) => Update::Keep(true),
                None => Update::Keep(false),
            })
        })?;
        for user in remaining {
            self.left(user, Some(id));
        }
        // A call request's client: every contact, each of whom was offered "Join Meeting".
        // A request no longer accepted (its staff member completed it) is completed for good.
        let (contacts, accepted) = match &meeting.context {
            Context::CallRequest(request) => {
                match self.store.get::<CallRequest<Unread>>(&request_key(request))? {
                    Some(r) => (Some(self.client_pages(&r)), r.status == RequestStatus::Accepted),
                    None => (Some(Vec::new()), false),
                }
            }
            _ => (None, false),
        };
        // Whoever still has the meeting open learns that it ended; for a call request
        // that is also its staff member and client.
        let mut told = remaining.to_vec();
        if let Some(contacts) = &contacts {
            told.extend(meeting.invited.iter().chain(contacts).cloned());
        }
        self.host.signal_page(&order::sorted_unique(told), PageSignal::MeetingEnded(id.to_string()));
        match &meeting.context {
            Context::CallRequest(request) if accepted => {
                let client_came = contacts.iter().flatten().any(|c| meeting.attended.contains(c));
                self.complete_after_meeting(request, client_came)?
            }
            Context::CallRequest(_) => {}
            // A meeting started in the context since is what its chat, or the scheduled
            // meeting's status, is about now.
            _ if newer => {}
            Context::Appointment(appointment) => self.appointment_room_ended(appointment, meeting)?,
            record => self.host.post_comment(record, Comment { text: ENDED_TEXT.into(), link: None }),
        }
        // Last, and allowed to fail: the tick drops an ended meeting's entries, and
        // finishing its end again repeats only what is repeatable.
        let _ = self.meeting_closed(meeting);
        let _ = self.store.set_due(ENDING, id, None);
        Ok(())
    }

    fn withdraw_start_notifications(&self, meeting: &Meeting) {
        let told: Vec<String> =
            meeting.invited.iter().filter(|u| **u != meeting.initiator).cloned().collect();
        self.host.withdraw_notifications(&told, &meeting.context, Some(&meeting.id));
    }

    /// Finishes, into `report`, the ends that a failure or a stopped process cut short,
    /// at most [`MAX_CHANGES_PER_TICK`] (the others at the next tick). Who was still
    /// inside at the end is no longer known: everyone who came is settled (presence
    /// keeps Busy whoever is in another meeting) and told.
    pub(crate) fn finish_ends(&self, now: Instant, report: &mut TickReport) -> Result<()> {
        // A meeting still running (a join won the write, or a start lost) has no end to
        // finish; one whose scheduled meeting is gone has nothing left to finish it with.
        self.finish_noted(ENDING, now, MAX_CHANGES_PER_TICK, &mut |id| {
            if let Some(id) = self.finish_end(id)? {
                report.finished_ends.push(id);
            }
            Ok(())
        })
    }

    /// Finishes the end of meeting `id` if it has ended: answers it, or none while it
    /// runs (or was never stored).
    fn finish_end(&self, id: &str) -> Result<Option<String>> {
        match self.store.get::<Meeting>(&meeting_key(id))? {
            Some(m) if !m.is_running() => {
                self.after_end(&m, &m.attended)?;
                Ok(Some(m.id))
            }
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Licence, Relation, UserKind};
    use crate::testing::{FakeHost, MemoryKv};

    /// An end noted, but whose write lost to a join: the tick drops the note and leaves
    /// the running meeting alone.
    #[test]
    fn a_noted_end_whose_meeting_still_runs_is_dropped() {
        let mut host = FakeHost::new(Licence::X20Advanced);
        host.add_user("ana", UserKind::Internal);
        host.add_context(Context::Group("G".into()), &[("ana", Relation::Member)]);
        let kv = MemoryKv::default();
        let mk = Meetkit::new(&host, &kv);
        let started =
            mk.start_meeting_from_context(&Context::Group("G".into()), "ana", &["ana".into()]).unwrap();
        mk.ending(&started.meeting).unwrap();
        host.advance(LEASE);
        host.take_effects();
        let report = mk.tick().unwrap();
        assert!(report.finished_ends.is_empty());
        assert!(mk.store.due(ENDING).unwrap().is_empty());
        assert!(mk.get_meeting(&started.meeting.id).unwrap().is_running());
        assert!(host.take_effects().is_empty(), "nobody is told anything");
    }
}
