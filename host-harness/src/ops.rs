//! One typed method per export of the component, on any platform host.

use crate::bindings::call_requests::{
    CallRequest, HistoryEntry, RequestAction, RequestFilter, RequestOutcome,
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
        self.call(|p, s| {
            p.meetkit_meet_meetings().call_resolve_participants(s, context, &initiator.to_owned())
        })
    }

    pub fn start_meeting(
        &self,
        context: &Context,
        initiator: &str,
        selection: &[String],
    ) -> Outcome<Started> {
        self.call(|p, s| {
            p.meetkit_meet_meetings().call_start_meeting_from_context(
                s,
                context,
                &initiator.to_owned(),
                selection,
            )
        })
    }

    pub fn join_meeting(&self, meeting: &str, user: &str, via: EntryPoint) -> Outcome<JoinTicket> {
        self.call(|p, s| {
            p.meetkit_meet_meetings().call_join_meeting(s, &meeting.to_owned(), &user.to_owned(), via)
        })
    }

    pub fn leave_meeting(&self, meeting: &str, user: &str) -> Outcome<Left> {
        self.call(|p, s| {
            p.meetkit_meet_meetings().call_leave_meeting(s, &meeting.to_owned(), &user.to_owned())
        })
    }

    pub fn meeting_in_context(&self, context: &Context) -> Outcome<Option<Meeting>> {
        self.call(|p, s| p.meetkit_meet_meetings().call_meeting_in_context(s, context))
    }

    pub fn get_meeting(&self, meeting: &str) -> Outcome<Meeting> {
        self.call(|p, s| p.meetkit_meet_meetings().call_get_meeting(s, &meeting.to_owned()))
    }

    pub fn handle_request(&self, action: &RequestAction) -> Outcome<RequestOutcome> {
        self.call(|p, s| p.meetkit_meet_call_requests().call_handle_request(s, action))
    }

    pub fn list_requests(&self, filter: &RequestFilter) -> Outcome<Vec<CallRequest>> {
        self.call(|p, s| p.meetkit_meet_call_requests().call_list_requests(s, filter))
    }

    pub fn request_history(&self, request: &str) -> Outcome<Vec<HistoryEntry>> {
        self.call(|p, s| p.meetkit_meet_call_requests().call_request_history(s, request))
    }

    pub fn tick(&self) -> Outcome<TickReport> {
        self.call(|p, s| p.meetkit_meet_clock().call_tick(s))
    }
}

use crate::bindings::recordings::{RecordingEvent, RecordingFile, RecordingOutcome};
use crate::bindings::types::Context as Ctx;
use crate::bindings::webhooks::WebhookOutcome;

impl PlatformHost<'_> {
    pub fn on_recording(&self, event: &RecordingEvent) -> Outcome<RecordingOutcome> {
        self.call(|p, s| p.meetkit_meet_recordings().call_on_recording(s, event))
    }

    pub fn list_recordings(&self, context: &Ctx) -> Outcome<Vec<RecordingFile>> {
        self.call(|p, s| p.meetkit_meet_recordings().call_list_recordings(s, context))
    }

    pub fn recording_archived(&self, recording: &str, location: &str) -> Outcome<RecordingFile> {
        self.call(|p, s| p.meetkit_meet_recordings().call_recording_archived(s, recording, location))
    }

    pub fn download_recording(&self, recording: &str, user: &str) -> Outcome<String> {
        self.call(|p, s| p.meetkit_meet_recordings().call_download_recording(s, recording, &user.to_owned()))
    }

    pub fn on_jaas_webhook(&self, body: &str) -> Outcome<WebhookOutcome> {
        self.call(|p, s| p.meetkit_meet_webhooks().call_on_jaas_webhook(s, body))
    }
}
