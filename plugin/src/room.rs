//! The room of a scheduled meeting: entering it (the host makes the meeting live, each
//! guest is someone of their own in it) and what the room reports (the guest's media
//! check, a failed connection, the host ending it).

use crate::prelude::*;

use crate::Meetkit;
use crate::error::{MeetError, Result};
use crate::meeting::meeting_key;
use crate::model;
use crate::model::{Context, Instant, JoinTicket, Meeting, User};
use crate::overview::{Appointment, Attendee, RoomEvent, Row};
use crate::store::Update;

impl Meetkit<'_> {
    /// Enters the room: the host makes the meeting live; the guest's entry shows on the indicator.
    pub fn enter_room(&self, id: &str, who: &Attendee) -> Result<JoinTicket> {
        let a = self.appointment(id)?;
        let now = self.host.now();
        // Who comes is checked first: someone who may not enter is told so, not when the
        // room opens.
        let user = match who {
            Attendee::User(u) => {
                let user = self.internal_user(u)?;
                if *u != a.host {
                    return Err(MeetError::Forbidden(format!("{u} is not the host of {}", a.id)));
                }
                a.open_for_entering(now)?;
                user
            }
            Attendee::Guest(key) => {
                let n = self.guest_with_key(&a, key)?;
                a.open_for_entering(now)?;
                a.not_ended_by_host()?;
                self.admits_guests()?;
                let g = &a.guests[n];
                // Each guest is someone of their own in the room (and in its count).
                let id = guest_user_id(&a.id, n);
                User {
                    id,
                    name: g.name.clone(),
                    email: g.email.clone(),
                    avatar: None,
                    kind: model::UserKind::External,
                }
            }
        };
        // Noted before the room opens: a failure after this leaves no room nobody closes.
        self.room_opened(&a)?;
        let context = Context::Appointment(a.id.clone());
        let (meeting, ticket) = match self.running_meeting(&context)? {
            Some(running) => {
                let ticket = self.ticket(&running, &user)?;
                (running, ticket)
            }
            None => {
                let mut fresh =
                    self.new_meeting(context, a.meeting_type.clone(), &a.host, vec![a.host.clone()]);
                fresh.present.clear();
                fresh.attended.clear();
                // Signed before the room is opened: a signing failure leaves nothing behind.
                let ticket = self.ticket(&fresh, &user)?;
                let (opened, _) = self.open(fresh)?;
                let ticket = self.ticket_for_stored(ticket, &opened, &user)?;
                (opened, ticket)
            }
        };
        let meeting = self.mark_present(&meeting.id, &user.id)?;
        let host_entering = matches!(who, Attendee::User(_));
        if host_entering && meeting.initiator != a.host {
            self.make_host_of_room(&meeting.id, &a.host)?;
        }
        // A guest who has waited in the room since before a reschedule is in it now.
        let guest_inside = meeting.present.iter().any(|p| is_guest_of(&a, p));
        let meeting_id = meeting.id.clone();
        self.change(id, |a, now| {
            a.meeting = Some(meeting_id.clone());
            if host_entering {
                a.host_entered.get_or_insert(now);
                // Entering again makes the meeting live again.
                a.host_ended = None;
                if guest_inside {
                    a.guest_entered.get_or_insert(now);
                }
            } else {
                a.guest_entered.get_or_insert(now);
            }
            Ok(())
        })?;
        Ok(ticket)
    }

    pub fn report_room_event(&self, id: &str, event: RoomEvent, at: Instant) -> Result<Row> {
        // The room the host's visit ends in: whether it met a guest (for that event only).
        let room = match event {
            RoomEvent::HostEnded => self.running_meeting(&Context::Appointment(id.to_string()))?,
            _ => None,
        };
        let a = self.change(id, |a, now| {
            match event {
                // What a guest does happens in the open room, where the guest's page
                // offers it: reported at another time (a stale or forged form), it would
                // say that a guest came who did not, or undo how the meeting went.
                RoomEvent::GuestEntered | RoomEvent::GuestCheckPassed | RoomEvent::GuestCheckFailed => {
                    a.open_for_guests(now)?
                }
                RoomEvent::ConnectionFailed | RoomEvent::HostEnded => a.open_for_entering(now)?,
            }
            match event {
                RoomEvent::GuestEntered => {
                    a.guest_entered.get_or_insert(at);
                }
                // The check is taken on the guest's page, before the room: it tells
                // nothing of whether the guest then entered it.
                RoomEvent::GuestCheckPassed | RoomEvent::GuestCheckFailed => {
                    a.check = Some(event == RoomEvent::GuestCheckPassed);
                }
                // Only someone who entered had a connection to lose: reported before
                // that, it would fail a meeting that has not begun.
                RoomEvent::ConnectionFailed if a.host_entered.is_none() && a.guest_entered.is_none() => {
                    return Err(MeetError::InvalidTransition("nobody has entered the room".into()));
                }
                RoomEvent::ConnectionFailed => a.connection_failed = true,
                RoomEvent::HostEnded => {
                    if a.host_entered.is_none() {
                        // After a look in, forgotten, with its room closed: the page's close
                        // arriving again changes nothing.
                        let looked_in = a.meeting.is_some() && room.is_none();
                        return if looked_in {
                            Ok(())
                        } else {
                            Err(MeetError::InvalidTransition("the host has not entered".into()))
                        };
                    }
                    // Ended already, and not entered since: a repeat (a second close, a
                    // retry) changes nothing. Its room is gone, so it would otherwise
                    // read as a visit that met nobody and undo how the meeting went.
                    if a.host_ended.is_some() {
                        return Ok(());
                    }
                    // Not before the component's own clock: a time in the wrong unit
                    // must not pass for an end before the start.
                    a.host_ends(at.max(now), room.as_ref().is_some_and(|room| met_a_guest(a, room)));
                }
            }
            Ok(())
        })?;
        if let (RoomEvent::HostEnded, Some(meeting)) = (event, &a.meeting) {
            self.end_meeting(meeting)?;
        }
        Ok(self.row(a, self.host.now()))
    }

    /// The room of a scheduled meeting closed (everyone left, or JaaS destroyed it): for
    /// the overview, the host has ended it. Only while it is the meeting's latest room:
    /// the end of an earlier one, finished late, does not undo a visit since.
    pub(crate) fn appointment_room_ended(&self, id: &str, room: &Meeting) -> Result<()> {
        self.change(id, |a, now| {
            let latest = a.meeting.as_deref().is_none_or(|m| m == room.id);
            if !latest || a.host_entered.is_none() {
                return Ok(());
            }
            // The host took a ticket to this room and JaaS never saw them in it (taken
            // out as never came, see `connection`): no visit happened, as if they had
            // not entered; a visit to an earlier room stands.
            let came = room.attended.contains(&a.host);
            if !came && a.host_entered >= Some(room.started_at) {
                a.host_entered = None;
                a.host_ended = None;
                a.connection_failed = false;
            } else {
                a.host_ends(room.ended_at.unwrap_or(now), met_a_guest(a, room));
            }
            Ok(())
        })?;
        Ok(())
    }

    /// Why `user`, reported in the room of scheduled meeting `id`, is not to be there:
    /// neither its host (now) nor one of its guests. None when they are, or when the
    /// meeting cannot be read (nothing to tell).
    pub(crate) fn stranger_to_appointment(&self, id: &str, user: &str) -> Option<String> {
        let a = self.appointment(id).ok()?;
        if user == a.host || is_guest_of(&a, user) {
            return None;
        }
        let who = self.host.user(user).map_or_else(|| user.to_string(), |u| u.name);
        Some(format!("{who} is neither the host nor a guest of {id}"))
    }

    /// Makes `host` the initiator of the room `meeting`: a room opened before the meeting
    /// was given to another host (a guest waiting in it) is the new host's once they
    /// enter, so that their leaving ends it (see `Meeting::depart`).
    fn make_host_of_room(&self, meeting: &str, host: &str) -> Result<()> {
        self.store.update(&meeting_key(meeting), |m: Option<Meeting>| match m {
            Some(mut m) if m.initiator != host => {
                m.initiator = host.to_string();
                Ok(Update::Write(m, ()))
            }
            _ => Ok(Update::Keep(())),
        })
    }

    /// Whether a guest of `a` is in its room now.
    pub(crate) fn guest_in_room(&self, a: &Appointment) -> Result<bool> {
        let room = self.running_meeting(&Context::Appointment(a.id.clone()))?;
        Ok(room.is_some_and(|m| m.present.iter().any(|p| is_guest_of(a, p))))
    }
}

/// Whether the room's participant `p` is one of the guests of `a`.
fn is_guest_of(a: &Appointment, p: &str) -> bool {
    (0..a.guests.len()).any(|n| p == guest_user_id(&a.id, n))
}

/// Whether a guest of `a` came into `room` while it was open (the host's visit it ends).
fn met_a_guest(a: &Appointment, room: &Meeting) -> bool {
    room.attended.iter().any(|p| is_guest_of(a, p))
}

/// The id guest `n` of appointment `id` has in its room (and in its count):
/// `guest-<appointment>`, `guest-<appointment>-<n>`. Compared whole, so that a platform
/// user whose id merely starts with `guest-` is not taken for a guest.
fn guest_user_id(id: &str, n: usize) -> String {
    if n == 0 { format!("guest-{id}") } else { format!("guest-{id}-{n}") }
}
