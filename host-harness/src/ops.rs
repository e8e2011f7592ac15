//! One typed method per export of the component, on any platform host.

use crate::bindings::call_requests::{
    HistoryEntry, RequestAction, RequestFilter, RequestOutcome, RequestPage,
};
use crate::bindings::meetings::{EntryPoint, Left, Lobby, Started};
use crate::bindings::tick::TickReport;
use crate::bindings::types::{Context, Error, JoinTicket, Meeting};
use crate::harness::{Call, PlatformHost};
use crate::runtime::CallFailure;

/// A component call whose value is the export's typed result.
pub type Outcome<T> = Result<Call<Result<T, Error>>, CallFailure>;

impl PlatformHost<'_> {
    pub fn resolve_participants(&self, context: &Context, initiator: &str) -> Outcome<Lobby> {
        self.call(|p, s| p.resolve_participants(s, context, initiator))
    }

    pub fn start_meeting(
        &self,
        context: &Context,
        initiator: &str,
        selection: &[String],
    ) -> Outcome<Started> {
        self.call(|p, s| p.start_meeting_from_context(s, context, initiator, selection))
    }

    pub fn join_meeting(&self, meeting: &str, user: &str, via: EntryPoint) -> Outcome<JoinTicket> {
        self.call(|p, s| p.join_meeting(s, meeting, user, via))
    }

    pub fn leave_meeting(&self, meeting: &str, user: &str) -> Outcome<Left> {
        self.call(|p, s| p.leave_meeting(s, meeting, user))
    }

    pub fn meeting_in_context(&self, context: &Context) -> Outcome<Option<Meeting>> {
        self.call(|p, s| p.meeting_in_context(s, context))
    }

    pub fn get_meeting(&self, meeting: &str) -> Outcome<Meeting> {
        self.call(|p, s| p.get_meeting(s, meeting))
    }

    pub fn handle_request(&self, action: &RequestAction) -> Outcome<RequestOutcome> {
        self.call(|p, s| p.handle_request(s, action))
    }

    pub fn list_requests(&self, filter: &RequestFilter, page: u32, page_size: u32) -> Outcome<RequestPage> {
        self.call(|p, s| p.list_requests(s, filter, page, page_size))
    }

    pub fn request_history(&self, request: &str) -> Outcome<Vec<HistoryEntry>> {
        self.call(|p, s| p.request_history(s, request))
    }

    pub fn tick(&self) -> Outcome<TickReport> {
        self.call(|p, s| p.tick(s))
    }
}

use crate::bindings::recordings::{RecordingEvent, RecordingFile, RecordingOutcome, RecordingPage};
use crate::bindings::types::Context as Ctx;
use crate::bindings::webhooks::WebhookOutcome;

impl PlatformHost<'_> {
    pub fn on_recording(&self, event: &RecordingEvent) -> Outcome<RecordingOutcome> {
        self.call(|p, s| p.on_recording(s, event))
    }

    /// Page `page` (from 0) of `page_size` of a context's recordings, newest first.
    pub fn list_recordings(&self, context: &Ctx, page: u32, page_size: u32) -> Outcome<RecordingPage> {
        self.call(|p, s| p.list_recordings(s, context, page, page_size))
    }

    pub fn recording_archived(&self, recording: &str, location: &str) -> Outcome<RecordingFile> {
        self.call(|p, s| p.recording_archived(s, recording, location))
    }

    pub fn download_recording(&self, recording: &str, user: &str) -> Outcome<String> {
        self.call(|p, s| p.download_recording(s, recording, user))
    }

    pub fn on_jaas_webhook(&self, body: &str) -> Outcome<WebhookOutcome> {
        self.call(|p, s| p.on_jaas_webhook(s, body))
    }
}

use crate::bindings::overview::{
    Appointment, Attendee, Availability, GuestDetails, GuestPage, OverviewPage, Query, RoomEvent,
    ScheduleRequest,
};
use crate::bindings::time_zones::LocalDateTime;
use crate::bindings::types::JoinTicket as Ticket;

impl PlatformHost<'_> {
    pub fn schedule(&self, request: &ScheduleRequest) -> Outcome<Appointment> {
        self.call(|p, s| p.schedule(s, request))
    }
    pub fn pick_slot(&self, appointment: &str, key: &str, slot: u32) -> Outcome<Appointment> {
        self.call(|p, s| p.pick_slot(s, appointment, key, slot))
    }
    pub fn list_meetings(&self, query: &Query) -> Outcome<OverviewPage> {
        self.call(|p, s| p.list_meetings(s, query))
    }
    pub fn find_guest_meeting(&self, key: &str) -> Outcome<String> {
        self.call(|p, s| p.find_guest_meeting(s, key))
    }
    pub fn guest_view(&self, appointment: &str, key: &str) -> Outcome<GuestPage> {
        self.call(|p, s| p.guest_view(s, appointment, key))
    }
    pub fn get_appointment(&self, appointment: &str, viewer: &str) -> Outcome<Appointment> {
        self.call(|p, s| p.get_appointment(s, appointment, viewer))
    }
    pub fn reschedule(
        &self,
        appointment: &str,
        actor: &str,
        start: LocalDateTime,
        reason: &str,
    ) -> Outcome<Appointment> {
        self.call(|p, s| p.reschedule(s, appointment, actor, start, reason))
    }
    pub fn cancel_appointment(&self, appointment: &str, by: &Attendee, reason: &str) -> Outcome<Appointment> {
        self.call(|p, s| p.cancel(s, appointment, by, reason))
    }
    pub fn assignable_hosts(&self, appointment: &str, actor: &str) -> Outcome<Vec<Availability>> {
        self.call(|p, s| p.assignable_hosts(s, appointment, actor))
    }
    pub fn available_hosts(
        &self,
        actor: &str,
        zone: &str,
        start: LocalDateTime,
        duration_mins: u32,
        moving: Option<&str>,
    ) -> Outcome<Vec<Availability>> {
        self.call(|p, s| p.available_hosts(s, actor, zone, start, duration_mins, moving))
    }
    pub fn reassign(&self, appointment: &str, actor: &str, new_host: &str) -> Outcome<Appointment> {
        self.call(|p, s| p.reassign(s, appointment, actor, new_host))
    }
    pub fn add_guest(&self, appointment: &str, actor: &str, guest: &GuestDetails) -> Outcome<Appointment> {
        self.call(|p, s| p.add_guest(s, appointment, actor, guest))
    }
    pub fn report_room_event(&self, appointment: &str, event: RoomEvent, at: i64) -> Outcome<Appointment> {
        self.call(|p, s| p.report_room_event(s, appointment, event, at))
    }
    pub fn enter_room(&self, appointment: &str, who: &Attendee) -> Outcome<Ticket> {
        self.call(|p, s| p.enter_room(s, appointment, who))
    }
    pub fn add_review(&self, appointment: &str, key: &str, review: &str) -> Outcome<Appointment> {
        self.call(|p, s| p.add_review(s, appointment, key, review))
    }
    pub fn add_summary(&self, appointment: &str, actor: &str, summary: &str) -> Outcome<Appointment> {
        self.call(|p, s| p.add_summary(s, appointment, actor, summary))
    }
    pub fn agenda(&self, appointment: &str, viewer: &str) -> Outcome<String> {
        self.call(|p, s| p.agenda(s, appointment, viewer))
    }
}
