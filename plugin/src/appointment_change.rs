//! Changes to a scheduled meeting after it was scheduled: a new time, a cancellation, a
//! new host, another guest, and the guest's review and the host's summary afterwards.
//! Each change is checked against the meeting's state and the actor's rights, stored by
//! compare-and-swap, and told to those it concerns.

use crate::prelude::*;

use crate::Meetkit;
use crate::agenda::{CalendarFor, Mailing};
use crate::error::{MeetError, Result, invalid};
use crate::host::Notification;
use crate::model::{Context, LocalDateTime, Window};
use crate::overview::{
    Appointment, Attendee, Availability, Guest, Row, SOON, added_keys_key, appointment_link, guest_key_key,
    may_add, open_for_guests, planned_duration, review_by_key, slots_left,
};
use crate::store::Update;
use crate::typed_input::{MAX_NOTE, check_guest, require_text};
use crate::{ids, model};

/// The platform's page of a scheduled meeting, where a bell notification leads.
impl Meetkit<'_> {
    pub fn reschedule(&self, id: &str, actor: &str, start: LocalDateTime, reason: &str) -> Result<Row> {
        let reason = require_text("a reason", reason, MAX_NOTE)?;
        let current = self.appointment(id)?;
        self.may_manage(actor, &current)?;
        // A new time is an invitation to come; on X19 the guest could not.
        self.admits_guests()?;
        let t = self.zone_instant(&current.zone, start)?;
        // The repeat of a move whose room was left open (the call stopped after storing
        // the new time) finishes it, rather than being refused as the time it has.
        if current.start == Some(t) && self.close_room_not_open_yet(&current)? {
            return Ok(self.row(current, self.host.now()));
        }
        // The guests are told the time it had, as well as the one it has.
        let told = match current.start {
            Some(was) => format!("{reason}\nIt was to start {}.", self.local_named(&current.zone, was)?),
            None => reason.clone(),
        };
        // What the host hears when a colleague moved it, by mail and on their bell.
        let told_host = || -> Result<String> {
            Ok(format!(
                "{} moved the {} to {} ({}): {reason}",
                self.name_of(actor),
                current.meeting_type,
                self.local_named(&current.zone, t)?,
                current.zone
            ))
        };
        // Only a room the new time keeps open can hold a guest on, so the room is read
        // only then; a move further off reads it once, to close it (below).
        let keeps_room_open = t - SOON <= self.host.now();
        let guest_waiting = keeps_room_open && self.guest_in_room(&current)?;
        let a = self.change_and_mail(
            id,
            |a, now| {
                a.open_for_changes(now, "reschedule")?;
                if a.start == Some(t) {
                    return Err(invalid(format!("{} already starts at {start} ({})", a.id, a.zone)));
                }
                if t <= now {
                    return Err(invalid("a meeting cannot start in the past"));
                }
                a.start = Some(t);
                a.proposed.clear();
                a.reason = Some(reason.clone());
                a.sequence += 1;
                // The host never came (or the change is refused above): what a guest did
                // while waiting belongs to the old time, unless they wait on in a room the
                // new time keeps open (their entry and check are of this visit). A room
                // the move closes sends them out: their next entry counts.
                if guest_waiting {
                    a.guest_entered = Some(now);
                } else {
                    a.guest_entered = None;
                    a.check = None;
                }
                a.connection_failed = false;
                Ok(())
            },
            |a| {
                let mut mails =
                    self.invitations(a, &a.guests, Mailing::Change { what: "rescheduled", reason: &told })?;
                // A colleague moved it: the host's calendar entry moves too.
                if actor != a.host {
                    let subject = format!("{} rescheduled", a.meeting_type);
                    mails.extend(self.host_mail(a, &a.host, CalendarFor::Agenda, subject, told_host()?)?);
                }
                Ok(mails)
            },
        )?;
        // The host hears before the room closes: a failure closing it is finished by a
        // repeat, which finds the new time stored and tells nobody again.
        if actor != a.host {
            self.host.notify(
                core::slice::from_ref(&a.host),
                Notification {
                    title: "Meeting rescheduled".into(),
                    text: told_host()?,
                    link: Some(appointment_link(&a.id)),
                    context: Context::Appointment(a.id.clone()),
                    meeting: None,
                },
            );
        }
        self.close_room_not_open_yet(&a)?;
        Ok(self.row(a, self.host.now()))
    }

    /// Closes the room of `a` if it runs though the meeting's time does not open it yet:
    /// whoever waits in it waits for an old time, and would otherwise count as there
    /// when the host comes at the new one. Answers whether it closed one.
    fn close_room_not_open_yet(&self, a: &Appointment) -> Result<bool> {
        let now = self.host.now();
        if a.room_opens_at().is_some_and(|opens| now < opens)
            && let Some(running) = self.running_meeting(&Context::Appointment(a.id.clone()))?
        {
            return Ok(self.end_meeting(&running.id)?.1);
        }
        Ok(false)
    }

    /// Cancels a meeting: either party may, the host's side as for any change, the guest
    /// with the guest key. The guests get the reason (and a calendar cancellation); the
    /// host is told when someone else cancelled.
    pub fn cancel_appointment(&self, id: &str, by: &Attendee, reason: &str) -> Result<Row> {
        let reason = require_text("a reason", reason, MAX_NOTE)?;
        let current = self.appointment(id)?;
        match by {
            Attendee::User(actor) => self.may_manage(actor, &current)?,
            Attendee::Guest(key) if *key == current.guest_key => {}
            // A guest added later may pick a time and review, but the meeting was made
            // with its first guest: only they call it off.
            Attendee::Guest(key) => {
                // A store failure is told as one, not as a wrong key.
                self.guest_with_key(&current, key)?;
                return Err(MeetError::Forbidden(format!(
                    "only {}, its first guest, may cancel the meeting as a guest",
                    current.guests[0].name
                )));
            }
        }
        let guest_waiting = self.guest_in_room(&current)?;
        let a = self.change_and_mail(
            id,
            |a, now| {
                a.open_for_cancelling(now, guest_waiting)?;
                a.cancelled = true;
                a.reason = Some(reason.clone());
                a.sequence += 1;
                Ok(())
            },
            |a| {
                let mut mails =
                    self.invitations(a, &a.guests, Mailing::Change { what: "cancelled", reason: &reason })?;
                // Called off by someone else: the host's calendar entry is cancelled too.
                if let Some(text) = self.cancelled_by_other(by, a, &reason) {
                    let subject = format!("{} cancelled", a.meeting_type);
                    mails.extend(self.host_mail(a, &a.host, CalendarFor::Agenda, subject, text)?);
                }
                Ok(mails)
            },
        )?;
        if let Some(text) = self.cancelled_by_other(by, &a, &reason) {
            self.host.notify(
                core::slice::from_ref(&a.host),
                Notification {
                    title: "Meeting cancelled".into(),
                    text,
                    link: Some(appointment_link(&a.id)),
                    context: Context::Appointment(a.id.clone()),
                    meeting: None,
                },
            );
        }
        Ok(self.row(a, self.host.now()))
    }

    /// What the host of `a` hears of its cancellation by someone else (none when they
    /// cancelled it themselves), by mail and on their bell.
    fn cancelled_by_other(&self, by: &Attendee, a: &Appointment, reason: &str) -> Option<String> {
        let who = match by {
            Attendee::User(u) if *u == a.host => return None,
            Attendee::User(actor) => self.name_of(actor),
            Attendee::Guest(_) => a.guests[0].name.clone(),
        };
        Some(format!("{who} cancelled the {}: {reason}", a.meeting_type))
    }

    pub fn assignable_hosts(&self, id: &str, actor: &str) -> Result<Vec<Availability>> {
        let a = self.appointment(id)?;
        self.may_manage(actor, &a)?;
        self.availability(actor, Some(&a.id), &a.held(self.host.now()), Some(&a.host))
    }

    /// Who could host a meeting at `start` in `zone` for `duration_mins`, for the forms
    /// that schedule and move one. `moving`, a meeting being moved, is not counted
    /// against its own new time.
    pub fn available_hosts(
        &self,
        actor: &str,
        zone: &str,
        start: LocalDateTime,
        duration_mins: u32,
        moving: Option<&str>,
    ) -> Result<Vec<Availability>> {
        self.internal_user(actor)?;
        let from = self.zone_instant(zone, start)?;
        let to = from + planned_duration(duration_mins)?;
        if let Some(id) = moving {
            self.may_manage(actor, &self.appointment(id)?)?;
        }
        self.availability(actor, moving, &[Window { from, to }], None)
    }

    /// The internal users among `actor`'s colleagues but `leave_out`, each available
    /// unless, in one of `windows`, a meeting they host other than `except` holds their
    /// time or their calendar on the platform is blocked.
    fn availability(
        &self,
        actor: &str,
        except: Option<&str>,
        windows: &[Window],
        leave_out: Option<&str>,
    ) -> Result<Vec<Availability>> {
        let now = self.host.now();
        let mut out = Vec::new();
        for u in self.colleagues(actor).into_iter().filter_map(|u| self.host.user(&u)) {
            if u.kind == model::UserKind::Internal && Some(u.id.as_str()) != leave_out {
                let available = !windows.iter().any(|w| self.host.calendar_blocked(&u.id, w.from, w.to))
                    && !self.busy_between(&u.id, except, windows, now)?;
                out.push(Availability { available, user: u.id, name: u.name });
            }
        }
        Ok(out)
    }

    pub fn reassign(&self, id: &str, actor: &str, new_host: &str) -> Result<Row> {
        let current = self.appointment(id)?;
        self.may_manage(actor, &current)?;
        let host = self.internal_user(new_host)?;
        if !self.share_a_group(actor, new_host) {
            return Err(MeetError::Forbidden(format!("{new_host} shares no group with {actor}")));
        }
        let a = self.change(id, |a, now| {
            a.open_for_changes(now, "reassign")?;
            // Its guests are told who hosts it, with the times left to pick from.
            slots_left(a, now)?;
            if a.host == new_host {
                return Err(invalid(format!("{new_host} hosts it already")));
            }
            a.host = new_host.to_string();
            a.sequence += 1;
            Ok(())
        })?;
        let yours = format!("You now host the {} with {}.", a.meeting_type, a.guests[0].name);
        self.host.notify(
            core::slice::from_ref(&host.id),
            Notification {
                title: "Meeting assigned to you".into(),
                text: yours.clone(),
                link: Some(appointment_link(&a.id)),
                context: Context::Appointment(a.id.clone()),
                meeting: None,
            },
        );
        // A colleague gave the meeting away: its former host hears of it, as of a
        // colleague's reschedule or cancellation.
        if actor != current.host {
            self.host.notify(
                core::slice::from_ref(&current.host),
                Notification {
                    title: "Meeting reassigned".into(),
                    text: format!(
                        "{} assigned the {} with {} to {}.",
                        self.name_of(actor),
                        a.meeting_type,
                        a.guests[0].name,
                        host.name
                    ),
                    // A colleague of the new host, they may still open it.
                    link: Some(appointment_link(&a.id)),
                    context: Context::Appointment(a.id.clone()),
                    meeting: None,
                },
            );
        }
        // The new host gets the meeting into their calendar, and the former host's entry
        // is withdrawn. The change is made: mails that fail do not undo it (see below).
        let mails = self
            .host_mail(
                &a,
                &host.id,
                CalendarFor::Agenda,
                format!("{} assigned to you", a.meeting_type),
                yours,
            )
            .and_then(|to_new| {
                let to_former = self.host_mail(
                    &a,
                    &current.host,
                    CalendarFor::Withdrawn { former_host: &current.host },
                    format!("{} reassigned", a.meeting_type),
                    format!("{} now hosts the {} with {}.", host.name, a.meeting_type, a.guests[0].name),
                )?;
                Ok(to_new.into_iter().chain(to_former).collect::<Vec<_>>())
            });
        match mails {
            Ok(mails) => self.send_mails(mails),
            Err(e) => self.host.flag_to_admins(
                &Context::Appointment(a.id.clone()),
                &format!("The hosts of the {} were not mailed its calendar entry ({e}).", a.meeting_type),
            ),
        }
        // The guests' invitations named the former host (and, once there is a time, their
        // calendars name the host as organizer): they hear who hosts it now, with the file
        // again when there is one, and still planning, with the times left to pick from.
        // The change is made: mails that fail do not undo it, and a retry would find the
        // meeting reassigned already; administrators are told instead.
        let now_hosts = format!("{} now hosts it", host.name);
        if let Err(e) =
            self.invite_guests(&a, &a.guests, Mailing::Change { what: "updated", reason: &now_hosts })
        {
            self.host.flag_to_admins(
                &Context::Appointment(a.id.clone()),
                &format!(
                    "The guests of the {} with {} were not told that {} now hosts it ({e}): please tell them.",
                    a.meeting_type, a.guests[0].name, host.name
                ),
            );
        }
        Ok(self.row(a, self.host.now()))
    }

    pub fn add_guest(&self, id: &str, actor: &str, guest: &Guest) -> Result<Row> {
        let guest = check_guest(guest)?;
        let current = self.appointment(id)?;
        self.may_manage(actor, &current)?;
        self.admits_guests()?;
        let now = self.host.now();
        if let Some(invited) = current.guests.iter().find(|g| g.email.eq_ignore_ascii_case(&guest.email)) {
            // Invited already: the guest is sent the invitation again, with their own key,
            // and nothing changes. So a host resends a lost invitation, and an add cut
            // short after its change (before its mail) is finished by repeating it.
            open_for_guests(&current, now)?;
            self.send_mails(self.invitations(
                &current,
                core::slice::from_ref(invited),
                Mailing::Invitation,
            )?);
            return Ok(self.row(current, now));
        }
        may_add(&current, &guest, now)?;
        // The new guest's key is kept before the guest is added: a process stopped in
        // between leaves a key nobody uses, and the retry takes the same one.
        let fresh = ids::fresh(self.host, "");
        let email = guest.email.to_ascii_lowercase();
        let key = self.store.update(&added_keys_key(id), |keys: Option<Vec<(String, String)>>| {
            let mut keys = keys.unwrap_or_default();
            if let Some((_, key)) = keys.iter().find(|(e, _)| *e == email) {
                return Ok(Update::Keep(key.clone()));
            }
            keys.push((email.clone(), fresh.clone()));
            Ok(Update::Write(keys, fresh.clone()))
        })?;
        // Again on a retry: the one cut short before it is finished.
        self.store.put(&guest_key_key(&key), &id.to_string())?;
        let a = self.change_and_mail(
            id,
            |a, now| {
                may_add(a, &guest, now)?;
                a.guests.push(guest.clone());
                // The host's calendar entry now names one guest more.
                a.sequence += 1;
                Ok(())
            },
            |a| self.invitations(a, core::slice::from_ref(&guest), Mailing::Invitation),
        )?;
        // A colleague's change: the host hears of it, as of a reschedule or cancellation.
        if actor != a.host {
            self.host.notify(
                core::slice::from_ref(&a.host),
                Notification {
                    title: "Guest added".into(),
                    text: format!(
                        "{} added {} to the {} with {}.",
                        self.name_of(actor),
                        guest.name,
                        a.meeting_type,
                        a.guests[0].name
                    ),
                    link: Some(appointment_link(&a.id)),
                    context: Context::Appointment(a.id.clone()),
                    meeting: None,
                },
            );
        }
        Ok(self.row(a, self.host.now()))
    }

    pub fn add_review(&self, id: &str, key: &str, review: &str) -> Result<Row> {
        let review = require_text("the review", review, MAX_NOTE)?;
        let current = self.appointment(id)?;
        let n = self.guest_with_key(&current, key)?;
        // Checked before the review is claimed: a claim for a meeting not yet over
        // would keep the other guests from reviewing it once it is.
        current.open_for_follow_up(self.host.now())?;
        let author = current.guests[n].email.to_ascii_lowercase();
        // One review per meeting, as the overview shows one: its author may rewrite it,
        // another guest may not replace it unseen. Claimed by compare-and-swap, so that
        // of two guests writing at once one is refused.
        let by = self.store.update(&review_by_key(id), |by: Option<String>| {
            Ok(match by {
                Some(by) => Update::Keep(by),
                None => Update::Write(author.clone(), author.clone()),
            })
        })?;
        if by != author {
            let name =
                current.guests.iter().find(|g| g.email.eq_ignore_ascii_case(&by)).map(|g| g.name.as_str());
            return Err(MeetError::InvalidTransition(format!(
                "{} has reviewed the meeting already",
                name.unwrap_or("another guest")
            )));
        }
        let a = self.change(id, |a, now| {
            a.open_for_follow_up(now)?;
            a.review = Some(review.clone());
            Ok(())
        })?;
        Ok(self.row(a, self.host.now()))
    }

    pub fn add_summary(&self, id: &str, actor: &str, summary: &str) -> Result<Row> {
        let summary = require_text("the summary", summary, MAX_NOTE)?;
        self.internal_user(actor)?;
        let a = self.change(id, |a, now| {
            if a.host != actor {
                return Err(MeetError::Forbidden(format!("only the host of {} writes its summary", a.id)));
            }
            a.open_for_follow_up(now)?;
            a.summary = Some(summary.clone());
            Ok(())
        })?;
        // Left for the guests: they are sent it. The summary is stored; when the mails
        // cannot be sent the call fails, and repeating it (the same summary) sends them.
        self.send_summary(&a, &summary)?;
        Ok(self.row(a, self.host.now()))
    }
}

#[cfg(test)]
mod tests {
    use crate::prelude::*;

    use crate::Meetkit;
    use crate::error::MeetError;
    use crate::model::{Context, HOUR, Licence, Relation, UserKind, Window};
    use crate::overview::{Appointment, Attendee, Guest, appointment_key};
    use crate::testing::{FakeHost, MemoryKv};

    /// A meeting of Ana's with one guest, at `start` or with `proposed` slots.
    fn appointment(now: i64, start: Option<i64>, proposed: Vec<i64>) -> Appointment {
        Appointment {
            id: "a1".into(),
            host: "ana".into(),
            guests: vec![Guest { name: "Rita".into(), email: "rita@client.example".into(), phone: None }],
            guest_key: "k1".into(),
            meeting_type: "Intake".into(),
            details: String::new(),
            description: String::new(),
            review: None,
            summary: None,
            zone: "UTC".into(),
            start,
            proposed,
            duration_mins: 30,
            reason: None,
            sequence: 0,
            cancelled: false,
            host_entered: None,
            host_ended: None,
            guest_entered: None,
            check: None,
            connection_failed: false,
            meeting: None,
            created_at: now,
        }
    }

    /// Who is free to host: the actor's internal colleagues, each kept busy by a meeting
    /// they host (not the one being moved) or by their calendar on the platform.
    #[test]
    fn availability_counts_hosted_meetings_and_the_platform_calendar() {
        let mut host = FakeHost::new(Licence::X20Advanced);
        let people = [("ana", UserKind::Internal), ("ben", UserKind::Internal), ("erik", UserKind::External)];
        for (u, kind) in people {
            host.add_user(u, kind);
        }
        host.add_context(Context::Group("sales".into()), &people.map(|(u, _)| (u, Relation::Member)));
        let now = host.now.get();
        let start = now + 24 * HOUR;
        host.blocked.push(("ben".into(), start + HOUR, start + 2 * HOUR));
        host.blocked.push(("ben".into(), start + 5 * HOUR, start + 6 * HOUR));
        let kv = MemoryKv::default();
        let core = Meetkit::new(&host, &kv);
        let a = appointment(now, Some(start), Vec::new()); // Ana's, start to start + 30 min
        core.reindex(&a, None).unwrap();
        core.store.put(&appointment_key("a1"), &a).unwrap();
        let free = |from: i64, except: Option<&str>| {
            let hosts =
                core.availability("ana", except, &[Window { from, to: from + 30 * 60_000 }], None).unwrap();
            hosts.into_iter().map(|h| (h.user, h.available)).collect::<Vec<_>>()
        };
        let both = |ana: bool, ben: bool| vec![("ana".to_string(), ana), ("ben".to_string(), ben)];
        assert_eq!(free(start + 15 * 60_000, None), both(false, true), "Ana hosts a1 then; Erik is external");
        assert_eq!(free(start + 15 * 60_000, Some("a1")), both(true, true), "a1 is the meeting being moved");
        assert_eq!(
            free(start + HOUR - 15 * 60_000, None),
            both(true, false),
            "Ben's calendar from start + 1 h"
        );
        assert_eq!(free(start + 2 * HOUR, None), both(true, true));
        let window = [Window { from: start, to: start + HOUR }];
        let hosts = core.availability("ana", None, &window, Some("ana")).unwrap();
        assert_eq!(hosts.len(), 1, "the assign list leaves out the meeting's own host");

        // A meeting whose guest has not picked yet holds every slot proposed, and only them.
        let mut planning = appointment(now, None, vec![start + 3 * HOUR, start + 5 * HOUR]);
        planning.id = "a2".into();
        core.reindex(&planning, None).unwrap();
        core.store.put(&appointment_key("a2"), &planning).unwrap();
        assert_eq!(free(start + 3 * HOUR, None), both(false, true));
        assert_eq!(free(start + 4 * HOUR, None), both(true, true), "between the two slots");
        assert_eq!(free(start + 5 * HOUR + 15 * 60_000, None), both(false, false), "the last slot");
        assert_eq!(free(start + 5 * HOUR, Some("a2")), both(true, false));
        // Whoever would take it over must be free at each of its slots: Ben is free at
        // the first, blocked at the second.
        let hosts = core.availability("ana", Some("a2"), &planning.held(now), Some("ana")).unwrap();
        assert_eq!((hosts[0].user.as_str(), hosts[0].available), ("ben", false));
        // A slot that has begun can no longer be picked: it holds nobody.
        assert_eq!(planning.held(start + 5 * HOUR).len(), 0);
        assert_eq!(planning.held(start + 3 * HOUR - 1).len(), 2);
    }

    /// The fake host formats UTC times but has no time-zone database for calendar files:
    /// a change whose guests' mails need one fails, and stores nothing, so that the
    /// caller's repeat does the whole change.
    #[test]
    fn a_change_whose_mails_cannot_be_made_changes_nothing() {
        let mut host = FakeHost::new(Licence::X20Advanced);
        host.add_user("ana", UserKind::Internal);
        host.add_context(Context::Group("sales".into()), &[("ana", Relation::Member)]);
        let now = host.now.get();
        let kv = MemoryKv::default();
        let core = Meetkit::new(&host, &kv);
        let slots = vec![now + 24 * HOUR, now + 48 * HOUR];
        core.store.put(&appointment_key("a1"), &appointment(now, None, slots)).unwrap();
        let stored = || core.appointment("a1").unwrap();
        let before = stored();

        let picked = core.pick_slot("a1", "k1", 0);
        assert!(matches!(picked, Err(MeetError::HostFailure(_))), "{picked:?}");
        assert_eq!(stored(), before);
        assert!(host.take_effects().is_empty(), "nobody was told of a change not made");

        core.store.put(&appointment_key("a1"), &appointment(now, Some(now + 24 * HOUR), Vec::new())).unwrap();
        let before = stored();
        let cancelled = core.cancel_appointment("a1", &Attendee::User("ana".into()), "No longer needed");
        assert!(matches!(cancelled, Err(MeetError::HostFailure(_))), "{cancelled:?}");
        assert_eq!(stored(), before);
        assert!(host.take_effects().is_empty());
    }
}
