//! `meetkit bench`: the figures meetkit promises, each measured in the same run as the
//! baseline it is compared with. Times are medians; fuel (wasm instructions) is exact.

use crate::bindings::call_requests::{RequestAction, RequestFilter, RequestOutcome};
use crate::bindings::meetings::EntryPoint;
use crate::bindings::overview::{
    Attendee, GuestDetails, Period, Query, RoomEvent, ScheduleRequest, Scope, SortKey,
};
use crate::bindings::recordings::{RecordingEvent, RecordingSignal, RecordingUpload};
use crate::bindings::time_zones::LocalDateTime;
use crate::bindings::types::Context;
use crate::clock::Clock;
use crate::erp::{ErpWorld, Group, LicenceName, RecordingSettings, UserSpec};
use crate::keyvalue::{KvBackend, SqliteBackend, Version, Versioned};
use crate::perfex::{ClientSpec, ContactSpec, Display, NotifyRule, PerfexWorld, Settings, StaffSpec};
use crate::runtime::{COMPONENT, Limits, Runtime};
use crate::{Harness, HarnessConfig, HarnessOptions, PlatformHost};
use anyhow::{Context as _, Result, bail};
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One measured figure and how it compares.
#[derive(Clone, Debug, Serialize)]
pub struct Figure {
    pub name: String,
    pub value: f64,
    pub unit: &'static str,
    /// The promise, for people ("<= 20 us").
    pub target: String,
    /// value / baseline (or / target when there is no baseline).
    pub ratio: f64,
    pub pass: bool,
    pub note: String,
}

const MIB: f64 = (1 << 20) as f64;

fn figure(
    name: &str,
    value: f64,
    unit: &'static str,
    target: &str,
    ratio: f64,
    pass: bool,
    note: String,
) -> Figure {
    Figure { name: name.into(), value, unit, target: target.into(), ratio, pass, note }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn time<R>(n: usize, mut f: impl FnMut() -> Result<R>) -> Result<Duration> {
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f()?;
        samples.push(t.elapsed());
    }
    Ok(median(samples))
}

/// Medians of `n` runs each of `a` and `b`, taking turns, so that whatever else the
/// machine does meanwhile weighs on both sides alike (timed one block after the other,
/// a busy minute during one block skews the ratio).
fn time_pair<A, B>(
    n: usize,
    mut a: impl FnMut() -> Result<A>,
    mut b: impl FnMut() -> Result<B>,
) -> Result<(Duration, Duration)> {
    let (mut first, mut second) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let t = Instant::now();
        a()?;
        first.push(t.elapsed());
        let t = Instant::now();
        b()?;
        second.push(t.elapsed());
    }
    Ok((median(first), median(second)))
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// How many repetitions: `quick` for CI smoke runs.
#[derive(Clone, Copy, Debug)]
pub struct BenchOptions {
    pub quick: bool,
}

impl BenchOptions {
    fn n(&self, full: usize) -> usize {
        if self.quick { (full / 10).max(3) } else { full }
    }
}

/// A world of `n` users, all in group `g<n>` and the first ten in `g10`.
pub fn erp_world(n: usize) -> ErpWorld {
    let users: Vec<UserSpec> = (0..n)
        .map(|i| UserSpec {
            id: format!("u{i}"),
            name: format!("User {i}"),
            email: format!("u{i}@bench.example"),
            avatar: None,
            external: false,
        })
        .collect();
    let ids = |k: usize| users.iter().take(k).map(|u| u.id.clone()).collect::<Vec<_>>();
    ErpWorld {
        licence: LicenceName::X20,
        // Copies kept, so that the benchmarks reach `recording-archived` too.
        recordings: RecordingSettings { keep_copies: true, ..RecordingSettings::default() },
        groups: if n == 10 {
            vec![Group { id: "g10".into(), name: "Ten".into(), members: ids(10) }]
        } else {
            vec![
                Group { id: "g10".into(), name: "Ten".into(), members: ids(10) },
                Group { id: format!("g{n}"), name: "Everyone".into(), members: ids(n) },
            ]
        },
        users,
        cases: Vec::new(),
        activities: Vec::new(),
        index: Default::default(),
    }
}

/// A CRM with `clients` clients (one contact each) and ten support staff.
pub fn perfex_world(clients: usize) -> PerfexWorld {
    PerfexWorld {
        staff: (0..10)
            .map(|i| StaffSpec {
                id: format!("s{i}"),
                name: format!("Staff {i}"),
                email: String::new(),
                departments: vec!["Support".into()],
                roles: Vec::new(),
                active: true,
            })
            .collect(),
        clients: (0..clients)
            .map(|i| ClientSpec {
                id: format!("c{i}"),
                company: format!("Client {i}"),
                assigned_staff: Vec::new(),
                contacts: vec![ContactSpec {
                    id: format!("k{i}"),
                    name: format!("Contact {i}"),
                    email: String::new(),
                }],
            })
            .collect(),
        settings: Settings {
            notify: vec![NotifyRule::AllStaff],
            display: Display::NewTab,
            expiry_secs: 3600,
        },
    }
}

/// The `i`-th of the meetings the benchmarks schedule: hosted by `u0`..`u9` in turn, one
/// guest each, spread over the hours, days and months of 2027.
fn seeded_meeting(i: usize, zone: &str) -> ScheduleRequest {
    ScheduleRequest {
        actor: "u0".into(),
        host: format!("u{}", i % 10),
        guest: GuestDetails { name: format!("Guest {i}"), email: format!("g{i}@x.example"), phone: None },
        meeting_type: "Intake".into(),
        details: format!("Meeting {i}"),
        description: String::new(),
        zone: zone.into(),
        slots: vec![LocalDateTime {
            year: 2027,
            month: 1 + (i % 12) as u8,
            day: 1 + (i % 28) as u8,
            hour: 8 + (i % 9) as u8,
            minute: 0,
        }],
        duration_mins: 30,
    }
}

/// What `u0` sees first in the overview: everyone's upcoming meetings, the latest
/// first, a page of 20.
fn everyone_page() -> Query {
    Query {
        viewer: "u0".into(),
        scope: Scope::Everyone,
        period: Period::Upcoming,
        sort: SortKey::Date,
        descending: true,
        page: 0,
        page_size: 20,
    }
}

/// 2026-11-23T09:00:00Z.
const T0: i64 = 1_795_424_400_000;

fn harness(
    runtime: Arc<Runtime>,
    store: &str,
    dir: &std::path::Path,
    config: &HarnessConfig,
) -> Result<Harness> {
    Harness::open_with(
        HarnessOptions {
            data_dir: dir.to_path_buf(),
            store: Some(store.into()),
            clock: Some(Clock::virtual_at(T0)),
            config: Some(config.clone()),
        },
        runtime,
    )
}

/// What one call cost: wasm instructions, and the largest its memory grew to.
#[derive(Clone, Copy, Default)]
struct Cost {
    fuel: u64,
    memory: usize,
}

fn ok<T: std::fmt::Debug>(call: crate::Call<Result<T, crate::bindings::types::Error>>) -> Result<(T, Cost)> {
    match call.value {
        Ok(v) => Ok((v, Cost { fuel: call.fuel, memory: call.memory })),
        Err(e) => bail!("a benchmark call was refused: {e:?}"),
    }
}

pub fn run(options: BenchOptions) -> Result<Vec<Figure>> {
    let dir = tempfile::tempdir()?;
    let mut config = HarnessConfig::development();
    config.jaas.private_key = dir.path().join("key.pem");
    let mut figures = vec![size()];
    figures.extend(load(&options, dir.path())?);
    let runtime = Arc::new(Runtime::new(COMPONENT, Some(&dir.path().join("cache")), Limits::default())?);
    figures.push(instantiation(&options, &runtime, dir.path(), &config)?);
    figures.extend(fuel(&runtime, dir.path(), &config)?);
    figures.push(long_history(&options, &runtime, dir.path(), &config)?);
    figures.push(join_against_signature(&options, &runtime, dir.path(), &config)?);
    figures.push(wasm_against_native(&options, &runtime, dir.path(), &config)?);
    figures.push(wasm_against_native_overview(&options, &runtime, dir.path(), &config)?);
    figures.push(throughput(&options, &runtime, dir.path(), &config)?);
    Ok(figures)
}

fn size() -> Figure {
    let bytes = COMPONENT.len() as f64;
    let limit = 256.0 * 1024.0;
    figure(
        "component size",
        bytes / 1024.0,
        "KiB",
        "<= 256 KiB",
        bytes / limit,
        bytes <= limit,
        format!("release meetkit.wasm; core module optimised by {}", env!("MEETKIT_COMPONENT_OPTIMISER")),
    )
}

fn load(options: &BenchOptions, dir: &std::path::Path) -> Result<Vec<Figure>> {
    let engine = Runtime::engine(&Limits::default())?;
    let t = Instant::now();
    let compiled = engine.precompile_component(COMPONENT)?;
    let compile = t.elapsed();
    let path = dir.join("bench.cwasm");
    std::fs::write(&path, &compiled)?;
    // SAFETY: produced just above by an engine with the same configuration.
    let load = time(options.n(50), || {
        Ok(unsafe { wasmtime::component::Component::deserialize_file(&engine, &path)? })
    })?;
    Ok(vec![
        figure(
            "compile (cranelift)",
            ms(compile),
            "ms",
            "reported",
            1.0,
            true,
            "once per component version".into(),
        ),
        figure(
            "load precompiled from disk",
            ms(load),
            "ms",
            "<= 5 ms",
            ms(load) / 5.0,
            ms(load) <= 5.0,
            format!("{:.0}x faster than compiling", compile.as_secs_f64() / load.as_secs_f64()),
        ),
    ])
}

fn instantiation(
    options: &BenchOptions,
    runtime: &Arc<Runtime>,
    dir: &std::path::Path,
    config: &HarnessConfig,
) -> Result<Figure> {
    let (instantiate, store_only) = runtime.measure_instantiation(options.n(5000))?;
    // A whole call that does almost nothing: what every export pays at least.
    let h = harness(runtime.clone(), "memory:", &dir.join("floor"), config)?;
    h.load_erp_world(&toml::to_string(&erp_world(10))?)?;
    let erp = h.erp()?.unlogged();
    let floor = time(options.n(2000), || ok(erp.tick()?))?;
    let m = us(instantiate);
    Ok(figure(
        "instantiation (pooling, InstancePre)",
        m,
        "us",
        "<= 20 us",
        m / 20.0,
        m <= 20.0,
        format!(
            "a bare Store::new takes {:.2} us; a whole call (tick, empty store) {:.1} us",
            us(store_only),
            us(floor)
        ),
    ))
}

/// Requests left overdue in the large case by a day without ticks.
const BACKLOG: usize = 300;

/// Fuel per export in a typical and a large case.
fn fuel(runtime: &Arc<Runtime>, dir: &std::path::Path, config: &HarnessConfig) -> Result<Vec<Figure>> {
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
        note("list-recordings", ok(erp.list_recordings(&group)?)?.1);
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

fn join_against_signature(
    options: &BenchOptions,
    runtime: &Arc<Runtime>,
    dir: &std::path::Path,
    config: &HarnessConfig,
) -> Result<Figure> {
    let h = harness(runtime.clone(), &dir.join("join.db").display().to_string(), &dir.join("join"), config)?;
    h.load_erp_world(&toml::to_string(&erp_world(10))?)?;
    // As in the lifecycle figure, the simulated platform's screens (its effect log) are
    // not kept: they are neither component, store nor signature work.
    let erp = h.erp()?.unlogged();
    let group = Context::Group("g10".into());
    let (started, _) = ok(erp.start_meeting(&group, "u0", &["u0".into()])?)?;
    let claims =
        r#"{"aud":"jitsi","iss":"chat","sub":"x","room":"r","exp":2,"nbf":1,"context":{"user":{"id":"u1"}}}"#;
    let (join, sign) = time_pair(
        options.n(200),
        || ok(erp.join_meeting(&started.meeting.id, "u1", EntryPoint::ChatLink)?),
        || h.signer().sign(claims),
    )?;
    let ratio = join.as_secs_f64() / sign.as_secs_f64();
    Ok(figure(
        "join against a bare RS256 signature (4096-bit)",
        ratio,
        "x",
        "<= 1.2x",
        ratio / 1.2,
        ratio <= 1.2,
        format!("join {:.2} ms (embedded store) against a signature of {:.2} ms", ms(join), ms(sign)),
    ))
}

fn wasm_against_native(
    options: &BenchOptions,
    runtime: &Arc<Runtime>,
    dir: &std::path::Path,
    config: &HarnessConfig,
) -> Result<Figure> {
    use meetkit_plugin::testing::MemoryKv;
    let h = harness(runtime.clone(), "memory:", &dir.join("native"), config)?;
    h.load_erp_world(&toml::to_string(&erp_world(500))?)?;
    let erp = h.erp()?;
    let group = Context::Group("g500".into());

    let fake = fake_platform(500);
    let kv = MemoryKv::default();
    let core = meetkit_plugin::Meetkit::new(&fake, &kv);
    let context = meetkit_plugin::model::Context::Group("g500".into());
    let (wasm, native) = time_pair(
        options.n(100),
        || ok(erp.resolve_participants(&group, "u0")?),
        || core.resolve_participants(&context, "u0").map_err(|e| anyhow::anyhow!("{e}")),
    )?;
    Ok(against_native("resolve 500 participants", wasm, native))
}

/// The figure comparing the component with the native core on one workload.
fn against_native(workload: &str, wasm: Duration, native: Duration) -> Figure {
    let ratio = wasm.as_secs_f64() / native.as_secs_f64();
    figure(
        &format!("wasm against native ({workload})"),
        ratio,
        "x",
        "aim <= 2x",
        ratio / 2.0,
        ratio <= 2.0,
        format!(
            "component {:.1} us (instantiation and marshalling included), native core {:.1} us",
            us(wasm),
            us(native)
        ),
    )
}

/// The native core's platform for the same users as [`erp_world`]: `u0`..`u<n>`, all in
/// group `g<n>`.
fn fake_platform(n: usize) -> meetkit_plugin::testing::FakeHost {
    use meetkit_plugin::model::{Context, Licence, Relation, UserKind};
    let mut fake = meetkit_plugin::testing::FakeHost::new(Licence::X20Advanced);
    let members: Vec<String> = (0..n).map(|i| format!("u{i}")).collect();
    for m in &members {
        fake.add_user(m, UserKind::Internal);
    }
    let relations: Vec<(&str, Relation)> = members.iter().map(|m| (m.as_str(), Relation::Member)).collect();
    fake.add_context(Context::Group(format!("g{n}")), &relations);
    fake
}

/// The overview of many meetings, natively and through the component: a page of 20 of
/// them, sorted by date. The core does the work here (filtering and ranking the index);
/// crossing the boundary moves one index record in and one page out. Both sides read
/// the same store contents: the component's are copied into the native store.
fn wasm_against_native_overview(
    options: &BenchOptions,
    runtime: &Arc<Runtime>,
    dir: &std::path::Path,
    config: &HarnessConfig,
) -> Result<Figure> {
    use meetkit_plugin::host::Kv as _;
    use meetkit_plugin::overview as core_ov;
    use meetkit_plugin::testing::MemoryKv;

    let backend = Arc::new(crate::keyvalue::MemoryBackend::default());
    let h = harness(runtime.clone(), "memory:", &dir.join("native-overview"), config)?
        .with_store(backend.clone());
    h.load_erp_world(&toml::to_string(&erp_world(10))?)?;
    let erp = h.erp()?.unlogged();
    let meetings = if options.quick { 2_000 } else { 10_000 };
    for i in 0..meetings {
        // UTC: the native core's platform knows no other zone.
        ok(erp.schedule(&seeded_meeting(i, "UTC"))?)?;
    }

    // The bucket the component opens, under the ERP platform's namespace.
    const BUCKET: &str = "erp/meetkit";
    let kv = MemoryKv::default();
    let mut cursor = None;
    loop {
        let (keys, next) = backend.list_keys(BUCKET, cursor.as_deref(), 1000)?;
        for key in keys {
            if let Some(value) = backend.get(BUCKET, &key)? {
                kv.set(&key, &value).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            }
        }
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let fake = fake_platform(10);
    fake.now.set(h.clock().now_ms());
    let core = meetkit_plugin::Meetkit::new(&fake, &kv);

    let query = everyone_page();
    let native_query = core_ov::Query {
        viewer: "u0".into(),
        scope: core_ov::Scope::Everyone,
        period: core_ov::Period::Upcoming,
        sort: core_ov::SortKey::Date,
        descending: true,
        page: 0,
        page_size: 20,
    };
    let (through_component, _) = ok(erp.list_meetings(&query)?)?;
    let native_page = core.list_meetings(&native_query).map_err(|e| anyhow::anyhow!("{e}"))?;
    let same = through_component.total == native_page.total
        && through_component
            .items
            .iter()
            .map(|r| &r.id)
            .eq(native_page.items.iter().map(|r| &r.appointment.id));
    if !same {
        bail!("the native core and the component listed different pages of the same store");
    }

    let (wasm, native) = time_pair(
        options.n(50),
        || ok(erp.list_meetings(&query)?),
        || core.list_meetings(&native_query).map_err(|e| anyhow::anyhow!("{e}")),
    )?;
    Ok(against_native(&format!("a page of 20 from {meetings} meetings"), wasm, native))
}

/// Records the store operations a flow makes, so that they can be replayed bare, and
/// the time the store took to answer them.
#[derive(Default)]
struct Recording {
    ops: Mutex<Vec<Op>>,
    store_time: Mutex<Duration>,
    /// The time spent copying the operations into `ops`: the measurement's own work,
    /// taken off the component's side.
    recording_time: Mutex<Duration>,
}

#[derive(Clone, Debug)]
enum Op {
    Get(String, String),
    Set(String, String, Vec<u8>),
    Delete(String, String),
    List(String, Option<String>, usize),
    Read(String, String),
    Swap(String, String, Vec<u8>),
}

struct Recorder {
    inner: Arc<dyn KvBackend>,
    log: Arc<Recording>,
}

impl Recorder {
    /// Logs the operation `op` makes and runs it on the inner store, timing the logging
    /// and the store apart.
    fn run<R>(&self, op: impl FnOnce() -> Op, f: impl FnOnce(&dyn KvBackend) -> R) -> R {
        let recording = Instant::now();
        let op = op();
        self.log.ops.lock().unwrap().push(op);
        let started = Instant::now();
        let result = f(&*self.inner);
        let done = Instant::now();
        *self.log.store_time.lock().unwrap() += done - started;
        *self.log.recording_time.lock().unwrap() += started - recording;
        result
    }
}

impl KvBackend for Recorder {
    fn get(&self, b: &str, k: &str) -> Result<Option<Vec<u8>>> {
        self.run(|| Op::Get(b.into(), k.into()), |s| s.get(b, k))
    }
    fn set(&self, b: &str, k: &str, v: &[u8]) -> Result<()> {
        self.run(|| Op::Set(b.into(), k.into(), v.to_vec()), |s| s.set(b, k, v))
    }
    fn delete(&self, b: &str, k: &str) -> Result<()> {
        self.run(|| Op::Delete(b.into(), k.into()), |s| s.delete(b, k))
    }
    fn exists(&self, b: &str, k: &str) -> Result<bool> {
        self.run(|| Op::Read(b.into(), k.into()), |s| s.exists(b, k))
    }
    fn list_keys(&self, b: &str, c: Option<&str>, l: usize) -> Result<(Vec<String>, Option<String>)> {
        self.run(|| Op::List(b.into(), c.map(str::to_string), l), |s| s.list_keys(b, c, l))
    }
    fn read_versioned(&self, b: &str, k: &str) -> Result<Versioned> {
        self.run(|| Op::Read(b.into(), k.into()), |s| s.read_versioned(b, k))
    }
    fn swap(&self, b: &str, k: &str, e: Version, v: &[u8]) -> Result<bool> {
        self.run(|| Op::Swap(b.into(), k.into(), v.to_vec()), |s| s.swap(b, k, e, v))
    }
    fn increment(&self, b: &str, k: &str, d: i64) -> Result<i64> {
        self.inner.increment(b, k, d)
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}

/// What a long history of call requests costs: a new request, the first page of every
/// request and the first page of one client's (pages of 20), after `n` requests against
/// after 200 (fuel does not depend on the store, so the in-memory one serves). The
/// requests come from ten clients in turn, each cancelled by its contact, which frees
/// the client for the next.
fn long_history(
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
    for i in 0..BASELINE - 1 {
        request(i)?;
    }
    let short = measure(BASELINE - 1)?;
    for i in BASELINE..n - 1 {
        request(i)?;
    }
    let long = measure(n - 1)?;
    let ratios: Vec<f64> = long.iter().zip(&short).map(|(l, s)| *l as f64 / *s as f64).collect();
    let ratio = ratios.iter().copied().fold(0.0, f64::max);
    Ok(figure(
        &format!("a long history: {n} call requests against {BASELINE}"),
        ratio,
        "x (max)",
        // A page reads one to three chunks, as the open chunk fills, however many there are.
        "<= 2x",
        ratio / 2.0,
        ratio <= 2.0,
        format!(
            "instructions after {n} / after {BASELINE}: a new request {} / {}; the first page of all {} / {}; \
             a client's first page {} / {}",
            long[0], short[0], long[1], short[1], long[2], short[2]
        ),
    ))
}

/// A request, an accept (which starts the meeting) and a completion.
fn lifecycle(crm: &PlatformHost<'_>, client: &str, contact: &str) -> Result<()> {
    let (r, _) = ok(crm.handle_request(&RequestAction::RequestCall((client.into(), contact.into())))?)?;
    let RequestOutcome::Requested(r) = r else { bail!("not requested") };
    ok(crm.handle_request(&RequestAction::Accept((r.id.clone(), "s0".into())))?)?;
    ok(crm.handle_request(&RequestAction::Complete((r.id, "s0".into())))?)?;
    Ok(())
}

fn throughput(
    options: &BenchOptions,
    runtime: &Arc<Runtime>,
    dir: &std::path::Path,
    config: &HarnessConfig,
) -> Result<Figure> {
    let n = options.n(200);
    // Through the component, on the embedded store, recording each lifecycle's store
    // operations as they happen. The baseline replays the same operations, with the same
    // keys and values, on a store of its own that so grows as the component's does, and
    // makes the one signature a lifecycle needs (the accepting staff member's token).
    let sub = dir.join("throughput");
    let log = Arc::new(Recording::default());
    let recorder: Arc<dyn KvBackend> =
        Arc::new(Recorder { inner: Arc::new(SqliteBackend::open(sub.join("state.db"))?), log: log.clone() });
    let h = harness(runtime.clone(), "memory:", &sub, config)?.with_store(recorder);
    h.load_perfex_world(&toml::to_string(&perfex_world(n + 1))?)?;
    // The simulated screens are not kept: they are neither component nor store work.
    let crm = h.perfex()?.unlogged();
    let bare = SqliteBackend::open(sub.join("bare.db")).context("opening the bare store")?;
    let claims =
        r#"{"aud":"jitsi","iss":"chat","sub":"x","room":"r","exp":2,"nbf":1,"context":{"user":{"id":"s0"}}}"#;
    // Answers the time of the store operations alone.
    let replay = |ops: &[Op]| -> Result<Duration> {
        let started = Instant::now();
        let mut seen = std::collections::HashMap::new();
        for op in ops {
            match op {
                Op::Get(b, k) => drop(bare.get(b, k)?),
                Op::Set(b, k, v) => bare.set(b, k, v)?,
                Op::Delete(b, k) => bare.delete(b, k)?,
                Op::List(b, c, l) => drop(bare.list_keys(b, c.as_deref(), *l)?),
                Op::Read(b, k) => {
                    seen.insert((b, k), bare.read_versioned(b, k)?.version);
                }
                Op::Swap(b, k, v) => {
                    let version = seen.get(&(b, k)).copied().unwrap_or(0);
                    if bare.swap(b, k, version, v)? {
                        seen.remove(&(b, k));
                    }
                }
            }
        }
        let store_time = started.elapsed();
        h.signer().sign(claims)?;
        Ok(store_time)
    };
    // A lifecycle's operations, the store's time and the time spent recording them.
    let recorded = || {
        let store_time = std::mem::take(&mut *log.store_time.lock().unwrap());
        let recording_time = std::mem::take(&mut *log.recording_time.lock().unwrap());
        (std::mem::take(&mut *log.ops.lock().unwrap()), store_time, recording_time)
    };

    lifecycle(&crm, "c0", "k0")?; // warm up
    replay(&recorded().0)?;
    // The two sides take turns, one lifecycle each, so that what else the machine does
    // weighs on both alike. Medians, as everywhere here: a WAL checkpoint of SQLite costs
    // milliseconds and lands on one side or the other at random, so a mean would follow
    // a handful of them.
    let (mut component, mut baseline) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut operations = Vec::with_capacity(n);
    let (mut component_store, mut bare_store) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in 1..=n {
        let t = Instant::now();
        lifecycle(&crm, &format!("c{i}"), &format!("k{i}"))?;
        let elapsed = t.elapsed();
        let (ops, store_time, recording_time) = recorded();
        component.push(elapsed.saturating_sub(recording_time));
        component_store.push(store_time);
        let t = Instant::now();
        bare_store.push(replay(&ops)?);
        baseline.push(t.elapsed());
        operations.push(ops.len());
    }
    operations.sort_unstable();
    let operations = operations[n / 2];
    let (component, baseline) = (median(component), median(baseline));
    let (component_store, bare_store) = (median(component_store), median(bare_store));
    let overhead = component.as_secs_f64() / baseline.as_secs_f64() - 1.0;
    Ok(figure(
        "call-request lifecycles: component overhead over bare store work",
        overhead * 100.0,
        "%",
        "<= 30%",
        (1.0 + overhead) / 1.3,
        overhead <= 0.30,
        format!(
            "{:.0} lifecycles/s through the component, {:.0}/s for the same {} store operations and 1 signature done bare; \
             the store operations alone took {:.2} ms of a lifecycle through the component and {:.2} ms bare",
            1.0 / component.as_secs_f64(),
            1.0 / baseline.as_secs_f64(),
            operations,
            ms(component_store),
            ms(bare_store),
        ),
    ))
}
