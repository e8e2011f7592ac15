//! "Add to agenda": iCalendar (RFC 5545) files for scheduled meetings, with the meeting's
//! own time zone (VTIMEZONE from the host's zone rules), a stable UID, a SEQUENCE raised by
//! every change, and METHOD:CANCEL once cancelled. Also the guests' e-mails that carry them.

use crate::prelude::*;
use alloc::rc::Rc;

use crate::Meetkit;
use crate::error::{MeetError, Result};
use crate::host::Email;
use crate::model::{Instant, LocalDateTime, MINUTE, SECOND};
use crate::overview::{Appointment, Guest, appointment_path, guest_link, key_of, with_slash};

const DAY: Instant = 24 * 60 * MINUTE;

/// Escapes TEXT values (RFC 5545 3.3.11).
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            // A line break typed in a browser arrives as CRLF; a lone CR is one too.
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// What [`Meetkit::calendar_times`] keeps for the rest of a call.
pub(crate) struct CalendarTimes {
    /// The appointment, its revision, start and duration the parts were made for.
    key: (String, u32, Instant, u32),
    /// The VTIMEZONE block, folded and ended.
    zone: String,
    /// The DTSTAMP, DTSTART and DTEND lines, folded and ended.
    when: String,
}

/// What a mail to guests tells (see [`Meetkit::invitations`]).
#[derive(Clone, Copy)]
pub(crate) enum Mailing<'a> {
    /// A new meeting, or a guest added to one.
    Invitation,
    /// The guest picked one of the proposed times.
    Confirmation,
    /// Rescheduled, cancelled or updated (`what`), and why.
    Change { what: &'a str, reason: &'a str },
}

/// Whose calendar file [`Meetkit::calendar`] makes.
pub(crate) enum CalendarFor<'a> {
    /// The host's (or a colleague's) "Add to agenda" download: published, not an
    /// invitation, and linking to the platform's page of the meeting.
    Agenda,
    /// The invitation of the guest at `email`, linking to their own way in (`key`), with
    /// the reason of the change it comes with, if any.
    Guest { key: &'a str, email: &'a str, reason: Option<&'a str> },
    /// A former host's entry (`former_host`, its organizer), cancelled: the meeting is
    /// another's now.
    Withdrawn { former_host: &'a str },
}

/// Parameter values with characters that need quoting are quoted (and lose their quotes).
fn param(value: &str) -> String {
    let clean: String = value.chars().filter(|c| *c != '"' && !c.is_control()).collect();
    if clean.contains([':', ';', ',']) { format!("\"{clean}\"") } else { clean }
}

/// Folds content lines at 75 octets, never inside a character, and ends them with CRLF.
struct Lines(String);

impl Lines {
    fn push(&mut self, line: &str) {
        let mut width = 0;
        for c in line.chars() {
            let len = c.len_utf8();
            if width + len > 75 {
                self.0.push_str("\r\n ");
                width = 1;
            }
            self.0.push(c);
            width += len;
        }
        self.0.push_str("\r\n");
    }
}

/// The platform's page of a scheduled meeting, absolute: it is read outside the platform.
fn page_link(address: &str, id: &str) -> String {
    format!("{}{}", with_slash(address), appointment_path(id))
}

fn stamp(t: LocalDateTime) -> String {
    format!("{:04}{:02}{:02}T{:02}{:02}00", t.year, t.month, t.day, t.hour, t.minute)
}

fn offset(secs: i32) -> String {
    let sign = if secs < 0 { '-' } else { '+' };
    let a = secs.unsigned_abs();
    format!("{sign}{:02}{:02}", a / 3600, a % 3600 / 60)
}

impl Meetkit<'_> {
    fn local(&self, zone: &str, at: Instant) -> Result<LocalDateTime> {
        self.host
            .to_local(zone, at)
            .map(|(l, _)| l)
            .map_err(|e| MeetError::HostFailure(format!("time zones: {e}")))
    }

    /// The wall-clock time `at` in `zone`, with the zone's abbreviation (an hour a zone
    /// has twice is told apart), as mails write it.
    pub(crate) fn local_named(&self, zone: &str, at: Instant) -> Result<String> {
        let (local, offset) =
            self.host.to_local(zone, at).map_err(|e| MeetError::HostFailure(format!("time zones: {e}")))?;
        Ok(format!("{local} {}", offset.abbreviation))
    }

    /// The wall-clock time `at` shows at a fixed offset.
    fn at_offset(&self, at: Instant, offset_secs: i32) -> Result<LocalDateTime> {
        self.local("UTC", at + i64::from(offset_secs) * SECOND)
    }

    /// VTIMEZONE for `zone` around `from..to`: the offset in force, then every change.
    fn vtimezone(&self, lines: &mut Lines, zone: &str, from: Instant, to: Instant) -> Result<()> {
        let changes = self
            .host
            .transitions(zone, from - 400 * DAY, to + 400 * DAY)
            .map_err(|e| MeetError::HostFailure(format!("time zones: {e}")))?;
        let first = changes.first().ok_or_else(|| MeetError::HostFailure(format!("no rules for {zone}")))?;
        lines.push("BEGIN:VTIMEZONE");
        lines.push(&format!("TZID:{zone}"));
        let mut previous = first.offset_secs;
        for (i, change) in changes.iter().enumerate() {
            let kind = if change.dst { "DAYLIGHT" } else { "STANDARD" };
            // DTSTART is the local time of the onset, in the offset in force before it.
            let onset = if i == 0 {
                self.at_offset(change.since, change.offset_secs)?
            } else {
                self.at_offset(change.since, previous)?
            };
            lines.push(&format!("BEGIN:{kind}"));
            lines.push(&format!("DTSTART:{}", stamp(onset)));
            lines.push(&format!(
                "TZOFFSETFROM:{}",
                offset(if i == 0 { change.offset_secs } else { previous })
            ));
            lines.push(&format!("TZOFFSETTO:{}", offset(change.offset_secs)));
            if !change.abbreviation.is_empty() {
                lines.push(&format!("TZNAME:{}", text(&change.abbreviation)));
            }
            lines.push(&format!("END:{kind}"));
            previous = change.offset_secs;
        }
        lines.push("END:VTIMEZONE");
        Ok(())
    }

    /// The parts of `a`'s calendar files that depend only on its time (the zone's rules
    /// around it, and the start, end and stamp), made once per call: a call that mails
    /// several files (each guest's, the hosts') writes them alike, and the zone's rules
    /// are most of a file's cost.
    fn calendar_times(&self, a: &Appointment, start: Instant) -> Result<Rc<CalendarTimes>> {
        let key = (a.id.clone(), a.sequence, start, a.duration_mins);
        if let Some(times) = self.calendar_times.borrow().as_ref().filter(|t| t.key == key) {
            return Ok(times.clone());
        }
        let end = start + i64::from(a.duration_mins) * MINUTE;
        let mut zone = Lines(String::new());
        self.vtimezone(&mut zone, &a.zone, start, end)?;
        let mut when = Lines(String::new());
        when.push(&format!("DTSTAMP:{}Z", stamp(self.local("UTC", self.host.now())?)));
        when.push(&format!("DTSTART;TZID={}:{}", param(&a.zone), stamp(self.local(&a.zone, start)?)));
        // A wall-clock time the zone shows twice reads as the first: an end in the second
        // (a meeting across the night the clocks go back) is written in UTC instead.
        let local_end = self.local(&a.zone, end)?;
        if self.host.to_instant(&a.zone, local_end) == Ok(end) {
            when.push(&format!("DTEND;TZID={}:{}", param(&a.zone), stamp(local_end)));
        } else {
            when.push(&format!("DTEND:{}Z", stamp(self.local("UTC", end)?)));
        }
        let times = Rc::new(CalendarTimes { key, zone: zone.0, when: when.0 });
        *self.calendar_times.borrow_mut() = Some(times.clone());
        Ok(times)
    }

    /// The iCalendar file of a scheduled meeting, as the host's agenda or a guest's
    /// invitation: each titled with the other side, and with the way in as its location
    /// and in its description (calendar apps show those, few show URL).
    pub(crate) fn calendar(&self, a: &Appointment, copy: CalendarFor<'_>) -> Result<String> {
        let start = a.start.ok_or_else(|| {
            MeetError::InvalidTransition(if a.cancelled {
                format!("{} was cancelled before its guest picked a time", a.id)
            } else {
                format!("{} has no fixed time: the guest has not picked a slot", a.id)
            })
        })?;
        let times = self.calendar_times(a, start)?;
        // The withdrawn entry keeps the organizer it had.
        let organizer = match copy {
            CalendarFor::Withdrawn { former_host } => former_host,
            _ => a.host.as_str(),
        };
        let host = self.host.user(organizer);
        let mut l = Lines(String::new());
        l.push("BEGIN:VCALENDAR");
        l.push("VERSION:2.0");
        l.push("PRODID:-//meetkit//meetkit 0.1//EN");
        l.push("CALSCALE:GREGORIAN");
        // A host's own entry is published (an event, not an invitation to answer); a
        // cancelled one is cancelled, which calendar apps act on to remove it.
        let cancelled = a.cancelled || matches!(copy, CalendarFor::Withdrawn { .. });
        let host_copy = !matches!(copy, CalendarFor::Guest { .. });
        l.push(match copy {
            _ if cancelled => "METHOD:CANCEL",
            CalendarFor::Agenda => "METHOD:PUBLISH",
            _ => "METHOD:REQUEST",
        });
        l.0.push_str(&times.zone);
        l.push("BEGIN:VEVENT");
        l.push(&format!("UID:{}@meetkit", a.id));
        l.0.push_str(&times.when);
        l.push(&format!("SEQUENCE:{}", a.sequence));
        l.push(if cancelled { "STATUS:CANCELLED" } else { "STATUS:CONFIRMED" });
        let with = match copy {
            CalendarFor::Agenda | CalendarFor::Withdrawn { .. } => {
                let guest = a.guests.first().map_or("", |g| g.name.as_str());
                match a.guests.len() {
                    0 | 1 => guest.to_string(),
                    n => format!("{guest} and {} more", n - 1),
                }
            }
            CalendarFor::Guest { .. } => self.name_of(&a.host),
        };
        l.push(&format!("SUMMARY:{}", text(&format!("{} with {with}", a.meeting_type))));
        // A calendar file leaves the platform: its link is absolute.
        let address = self.host.public_address();
        let (link, reason) = match copy {
            CalendarFor::Guest { key, reason, .. } => (guest_link(&address, &a.id, key), reason),
            // The host's copy says why it was last moved or cancelled.
            CalendarFor::Agenda => (page_link(&address, &a.id), a.reason.as_deref()),
            CalendarFor::Withdrawn { .. } => (page_link(&address, &a.id), None),
        };
        let mut description = a.description.trim().to_string();
        if host_copy && !a.guests.is_empty() {
            let names: Vec<&str> = a.guests.iter().map(|g| g.name.as_str()).collect();
            description.push_str(&format!("\n\nGuests: {}", names.join(", ")));
        }
        if let Some(reason) = reason {
            description
                .push_str(&format!("\n\n{}: {reason}", if a.cancelled { "Cancelled" } else { "Changed" }));
        }
        if !cancelled {
            description.push_str(&format!("\n\nJoin: {link}"));
            l.push(&format!("LOCATION:{}", text(&link)));
        }
        l.push(&format!("DESCRIPTION:{}", text(description.trim())));
        l.push(&format!("URL:{}", text(&link)));
        if let Some(h) = host {
            l.push(&format!("ORGANIZER;CN={}:mailto:{}", param(&h.name), h.email));
        }
        // The host's copy, published or cancelled, has no attendees (RFC 5546): its
        // description names them, and a calendar app would otherwise offer to mail them. A
        // guest's invitation names that guest only: guests do not learn one another's
        // addresses.
        let only = match copy {
            CalendarFor::Guest { email, .. } => Some(email),
            _ => None,
        };
        let attending = |g: &&Guest| only.is_some_and(|e| e.eq_ignore_ascii_case(&g.email));
        for g in a.guests.iter().filter(attending) {
            l.push(&format!(
                "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT;RSVP=TRUE:mailto:{}",
                param(&g.name),
                g.email
            ));
        }
        l.push("END:VEVENT");
        l.push("END:VCALENDAR");
        Ok(l.0)
    }

    /// The host's (or a colleague's) "Add to agenda" file.
    pub fn agenda(&self, id: &str, viewer: &str) -> Result<String> {
        let row = self.get_appointment(id, viewer)?;
        self.calendar(&row.appointment, CalendarFor::Agenda)
    }

    /// A mail to `user`, a host, telling `text` with their calendar entry as it now is:
    /// published (or cancelled) with the entry's UID and a higher SEQUENCE, so that the
    /// entry "Add to agenda" made is updated (none for a user the directory does not know).
    pub(crate) fn host_mail(
        &self,
        a: &Appointment,
        user: &str,
        copy: CalendarFor<'_>,
        subject: String,
        text: String,
    ) -> Result<Option<Email>> {
        let Some(u) = self.host.user(user) else { return Ok(None) };
        let calendar = if a.start.is_some() { Some(self.calendar(a, copy)?) } else { None };
        let page = page_link(&self.host.public_address(), &a.id);
        let body = format!("{text}\n\nThe meeting: {page}\n");
        Ok(Some(Email { to: u.email, to_name: u.name, subject, body, calendar }))
    }

    /// E-mails `guests` their invitation (or the change, with its reason) and the calendar file.
    pub(crate) fn invite_guests(
        &self,
        a: &Appointment,
        guests: &[Guest],
        mailing: Mailing<'_>,
    ) -> Result<()> {
        let mails = self.invitations(a, guests, mailing)?;
        self.send_mails(mails);
        Ok(())
    }

    /// Sends mails made beforehand (by [`Meetkit::invitations`]).
    pub(crate) fn send_mails(&self, mails: Vec<Email>) {
        for mail in mails {
            self.host.send_email(mail);
        }
    }

    /// The mails [`Meetkit::invite_guests`] sends, made without sending them: a change
    /// makes them before it is stored, so that a host that cannot format its times fails
    /// the call with nothing changed.
    pub(crate) fn invitations(
        &self,
        a: &Appointment,
        guests: &[Guest],
        mailing: Mailing<'_>,
    ) -> Result<Vec<Email>> {
        let added = self.added_keys(&a.id)?;
        let at = |s: Instant| self.local_named(&a.zone, s);
        let when = match a.start {
            Some(s) => format!("{} ({}), {} minutes", at(s)?, a.zone, a.duration_mins),
            None if a.cancelled => "no time had been picked".to_string(),
            // The guest picks one at their link: each is listed, in the meeting's zone.
            // Only those still to come (a guest added later must not be offered the past).
            None => {
                let now = self.host.now();
                let mut slots = format!(
                    "pick one of these times ({}, {} minutes) at your link:",
                    a.zone, a.duration_mins
                );
                for s in a.open_slots(now) {
                    slots.push_str(&format!("\n  - {}", at(s)?));
                }
                slots
            }
        };
        let address = self.host.public_address();
        let host_name = self.name_of(&a.host);
        let about = if a.details.is_empty() { String::new() } else { format!("\n{}", a.details) };
        let mut mails = Vec::with_capacity(guests.len());
        for g in guests {
            // Each guest's own key, in their link and their calendar file.
            let key = key_of(a, g, &added);
            let reason = match mailing {
                Mailing::Change { reason, .. } => Some(reason),
                _ => None,
            };
            let copy = CalendarFor::Guest { key, email: &g.email, reason };
            let calendar = if a.start.is_some() { Some(self.calendar(a, copy)?) } else { None };
            // A cancelled meeting has nothing to join.
            let join = if a.cancelled {
                String::new()
            } else {
                format!("Join: {}\nGuest key: {key}\n", guest_link(&address, &a.id, key))
            };
            let (subject, intro) = match mailing {
                Mailing::Change { what, reason } => (
                    format!("{} {what}", a.meeting_type),
                    format!("Your meeting was {what}. Reason: {reason}"),
                ),
                Mailing::Invitation => (
                    format!("Invitation: {}", a.meeting_type),
                    format!("You are invited to a meeting: {}, with {host_name}.{about}", a.meeting_type),
                ),
                Mailing::Confirmation => (
                    format!("Confirmed: {}", a.meeting_type),
                    format!("Your meeting is confirmed: {}, with {host_name}.{about}", a.meeting_type),
                ),
            };
            let body = format!("{intro}\n\nWhen: {when}\n{join}");
            mails.push(Email { to: g.email.clone(), to_name: g.name.clone(), subject, body, calendar });
        }
        Ok(mails)
    }

    /// Sends every guest the summary the host left them, with their own link to the page
    /// where it stays.
    pub(crate) fn send_summary(&self, a: &Appointment, summary: &str) -> Result<()> {
        let added = self.added_keys(&a.id)?;
        let address = self.host.public_address();
        let host_name = self.name_of(&a.host);
        for g in &a.guests {
            let link = guest_link(&address, &a.id, key_of(a, g, &added));
            self.host.send_email(Email {
                to: g.email.clone(),
                to_name: g.name.clone(),
                subject: format!("{}: a summary for you", a.meeting_type),
                body: format!(
                    "{host_name} left a summary of your meeting:\n\n{summary}\n\nIt stays on your page: {link}\n"
                ),
                calendar: None,
            });
        }
        Ok(())
    }
}
