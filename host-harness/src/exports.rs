//! The component's exports as typed calls, each found and type-checked once, when the
//! runtime loads the component, and then called without checking again.
//!
//! The generated bindings load a whole interface for a call and check the type of every
//! function in it each time. Inside a call-request lifecycle, with the caches cold from
//! the store and the signature, that was 16 µs of each call to the three functions of
//! `call-requests`; the overview's fifteen cost more. Here a call looks its function
//! up by index and calls it typed as it was checked.

use crate::bindings::HostState;
use crate::bindings::call_requests::{
    HistoryEntry, RequestAction, RequestFilter, RequestOutcome, RequestPage,
};
use crate::bindings::meetings::{EntryPoint, Left, Lobby, Started};
use crate::bindings::overview::{
    Appointment, Attendee, Availability, GuestDetails, GuestPage, OverviewPage, Query, RoomEvent,
    ScheduleRequest,
};
use crate::bindings::recordings::{RecordingEvent, RecordingFile, RecordingOutcome, RecordingPage};
use crate::bindings::tick::TickReport;
use crate::bindings::time_zones::LocalDateTime;
use crate::bindings::types::{Context, Error, JoinTicket, Meeting};
use crate::bindings::webhooks::WebhookOutcome;
use anyhow::{Result, anyhow};
use wasmtime::Store;
use wasmtime::component::{
    Component, ComponentExportIndex, ComponentNamedList, Instance, Lift, Lower, TypedFunc,
};

/// Where `interface`'s function `name` is in `component`.
fn find(component: &Component, interface: &str, name: &str) -> Result<ComponentExportIndex> {
    let interface_index = component
        .get_export_index(None, interface)
        .ok_or_else(|| anyhow!("the component does not export {interface}"))?;
    component
        .get_export_index(Some(&interface_index), name)
        .ok_or_else(|| anyhow!("the component's {interface} has no function {name}"))
}

/// Checks that the function at `index` takes `P` and returns `R`.
fn check<P, R>(
    store: &mut Store<HostState>,
    instance: &Instance,
    index: &ComponentExportIndex,
) -> wasmtime::Result<()>
where
    P: ComponentNamedList + Lower,
    R: ComponentNamedList + Lift,
{
    let func = instance.get_func(&mut *store, index).ok_or_else(|| wasmtime::Error::msg("not a function"))?;
    func.typed::<P, R>(&*store)?;
    Ok(())
}

/// Calls the function at `index` with `params`.
///
/// # Safety
/// The function must take `P` and return `(R,)`, as [`check`] proved for these types
/// (lifetimes aside) on this component.
unsafe fn call<P, R>(
    store: &mut Store<HostState>,
    instance: &Instance,
    index: &ComponentExportIndex,
    params: P,
) -> wasmtime::Result<R>
where
    P: ComponentNamedList + Lower,
    (R,): ComponentNamedList + Lift,
{
    let func = instance
        .get_func(&mut *store, index)
        .ok_or_else(|| wasmtime::Error::msg("the export is not a function"))?;
    // SAFETY: the caller's promise, checked at load.
    let typed = unsafe { TypedFunc::<P, (R,)>::new_unchecked(func) };
    Ok(typed.call(store, params)?.0)
}

/// Declares the exports: an index of each, their check, and a typed method for each on
/// [`Plugin`]. A signature is written once and serves both, so that what is called is
/// what was checked.
macro_rules! exports {
    ($(
        $interface:literal {$(
            $method:ident = $name:literal
                (for<$a:lifetime> $($arg:ident: $ty:ty),*) -> $ret:ty;
        )*}
    )*) => {
        /// Where each exported function is in the component, found once.
        pub(crate) struct Exports {
            $($($method: ComponentExportIndex,)*)*
        }

        impl Exports {
            pub(crate) fn find(component: &Component) -> Result<Self> {
                Ok(Exports { $($($method: find(component, $interface, $name)?,)*)* })
            }

            /// Checks every export's type against the one its method calls it with.
            pub(crate) fn check(
                &self,
                store: &mut Store<HostState>,
                instance: &Instance,
            ) -> wasmtime::Result<()> {
                $($({
                    type Params<$a> = ($($ty,)*);
                    check::<Params<'static>, ($ret,)>(store, instance, &self.$method)
                        .map_err(|e| e.context(format!("{} in {}", $name, $interface)))?;
                })*)*
                Ok(())
            }
        }

        impl Plugin<'_> {
            $($(
                #[allow(clippy::extra_unused_lifetimes)]
                pub fn $method<$a>(
                    &self,
                    store: &mut Store<HostState>,
                    $($arg: $ty),*
                ) -> wasmtime::Result<$ret> {
                    type Params<$a> = ($($ty,)*);
                    // SAFETY: `Exports::check` checked these types when the runtime
                    // loaded the component.
                    unsafe {
                        call::<Params<$a>, $ret>(store, &self.instance, &self.exports.$method, ($($arg,)*))
                    }
                }
            )*)*
        }
    };
}

/// One instance of the component, in one call's store.
pub struct Plugin<'r> {
    pub(crate) instance: Instance,
    pub(crate) exports: &'r Exports,
}

exports! {
    "meetkit:meet/meetings@0.1.0" {
        resolve_participants = "resolve-participants"
            (for<'a> context: &'a Context, initiator: &'a str) -> Result<Lobby, Error>;
        start_meeting_from_context = "start-meeting-from-context"
            (for<'a> context: &'a Context, initiator: &'a str, selection: &'a [String])
            -> Result<Started, Error>;
        join_meeting = "join-meeting"
            (for<'a> meeting: &'a str, user: &'a str, via: EntryPoint) -> Result<JoinTicket, Error>;
        leave_meeting = "leave-meeting"
            (for<'a> meeting: &'a str, user: &'a str) -> Result<Left, Error>;
        meeting_in_context = "meeting-in-context"
            (for<'a> context: &'a Context) -> Result<Option<Meeting>, Error>;
        get_meeting = "get-meeting" (for<'a> meeting: &'a str) -> Result<Meeting, Error>;
    }
    "meetkit:meet/clock@0.1.0" {
        tick = "tick" (for<'a>) -> Result<TickReport, Error>;
    }
    "meetkit:meet/call-requests@0.1.0" {
        handle_request = "handle-request"
            (for<'a> action: &'a RequestAction) -> Result<RequestOutcome, Error>;
        list_requests = "list-requests"
            (for<'a> filter: &'a RequestFilter, page: u32, page_size: u32) -> Result<RequestPage, Error>;
        request_history = "request-history"
            (for<'a> request: &'a str) -> Result<Vec<HistoryEntry>, Error>;
    }
    "meetkit:meet/recordings@0.1.0" {
        on_recording = "on-recording"
            (for<'a> event: &'a RecordingEvent) -> Result<RecordingOutcome, Error>;
        list_recordings = "list-recordings"
            (for<'a> context: &'a Context, page: u32, page_size: u32) -> Result<RecordingPage, Error>;
        recording_archived = "recording-archived"
            (for<'a> recording: &'a str, location: &'a str) -> Result<RecordingFile, Error>;
        download_recording = "download-recording"
            (for<'a> recording: &'a str, user: &'a str) -> Result<String, Error>;
    }
    "meetkit:meet/webhooks@0.1.0" {
        on_jaas_webhook = "on-jaas-webhook" (for<'a> body: &'a str) -> Result<WebhookOutcome, Error>;
    }
    "meetkit:meet/overview@0.1.0" {
        schedule = "schedule" (for<'a> request: &'a ScheduleRequest) -> Result<Appointment, Error>;
        pick_slot = "pick-slot"
            (for<'a> appointment: &'a str, key: &'a str, slot: u32) -> Result<Appointment, Error>;
        list_meetings = "list-meetings" (for<'a> query: &'a Query) -> Result<OverviewPage, Error>;
        find_guest_meeting = "find-guest-meeting" (for<'a> key: &'a str) -> Result<String, Error>;
        guest_view = "guest-view"
            (for<'a> appointment: &'a str, key: &'a str) -> Result<GuestPage, Error>;
        get_appointment = "get-appointment"
            (for<'a> appointment: &'a str, viewer: &'a str) -> Result<Appointment, Error>;
        reschedule = "reschedule"
            (for<'a> appointment: &'a str, actor: &'a str, start: LocalDateTime, reason: &'a str)
            -> Result<Appointment, Error>;
        cancel = "cancel"
            (for<'a> appointment: &'a str, by: &'a Attendee, reason: &'a str) -> Result<Appointment, Error>;
        assignable_hosts = "assignable-hosts"
            (for<'a> appointment: &'a str, actor: &'a str) -> Result<Vec<Availability>, Error>;
        available_hosts = "available-hosts"
            (for<'a> actor: &'a str, zone: &'a str, start: LocalDateTime, duration_mins: u32,
             moving: Option<&'a str>) -> Result<Vec<Availability>, Error>;
        reassign = "reassign"
            (for<'a> appointment: &'a str, actor: &'a str, new_host: &'a str) -> Result<Appointment, Error>;
        add_guest = "add-guest"
            (for<'a> appointment: &'a str, actor: &'a str, guest: &'a GuestDetails)
            -> Result<Appointment, Error>;
        report_room_event = "report-room-event"
            (for<'a> appointment: &'a str, event: RoomEvent, at: i64) -> Result<Appointment, Error>;
        enter_room = "enter-room"
            (for<'a> appointment: &'a str, who: &'a Attendee) -> Result<JoinTicket, Error>;
        add_review = "add-review"
            (for<'a> appointment: &'a str, key: &'a str, review: &'a str) -> Result<Appointment, Error>;
        add_summary = "add-summary"
            (for<'a> appointment: &'a str, actor: &'a str, summary: &'a str) -> Result<Appointment, Error>;
        agenda = "agenda" (for<'a> appointment: &'a str, viewer: &'a str) -> Result<String, Error>;
    }
}
