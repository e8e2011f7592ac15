//! Binds the domain core to the WIT contract: imports become the `Host` and `Kv` traits,
//! exports call the core, and types are converted at the edge.

use crate::prelude::*;

wit_bindgen::generate!({
    world: "meeting-plugin",
    path: "../wit",
    generate_all,
});

use crate::allocator;
use crate::call_request as cr;
use crate::clock::TickReport;
use crate::error::MeetError;
use crate::host::{self as h, CasSlot, Kv, KvError};
use crate::lobby::{Candidate, Lobby};
use crate::meeting::{EntryPoint, Left, Started};
use crate::overview as ov;
use crate::recording as rec;
use crate::webhook::WebhookOutcome;
use crate::{Meetkit, model as m};
use exports::meetkit::meet as ex;
use meetkit::meet::{
    config, crm, directory, files, messaging, presence, signing, time_zones as tz, types as t,
};
use wasi::keyvalue::{atomics, store};

/// `field` converts with `Into`; `field: vec` and `field: opt` convert the items.
macro_rules! conv {
    ($e:expr) => {
        $e.into()
    };
    ($e:expr, vec) => {
        convert_all($e)
    };
    ($e:expr, opt) => {
        $e.map(Into::into)
    };
}

/// Converts every item. A plain loop: `collect` would bring its in-place machinery
/// for each pair of item types, several times this code.
fn convert_all<A, B: From<A>>(items: Vec<A>) -> Vec<B> {
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        out.push(item.into());
    }
    out
}

/// Field-by-field conversion between a core record and a WIT record.
macro_rules! record {
    ($($from:ty => $to:ty { $($f:ident $(: $c:ident)?),* $(,)? })*) => {$(
        impl From<$from> for $to {
            fn from(v: $from) -> Self { Self { $($f: conv!(v.$f $(, $c)?)),* } }
        }
    )*};
}

/// Conversion both ways between a core enum and a WIT enum of the same cases.
macro_rules! cases {
    ($($a:ty, $b:ty { $($case:ident),* $(,)? })*) => {$(
        impl From<$a> for $b {
            fn from(v: $a) -> Self { type A = $a; type B = $b; match v { $(A::$case => B::$case),* } }
        }
        impl From<$b> for $a {
            fn from(v: $b) -> Self { type A = $a; type B = $b; match v { $(B::$case => A::$case),* } }
        }
    )*};
}

cases! {
    m::Licence, t::Licence { X19Basic, X20Advanced }
    m::UserKind, t::UserKind { Internal, External }
    m::DisplayMode, t::DisplayMode { NewWindow, NewTab, Iframe }
    m::MeetingState, t::MeetingState { Running, Ended }
    m::Relation, directory::Relation { Member, Listed, Tagged, Following, Favorite, NotFollowing }
    h::Colour, messaging::Colour { Red, Green, Blue, Grey }
    h::ClosedReason, messaging::ClosedReason { Cancelled, Expired }
    h::Presence, presence::PresenceState { Available, Busy }
    cr::RequestStatus, ex::call_requests::RequestStatus { Pending, Accepted, Completed, Cancelled, Expired }
    EntryPoint, ex::meetings::EntryPoint { ChatLink, Notification, Toaster, MeetTab, ClientArea, Overview }
    ov::Status, ex::overview::Status {
        StartingSoon, Scheduled, Planning, Live, Completed, Missed, Cancelled, Failed
    }
    ov::MediaCheck, ex::overview::MediaCheck { NotEntered, Entered, Failed, Passed }
    ov::Scope, ex::overview::Scope { Mine, Everyone }
    ov::Period, ex::overview::Period { Upcoming, Past }
    ov::SortKey, ex::overview::SortKey {
        Date, GuestName, GuestEmail, GuestKey, MediaCheck, MeetingType, Details, Status, Host
    }
    ov::RoomEvent, ex::overview::RoomEvent {
        GuestEntered, GuestCheckPassed, GuestCheckFailed, ConnectionFailed, HostEnded
    }
}

impl From<ex::overview::Attendee> for ov::Attendee {
    fn from(who: ex::overview::Attendee) -> Self {
        match who {
            ex::overview::Attendee::User(u) => ov::Attendee::User(u),
            ex::overview::Attendee::Guest(k) => ov::Attendee::Guest(k),
        }
    }
}

record! {
    t::User => m::User { id, name, email, avatar, kind }
    m::User => t::User { id, name, email, avatar, kind }
    m::Embed => t::Embed { domain, room_name, script_url, config_overwrite }
    m::JoinTicket => t::JoinTicket { meeting_id, room, address, token, expires_at, moderator, recording_allowed, display, embed }
    m::Meeting => t::Meeting { id, context, title, room, initiator, invited, present, attended, state, started_at, ended_at, recording }
    directory::Member => m::Member { user, relation }
    directory::ContextInfo => m::ContextInfo { title, members: vec }
    crm::StaffMember => h::StaffMember { user, departments, roles, active }
    crm::Client => h::Client { id, company, contacts, assigned_staff }
    config::JaasConfig => m::JaasConfig { app_id, domain, token_ttl_secs }
    h::Link => messaging::Link { label, url }
    h::Comment => messaging::Comment { text, link: opt }
    h::Notification => messaging::Notification { title, text, link: opt, context, meeting }
    h::Toast => messaging::Toast { text, colour, duration_ms, melody, link: opt }
    h::RequestCard => messaging::RequestCard { request_id, client_name, contact_name, requested_at, expires_at }
    Candidate => ex::meetings::Candidate { user, relation, selected, locked }
    Lobby => ex::meetings::Lobby { context, title, initiator, candidates: vec, excluded_by_licence, running: opt }
    Started => ex::meetings::Started { meeting, ticket, created }
    Left => ex::meetings::Left { meeting, ended }
    cr::HistoryEntry => ex::call_requests::HistoryEntry { at, actor, action, detail }
    ov::GuestPage => ex::overview::GuestPage {
        id, meeting_type, host_name, guest_name, description, status, zone, start, proposed, duration_mins, reason,
        review, summary, may_cancel, may_enter, room_opens_at, may_review
    }
    TickReport => ex::clock::TickReport { expired_requests, deleted_files, released_copies, postponed, ended_meetings, never_came, finished_ends }
    config::RecordingConfig => h::RecordingConfig { keep_copies, retention_hours, time_zone }
    h::LinkFile => files::LinkFile { name, url, expires_at }
    tz::LocalDateTime => m::LocalDateTime { year, month, day, hour, minute }
    m::LocalDateTime => tz::LocalDateTime { year, month, day, hour, minute }
    tz::ZoneOffset => m::ZoneOffset { since, offset_secs, abbreviation, dst }
    ex::recordings::RecordingSignal => rec::RecordingSignal { room, at, by }
    ex::recordings::RecordingUpload => rec::RecordingUpload {
        room, link, initiator, session_id, duration_secs, started_at, ended_at, uploaded_at
    }
    rec::RecordingFile => ex::recordings::RecordingFile {
        id, file_id, meeting, context, name, url, uploaded_at, expires_at, deleted, kept_until, archive, initiator, flagged
    }
    rec::RecordingOutcome => ex::recordings::RecordingOutcome { meeting, file: opt, changed, flagged }
    WebhookOutcome => ex::webhooks::WebhookOutcome { event_type, meeting, applied, note }
    h::Email => messaging::Email { to, to_name, subject, body, calendar }
    ex::overview::GuestDetails => ov::Guest { name, email, phone }
    ov::Guest => ex::overview::GuestDetails { name, email, phone }
    ex::overview::ScheduleRequest => ov::ScheduleRequest {
        actor, host, guest, meeting_type, details, description, zone, slots: vec, duration_mins
    }
    ex::overview::Query => ov::Query { viewer, scope, period, sort, descending, page, page_size }
    ov::Availability => ex::overview::Availability { user, name, available }
    ov::Page => ex::overview::OverviewPage { items: vec, total, page, page_size }
}

impl From<ov::Row> for ex::overview::Appointment {
    fn from(r: ov::Row) -> Self {
        let a = r.appointment;
        Self {
            id: a.id,
            host: a.host,
            host_name: r.host_name,
            guests: convert_all(a.guests),
            guest_link: r.guest_link,
            guest_key: a.guest_key,
            media_check: r.media_check.into(),
            meeting_type: a.meeting_type,
            details: a.details,
            description: a.description,
            review: a.review,
            summary: a.summary,
            status: r.status.into(),
            zone: a.zone,
            start: a.start,
            proposed: a.proposed,
            duration_mins: a.duration_mins,
            reason: a.reason,
            sequence: a.sequence,
        }
    }
}

macro_rules! same_variants {
    ($a:ty, $b:ty, $v:expr, [$($case:ident),*]) => {{
        type A = $a;
        type B = $b;
        match $v { $(A::$case(id) => B::$case(id)),* }
    }};
}

impl From<t::Context> for m::Context {
    fn from(c: t::Context) -> Self {
        same_variants!(
            t::Context,
            m::Context,
            c,
            [Group, Case, Activity, ServiceActivity, MarketingActivity, CallRequest, Appointment]
        )
    }
}

impl From<m::Context> for t::Context {
    fn from(c: m::Context) -> Self {
        same_variants!(
            m::Context,
            t::Context,
            c,
            [Group, Case, Activity, ServiceActivity, MarketingActivity, CallRequest, Appointment]
        )
    }
}

impl From<MeetError> for t::Error {
    fn from(e: MeetError) -> Self {
        match e {
            MeetError::InvalidInput(m) => t::Error::InvalidInput(m),
            MeetError::UnknownContext(m) => t::Error::UnknownContext(m),
            MeetError::UnknownUser(m) => t::Error::UnknownUser(m),
            MeetError::NotAParticipant(m) => t::Error::NotAParticipant(m),
            MeetError::LicenceForbids(m) => t::Error::LicenceForbids(m),
            MeetError::NotFound(m) => t::Error::NotFound(m),
            MeetError::MeetingEnded(m) => t::Error::MeetingEnded(m),
            MeetError::AlreadyTaken(taken) => t::Error::AlreadyTaken(t::Taken {
                message: format!("Already taken by {}", taken.by_name),
                request_id: taken.request_id,
                by: taken.by,
                by_name: taken.by_name,
            }),
            MeetError::InvalidTransition(m) => t::Error::InvalidTransition(m),
            MeetError::Expired(m) => t::Error::Expired(m),
            MeetError::Forbidden(m) => t::Error::Forbidden(m),
            MeetError::HostFailure(m) => t::Error::HostFailure(m),
            MeetError::StoreFailure(m) => t::Error::StoreFailure(m),
            MeetError::Unavailable(m) => t::Error::Unavailable(m),
        }
    }
}

impl From<h::PageSignal> for messaging::PageSignal {
    fn from(s: h::PageSignal) -> Self {
        use messaging::PageSignal as P;
        match s {
            h::PageSignal::OpenMeeting(ticket) => P::OpenMeeting(ticket.into()),
            h::PageSignal::ShowJoin(id) => P::ShowJoin(id),
            h::PageSignal::MeetingEnded(id) => P::MeetingEnded(id),
            h::PageSignal::RequestAdded(card) => P::RequestAdded(card.into()),
            h::PageSignal::RequestRemoved(id) => P::RequestRemoved(id),
            h::PageSignal::RequestClosed(id, reason) => P::RequestClosed((id, reason.into())),
            h::PageSignal::VoiceCue(text) => P::VoiceCue(text),
        }
    }
}

impl From<config::StaffRule> for cr::StaffRule {
    fn from(r: config::StaffRule) -> Self {
        match r {
            config::StaffRule::AllStaff => cr::StaffRule::AllStaff,
            config::StaffRule::Departments(d) => cr::StaffRule::Departments(d),
            config::StaffRule::Roles(r) => cr::StaffRule::Roles(r),
            config::StaffRule::AssignedStaff => cr::StaffRule::AssignedStaff,
        }
    }
}

record! {
    config::CallRequestConfig => cr::CallRequestConfig { notify: vec, display, expiry_secs }
}

impl<H> From<cr::CallRequest<H>> for ex::call_requests::CallRequest {
    fn from(r: cr::CallRequest<H>) -> Self {
        Self {
            id: r.id,
            client_id: r.client_id,
            client_name: r.client_name,
            contact: r.contact,
            contact_name: r.contact_name,
            status: r.status.into(),
            requested_at: r.requested_at,
            expires_at: r.expires_at,
            notified: r.notified,
            ignored_by: r.ignored_by,
            accepted_by: r.accepted_by,
            meeting: r.meeting,
            closed_at: r.closed_at,
        }
    }
}

/// The platform behind the imports. Time and randomness come from WASI.
struct WitHost;

impl h::Host for WitHost {
    fn now(&self) -> m::Instant {
        let now = wasi::clocks::wall_clock::now();
        (now.seconds * 1000 + u64::from(now.nanoseconds / 1_000_000)) as m::Instant
    }
    fn random_bytes(&self, buf: &mut [u8]) {
        buf.copy_from_slice(&wasi::random::random::get_random_bytes(buf.len() as u64));
    }
    fn describe_context(&self, context: &m::Context) -> Option<m::ContextInfo> {
        directory::describe_context(&context.clone().into()).map(Into::into)
    }
    fn context_title(&self, context: &m::Context) -> Option<String> {
        directory::context_title(&context.clone().into())
    }
    fn relation_of(&self, context: &m::Context, user: &str) -> Option<m::Relation> {
        directory::relation_of(&context.clone().into(), user).map(Into::into)
    }
    fn user(&self, id: &str) -> Option<m::User> {
        directory::get_user(id).map(Into::into)
    }
    fn licence(&self) -> m::Licence {
        directory::licence_tier().into()
    }
    fn groups_of(&self, user: &str) -> Vec<String> {
        directory::groups_of(user)
    }
    fn group_members(&self, group: &str) -> Vec<String> {
        directory::group_members(group)
    }
    fn calendar_blocked(&self, user: &str, start: m::Instant, end: m::Instant) -> bool {
        directory::calendar_blocked(user, start, end)
    }
    fn send_email(&self, email: h::Email) {
        messaging::send_email(&email.into());
    }
    fn client(&self, id: &str) -> Option<h::Client> {
        crm::get_client(id).map(Into::into)
    }
    fn staff(&self) -> Vec<h::StaffMember> {
        convert_all(crm::staff())
    }
    fn jaas(&self) -> m::JaasConfig {
        config::jaas().into()
    }
    fn call_request_config(&self) -> cr::CallRequestConfig {
        config::call_requests().into()
    }
    fn public_address(&self) -> String {
        config::public_address()
    }
    fn post_comment(&self, context: &m::Context, comment: h::Comment) {
        messaging::post_comment(&context.clone().into(), &comment.into());
    }
    fn notify(&self, users: &[String], notification: h::Notification) {
        messaging::notify(users, &notification.into());
    }
    fn withdraw_notifications(&self, users: &[String], context: &m::Context, meeting: Option<&str>) {
        messaging::withdraw_notifications(users, &context.clone().into(), meeting);
    }
    fn show_toast(&self, users: &[String], toast: h::Toast) {
        messaging::show_toast(users, &toast.into());
    }
    fn signal_page(&self, users: &[String], signal: h::PageSignal) {
        messaging::signal_page(users, &signal.into());
    }
    fn set_presence(&self, user: &str, state: h::Presence) {
        presence::set_presence(user, state.into());
    }
    fn sign_jaas_token(&self, claims: &str) -> Result<String, String> {
        signing::sign_jaas_token(claims)
    }
    fn recording_config(&self) -> h::RecordingConfig {
        config::recordings().into()
    }
    fn flag_to_admins(&self, context: &m::Context, text: &str) {
        messaging::flag_to_admins(&context.clone().into(), text);
    }
    fn save_link_file(&self, context: &m::Context, file: h::LinkFile) -> Result<String, String> {
        files::save_link_file(&context.clone().into(), &file.into())
    }
    fn delete_file(&self, context: &m::Context, file_id: &str) -> Result<(), String> {
        files::delete_file(&context.clone().into(), file_id)
    }
    fn archive_recording(&self, recording: &str, url: &str, keep_until: m::Instant) {
        files::archive_recording(recording, url, keep_until);
    }
    fn to_local(&self, zone: &str, at: m::Instant) -> Result<(m::LocalDateTime, m::ZoneOffset), String> {
        tz::to_local(zone, at).map(|(l, o)| (l.into(), o.into()))
    }
    fn to_instant(&self, zone: &str, local: m::LocalDateTime) -> Result<m::Instant, String> {
        tz::to_instant(zone, local.into())
    }
    fn transitions(
        &self,
        zone: &str,
        start: m::Instant,
        end: m::Instant,
    ) -> Result<Vec<m::ZoneOffset>, String> {
        tz::transitions(zone, start, end).map(convert_all)
    }
}

/// The `meetkit` bucket of the imported key-value store.
struct WasiKv(store::Bucket);

fn kv_error(e: store::Error) -> KvError {
    KvError(match e {
        store::Error::NoSuchStore => "no such store".into(),
        store::Error::AccessDenied => "access to the store denied".into(),
        store::Error::Other(m) => m,
    })
}

fn slot(cas: atomics::Cas) -> Result<CasSlot, KvError> {
    Ok(CasSlot { current: cas.current().map_err(kv_error)?, handle: Box::new(cas) })
}

impl Kv for WasiKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.0.get(key).map_err(kv_error)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.0.set(key, value).map_err(kv_error)
    }
    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.0.delete(key).map_err(kv_error)
    }
    fn list_keys(&self, cursor: Option<String>) -> Result<(Vec<String>, Option<String>), KvError> {
        let page = self.0.list_keys(cursor.as_deref()).map_err(kv_error)?;
        Ok((page.keys, page.cursor))
    }
    fn cas(&self, key: &str) -> Result<CasSlot, KvError> {
        slot(atomics::Cas::new(&self.0, key).map_err(kv_error)?)
    }
    fn swap(&self, slot_: CasSlot, value: &[u8]) -> Result<Result<(), CasSlot>, KvError> {
        let cas = *slot_.handle.downcast::<atomics::Cas>().cannot_fail("a wasi CAS handle");
        match atomics::swap(cas, value) {
            Ok(()) => Ok(Ok(())),
            Err(atomics::CasError::CasFailed(fresh)) => Ok(Err(slot(fresh)?)),
            Err(atomics::CasError::StoreError(e)) => Err(kv_error(e)),
        }
    }
}

/// Runs one export against the platform and the store, mapping the core's errors.
/// Every export is one `run`: it tells the allocator when the call begins and when it has
/// finished (see `allocator.rs`).
fn run<T, U: From<T>>(f: impl FnOnce(&Meetkit) -> crate::error::Result<T>) -> Result<U, t::Error> {
    allocator::call_begins();
    let answer = (|| {
        let bucket = store::open("meetkit").map_err(|e| t::Error::StoreFailure(kv_error(e).0))?;
        let kv = WasiKv(bucket);
        f(&Meetkit::new(&WitHost, &kv)).map(Into::into).map_err(Into::into)
    })();
    allocator::call_finished();
    answer
}

struct Component;

impl ex::meetings::Guest for Component {
    fn resolve_participants(context: t::Context, initiator: String) -> Result<ex::meetings::Lobby, t::Error> {
        run(|mk| mk.resolve_participants(&context.into(), &initiator))
    }
    fn start_meeting_from_context(
        context: t::Context,
        initiator: String,
        selection: Vec<String>,
    ) -> Result<ex::meetings::Started, t::Error> {
        run(|mk| mk.start_meeting_from_context(&context.into(), &initiator, &selection))
    }
    fn join_meeting(
        meeting: String,
        user: String,
        via: ex::meetings::EntryPoint,
    ) -> Result<t::JoinTicket, t::Error> {
        run(|mk| mk.join_meeting(&meeting, &user, via.into()))
    }
    fn leave_meeting(meeting: String, user: String) -> Result<ex::meetings::Left, t::Error> {
        run(|mk| mk.leave_meeting(&meeting, &user))
    }
    fn meeting_in_context(context: t::Context) -> Result<Option<t::Meeting>, t::Error> {
        run(|mk| mk.meeting_in_context(&context.into()).map(|m| m.map(t::Meeting::from)))
    }
    fn get_meeting(meeting: String) -> Result<t::Meeting, t::Error> {
        run(|mk| mk.get_meeting(&meeting))
    }
}

impl ex::call_requests::Guest for Component {
    fn handle_request(
        action: ex::call_requests::RequestAction,
    ) -> Result<ex::call_requests::RequestOutcome, t::Error> {
        use ex::call_requests::{RequestAction as A, RequestOutcome as O};
        let action = match action {
            A::RequestCall((client, contact)) => cr::RequestAction::RequestCall { client, contact },
            A::Accept((request, staff)) => cr::RequestAction::Accept { request, staff },
            A::Ignore((request, staff)) => cr::RequestAction::Ignore { request, staff },
            A::Cancel((request, contact)) => cr::RequestAction::Cancel { request, contact },
            A::Complete((request, staff)) => cr::RequestAction::Complete { request, staff },
        };
        run(|mk| {
            Ok(match mk.handle_request(action)? {
                cr::RequestOutcome::Requested(r) => O::Requested(r.into()),
                cr::RequestOutcome::Existing(r) => O::Existing(r.into()),
                cr::RequestOutcome::Accepted(r, ticket) => O::Accepted((r.into(), ticket.into())),
                cr::RequestOutcome::Ignored(r) => O::Ignored(r.into()),
                cr::RequestOutcome::Cancelled(r) => O::Cancelled(r.into()),
                cr::RequestOutcome::Completed(r) => O::Completed(r.into()),
            })
        })
    }
    fn list_requests(
        filter: ex::call_requests::RequestFilter,
        page: u32,
        page_size: u32,
    ) -> Result<ex::call_requests::RequestPage, t::Error> {
        use ex::call_requests::RequestFilter as F;
        let filter = match filter {
            F::Active => cr::RequestFilter::Active,
            F::All => cr::RequestFilter::All,
            F::Panel(staff) => cr::RequestFilter::Panel(staff),
            F::Client(client) => cr::RequestFilter::Client(client),
        };
        run(|mk| {
            let p = mk.list_requests(&filter, page, page_size)?;
            Ok(ex::call_requests::RequestPage {
                items: conv!(p.items, vec),
                total: p.total,
                page: p.page,
                page_size: p.page_size,
            })
        })
    }
    fn request_history(request_id: String) -> Result<Vec<ex::call_requests::HistoryEntry>, t::Error> {
        run(|mk| Ok(convert_all(mk.get_request(&request_id)?.history)))
    }
}

impl ex::clock::Guest for Component {
    fn tick() -> Result<ex::clock::TickReport, t::Error> {
        run(|mk| mk.tick())
    }
}

impl ex::overview::Guest for Component {
    fn schedule(request: ex::overview::ScheduleRequest) -> Result<ex::overview::Appointment, t::Error> {
        run(|mk| mk.schedule(request.into()))
    }
    fn pick_slot(
        appointment: String,
        guest_key: String,
        slot: u32,
    ) -> Result<ex::overview::Appointment, t::Error> {
        run(|mk| mk.pick_slot(&appointment, &guest_key, slot))
    }
    fn list_meetings(query: ex::overview::Query) -> Result<ex::overview::OverviewPage, t::Error> {
        run(|mk| mk.list_meetings(&query.into()))
    }
    fn find_guest_meeting(guest_key: String) -> Result<String, t::Error> {
        run(|mk| mk.find_guest_meeting(&guest_key))
    }
    fn guest_view(appointment: String, guest_key: String) -> Result<ex::overview::GuestPage, t::Error> {
        run(|mk| mk.guest_view(&appointment, &guest_key))
    }
    fn get_appointment(appointment: String, viewer: String) -> Result<ex::overview::Appointment, t::Error> {
        run(|mk| mk.get_appointment(&appointment, &viewer))
    }
    fn reschedule(
        appointment: String,
        actor: String,
        start: tz::LocalDateTime,
        reason: String,
    ) -> Result<ex::overview::Appointment, t::Error> {
        run(|mk| mk.reschedule(&appointment, &actor, start.into(), &reason))
    }
    fn cancel(
        appointment: String,
        by: ex::overview::Attendee,
        reason: String,
    ) -> Result<ex::overview::Appointment, t::Error> {
        run(|mk| mk.cancel_appointment(&appointment, &by.into(), &reason))
    }
    fn assignable_hosts(
        appointment: String,
        actor: String,
    ) -> Result<Vec<ex::overview::Availability>, t::Error> {
        run(|mk| Ok(convert_all(mk.assignable_hosts(&appointment, &actor)?)))
    }
    fn available_hosts(
        actor: String,
        zone: String,
        start: tz::LocalDateTime,
        duration_mins: u32,
        moving: Option<String>,
    ) -> Result<Vec<ex::overview::Availability>, t::Error> {
        run(|mk| {
            Ok(convert_all(mk.available_hosts(
                &actor,
                &zone,
                start.into(),
                duration_mins,
                moving.as_deref(),
            )?))
        })
    }
    fn reassign(
        appointment: String,
        actor: String,
        new_host: String,
    ) -> Result<ex::overview::Appointment, t::Error> {
        run(|mk| mk.reassign(&appointment, &actor, &new_host))
    }
    fn add_guest(
        appointment: String,
        actor: String,
        guest: ex::overview::GuestDetails,
    ) -> Result<ex::overview::Appointment, t::Error> {
        run(|mk| mk.add_guest(&appointment, &actor, &guest.into()))
    }
    fn report_room_event(
        appointment: String,
        event: ex::overview::RoomEvent,
        at: i64,
    ) -> Result<ex::overview::Appointment, t::Error> {
        run(|mk| mk.report_room_event(&appointment, event.into(), at))
    }
    fn enter_room(appointment: String, who: ex::overview::Attendee) -> Result<t::JoinTicket, t::Error> {
        run(|mk| mk.enter_room(&appointment, &who.into()))
    }
    fn add_review(
        appointment: String,
        guest_key: String,
        review: String,
    ) -> Result<ex::overview::Appointment, t::Error> {
        run(|mk| mk.add_review(&appointment, &guest_key, &review))
    }
    fn add_summary(
        appointment: String,
        actor: String,
        summary: String,
    ) -> Result<ex::overview::Appointment, t::Error> {
        run(|mk| mk.add_summary(&appointment, &actor, &summary))
    }
    fn agenda(appointment: String, viewer: String) -> Result<String, t::Error> {
        run(|mk| mk.agenda(&appointment, &viewer))
    }
}

impl ex::recordings::Guest for Component {
    fn on_recording(
        event: ex::recordings::RecordingEvent,
    ) -> Result<ex::recordings::RecordingOutcome, t::Error> {
        use ex::recordings::RecordingEvent as E;
        let event = match event {
            E::Started(s) => rec::RecordingEvent::Started(s.into()),
            E::Stopped(s) => rec::RecordingEvent::Stopped(s.into()),
            E::Uploaded(u) => rec::RecordingEvent::Uploaded(u.into()),
        };
        run(|mk| mk.on_recording(event))
    }
    fn list_recordings(
        context: t::Context,
        page: u32,
        page_size: u32,
    ) -> Result<ex::recordings::RecordingPage, t::Error> {
        run(|mk| {
            let p = mk.list_recordings(&context.into(), page, page_size)?;
            Ok(ex::recordings::RecordingPage {
                items: conv!(p.items, vec),
                total: p.total,
                page: p.page,
                page_size: p.page_size,
            })
        })
    }
    fn recording_archived(
        recording: String,
        location: String,
    ) -> Result<ex::recordings::RecordingFile, t::Error> {
        run(|mk| mk.recording_archived(&recording, &location))
    }
    fn download_recording(recording: String, user: String) -> Result<String, t::Error> {
        run(|mk| mk.download_recording(&recording, &user))
    }
}

impl ex::webhooks::Guest for Component {
    fn on_jaas_webhook(body: String) -> Result<ex::webhooks::WebhookOutcome, t::Error> {
        run(|mk| mk.on_jaas_webhook(&body))
    }
}

export!(Component);

/// The canonical ABI's allocator entry point, which `std` would export on this target:
/// the host calls it to place arguments (strings, lists) in the component's memory.
///
/// # Safety
/// Called only by the host, with the canonical ABI's contract: `old_ptr`/`old_len`
/// describe an earlier allocation of the same alignment, or `old_len` is zero.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cabi_realloc(
    old_ptr: *mut u8,
    old_len: usize,
    align: usize,
    new_len: usize,
) -> *mut u8 {
    use alloc::alloc::{Layout, alloc, realloc};
    // The host places a call's arguments before the call runs.
    allocator::call_begins();
    if new_len == 0 {
        return align as *mut u8;
    }
    // SAFETY: the host passes a power-of-two alignment and, with a non-zero `old_len`,
    // a pointer this allocator returned with that size and alignment.
    let ptr = unsafe {
        if old_len == 0 {
            alloc(Layout::from_size_align_unchecked(new_len, align))
        } else {
            realloc(old_ptr, Layout::from_size_align_unchecked(old_len, align), new_len)
        }
    };
    if ptr.is_null() {
        core::arch::wasm32::unreachable();
    }
    ptr
}
