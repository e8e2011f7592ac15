//! Scheduled meetings between a host user and external guests: the appointment and its
//! derived statuses, scheduling (one time or proposed slots), the guest's choice of a
//! slot and page, and the My/Everyone overview. Changes afterwards are in
//! `appointment_change`, the room in `room`.

use crate::order;
use crate::prelude::*;

use crate::Meetkit;
use crate::agenda::Mailing;
use crate::error::{MeetError, Result, invalid, require_id, require_page_size};
use crate::host::{Email, Link, Notification};
use crate::model::{Context, HOUR, Instant, LocalDateTime, MINUTE, User, Window};
use crate::overview_index::{Facts, Listing};
use crate::store::Update;
use crate::typed_input::{MAX_DETAILS, MAX_NAME, MAX_NOTE, check_guest, one_line, single_line, typed};
use crate::{ids, model};
use serde::{Deserialize, Serialize};

/// How far ahead a meeting may be set or looked for.
const MAX_AHEAD: Instant = 3653 * 24 * HOUR;

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
    pub fn facts(&self) -> Facts {
        Facts {
            start: self.start,
            first_proposed: self.proposed.first().copied(),
            last_slot: if self.start.is_none() { self.proposed.last().copied() } else { None },
            created_at: self.created_at,
            duration_mins: self.duration_mins,
            cancelled: self.cancelled,
            host_entered: self.host_entered,
            host_ended: self.host_ended,
            guest_entered: self.guest_entered,
            check: self.check,
            connection_failed: self.connection_failed,
        }
    }

    /// The date the overview sorts and files it by: the start, or the first proposed slot.
    pub fn date(&self) -> Instant {
        self.facts().date()
    }

    pub(crate) fn duration(&self) -> Instant {
        self.facts().duration()
    }

    /// The times the meeting holds its host's time at `now`: its start, or, while the
    /// guest has not picked one, every slot proposed that has not begun (whichever the
    /// guest picks is booked; one that has begun can no longer be picked).
    pub(crate) fn held(&self, now: Instant) -> Vec<Window> {
        let window = |from: Instant| Window { from, to: from + self.duration() };
        match self.start {
            Some(start) => vec![window(start)],
            None => self.open_slots(now).map(window).collect(),
        }
    }

    /// The slots proposed that the guest may still pick at `now`: those not begun.
    pub(crate) fn open_slots(&self, now: Instant) -> impl Iterator<Item = Instant> + '_ {
        self.proposed.iter().copied().filter(move |&slot| slot > now)
    }

    /// When missed, failed and completed are decided.
    pub fn settles_at(&self) -> Instant {
        self.facts().settles_at()
    }

    pub fn media_check(&self) -> MediaCheck {
        self.facts().media_check()
    }

    /// The status at `now`, from time and events.
    pub fn status(&self, now: Instant) -> Status {
        self.facts().status(now)
    }

    pub(crate) fn open_for_changes(&self, now: Instant, change: &str) -> Result<()> {
        match self.status(now) {
            Status::Live => {
                Err(MeetError::InvalidTransition(format!("cannot {change} a meeting while it is live")))
            }
            Status::Cancelled => {
                Err(MeetError::InvalidTransition(format!("cannot {change} a cancelled meeting")))
            }
            // A meeting whose guest let every proposed slot pass may still get a time.
            Status::Missed if self.start.is_none() => Ok(()),
            Status::Completed | Status::Missed | Status::Failed => {
                Err(MeetError::InvalidTransition(format!("cannot {change} a meeting that is over")))
            }
            _ if self.host_entered.is_some() => {
                Err(MeetError::InvalidTransition(format!("cannot {change} a meeting that has taken place")))
            }
            _ => Ok(()),
        }
    }

    /// Whether the room may be entered now (by whom is checked apart): from an hour
    /// before the start until the meeting settles, unless it is cancelled or has no time.
    pub(crate) fn open_for_entering(&self, now: Instant) -> Result<()> {
        // A meeting that took place may be entered again until it settles (a dropped
        // connection); after that it is over.
        let settled = now >= self.settles_at();
        match self.status(now) {
            Status::Cancelled => {
                return Err(MeetError::InvalidTransition(format!("{} is cancelled", self.id)));
            }
            Status::Planning => {
                return Err(MeetError::InvalidTransition(format!(
                    "{} has no time yet: the guest has not picked one of the proposed times",
                    self.id
                )));
            }
            _ if self.start.is_none() => {
                return Err(MeetError::InvalidTransition(format!(
                    "{} has no time: no proposed slot was picked",
                    self.id
                )));
            }
            Status::Completed | Status::Missed | Status::Failed if settled => {
                return Err(MeetError::InvalidTransition(format!("{} is over", self.id)));
            }
            _ => {}
        }
        // Entering makes the meeting live, so the room opens when it is "starting soon":
        // an entry days ahead would settle the meeting before its time.
        if self.room_opens_at().is_some_and(|opens| now < opens) {
            return Err(MeetError::InvalidTransition(format!(
                "the room of {} opens an hour before the meeting starts",
                self.id
            )));
        }
        Ok(())
    }

    /// Whether a guest may enter the room now: as [`Appointment::open_for_entering`], and
    /// not once the host has ended the meeting (until the host enters again), so that a
    /// guest does not wait alone in a room nobody will come to.
    pub(crate) fn open_for_guests(&self, now: Instant) -> Result<()> {
        self.open_for_entering(now)?;
        self.not_ended_by_host()
    }

    /// The part of [`Appointment::open_for_guests`] that is the guests' own.
    pub(crate) fn not_ended_by_host(&self) -> Result<()> {
        if self.host_ended.is_some() {
            return Err(MeetError::InvalidTransition(format!("the host has ended {}", self.id)));
        }
        Ok(())
    }

    /// The host ends the meeting at `at`; `met_a_guest` when a guest was in the room
    /// during the host's visit. Before its start, with no guest in the room with them,
    /// the host only looked in: that visit is forgotten, and the meeting may still be
    /// moved, cancelled and entered at its time, as if nobody had opened it (a guest who
    /// tried their camera, or came and went, before the host looked in met nobody).
    pub(crate) fn host_ends(&mut self, at: Instant, met_a_guest: bool) {
        if !met_a_guest && self.start.is_some_and(|start| at < start) {
            self.host_entered = None;
            self.host_ended = None;
            self.connection_failed = false;
        } else {
            self.host_ended.get_or_insert(at);
        }
    }

    /// When the room opens: an hour before the start, once there is one.
    pub fn room_opens_at(&self) -> Option<Instant> {
        self.start.map(|start| start - SOON)
    }

    /// Whether the meeting has taken place, so that it may be reviewed and summed up:
    /// the host ended it, or its planned end has passed, and it was not cancelled.
    pub(crate) fn open_for_follow_up(&self, now: Instant) -> Result<()> {
        let over = self.host_ended.is_some() || self.start.is_some_and(|s| now >= s + self.duration());
        if self.cancelled {
            return Err(MeetError::InvalidTransition(format!("{} was cancelled", self.id)));
        }
        if !over {
            return Err(MeetError::InvalidTransition(format!("{} has not taken place yet", self.id)));
        }
        Ok(())
    }

    /// A meeting is cancelled before its time. Once its start has passed it takes place
    /// or is missed: a guest who did not come is a no-show, not a cancellation, and
    /// nobody waiting in the room is told after the fact that it was called off.
    /// `guest_waiting` when a guest is in its room now.
    pub(crate) fn open_for_cancelling(&self, now: Instant, guest_waiting: bool) -> Result<()> {
        self.open_for_changes(now, "cancel")?;
        match self.start {
            Some(start) if now >= start => Err(MeetError::InvalidTransition(format!(
                "{} has started: a meeting can be cancelled only before its start",
                self.id
            ))),
            // The room opens an hour early: a guest already in it is not called off.
            _ if guest_waiting => Err(MeetError::InvalidTransition(format!(
                "the guest of {} is waiting in its room: it can no longer be cancelled",
                self.id
            ))),
            _ => Ok(()),
        }
    }
}

/// A scheduled meeting as one of its guests sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestPage {
    pub id: String,
    pub meeting_type: String,
    pub host_name: String,
    pub guest_name: String,
    pub description: String,
    pub status: Status,
    pub zone: String,
    pub start: Option<Instant>,
    pub proposed: Vec<Instant>,
    pub duration_mins: u32,
    pub reason: Option<String>,
    pub review: Option<String>,
    pub summary: Option<String>,
    pub may_cancel: bool,
    pub may_enter: bool,
    pub room_opens_at: Option<Instant>,
    pub may_review: bool,
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

/// Who acts on a meeting in person: a user, or the guest by the guest key.
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

/// Which scheduled meeting a guest key opens, for a guest given the key alone.
pub(crate) fn guest_key_key(key: &str) -> String {
    format!("guest-key/{key}")
}

/// The keys of the guests added after the first, by e-mail address: each guest enters
/// under their own name with a key of their own. The first guest's key is the
/// appointment's `guest_key`.
pub(crate) fn added_keys_key(id: &str) -> String {
    format!("appointment-guest-keys/{id}")
}

/// The e-mail address of the guest who wrote the meeting's review: it is theirs to
/// change and to see on their page. (A review from before it was kept has none.)
pub(crate) fn review_by_key(id: &str) -> String {
    format!("appointment-review-by/{id}")
}

/// A planned duration of `minutes`, which must be between 1 minute and 24 hours.
pub(crate) fn planned_duration(minutes: u32) -> Result<Instant> {
    if minutes == 0 || minutes > 24 * 60 {
        return Err(invalid("the planned duration must be between 1 minute and 24 hours"));
    }
    Ok(Instant::from(minutes) * MINUTE)
}

/// Whether `guest` may join `a` now: open for changes, not a guest already, room left.
pub(crate) fn may_add(a: &Appointment, guest: &Guest, now: Instant) -> Result<()> {
    open_for_guests(a, now)?;
    if a.guests.iter().any(|g| g.email.eq_ignore_ascii_case(&guest.email)) {
        return Err(invalid(format!("{} is a guest already", guest.email)));
    }
    if a.guests.len() >= MAX_GUESTS {
        return Err(invalid(format!("a meeting has at most {MAX_GUESTS} guests")));
    }
    Ok(())
}

/// Whether guests may be invited to `a` now (added, or sent their invitation again).
pub(crate) fn open_for_guests(a: &Appointment, now: Instant) -> Result<()> {
    // Unlike a new time or host, a new guest does not disturb a meeting under way: the
    // host may bring someone in while it is live.
    if a.status(now) != Status::Live {
        a.open_for_changes(now, "add a guest to")?;
    }
    // The new guest would be asked to pick from times that have all passed.
    slots_left(a, now)
}

/// Refuses a change that would mail the guests the times left to pick from when none
/// is: the meeting needs a time first.
pub(crate) fn slots_left(a: &Appointment, now: Instant) -> Result<()> {
    if a.start.is_none() && a.status(now) == Status::Missed {
        return Err(MeetError::InvalidTransition(format!(
            "no proposed time of {} is left: give it a time first",
            a.id
        )));
    }
    Ok(())
}

/// The key of guest `g` of `a`: the appointment's own for the first guest, else the one
/// made when the guest was added (`added`, from [`Meetkit::added_keys`]).
pub(crate) fn key_of<'k>(a: &'k Appointment, g: &Guest, added: &'k [(String, String)]) -> &'k str {
    let email = g.email.to_ascii_lowercase();
    let own = added.iter().find(|(e, _)| *e == email).map(|(_, k)| k.as_str());
    match own {
        Some(key) if !a.guests[0].email.eq_ignore_ascii_case(&g.email) => key,
        // The first guest, and one added before guests had keys of their own.
        _ => &a.guest_key,
    }
}

/// The guest's address: the platform serves it at its public address and lets in
/// whoever has the key. Guests are outside the platform, so the address is absolute.
/// The platform's page of scheduled meeting `id`, relative to the platform's address.
pub(crate) fn appointment_path(id: &str) -> String {
    format!("meet/appointment/{id}")
}

/// Where a bell notification about a scheduled meeting leads: its page.
pub(crate) fn appointment_link(id: &str) -> Link {
    Link { label: "Open the meeting".into(), url: appointment_path(id) }
}

pub fn guest_link(public_address: &str, id: &str, key: &str) -> String {
    format!("{}meet/guest/{id}?key={key}", with_slash(public_address))
}

/// The platform's address ending in `/`, however the host wrote it.
pub(crate) fn with_slash(address: &str) -> String {
    let mut a = address.trim().to_string();
    if !a.ends_with('/') {
        a.push('/');
    }
    a
}

impl Meetkit<'_> {
    /// The users who share a group with `user`, and `user`: sorted, each once.
    pub(crate) fn colleagues(&self, user: &str) -> Vec<String> {
        let mut out = vec![user.to_string()];
        for group in self.host.groups_of(user) {
            out.extend(self.host.group_members(&group));
        }
        order::sorted_unique(out)
    }

    /// Whether two users share a group (asks for their groups, not for every member).
    pub(crate) fn share_a_group(&self, a: &str, b: &str) -> bool {
        if a == b {
            return true;
        }
        let theirs = self.host.groups_of(b);
        self.host.groups_of(a).iter().any(|g| theirs.contains(g))
    }

    pub(crate) fn internal_user(&self, id: &str) -> Result<User> {
        require_id("the user id", id)?;
        let u = self.known_user(id)?;
        if u.kind != model::UserKind::Internal {
            return Err(MeetError::Forbidden(format!(
                "{id} is an external user: only internal users host, manage or view scheduled meetings"
            )));
        }
        Ok(u)
    }

    /// `actor` may change the meeting: the host, or a colleague of the host.
    pub(crate) fn may_manage(&self, actor: &str, a: &Appointment) -> Result<()> {
        self.internal_user(actor)?;
        if self.share_a_group(actor, &a.host) {
            Ok(())
        } else {
            Err(MeetError::Forbidden(format!("{actor} shares no group with the host of {}", a.id)))
        }
    }

    pub(crate) fn zone_instant(&self, zone: &str, local: LocalDateTime) -> Result<Instant> {
        let refused = |e: String| invalid(format!("{local} in {zone}: {e}"));
        let at = self.host.to_instant(zone, local).map_err(refused)?;
        // Further on is a mistyped year, and near the calendar's end the times a meeting
        // needs (its end, a year of its zone's changes) would be beyond what it handles.
        if at > self.host.now() + MAX_AHEAD {
            return Err(invalid(format!("{local} in {zone} is more than ten years ahead")));
        }
        // The host moves a time the clocks skip to later; a meeting must not move unseen.
        let (seen, _) = self.host.to_local(zone, at).map_err(refused)?;
        if seen != local {
            return Err(invalid(format!(
                "{local} does not exist in {zone}: the clocks are put forward then (to {seen})"
            )));
        }
        Ok(at)
    }

    /// A guest is external: on X19 they could never enter, so nobody is invited.
    pub(crate) fn admits_guests(&self) -> Result<()> {
        if self.host.licence().admits(model::UserKind::External) {
            Ok(())
        } else {
            Err(MeetError::LicenceForbids(
                "the X19 Basic licence admits internal users only; guests are external".into(),
            ))
        }
    }

    pub(crate) fn row(&self, a: Appointment, now: Instant) -> Row {
        let host_name = self.name_of(&a.host);
        Self::row_named(a, now, host_name, &self.host.public_address())
    }

    fn row_named(a: Appointment, now: Instant, host_name: String, public_address: &str) -> Row {
        Row {
            guest_link: guest_link(public_address, &a.id, &a.guest_key),
            status: a.status(now),
            media_check: a.media_check(),
            host_name,
            appointment: a,
        }
    }

    pub(crate) fn appointment(&self, id: &str) -> Result<Appointment> {
        require_id("the appointment id", id)?;
        self.store.require(&appointment_key(id), || format!("there is no meeting {id}"))
    }

    /// Changes an appointment atomically; `f` sees the current record and the time. Once
    /// the record is written the change stands: an index update that fails is left to
    /// the tick (see `overview_reindex`).
    pub(crate) fn change(
        &self,
        id: &str,
        mut f: impl FnMut(&mut Appointment, Instant) -> Result<()>,
    ) -> Result<Appointment> {
        self.change_with(id, &mut f)
    }

    /// [`Meetkit::change`] compiled once, not once for each change's closure.
    fn change_with(
        &self,
        id: &str,
        f: &mut dyn FnMut(&mut Appointment, Instant) -> Result<()>,
    ) -> Result<Appointment> {
        require_id("the appointment id", id)?;
        let now = self.host.now();
        let (a, old_host, note) = self.store.update(&appointment_key(id), |a: Option<Appointment>| {
            let mut a = a.ok_or_else(|| MeetError::NotFound(format!("there is no meeting {id}")))?;
            let old_host = a.host.clone();
            f(&mut a, now)?;
            // Noted before the write: should the index not follow below, the tick makes it.
            let note = self.noting_change(id, &old_host, &a.host)?;
            Ok(Update::Write(a.clone(), (a, old_host, note)))
        })?;
        self.follow_change(&a, &old_host, note);
        Ok(a)
    }

    /// Changes the appointment as `f` does and sends its guests the mails `mails` makes
    /// of the result. They are made from the change before it is stored: a host that
    /// cannot format the meeting's times fails the call with nothing changed, and a
    /// repeat does the whole change once it can.
    pub(crate) fn change_and_mail(
        &self,
        id: &str,
        mut f: impl FnMut(&mut Appointment, Instant) -> Result<()>,
        mails: impl Fn(&Appointment) -> Result<Vec<Email>>,
    ) -> Result<Appointment> {
        let mut preview = self.appointment(id)?;
        f(&mut preview, self.host.now())?;
        let prepared = mails(&preview)?;
        let a = self.change(id, &mut f)?;
        // Changed by someone else meanwhile: the mails say what was stored.
        let prepared = if a == preview { prepared } else { mails(&a)? };
        self.send_mails(prepared);
        Ok(a)
    }

    pub fn schedule(&self, request: ScheduleRequest) -> Result<Row> {
        let host = self.internal_user(&request.host)?;
        self.internal_user(&request.actor)?;
        let actor = request.actor.clone();
        if !self.share_a_group(&request.actor, &request.host) {
            return Err(MeetError::Forbidden(format!(
                "{} shares no group with {}",
                request.actor, request.host
            )));
        }
        let guest = check_guest(&request.guest)?;
        self.admits_guests()?;
        let meeting_type = one_line("the meeting type", &request.meeting_type, MAX_NAME)?;
        // Shown in the overview's row, which it must not break; may be empty.
        typed("the details text", request.details.trim(), MAX_DETAILS)?;
        single_line("the details text", request.details.trim())?;
        typed("the description", request.description.trim(), MAX_NOTE)?;
        planned_duration(request.duration_mins)?;
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
        let given = times.len();
        let times = order::sorted_unique(times);
        // A slot given twice is a slip: merged unseen, two slots would make one fixed time.
        if times.len() != given {
            return Err(invalid("the same time is proposed twice"));
        }
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
        // Made first: a host that cannot format its times leaves no meeting behind.
        let invitations = self.invitations(&a, &a.guests, Mailing::Invitation)?;
        // Indexed first: a crash in between leaves a row without a record, which listings
        // skip, never a meeting the overview does not show.
        self.reindex(&a, None)?;
        self.store.put(&guest_key_key(&a.guest_key), &a.id)?;
        self.store.put(&appointment_key(&a.id), &a)?;
        self.send_mails(invitations);
        // A colleague scheduled it: its host hears of it, as of a colleague's changes.
        if actor != a.host {
            self.host.notify(
                core::slice::from_ref(&a.host),
                Notification {
                    title: "Meeting scheduled for you".into(),
                    text: format!(
                        "{} scheduled the {} with {} for you.",
                        self.name_of(&actor),
                        a.meeting_type,
                        a.guests[0].name
                    ),
                    link: Some(appointment_link(&a.id)),
                    context: Context::Appointment(a.id.clone()),
                    meeting: None,
                },
            );
        }
        Ok(self.row(a, now))
    }

    pub fn pick_slot(&self, id: &str, key: &str, slot: u32) -> Result<Row> {
        let mut picker = 0;
        let a = self.change_and_mail(
            id,
            |a, now| {
                // Any guest may pick, each with their own key: each was asked to.
                picker = self.guest_with_key(a, key)?;
                if a.cancelled || a.start.is_some() {
                    return Err(MeetError::InvalidTransition(format!(
                        "{} is not waiting for a slot to be picked",
                        a.id
                    )));
                }
                let t = *a
                    .proposed
                    .get(slot as usize)
                    .ok_or_else(|| invalid(format!("there is no slot {slot}")))?;
                if t <= now {
                    return Err(MeetError::InvalidTransition(format!(
                        "slot {slot} has passed: ask the host for a new time"
                    )));
                }
                a.start = Some(t);
                Ok(())
            },
            |a| self.invitations(a, &a.guests, Mailing::Confirmation),
        )?;
        // The time as the meeting's zone has it (the host's calendar file was mailed
        // with the confirmation of the change; a zone that cannot say it leaves it out).
        let when = a.start.and_then(|s| self.local_named(&a.zone, s).ok());
        let picked = when.map_or_else(|| "a time".to_string(), |w| format!("{w} ({})", a.zone));
        self.host.notify(
            core::slice::from_ref(&a.host),
            Notification {
                title: "Meeting confirmed".into(),
                text: format!("{} picked {picked} for the {}.", a.guests[picker].name, a.meeting_type),
                link: Some(appointment_link(&a.id)),
                context: Context::Appointment(a.id.clone()),
                meeting: None,
            },
        );
        Ok(self.row(a, self.host.now()))
    }

    /// The meeting as the guest holding `key` sees it.
    pub fn guest_view(&self, id: &str, key: &str) -> Result<GuestPage> {
        let a = self.appointment(id)?;
        let n = self.guest_with_key(&a, key)?;
        let now = self.host.now();
        // The review is its author's: another guest of the meeting neither sees nor
        // replaces it.
        let author: Option<String> = self.store.get(&review_by_key(&a.id))?;
        let others = author.as_ref().is_some_and(|by| !a.guests[n].email.eq_ignore_ascii_case(by));
        Ok(GuestPage {
            host_name: self.name_of(&a.host),
            guest_name: a.guests[n].name.clone(),
            status: a.status(now),
            may_cancel: n == 0 && a.open_for_cancelling(now, self.guest_in_room(&a)?).is_ok(),
            may_enter: a.open_for_guests(now).is_ok() && self.admits_guests().is_ok(),
            room_opens_at: a.room_opens_at(),
            may_review: a.open_for_follow_up(now).is_ok() && !others,
            proposed: if a.start.is_none() && !a.cancelled { a.proposed } else { Vec::new() },
            id: a.id,
            meeting_type: a.meeting_type,
            description: a.description,
            zone: a.zone,
            start: a.start,
            duration_mins: a.duration_mins,
            reason: a.reason,
            review: if others { None } else { a.review },
            summary: a.summary,
        })
    }

    pub fn get_appointment(&self, id: &str, viewer: &str) -> Result<Row> {
        let a = self.appointment(id)?;
        self.may_manage(viewer, &a)?;
        Ok(self.row(a, self.host.now()))
    }

    pub fn list_meetings(&self, q: &Query) -> Result<Page> {
        require_page_size("meetings", q.page_size)?;
        self.internal_user(&q.viewer)?;
        let hosts = match q.scope {
            Scope::Mine => vec![q.viewer.clone()],
            Scope::Everyone => self.colleagues(&q.viewer),
        };
        let now = self.host.now();
        let skip = (q.page as usize).saturating_mul(q.page_size as usize);
        let (ids, total) = self.overview_page(&Listing {
            hosts: &hosts,
            upcoming: q.period == Period::Upcoming,
            sort: q.sort,
            descending: q.descending,
            skip,
            take: q.page_size as usize,
        })?;
        let mut items = Vec::with_capacity(ids.len());
        let public_address = self.host.public_address();
        // Host names asked once per host on the page (at most a page of them).
        let mut names: Vec<(String, String)> = Vec::new();
        for id in ids {
            // A row whose record is missing (a crash while scheduling) is skipped.
            let Some(a) = self.store.get::<Appointment>(&appointment_key(&id))? else { continue };
            let name = match names.iter().find(|(host, _)| *host == a.host) {
                Some((_, name)) => name.clone(),
                None => {
                    let name = self.name_of(&a.host);
                    names.push((a.host.clone(), name.clone()));
                    name
                }
            };
            items.push(Self::row_named(a, now, name, &public_address));
        }
        let total = total as u32;
        Ok(Page { items, total, page: q.page, page_size: q.page_size })
    }

    /// The keys of the meeting's guests added after the first, by e-mail address.
    pub(crate) fn added_keys(&self, id: &str) -> Result<Vec<(String, String)>> {
        Ok(self.store.get(&added_keys_key(id))?.unwrap_or_default())
    }

    /// The scheduled meeting whose guest holds `key` (see `guest_key_key`).
    pub fn find_guest_meeting(&self, key: &str) -> Result<String> {
        let missing = || MeetError::NotFound("no meeting has that guest key".into());
        // Keys are made of letters and digits: anything else is none (and names no
        // record). Read out and typed, a key may come in capitals.
        if key.is_empty() || key.len() > 64 || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(missing());
        }
        let key = key.to_ascii_lowercase();
        let id = self.store.get::<String>(&guest_key_key(&key))?.ok_or_else(missing)?;
        // A stale entry finds nothing; a store that fails says so.
        let a = match self.appointment(&id) {
            Err(MeetError::NotFound(_)) => return Err(missing()),
            other => other?,
        };
        match self.guest_with_key(&a, &key) {
            Err(MeetError::Forbidden(_)) => Err(missing()),
            other => other.map(|_| id),
        }
    }

    /// Which guest of `a` holds `key` (0: the first).
    pub(crate) fn guest_with_key(&self, a: &Appointment, key: &str) -> Result<usize> {
        // Made in lower case; typed, perhaps in capitals.
        if key.eq_ignore_ascii_case(&a.guest_key) {
            return Ok(0);
        }
        let added = self.added_keys(&a.id)?;
        let email = added.iter().find(|(_, k)| k.eq_ignore_ascii_case(key)).map(|(e, _)| e);
        let n = email.and_then(|e| a.guests.iter().position(|g| g.email.eq_ignore_ascii_case(e)));
        n.filter(|n| *n > 0).ok_or_else(|| MeetError::Forbidden("the guest key does not match".into()))
    }
}
