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
        self.call(|p, s| p.meetings(s)?.call_resolve_participants(s, context, &initiator.to_owned()))
    }

    pub fn start_meeting(
        &self,
        context: &Context,
        initiator: &str,
        selection: &[String],
    ) -> Outcome<Started> {
        self.call(|p, s| {
            p.meetings(s)?.call_start_meeting_from_context(s, context, &initiator.to_owned(), selection)
        })
    }

    pub fn join_meeting(&self, meeting: &str, user: &str, via: EntryPoint) -> Outcome<JoinTicket> {
        self.call(|p, s| p.meetings(s)?.call_join_meeting(s, &meeting.to_owned(), &user.to_owned(), via))
    }

    pub fn leave_meeting(&self, meeting: &str, user: &str) -> Outcome<Left> {
        self.call(|p, s| p.meetings(s)?.call_leave_meeting(s, &meeting.to_owned(), &user.to_owned()))
    }

    pub fn meeting_in_context(&self, context: &Context) -> Outcome<Option<Meeting>> {
        self.call(|p, s| p.meetings(s)?.call_meeting_in_context(s, context))
    }

    pub fn get_meeting(&self, meeting: &str) -> Outcome<Meeting> {
        self.call(|p, s| p.meetings(s)?.call_get_meeting(s, &meeting.to_owned()))
    }

    pub fn handle_request(&self, action: &RequestAction) -> Outcome<RequestOutcome> {
        self.call(|p, s| p.call_requests(s)?.call_handle_request(s, action))
    }

    pub fn list_requests(&self, filter: &RequestFilter, page: u32, page_size: u32) -> Outcome<RequestPage> {
        self.call(|p, s| p.call_requests(s)?.call_list_requests(s, filter, page, page_size))
    }

    pub fn request_history(&self, request: &str) -> Outcome<Vec<HistoryEntry>> {
        self.call(|p, s| p.call_requests(s)?.call_request_history(s, request))
    }

    pub fn tick(&self) -> Outcome<TickReport> {
        self.call(|p, s| p.clock(s)?.call_tick(s))
    }
}

use crate::bindings::recordings::{RecordingEvent, RecordingFile, RecordingOutcome};
use crate::bindings::types::Context as Ctx;
use crate::bindings::webhooks::WebhookOutcome;

impl PlatformHost<'_> {
    pub fn on_recording(&self, event: &RecordingEvent) -> Outcome<RecordingOutcome> {
        self.call(|p, s| p.recordings(s)?.call_on_recording(s, event))
    }

    pub fn list_recordings(&self, context: &Ctx) -> Outcome<Vec<RecordingFile>> {
        self.call(|p, s| p.recordings(s)?.call_list_recordings(s, context))
    }

    pub fn recording_archived(&self, recording: &str, location: &str) -> Outcome<RecordingFile> {
        self.call(|p, s| p.recordings(s)?.call_recording_archived(s, recording, location))
    }

    pub fn download_recording(&self, recording: &str, user: &str) -> Outcome<String> {
        self.call(|p, s| p.recordings(s)?.call_download_recording(s, recording, &user.to_owned()))
    }

    pub fn on_jaas_webhook(&self, body: &str) -> Outcome<WebhookOutcome> {
        self.call(|p, s| p.webhooks(s)?.call_on_jaas_webhook(s, body))
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
        self.call(|p, s| p.overview(s)?.call_schedule(s, request))
    }
    pub fn pick_slot(&self, appointment: &str, key: &str, slot: u32) -> Outcome<Appointment> {
        self.call(|p, s| p.overview(s)?.call_pick_slot(s, appointment, key, slot))
    }
    pub fn list_meetings(&self, query: &Query) -> Outcome<OverviewPage> {
        self.call(|p, s| p.overview(s)?.call_list_meetings(s, query))
    }
    pub fn guest_view(&self, appointment: &str, key: &str) -> Outcome<GuestPage> {
        self.call(|p, s| p.overview(s)?.call_guest_view(s, appointment, key))
    }
    pub fn get_appointment(&self, appointment: &str, viewer: &str) -> Outcome<Appointment> {
        self.call(|p, s| p.overview(s)?.call_get_appointment(s, appointment, &viewer.to_owned()))
    }
    pub fn reschedule(
        &self,
        appointment: &str,
        actor: &str,
        start: LocalDateTime,
        reason: &str,
    ) -> Outcome<Appointment> {
        self.call(|p, s| p.overview(s)?.call_reschedule(s, appointment, &actor.to_owned(), start, reason))
    }
    pub fn cancel_appointment(&self, appointment: &str, by: &Attendee, reason: &str) -> Outcome<Appointment> {
        self.call(|p, s| p.overview(s)?.call_cancel(s, appointment, by, reason))
    }
    pub fn assignable_hosts(&self, appointment: &str, actor: &str) -> Outcome<Vec<Availability>> {
        self.call(|p, s| p.overview(s)?.call_assignable_hosts(s, appointment, &actor.to_owned()))
    }
    pub fn reassign(&self, appointment: &str, actor: &str, new_host: &str) -> Outcome<Appointment> {
        self.call(|p, s| {
            p.overview(s)?.call_reassign(s, appointment, &actor.to_owned(), &new_host.to_owned())
        })
    }
    pub fn add_guest(&self, appointment: &str, actor: &str, guest: &GuestDetails) -> Outcome<Appointment> {
        self.call(|p, s| p.overview(s)?.call_add_guest(s, appointment, &actor.to_owned(), guest))
    }
    pub fn report_room_event(&self, appointment: &str, event: RoomEvent, at: i64) -> Outcome<Appointment> {
        self.call(|p, s| p.overview(s)?.call_report_room_event(s, appointment, event, at))
    }
    pub fn enter_room(&self, appointment: &str, who: &Attendee) -> Outcome<Ticket> {
        self.call(|p, s| p.overview(s)?.call_enter_room(s, appointment, who))
    }
    pub fn add_review(&self, appointment: &str, key: &str, review: &str) -> Outcome<Appointment> {
        self.call(|p, s| p.overview(s)?.call_add_review(s, appointment, key, review))
    }
    pub fn add_summary(&self, appointment: &str, actor: &str, summary: &str) -> Outcome<Appointment> {
        self.call(|p, s| p.overview(s)?.call_add_summary(s, appointment, &actor.to_owned(), summary))
    }
    pub fn agenda(&self, appointment: &str, viewer: &str) -> Outcome<String> {
        self.call(|p, s| p.overview(s)?.call_agenda(s, appointment, &viewer.to_owned()))
    }
}
