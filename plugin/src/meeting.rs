//! Meetings: start (never two in one context), join, leave, end, presence.

use crate::order;
use crate::prelude::*;

use crate::Meetkit;
use crate::announcement::TakeOver;
use crate::error::{MeetError, Result, invalid, require_id};
use crate::host::{Colour, Comment, Link, Notification, Toast};
use crate::model::{Context, DisplayMode, Instant, JoinTicket, Meeting, MeetingState, User, UserKind};
use crate::store::Update;
use crate::{ids, token};

pub const STARTED_TEXT: &str = "The meeting has started. Click Join meeting to participate.";
pub const ENDED_TEXT: &str = "The meeting has ended.";
/// How long the start toaster (and its melody) lasts.
pub const TOAST_MS: u32 = 10_000;
pub const MELODY: &str = "meeting-started";

/// Where a join came from. Every entry is equal to the rules; the host may log it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryPoint {
    ChatLink,
    Notification,
    Toaster,
    MeetTab,
    ClientArea,
    Overview,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Started {
    pub meeting: Meeting,
    pub ticket: JoinTicket,
    pub created: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Left {
    pub meeting: Meeting,
    pub ended: bool,
}

pub(crate) fn meeting_key(id: &str) -> String {
    format!("meeting/{id}")
}

pub(crate) fn context_key(context: &Context) -> String {
    format!("context/{context}")
}

/// The announcement of a meeting's start (chat, bells, toasters): see `announcement`.
fn announced_key(id: &str) -> String {
    format!("start-announced/{id}")
}

pub(crate) fn room_key(room: &str) -> String {
    format!("room/{room}")
}

/// The link every entry point (comment, bell, toaster) leads to: the meeting's lobby.
pub fn join_link(meeting_id: &str) -> Link {
    Link { label: "Join meeting".into(), url: format!("meet/{meeting_id}") }
}

impl Meetkit<'_> {
    pub fn get_meeting(&self, id: &str) -> Result<Meeting> {
        require_id("the meeting id", id)?;
        self.store.require(&meeting_key(id), || format!("there is no meeting {id}"))
    }

    /// The meeting running in `context`, if any.
    pub fn running_meeting(&self, context: &Context) -> Result<Option<Meeting>> {
        let Some(id) = self.store.get::<String>(&context_key(context))? else {
            return Ok(None);
        };
        Ok(self.store.get::<Meeting>(&meeting_key(&id))?.filter(Meeting::is_running))
    }

    /// What the Meet tab shows: the running meeting of an existing ERP context.
    pub fn meeting_in_context(&self, context: &Context) -> Result<Option<Meeting>> {
        require_id("the context id", context.id())?;
        if context.is_group_or_record() && self.host.context_title(context).is_none() {
            return Err(MeetError::UnknownContext(format!("{context} does not exist")));
        }
        let running = self.running_meeting(context)?;
        if running.is_none() {
            self.require_own_context(context)?;
        }
        Ok(running)
    }

    /// Fails with `not-found` for a call request or scheduled meeting that does not
    /// exist: their contexts are the component's own, not the platform's.
    pub(crate) fn require_own_context(&self, context: &Context) -> Result<()> {
        match context {
            Context::CallRequest(id) => drop(self.get_request(id)?),
            Context::Appointment(id) => drop(self.appointment(id)?),
            _ => {}
        }
        Ok(())
    }

    /// A new running meeting record with a fresh id and room (not stored yet).
    pub(crate) fn new_meeting(
        &self,
        context: Context,
        title: String,
        initiator: &str,
        invited: Vec<String>,
    ) -> Meeting {
        let now = self.host.now();
        Meeting {
            id: ids::fresh(self.host, "m"),
            context,
            title,
            room: ids::fresh(self.host, "mk"),
            initiator: initiator.to_string(),
            invited,
            present: vec![initiator.to_string()],
            attended: vec![initiator.to_string()],
            state: MeetingState::Running,
            started_at: now,
            ended_at: None,
            recording: false,
            recorded: Vec::new(),
            // The initiator's ticket, as a join's: whether they came is judged from it.
            marks: vec![(initiator.to_string(), now)],
        }
    }

    /// Makes `meeting` the running meeting of its context unless one runs already; the
    /// context pointer is changed by compare-and-swap, so of two simultaneous starts
    /// exactly one creates. Returns the running meeting and whether it is `meeting`.
    pub(crate) fn open(&self, meeting: Meeting) -> Result<(Meeting, bool)> {
        self.meeting_opened(&meeting)?;
        self.store.put(&meeting_key(&meeting.id), &meeting)?;
        let id = meeting.id.clone();
        let (running, made) = self.make_current(meeting)?;
        if !made {
            // Another start won: this one's record goes.
            self.store.delete(&meeting_key(&id))?;
        }
        Ok((running, made))
    }

    /// Points the context of the stored `meeting` at it, unless another meeting runs
    /// there, and registers its room. Returns the running meeting and whether it is
    /// `meeting`. Pointing again at the meeting it points at changes nothing.
    pub(crate) fn make_current(&self, meeting: Meeting) -> Result<(Meeting, bool)> {
        // The room first: a start stopped after the pointer is answered, when repeated,
        // with the running meeting, and JaaS's events for its room must find it.
        self.store.put(&room_key(&meeting.room), &meeting.id)?;
        let other = self.store.update(&context_key(&meeting.context), |current: Option<String>| {
            if current.as_deref() == Some(meeting.id.as_str()) {
                return Ok(Update::Keep(None));
            }
            if let Some(id) = current
                && let Some(running) =
                    self.store.get::<Meeting>(&meeting_key(&id))?.filter(Meeting::is_running)
            {
                return Ok(Update::Keep(Some(running)));
            }
            Ok(Update::Write(meeting.id.clone(), None))
        })?;
        match other {
            Some(running) => {
                self.store.delete(&room_key(&meeting.room))?;
                Ok((running, false))
            }
            None => Ok((meeting, true)),
        }
    }

    /// Starts a meeting from the lobby selection, or returns the one running in the context.
    pub fn start_meeting_from_context(
        &self,
        context: &Context,
        initiator: &str,
        selection: &[String],
    ) -> Result<Started> {
        let (_, initiator_user) = self.admitted_member(context, initiator)?;
        if !selection.iter().any(|s| s == initiator) {
            return Err(invalid("the initiator is preselected and cannot be unchecked"));
        }
        let participants = self.participants(context)?;
        let admitted =
            order::sorted_unique(participants.admitted.iter().map(|m| m.user.id.as_str()).collect());
        let mut selected: Vec<&str> = Vec::with_capacity(selection.len());
        for id in selection {
            if !order::insert_new(&mut selected, id.as_str()) {
                return Err(invalid(format!("{id} is selected twice")));
            }
            if admitted.binary_search(&id.as_str()).is_err() {
                // Same answer as a join would give: licence, unknown user, or not listed.
                self.admitted_member(context, id)?;
            }
        }
        // The meeting found running may end before the initiator is in it (its last
        // participant leaving): the context is free then, and the start looks again.
        for _ in 0..3 {
            match self.start_or_join(context, &initiator_user, &participants.title, selection, &selected) {
                Err(MeetError::MeetingEnded(_)) => continue,
                started => return started,
            }
        }
        Err(MeetError::Unavailable(format!(
            "the meetings in {context} keep ending as they are joined: start again"
        )))
    }

    fn start_or_join(
        &self,
        context: &Context,
        initiator: &User,
        title: &str,
        selection: &[String],
        selected: &[&str],
    ) -> Result<Started> {
        if let Some(running) = self.running_meeting(context)? {
            return self.join_running(running, initiator, selected);
        }
        let meeting = self.new_meeting(context.clone(), title.to_string(), &initiator.id, selection.to_vec());
        // Signed before anything is stored: a signing failure leaves no meeting behind.
        let ticket = self.ticket(&meeting, initiator)?;
        // Claimed before the meeting exists: a start stopped at any point after leaves
        // its announcement to a later start (an unused claim of a start that lost is
        // never looked at).
        self.claim_fresh_announcement(&announced_key(&meeting.id))?;
        let (meeting, created) = self.open(meeting)?;
        if !created {
            return self.join_running(meeting, initiator, selected);
        }
        self.entered(&initiator.id, &meeting.id);
        self.announce_start(&meeting, initiator)?;
        Ok(Started { meeting, ticket, created: true })
    }

    /// A second start in a context: the initiator joins the meeting running there, and
    /// those they selected who were not invited yet are invited now, and told.
    fn join_running(&self, meeting: Meeting, user: &User, selected: &[&str]) -> Result<Started> {
        self.announce_start_if_cut_short(&meeting)?;
        let (ticket, meeting) = self.enter(&meeting, user)?;
        let id = meeting.id.clone();
        let (meeting, added) = self.store.update(&meeting_key(&id), |m: Option<Meeting>| {
            let mut m = m.ok_or_else(|| MeetError::NotFound(format!("there is no meeting {id}")))?;
            let added: Vec<String> = selected
                .iter()
                .filter(|s| !m.invited.iter().any(|i| i == *s))
                .map(|s| s.to_string())
                .collect();
            if added.is_empty() || !m.is_running() {
                return Ok(Update::Keep((m, Vec::new())));
            }
            m.invited.extend(added.iter().cloned());
            Ok(Update::Write(m.clone(), (m, added)))
        })?;
        // Nobody is invited to a meeting they are in (the starter, or someone who joined
        // from the chat).
        let others: Vec<String> = added.into_iter().filter(|a| !meeting.is_present(a)).collect();
        self.tell_invited(&meeting, user, &others, "invited you to the meeting in");
        Ok(Started { meeting, ticket, created: false })
    }

    /// Announces the running `meeting` if the start that stored it stopped before it had
    /// (killed, or the platform could not keep what it showed): otherwise its invitees
    /// never hear. Asked by a later start, and by the tick once the claim has run out.
    /// Answers when the claim of a call still making it runs out, if one is.
    pub(crate) fn announce_start_if_cut_short(&self, meeting: &Meeting) -> Result<Option<Instant>> {
        let Some(initiator) = self.host.user(&meeting.initiator).filter(|_| meeting.is_running()) else {
            return Ok(None);
        };
        match self.take_over_announcement(&announced_key(&meeting.id))? {
            TakeOver::Take => self.announce_start(meeting, &initiator)?,
            TakeOver::Held(until) => return Ok(Some(until)),
            TakeOver::Made => {}
        }
        Ok(None)
    }

    /// The chat's comment and the bells and toasters of the invitees not in the meeting;
    /// then noted made (see `announcement`).
    fn announce_start(&self, meeting: &Meeting, initiator: &User) -> Result<()> {
        self.host.post_comment(
            &meeting.context,
            Comment { text: STARTED_TEXT.into(), link: Some(join_link(&meeting.id)) },
        );
        let invited: Vec<String> = meeting
            .invited
            .iter()
            .filter(|u| **u != initiator.id && !meeting.is_present(u))
            .cloned()
            .collect();
        self.tell_invited(meeting, initiator, &invited, "started a meeting in");
        self.announcement_made(&announced_key(&meeting.id))
    }

    /// The bell and a toaster with a melody for each of `users`: `by` <what> the meeting.
    fn tell_invited(&self, meeting: &Meeting, by: &User, users: &[String], what: &str) {
        let link = join_link(&meeting.id);
        // Built once: a group of hundreds gets the same notification.
        let notification = Notification {
            title: "Meeting started".into(),
            text: format!("{} {what} {}.", by.name, meeting.title),
            link: Some(link.clone()),
            context: meeting.context.clone(),
            meeting: Some(meeting.id.clone()),
        };
        let toast = Toast {
            text: format!("{} {what} {}. Click to join.", by.name, meeting.title),
            colour: Colour::Red,
            duration_ms: TOAST_MS,
            melody: Some(MELODY.into()),
            link: Some(link),
        };
        self.host.notify(users, notification);
        self.host.show_toast(users, toast);
    }

    /// The participant `user` of the meeting's context, or why they may not join.
    pub(crate) fn participant_of(&self, meeting: &Meeting, user: &str) -> Result<User> {
        match &meeting.context {
            Context::CallRequest(request) => self.call_participant(request, user),
            Context::Appointment(_) => {
                Err(MeetError::NotAParticipant(format!("{user} enters scheduled meetings from the overview")))
            }
            record => Ok(self.admitted_member(record, user)?.1),
        }
    }

    fn display_for(&self, context: &Context) -> DisplayMode {
        match context {
            Context::CallRequest(_) => self.host.call_request_config().display,
            Context::Appointment(_) => DisplayMode::NewTab,
            _ => DisplayMode::NewWindow,
        }
    }

    /// A signed ticket for `user` in `meeting`: recording for internal users on X20, and
    /// moderator rights for every internal user, on either licence (JaaS lets only
    /// moderators start a recording; and a meeting whose initiator has left still has
    /// someone who can mute or end it), and for the initiator.
    pub(crate) fn ticket(&self, meeting: &Meeting, user: &User) -> Result<JoinTicket> {
        let recording = self.host.licence().may_record(user.kind);
        token::issue(
            self.host,
            token::Grant {
                meeting_id: &meeting.id,
                room: &meeting.room,
                user,
                moderator: user.kind == UserKind::Internal || user.id == meeting.initiator,
                recording,
                display: self.display_for(&meeting.context),
            },
        )
    }

    /// `signed`, a ticket signed before its meeting was stored, if the stored `meeting` is
    /// the one it was signed for; a fresh one if another start stored its meeting first.
    pub(crate) fn ticket_for_stored(
        &self,
        signed: JoinTicket,
        meeting: &Meeting,
        user: &User,
    ) -> Result<JoinTicket> {
        if signed.meeting_id == meeting.id && signed.room == meeting.room {
            Ok(signed)
        } else {
            self.ticket(meeting, user)
        }
    }

    /// Joins a running meeting.
    pub fn join_meeting(&self, id: &str, user: &str, _via: EntryPoint) -> Result<JoinTicket> {
        let meeting = self.get_meeting(id)?;
        if !meeting.is_running() {
            return Err(MeetError::MeetingEnded(format!("the meeting {id} has ended")));
        }
        let user = self.participant_of(&meeting, user)?;
        Ok(self.enter(&meeting, &user)?.0)
    }

    /// Signs the ticket first (a signing failure changes nothing), then marks the user
    /// present. Returns the ticket and the meeting as it now is.
    fn enter(&self, meeting: &Meeting, user: &User) -> Result<(JoinTicket, Meeting)> {
        let ticket = self.ticket(meeting, user)?;
        let meeting = self.mark_present(&meeting.id, &user.id)?;
        Ok((ticket, meeting))
    }

    /// Adds `user` to the meeting's participants, which makes them Busy.
    pub(crate) fn mark_present(&self, id: &str, user: &str) -> Result<Meeting> {
        let now = self.host.now();
        let meeting = self.store.update(&meeting_key(id), |m: Option<Meeting>| {
            let mut m = m.ok_or_else(|| MeetError::NotFound(format!("there is no meeting {id}")))?;
            if !m.is_running() {
                return Err(MeetError::MeetingEnded(format!("the meeting {id} has ended")));
            }
            // A JaaS participant event older than this join must not undo it.
            m.mark(user, now);
            if m.is_present(user) {
                return Ok(Update::Write(m.clone(), m));
            }
            m.present.push(user.to_string());
            if !m.attended.iter().any(|a| a == user) {
                m.attended.push(user.to_string());
            }
            Ok(Update::Write(m.clone(), m))
        })?;
        self.entered(user, id);
        Ok(meeting)
    }

    /// Leaves a meeting; with two participants or the last one leaving, it ends.
    pub fn leave_meeting(&self, id: &str, user: &str) -> Result<Left> {
        require_id("the meeting id", id)?;
        require_id("the user id", user)?;
        let now = self.host.now();
        let mut never_came = Vec::new();
        let (meeting, remaining) = self.store.update(&meeting_key(id), |m: Option<Meeting>| {
            let mut m = m.ok_or_else(|| MeetError::NotFound(format!("there is no meeting {id}")))?;
            if !m.is_running() {
                return Err(MeetError::MeetingEnded(format!("the meeting {id} has ended")));
            }
            if !m.is_present(user) {
                // Answered as a join answers one the platform does not know.
                if self.host.user(user).is_none() {
                    return Err(MeetError::UnknownUser(format!("{user} is not a user of the platform")));
                }
                return Err(MeetError::NotAParticipant(format!("{user} is not in the meeting {id}")));
            }
            m.mark(user, now);
            let mut remaining = self.depart(&mut m, user, now)?;
            // As a leave JaaS reports: whoever never came is out too (see `connection`).
            never_came = self.take_out_never_came(&mut m, Some(user), now)?;
            if remaining.is_none() {
                remaining = self.end_if_empty(&mut m, now)?;
            }
            Ok(Update::Write(m.clone(), (m, remaining.unwrap_or_default())))
        })?;
        let ended = !meeting.is_running();
        for absent in never_came.iter().map(String::as_str).chain([user]) {
            self.left(absent, ended.then_some(id));
        }
        if ended {
            self.after_end(&meeting, &remaining)?;
        }
        Ok(Left { meeting, ended })
    }
}
