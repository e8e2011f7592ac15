//! Fuel (wasm instructions) per export, in a typical and a large case, and what a long
//! history of call requests costs.

use super::worlds::{erp_world, everyone_page, perfex_world, seeded_meeting};
use super::{BenchOptions, Cost, Figure, MIB, figure, growth, harness, ok};
use crate::HarnessConfig;
use crate::bindings::call_requests::{RequestAction, RequestFilter, RequestOutcome};
use crate::bindings::meetings::EntryPoint;
use crate::bindings::overview::{Attendee, GuestDetails, Query, RoomEvent, ScheduleRequest, Scope, SortKey};
use crate::bindings::recordings::{RecordingEvent, RecordingSignal, RecordingUpload};
use crate::bindings::time_zones::LocalDateTime;
use crate::bindings::types::Context;
use crate::runtime::Runtime;
use anyhow::{Context as _, Result, bail};
use std::sync::Arc;
use std::time::Duration;

/// Requests left overdue in the large case by a day without ticks.
const BACKLOG: usize = 300;

/// Fuel per export in a typical and a large case.
pub(super) fn per_export(
    runtime: &Arc<Runtime>,
    dir: &std::path::Path,
    config: &HarnessConfig,
) -> Result<Vec<Figure>> {
    let mut out = Vec::new();
    for (case, people, requests, meetings, limit) in
        [("typical", 10, 100, 100, 1_000_000u64), ("large", 500, 100, 10_000, 11_000_000)]
    {
        let sub = dir.join(format!("fuel-{case}"));
        let h = harness(runtime.clone(), "memory:", &sub, config)?;
        h.load_erp_world(&toml::to_string(&erp_world(people))?)?;
        h.load_perfex_world(&toml::to_string(&perfex_world(requests + 1 + BACKLOG))?)?;
        let erp = h.erp()?;
        let crm = h.perfex()?;
        let group = Context::Group(format!("g{people}"));
        let everyone: Vec<String> = (0..people).map(|i| format!("u{i}")).collect();
        let mut worst: Vec<(String, Cost)> = Vec::new();
        let mut note = |name: &str, cost: Cost| {
            tracing::info!(case, name, cost.fuel, cost.memory, "fuel and memory of an export");
            worst.push((name.to_string(), cost))
        };

        note("resolve-participants", ok(erp.resolve_participants(&group, "u0")?)?.1);
        let (started, f) = ok(erp.start_meeting(&group, "u0", &everyone)?)?;
        note("start-meeting-from-context", f);
        let id = started.meeting.id;
        note("join-meeting", ok(erp.join_meeting(&id, "u1", EntryPoint::ChatLink)?)?.1);
        note("meeting-in-context", ok(erp.meeting_in_context(&group)?)?.1);
        note("get-meeting", ok(erp.get_meeting(&id)?)?.1);

        // Recordings and JaaS's webhooks, on the running meeting.
        let room = started.meeting.room.clone();
        let now = h.clock().now_ms();
        let signal = RecordingSignal { room: room.clone(), at: now, by: Some("u0".into()) };
        note("on-recording (started)", ok(erp.on_recording(&RecordingEvent::Started(signal))?)?.1);
        let upload = RecordingEvent::Uploaded(RecordingUpload {
            room: room.clone(),
            link: "https://recordings.example/1.mp4".into(),
            initiator: Some("u0".into()),
            session_id: "s-1".into(),
            duration_secs: 600,
            started_at: now - 600_000,
            ended_at: now,
            uploaded_at: now,
        });
        let (uploaded, f) = ok(erp.on_recording(&upload)?)?;
        note("on-recording (uploaded)", f);
        let Some(file) = uploaded.file else { bail!("the upload made no file") };
        note("download-recording", ok(erp.download_recording(&file.id, "u1")?)?.1);
        note("recording-archived", ok(erp.recording_archived(&file.id, "file:///copies/1.mp4")?)?.1);
        let app = &config.jaas.app_id;
        let joined = serde_json::json!({
            "idempotencyKey": "bench-1", "customerId": "c", "appId": app,
            "eventType": "PARTICIPANT_JOINED", "sessionId": "s", "timestamp": now,
            "fqn": format!("{app}/{room}"),
            "data": { "id": "u2", "name": "User 2", "moderator": "false", "isBreakout": false }
        });
        note("on-jaas-webhook (participant joined)", ok(erp.on_jaas_webhook(&joined.to_string())?)?.1);
        note("leave-meeting", ok(erp.leave_meeting(&id, "u1")?)?.1);

        // The store holds `requests` requests, a second apart: most of them done, a few
        // waiting.
        for i in 0..requests {
            let (r, _) =
                ok(crm.handle_request(&RequestAction::RequestCall((format!("c{i}"), format!("k{i}"))))?)?;
            let RequestOutcome::Requested(r) = r else { bail!("not requested") };
            if i % 20 != 0 {
                ok(crm.handle_request(&RequestAction::Accept((r.id.clone(), "s0".into())))?)?;
                ok(crm.handle_request(&RequestAction::Complete((r.id, "s0".into())))?)?;
            }
            h.clock().advance(std::time::Duration::from_secs(1))?;
        }
        let (r, f) = ok(crm.handle_request(&RequestAction::RequestCall((
            format!("c{requests}"),
            format!("k{requests}"),
        )))?)?;
        note("handle-request (request)", f);
        let RequestOutcome::Requested(r) = r else { bail!("not requested") };
        note(
            "handle-request (ignore)",
            ok(crm.handle_request(&RequestAction::Ignore((r.id.clone(), "s1".into())))?)?.1,
        );
        note(
            "handle-request (accept)",
            ok(crm.handle_request(&RequestAction::Accept((r.id.clone(), "s0".into())))?)?.1,
        );
        note(
            "handle-request (complete)",
            ok(crm.handle_request(&RequestAction::Complete((r.id.clone(), "s0".into())))?)?.1,
        );
        note("list-requests (active)", ok(crm.list_requests(&RequestFilter::Active, 0, 20)?)?.1);
        note("list-requests (panel)", ok(crm.list_requests(&RequestFilter::Panel("s2".into()), 0, 20)?)?.1);
        note("list-requests (all, page of 20)", ok(crm.list_requests(&RequestFilter::All, 0, 20)?)?.1);
        note(
            "list-requests (a client)",
            ok(crm.list_requests(&RequestFilter::Client("c1".into()), 0, 20)?)?.1,
        );
        note("request-history", ok(crm.request_history(&r.id)?)?.1);
        let (c, _) = ok(crm.handle_request(&RequestAction::RequestCall(("c2".into(), "k2".into())))?)?;
        let RequestOutcome::Requested(c) = c else { bail!("not requested") };
        note(
            "handle-request (cancel)",
            ok(crm.handle_request(&RequestAction::Cancel((c.id, "k2".into())))?)?.1,
        );
        note("tick", ok(crm.tick()?)?.1);

        let mut last = String::new();
        for i in 0..meetings {
            let (a, f) = ok(erp.schedule(&seeded_meeting(i, "Europe/Amsterdam"))?)?;
            if i == 0 {
                note("schedule", f);
            }
            last = a.id;
        }
        let query = everyone_page();
        note("list-meetings (Everyone, page of 20)", ok(erp.list_meetings(&query)?)?.1);
        // Sorted by each other column, the way a person clicks it: both directions, the
        // dearer counted.
        for (column, sort) in [
            ("guest name", SortKey::GuestName),
            ("guest e-mail", SortKey::GuestEmail),
            ("guest key", SortKey::GuestKey),
            ("media check", SortKey::MediaCheck),
            ("meeting type", SortKey::MeetingType),
            ("details", SortKey::Details),
            ("status", SortKey::Status),
            ("host", SortKey::Host),
        ] {
            let mut dearer = Cost::default();
            for descending in [false, true] {
                let (_, cost) = ok(erp.list_meetings(&Query { sort, descending, ..query.clone() })?)?;
                dearer = Cost { fuel: dearer.fuel.max(cost.fuel), memory: dearer.memory.max(cost.memory) };
            }
            note(&format!("list-meetings (Everyone, by {column}, page of 20)"), dearer);
        }
        // Deeper pages, as a person paging on, or jumping to the end, reaches them.
        let pages = (meetings / 20) as u32;
        let (_, middle) = ok(erp.list_meetings(&Query { page: pages / 2, ..query.clone() })?)?;
        note("list-meetings (Everyone, the middle page of 20)", middle);
        let by_name = Query { sort: SortKey::GuestName, page: pages / 2, ..query.clone() };
        note(
            "list-meetings (Everyone, by guest name, the middle page of 20)",
            ok(erp.list_meetings(&by_name)?)?.1,
        );
        let (last_page, at_end) = ok(erp.list_meetings(&Query { page: pages - 1, ..query.clone() })?)?;
        if last_page.items.len() != 20 {
            bail!("the last page of the overview holds {} meetings, not 20", last_page.items.len());
        }
        note("list-meetings (Everyone, the last page of 20)", at_end);
        let mine = Query { scope: Scope::Mine, ..query.clone() };
        note("list-meetings (Mine, page of 20)", ok(erp.list_meetings(&mine)?)?.1);
        let tiny = Query { page_size: 1, ..query.clone() };
        note("list-meetings (Everyone, page of 1)", ok(erp.list_meetings(&tiny)?)?.1);
        // Listed once the store holds every meeting, so that a scan would show.
        note("list-recordings", ok(erp.list_recordings(&group, 0, 20)?)?.1);
        note("get-appointment", ok(erp.get_appointment(&last, "u0")?)?.1);
        note("agenda", ok(erp.agenda(&last, "u0")?)?.1);

        // One more meeting, through every change the overview offers (in a year of its
        // own, so that no host is busy at its times).
        let later = |day: u8| LocalDateTime { year: 2028, month: 3, day, hour: 10, minute: 0 };
        let two_slots = ScheduleRequest {
            actor: "u0".into(),
            host: "u0".into(),
            guest: GuestDetails { name: "Guest".into(), email: "guest@x.example".into(), phone: None },
            meeting_type: "Intake".into(),
            details: "Every change".into(),
            description: String::new(),
            zone: "Europe/Amsterdam".into(),
            slots: vec![later(1), later(2)],
            duration_mins: 30,
        };
        let (a, _) = ok(erp.schedule(&two_slots)?)?;
        let key = a.guest_key.clone();
        note("find-guest-meeting", ok(erp.find_guest_meeting(&key)?)?.1);
        note("guest-view", ok(erp.guest_view(&a.id, &key)?)?.1);
        note("pick-slot", ok(erp.pick_slot(&a.id, &key, 1)?)?.1);
        note("reschedule", ok(erp.reschedule(&a.id, "u0", later(3), "moved")?)?.1);
        note("assignable-hosts", ok(erp.assignable_hosts(&a.id, "u0")?)?.1);
        note(
            "available-hosts",
            ok(erp.available_hosts("u0", "Europe/Amsterdam", later(4), 30, Some(&a.id))?)?.1,
        );
        let guest = GuestDetails { name: "Second".into(), email: "second@x.example".into(), phone: None };
        note("add-guest", ok(erp.add_guest(&a.id, "u0", &guest)?)?.1);
        let (a, f) = ok(erp.reassign(&a.id, "u0", "u1")?)?;
        note("reassign", f);
        note(
            "cancel",
            ok(erp.cancel_appointment(&last, &Attendee::User("u0".into()), "no longer needed")?)?.1,
        );
        // The room opens an hour before the start.
        let start = a.start.context("the meeting has no start")?;
        h.clock().set(start - 30 * 60_000)?;
        note("enter-room", ok(erp.enter_room(&a.id, &Attendee::Guest(key.clone()))?)?.1);
        let at = h.clock().now_ms();
        note("report-room-event", ok(erp.report_room_event(&a.id, RoomEvent::GuestCheckPassed, at)?)?.1);
        ok(erp.enter_room(&a.id, &Attendee::User("u1".into()))?)?;
        ok(erp.report_room_event(&a.id, RoomEvent::HostEnded, at)?)?;
        note("add-review", ok(erp.add_review(&a.id, &key, "Clear and quick")?)?.1);
        note("add-summary", ok(erp.add_summary(&a.id, "u1", "Agreed next steps")?)?.1);
        if case == "large" {
            // Ticks stopped for a day: a backlog of overdue requests, besides the case's
            // running meeting, recording and room, all due at the next tick.
            for i in requests + 1..requests + 1 + BACKLOG {
                ok(crm.handle_request(&RequestAction::RequestCall((format!("c{i}"), format!("k{i}"))))?)?;
            }
            h.clock().advance(std::time::Duration::from_secs(24 * 3600))?;
            note(
                &format!("tick (after a day without ticks, {BACKLOG} requests overdue)"),
                ok(crm.tick()?)?.1,
            );
        }

        let max = worst.iter().map(|(_, c)| c.fuel).max().unwrap_or(0);
        let detail: Vec<String> = worst.iter().map(|(n, c)| format!("{n} {}", c.fuel)).collect();
        out.push(figure(
            &format!(
                "fuel per export, {case} ({people} participants, {requests} requests, {meetings} meetings)"
            ),
            max as f64,
            "instructions (max)",
            &format!("<= {limit}"),
            max as f64 / limit as f64,
            max <= limit,
            detail.join("; "),
        ));
        // The first of the calls that reach the most (memory grows by 64 KiB pages).
        let (name, biggest) = worst.iter().rev().max_by_key(|(_, c)| c.memory).cloned().unwrap_or_default();
        let limit = runtime.limits().memory_bytes;
        out.push(figure(
            &format!("memory per call, {case}"),
            biggest.memory as f64 / MIB,
            "MiB (max)",
            "reported",
            biggest.memory as f64 / limit as f64,
            true,
            format!(
                "the largest linear memory a call reached, {name}; a call may grow to {} MiB",
                limit >> 20
            ),
        ));
    }
    Ok(out)
}

/// What a long history of call requests costs: a new request, the first page of every
/// request and the first page of one client's (pages of 20), after `n` requests against
/// after 200 (fuel does not depend on the store, so the in-memory one serves). The
/// requests come from ten clients in turn, each cancelled by its contact, which frees
/// the client for the next.
pub(super) fn long_history(
    options: &BenchOptions,
    runtime: &Arc<Runtime>,
    dir: &std::path::Path,
    config: &HarnessConfig,
) -> Result<Figure> {
    const BASELINE: usize = 200;
    let n = options.n(10_000).max(2 * BASELINE);
    let sub = dir.join("history");
    let h = harness(runtime.clone(), "memory:", &sub, config)?;
    h.load_perfex_world(&toml::to_string(&perfex_world(10))?)?;
    let crm = h.perfex()?;
    // Request and cancel, answering the fuel of the request.
    let request = |i: usize| -> Result<u64> {
        let (client, contact) = (format!("c{}", i % 10), format!("k{}", i % 10));
        let (r, cost) = ok(crm.handle_request(&RequestAction::RequestCall((client, contact.clone())))?)?;
        let RequestOutcome::Requested(r) = r else { bail!("not requested") };
        ok(crm.handle_request(&RequestAction::Cancel((r.id, contact)))?)?;
        h.clock().advance(Duration::from_secs(1))?;
        Ok(cost.fuel)
    };
    let measure = |i: usize| -> Result<[u64; 3]> {
        let new = request(i)?;
        let all = ok(crm.list_requests(&RequestFilter::All, 0, 20)?)?.1.fuel;
        let client = ok(crm.list_requests(&RequestFilter::Client("c7".into()), 0, 20)?)?.1.fuel;
        Ok([new, all, client])
    };
    // A page reads one to three chunks, as the open chunk fills, however many there are.
    growth(
        "a long history",
        (n, BASELINE),
        ["a new request", "the first page of all", "a client's first page"],
        request,
        measure,
    )
}
