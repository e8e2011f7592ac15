//! Scheduled meetings between a host user and external guests: scheduling (one time or
//! proposed slots), the My/Everyone overview with derived statuses, changes, and rooms.

use crate::Meetkit;
use crate::error::{MeetError, Result, invalid, require_id};
use crate::host::Notification;
use crate::model::{Context, HOUR, Instant, JoinTicket, LocalDateTime, MINUTE, User};
use crate::store::Update;
use crate::{ids, model};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Missed, failed and completed are decided this long after a meeting's planned end.
pub const SETTLE_AFTER: Instant = 2 * HOUR;
/// A scheduled meeting is "starting soon" this long before its start.
pub const SOON: Instant = HOUR;
const MAX_SLOTS: usize = 10;
const MAX_GUESTS: usize = 10;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guest {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Status {
    StartingSoon,
    Scheduled,
    Planning,
    Live,
    Completed,
    Missed,
    Cancelled,
    Failed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MediaCheck {
    NotEntered,
    Entered,
    Failed,
    Passed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleRequest {
    pub actor: String,
    pub host: String,
    pub guest: Guest,
    pub meeting_type: String,
    pub details: String,
    pub description: String,
    pub zone: String,
    pub slots: Vec<LocalDateTime>,
    pub duration_mins: u32,
}

/// A scheduled meeting as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    pub id: String,
    pub host: String,
    pub guests: Vec<Guest>,
    pub guest_key: String,
    pub meeting_type: String,
    pub details: String,
    pub description: String,
    pub review: Option<String>,
    pub summary: Option<String>,
    pub zone: String,
    pub start: Option<Instant>,
    pub proposed: Vec<Instant>,
    pub duration_mins: u32,
    pub reason: Option<String>,
    pub sequence: u32,
    pub cancelled: bool,
    pub host_entered: Option<Instant>,
    pub host_ended: Option<Instant>,
    pub guest_entered: Option<Instant>,
    /// The guest's media check: passed (true) or failed (false), once done.
    pub check: Option<bool>,
    pub connection_failed: bool,
    pub meeting: Option<String>,
    pub created_at: Instant,
}

impl Appointment {
    /// The date the overview sorts and files it by: the start, or the first proposed slot.
    pub fn date(&self) -> Instant {
        self.start.or_else(|| self.proposed.first().copied()).unwrap_or(self.created_at)
    }

    fn duration(&self) -> Instant {
        i64::from(self.duration_mins) * MINUTE
    }

    /// When missed, failed and completed are decided.
    pub fn settles_at(&self) -> Instant {
        self.date() + self.duration() + SETTLE_AFTER
    }

    pub fn media_check(&self) -> MediaCheck {
        match (self.guest_entered, self.check) {
            (None, None) => MediaCheck::NotEntered,
            (_, Some(true)) => MediaCheck::Passed,
            (_, Some(false)) => MediaCheck::Failed,
            (Some(_), None) => MediaCheck::Entered,
        }
    }

    fn live(&self, now: Instant) -> bool {
        self.host_entered.is_some() && self.host_ended.is_none() && now < self.settles_at()
    }

    /// The status at `now`, from time and events.
    pub fn status(&self, now: Instant) -> Status {
        if self.cancelled {
            return Status::Cancelled;
        }
        let Some(start) = self.start else { return Status::Planning };
        if self.live(now) {
            return Status::Live;
        }
        if now < self.settles_at() {
            // Not settled yet: a meeting whose time has come but that is not live stays
            // "scheduled" until it settles (a late entry may still complete it).
            return if now < start && start - now <= SOON { Status::StartingSoon } else { Status::Scheduled };
        }
        let entered_and_failed = (self.guest_entered.is_some() || self.host_entered.is_some())
            && (self.check == Some(false) || self.connection_failed);
        if entered_and_failed {
            Status::Failed
        } else if self.host_entered.is_some() && self.guest_entered.is_some() {
            Status::Completed
        } else {
            Status::Missed
        }
    }

    fn open_for_changes(&self, now: Instant, change: &str) -> Result<()> {
        match self.status(now) {
            Status::Live => {
                Err(MeetError::InvalidTransition(format!("cannot {change} a meeting while it is live")))
            }
            Status::Cancelled => {
                Err(MeetError::InvalidTransition(format!("cannot {change} a cancelled meeting")))
            }
            Status::Completed | Status::Missed | Status::Failed => {
                Err(MeetError::InvalidTransition(format!("cannot {change} a meeting that is over")))
            }
            _ if self.host_entered.is_some() => {
                Err(MeetError::InvalidTransition(format!("cannot {change} a meeting that has taken place")))
            }
            _ => Ok(()),
        }
    }
}

/// An appointment as a viewer sees it, with everything derived at the time of reading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub appointment: Appointment,
    pub host_name: String,
    pub guest_link: String,
    pub status: Status,
    pub media_check: MediaCheck,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Mine,
    Everyone,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Upcoming,
    Past,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Date,
    GuestName,
    GuestEmail,
    GuestKey,
    MediaCheck,
    MeetingType,
    Details,
    Status,
    Host,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub viewer: String,
    pub scope: Scope,
    pub period: Period,
    pub sort: SortKey,
    pub descending: bool,
    pub page: u32,
    pub page_size: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub items: Vec<Row>,
    pub total: u32,
    pub page: u32,
    pub page_size: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoomEvent {
    GuestEntered,
    GuestCheckPassed,
    GuestCheckFailed,
    ConnectionFailed,
    HostEnded,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attendee {
    User(String),
    Guest(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Availability {
    pub user: String,
    pub name: String,
    pub available: bool,
}

pub(crate) fn appointment_key(id: &str) -> String {
    format!("appointment/{id}")
}

/// The guest's address: the platform serves it and lets in whoever has the key.
pub fn guest_link(a: &Appointment) -> String {
    format!("meet/guest/{}?key={}", a.id, a.guest_key)
}

fn require_text(what: &str, text: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() { Err(invalid(format!("{what} is required"))) } else { Ok(t.to_string()) }
}

fn check_guest(guest: &Guest) -> Result<Guest> {
    let name = require_text("the guest's name", &guest.name)?;
    let email = require_text("the guest's e-mail address", &guest.email)?;
    if !email.contains('@') || email.contains(char::is_whitespace) {
        return Err(invalid(format!("{email:?} is not an e-mail address")));
    }
    let phone = guest.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_string);
    Ok(Guest { name, email, phone })
}

impl Meetkit<'_> {
    /// The users who share a group with `user`, and `user`.
    pub(crate) fn colleagues(&self, user: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::from([user.to_string()]);
        for group in self.host.groups_of(user) {
            if let Some(info) = self.host.describe_context(&Context::Group(group)) {
                out.extend(info.members.into_iter().map(|m| m.user.id));
            }
        }
        out
    }

    fn internal_user(&self, id: &str) -> Result<User> {
        require_id("the user id", id)?;
        match self.host.user(id) {
            Some(u) if u.kind == model::UserKind::Internal => Ok(u),
            Some(_) => {
                Err(MeetError::Forbidden(format!("{id} is an external user and cannot host meetings")))
            }
            None => Err(MeetError::UnknownUser(format!("{id} is not a user of the platform"))),
        }
    }

    /// `actor` may change the meeting: the host, or a colleague of the host.
    fn may_manage(&self, actor: &str, a: &Appointment) -> Result<()> {
        self.internal_user(actor)?;
        if actor == a.host || self.colleagues(actor).contains(&a.host) {
            Ok(())
        } else {
            Err(MeetError::Forbidden(format!("{actor} shares no group with the host of {}", a.id)))
        }
    }

    fn zone_instant(&self, zone: &str, local: LocalDateTime) -> Result<Instant> {
        self.host.to_instant(zone, local).map_err(|e| invalid(format!("{local:?} in {zone}: {e}")))
    }

    pub(crate) fn row(&self, a: Appointment, now: Instant) -> Row {
        let host_name = self.host.user(&a.host).map_or_else(|| a.host.clone(), |u| u.name);
        Row {
            guest_link: guest_link(&a),
            status: a.status(now),
            media_check: a.media_check(),
            host_name,
            appointment: a,
        }
    }

    pub(crate) fn appointment(&self, id: &str) -> Result<Appointment> {
        require_id("the appointment id", id)?;
        self.store
            .get(&appointment_key(id))?
            .ok_or_else(|| MeetError::NotFound(format!("there is no meeting {id}")))
    }

    /// Changes an appointment atomically; `f` sees the current record and the time.
    fn change(
        &self,
        id: &str,
        mut f: impl FnMut(&mut Appointment, Instant) -> Result<()>,
    ) -> Result<Appointment> {
        require_id("the appointment id", id)?;
        let now = self.host.now();
        self.store.update(&appointment_key(id), |a: Option<Appointment>| {
            let mut a = a.ok_or_else(|| MeetError::NotFound(format!("there is no meeting {id}")))?;
            f(&mut a, now)?;
            Ok(Update::Write(a.clone(), a))
        })
    }

    pub fn schedule(&self, request: ScheduleRequest) -> Result<Row> {
        let host = self.internal_user(&request.host)?;
        self.internal_user(&request.actor)?;
        if request.actor != request.host && !self.colleagues(&request.actor).contains(&request.host) {
            return Err(MeetError::Forbidden(format!(
                "{} shares no group with {}",
                request.actor, request.host
            )));
        }
        let guest = check_guest(&request.guest)?;
        let meeting_type = require_text("the meeting type", &request.meeting_type)?;
        if request.duration_mins == 0 || request.duration_mins > 24 * 60 {
            return Err(invalid("the planned duration must be between 1 minute and 24 hours"));
        }
        if request.slots.is_empty() || request.slots.len() > MAX_SLOTS {
            return Err(invalid(format!("give one start time or up to {MAX_SLOTS} proposed slots")));
        }
        let now = self.host.now();
        let mut times = Vec::new();
        for slot in &request.slots {
            let t = self.zone_instant(&request.zone, *slot)?;
            if t <= now {
                return Err(invalid("a meeting cannot start in the past"));
            }
            times.push(t);
        }
        times.sort_unstable();
        times.dedup();
        let (start, proposed) = if times.len() == 1 { (Some(times[0]), Vec::new()) } else { (None, times) };
        let a = Appointment {
            id: ids::fresh(self.host, "a"),
            host: host.id.clone(),
            guests: vec![guest],
            guest_key: ids::fresh(self.host, ""),
            meeting_type,
            details: request.details.trim().to_string(),
            description: request.description.trim().to_string(),
            review: None,
            summary: None,
            zone: request.zone.clone(),
            start,
            proposed,
            duration_mins: request.duration_mins,
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
        };
        self.store.put(&appointment_key(&a.id), &a)?;
        self.invite_guests(&a, &a.guests, None)?;
        Ok(self.row(a, now))
    }

    pub fn pick_slot(&self, id: &str, key: &str, slot: u32) -> Result<Row> {
        let a = self.change(id, |a, _| {
            if a.guest_key != key {
                return Err(MeetError::Forbidden("the guest key does not match".into()));
            }
            if a.cancelled || a.start.is_some() {
                return Err(MeetError::InvalidTransition(format!(
                    "{} is not waiting for a slot to be picked",
                    a.id
                )));
            }
            let t =
                *a.proposed.get(slot as usize).ok_or_else(|| invalid(format!("there is no slot {slot}")))?;
            a.start = Some(t);
            Ok(())
        })?;
        self.host.notify(
            &a.host,
            Notification {
                title: "Meeting confirmed".into(),
                text: format!("{} picked a time for the {}.", a.guests[0].name, a.meeting_type),
                link: None,
                context: Context::Appointment(a.id.clone()),
            },
        );
        self.invite_guests(&a, &a.guests, None)?;
        Ok(self.row(a, self.host.now()))
    }

    pub fn get_appointment(&self, id: &str, viewer: &str) -> Result<Row> {
        let a = self.appointment(id)?;
        self.may_manage(viewer, &a)?;
        Ok(self.row(a, self.host.now()))
    }

    pub fn list_meetings(&self, q: &Query) -> Result<Page> {
        if q.page_size == 0 || q.page_size > 200 {
            return Err(invalid("the page size must be between 1 and 200"));
        }
        self.internal_user(&q.viewer)?;
        let hosts = match q.scope {
            Scope::Mine => BTreeSet::from([q.viewer.clone()]),
            Scope::Everyone => self.colleagues(&q.viewer),
        };
        let now = self.host.now();
        let mut rows: Vec<Row> = self
            .store
            .scan::<Appointment>("appointment/")?
            .into_iter()
            .filter(|a| hosts.contains(&a.host))
            .filter(|a| {
                (q.period == Period::Upcoming) == (a.start.is_none() && !a.cancelled || now < a.settles_at())
            })
            .map(|a| self.row(a, now))
            .collect();
        sort(&mut rows, q.sort, q.descending);
        let total = rows.len() as u32;
        let items = rows
            .into_iter()
            .skip((q.page as usize).saturating_mul(q.page_size as usize))
            .take(q.page_size as usize)
            .collect();
        Ok(Page { items, total, page: q.page, page_size: q.page_size })
    }

    pub fn reschedule(&self, id: &str, actor: &str, start: LocalDateTime, reason: &str) -> Result<Row> {
        let reason = require_text("a reason", reason)?;
        let current = self.appointment(id)?;
        self.may_manage(actor, &current)?;
        let t = self.zone_instant(&current.zone, start)?;
        let a = self.change(id, |a, now| {
            a.open_for_changes(now, "reschedule")?;
            if t <= now {
                return Err(invalid("a meeting cannot start in the past"));
            }
            a.start = Some(t);
            a.proposed.clear();
            a.reason = Some(reason.clone());
            a.sequence += 1;
            Ok(())
        })?;
        self.invite_guests(&a, &a.guests, Some(("rescheduled", &reason)))?;
        Ok(self.row(a, self.host.now()))
    }

    pub fn cancel_appointment(&self, id: &str, actor: &str, reason: &str) -> Result<Row> {
        let reason = require_text("a reason", reason)?;
        self.may_manage(actor, &self.appointment(id)?)?;
        let a = self.change(id, |a, now| {
            a.open_for_changes(now, "cancel")?;
            a.cancelled = true;
            a.reason = Some(reason.clone());
            a.sequence += 1;
            Ok(())
        })?;
        self.invite_guests(&a, &a.guests, Some(("cancelled", &reason)))?;
        Ok(self.row(a, self.host.now()))
    }

    /// Whether another meeting of `user` overlaps `a`.
    fn busy_during(&self, user: &str, a: &Appointment, all: &[Appointment]) -> bool {
        let (from, to) = (a.date(), a.date() + a.duration());
        all.iter().any(|o| {
            o.id != a.id && o.host == user && !o.cancelled && o.date() < to && from < o.date() + o.duration()
        })
    }

    pub fn assignable_hosts(&self, id: &str, actor: &str) -> Result<Vec<Availability>> {
        let a = self.appointment(id)?;
        self.may_manage(actor, &a)?;
        let all: Vec<Appointment> = self.store.scan("appointment/")?;
        Ok(self
            .colleagues(actor)
            .into_iter()
            .filter_map(|u| self.host.user(&u))
            .filter(|u| u.kind == model::UserKind::Internal && u.id != a.host)
            .map(|u| Availability { available: !self.busy_during(&u.id, &a, &all), user: u.id, name: u.name })
            .collect())
    }

    pub fn reassign(&self, id: &str, actor: &str, new_host: &str) -> Result<Row> {
        let current = self.appointment(id)?;
        self.may_manage(actor, &current)?;
        let host = self.internal_user(new_host)?;
        if !self.colleagues(actor).contains(new_host) {
            return Err(MeetError::Forbidden(format!("{new_host} shares no group with {actor}")));
        }
        let a = self.change(id, |a, now| {
            a.open_for_changes(now, "reassign")?;
            if a.host == new_host {
                return Err(invalid(format!("{new_host} hosts it already")));
            }
            a.host = new_host.to_string();
            a.sequence += 1;
            Ok(())
        })?;
        self.host.notify(
            &host.id,
            Notification {
                title: "Meeting assigned to you".into(),
                text: format!("You now host the {} with {}.", a.meeting_type, a.guests[0].name),
                link: None,
                context: Context::Appointment(a.id.clone()),
            },
        );
        Ok(self.row(a, self.host.now()))
    }

    pub fn add_guest(&self, id: &str, actor: &str, guest: &Guest) -> Result<Row> {
        let guest = check_guest(guest)?;
        self.may_manage(actor, &self.appointment(id)?)?;
        let a = self.change(id, |a, now| {
            a.open_for_changes(now, "add a guest to")?;
            if a.guests.iter().any(|g| g.email.eq_ignore_ascii_case(&guest.email)) {
                return Err(invalid(format!("{} is a guest already", guest.email)));
            }
            if a.guests.len() >= MAX_GUESTS {
                return Err(invalid(format!("a meeting has at most {MAX_GUESTS} guests")));
            }
            a.guests.push(guest.clone());
            Ok(())
        })?;
        self.invite_guests(&a, std::slice::from_ref(&guest), None)?;
        Ok(self.row(a, self.host.now()))
    }

    pub fn report_room_event(&self, id: &str, event: RoomEvent, at: Instant) -> Result<Row> {
        let a = self.change(id, |a, _| {
            if a.cancelled || a.start.is_none() {
                return Err(MeetError::InvalidTransition(format!("{} is not a scheduled meeting", a.id)));
            }
            match event {
                RoomEvent::GuestEntered => {
                    a.guest_entered.get_or_insert(at);
                }
                RoomEvent::GuestCheckPassed | RoomEvent::GuestCheckFailed => {
                    a.guest_entered.get_or_insert(at);
                    a.check = Some(event == RoomEvent::GuestCheckPassed);
                }
                RoomEvent::ConnectionFailed => a.connection_failed = true,
                RoomEvent::HostEnded => {
                    if a.host_entered.is_none() {
                        return Err(MeetError::InvalidTransition("the host has not entered".into()));
                    }
                    a.host_ended.get_or_insert(at);
                }
            }
            Ok(())
        })?;
        if let (RoomEvent::HostEnded, Some(meeting)) = (event, &a.meeting) {
            self.end_meeting(meeting)?;
        }
        Ok(self.row(a, self.host.now()))
    }

    pub fn add_review(&self, id: &str, key: &str, review: &str) -> Result<Row> {
        let review = require_text("the review", review)?;
        let a = self.change(id, |a, now| {
            if a.guest_key != key {
                return Err(MeetError::Forbidden("the guest key does not match".into()));
            }
            self.after_meeting(a, now)?;
            a.review = Some(review.clone());
            Ok(())
        })?;
        Ok(self.row(a, self.host.now()))
    }

    pub fn add_summary(&self, id: &str, actor: &str, summary: &str) -> Result<Row> {
        let summary = require_text("the summary", summary)?;
        let a = self.change(id, |a, now| {
            if a.host != actor {
                return Err(MeetError::Forbidden(format!("only the host of {} writes its summary", a.id)));
            }
            self.after_meeting(a, now)?;
            a.summary = Some(summary.clone());
            Ok(())
        })?;
        Ok(self.row(a, self.host.now()))
    }

    fn after_meeting(&self, a: &Appointment, now: Instant) -> Result<()> {
        let over = a.host_ended.is_some() || a.start.is_some_and(|s| now >= s + a.duration());
        if a.cancelled || !over {
            return Err(MeetError::InvalidTransition(format!("{} has not taken place yet", a.id)));
        }
        Ok(())
    }

    /// Enters the room: the host makes the meeting live; the guest's entry shows on the indicator.
    pub fn enter_room(&self, id: &str, who: &Attendee) -> Result<JoinTicket> {
        let a = self.appointment(id)?;
        let now = self.host.now();
        match a.status(now) {
            Status::Cancelled | Status::Planning | Status::Completed | Status::Missed | Status::Failed => {
                return Err(MeetError::InvalidTransition(format!("{} cannot be entered now", a.id)));
            }
            _ => {}
        }
        let user = match who {
            Attendee::User(u) if *u == a.host => self.internal_user(u)?,
            Attendee::User(u) => {
                return Err(MeetError::Forbidden(format!("{u} is not the host of {}", a.id)));
            }
            Attendee::Guest(key) if *key == a.guest_key => {
                if !self.host.licence().admits(model::UserKind::External) {
                    return Err(MeetError::LicenceForbids(
                        "the X19 Basic licence admits internal users only".into(),
                    ));
                }
                let g = &a.guests[0];
                User {
                    id: format!("guest-{}", a.id),
                    name: g.name.clone(),
                    email: g.email.clone(),
                    avatar: None,
                    kind: model::UserKind::External,
                }
            }
            Attendee::Guest(_) => return Err(MeetError::Forbidden("the guest key does not match".into())),
        };
        let mut meeting = self.new_meeting(
            Context::Appointment(a.id.clone()),
            a.meeting_type.clone(),
            &a.host,
            vec![a.host.clone()],
        );
        meeting.present.clear();
        meeting.attended.clear();
        let (meeting, _) = self.open(meeting)?;
        let ticket = self.ticket(&meeting, &user)?;
        self.mark_present(&meeting.id, &user.id)?;
        let host_entering = matches!(who, Attendee::User(_));
        let meeting_id = meeting.id.clone();
        self.change(id, |a, now| {
            a.meeting = Some(meeting_id.clone());
            if host_entering {
                a.host_entered.get_or_insert(now);
            } else {
                a.guest_entered.get_or_insert(now);
            }
            Ok(())
        })?;
        Ok(ticket)
    }
}

fn sort(rows: &mut [Row], key: SortKey, descending: bool) {
    rows.sort_by(|x, y| {
        let (a, b) = (&x.appointment, &y.appointment);
        let first = |r: &Row| {
            r.appointment.guests.first().cloned().unwrap_or(Guest {
                name: String::new(),
                email: String::new(),
                phone: None,
            })
        };
        let order = match key {
            SortKey::Date => a.date().cmp(&b.date()),
            SortKey::GuestName => first(x).name.to_lowercase().cmp(&first(y).name.to_lowercase()),
            SortKey::GuestEmail => first(x).email.to_lowercase().cmp(&first(y).email.to_lowercase()),
            SortKey::GuestKey => a.guest_key.cmp(&b.guest_key),
            SortKey::MediaCheck => x.media_check.cmp(&y.media_check),
            SortKey::MeetingType => a.meeting_type.to_lowercase().cmp(&b.meeting_type.to_lowercase()),
            SortKey::Details => a.details.to_lowercase().cmp(&b.details.to_lowercase()),
            SortKey::Status => x.status.cmp(&y.status),
            SortKey::Host => x.host_name.to_lowercase().cmp(&y.host_name.to_lowercase()),
        };
        let order = if descending { order.reverse() } else { order };
        // Ties: most recent first, then by id, so that pages never overlap.
        order.then_with(|| b.date().cmp(&a.date())).then_with(|| a.id.cmp(&b.id))
    });
}
