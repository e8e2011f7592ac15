//! What many recordings cost: a group that records its meetings has hundreds a year in
//! its context's index, and a tenant that keeps copies for 30 days has thousands on its
//! due-list; an upload, a tick and a first page must not grow with them.

use super::worlds::erp_world;
use super::{BenchOptions, Figure, after_steps, figure, growth, harness, ok, side_by_side};
use crate::HarnessConfig;
use crate::bindings::recordings::{RecordingEvent, RecordingUpload};
use crate::bindings::types::Context;
use crate::erp::Group;
use crate::runtime::Runtime;
use anyhow::{Context as _, Result};
use std::sync::Arc;

/// After `n` recordings of one group's meetings against after 200, three a day, ticks
/// between them deleting each at its 24 hours: an upload, a tick with nothing due, and
/// the group's first page of recordings (20). Fuel does not depend on the store, so the
/// in-memory one serves.
pub(super) fn many(
    options: &BenchOptions,
    runtime: &Arc<Runtime>,
    dir: &std::path::Path,
    config: &HarnessConfig,
) -> Result<Figure> {
    const BASELINE: usize = 200;
    let n = options.n(5_000).max(2 * BASELINE);
    let h = harness(runtime.clone(), "memory:", &dir.join("recordings"), config)?;
    h.load_erp_world(&toml::to_string(&erp_world(10))?)?;
    let erp = h.erp()?.unlogged();
    let group = Context::Group("g10".into());
    let everyone: Vec<String> = (0..10).map(|i| format!("u{i}")).collect();
    let room = ok(erp.start_meeting(&group, "u0", &everyone)?)?.0.meeting.room;
    // Eight hours on, the tick, and the next recording of the group's meeting (ended
    // by the ticks after twelve quiet hours: JaaS uploads after a meeting).
    let upload = |i: usize| -> Result<u64> {
        h.clock().advance(std::time::Duration::from_secs(8 * 3600))?;
        ok(erp.tick()?)?;
        let now = h.clock().now_ms();
        let event = RecordingEvent::Uploaded(RecordingUpload {
            room: room.clone(),
            link: format!("https://recordings.example/{i}.mp4"),
            initiator: Some("u0".into()),
            session_id: format!("session-{i}"),
            duration_secs: 1800,
            started_at: now - 1_800_000,
            ended_at: now,
            uploaded_at: now,
        });
        Ok(ok(erp.on_recording(&event)?)?.1.fuel)
    };
    let measure = |i: usize| -> Result<[u64; 3]> {
        let new = upload(i)?;
        let tick = ok(erp.tick()?)?.1.fuel;
        let page = ok(erp.list_recordings(&group, 0, 20)?)?.1.fuel;
        Ok([new, tick, page])
    };
    growth(
        "many recordings",
        (n, BASELINE),
        ["an upload", "a tick with nothing due", "the group's first page"],
        upload,
        measure,
    )
}

/// A busy tenant: 144 teams each record their daily meeting, one upload every ten
/// minutes, and the platform keeps copies for 30 days, so that the recordings' due-list
/// holds 4 320 entries once it is full. Its size is bounded by the retention, not by
/// the years, so the promise is the typical call's budget (1 M instructions) for an
/// upload and a tick with nothing due once the list is full; the note sets them beside
/// the same calls after 200 uploads.
pub(super) fn busy_tenant(
    options: &BenchOptions,
    runtime: &Arc<Runtime>,
    dir: &std::path::Path,
    config: &HarnessConfig,
) -> Result<Figure> {
    const BASELINE: usize = 200;
    const GROUPS: usize = 144;
    let n = options.n(6_000).max(2 * BASELINE);
    let h = harness(runtime.clone(), "memory:", &dir.join("busy-tenant"), config)?;
    // Teams of ten, each with a meeting that runs until the ticks end it.
    let mut world = erp_world(10 * GROUPS);
    let team = |i: usize| -> Vec<String> { (10 * i..10 * i + 10).map(|u| format!("u{u}")).collect() };
    world.groups = (0..GROUPS)
        .map(|i| Group { id: format!("t{i}"), name: format!("Team {i}"), members: team(i) })
        .collect();
    h.load_erp_world(&toml::to_string(&world)?)?;
    let erp = h.erp()?.unlogged();
    let mut rooms = Vec::with_capacity(GROUPS);
    for i in 0..GROUPS {
        let (group, members) = (Context::Group(format!("t{i}")), team(i));
        rooms.push(ok(erp.start_meeting(&group, &members[0], &members)?)?.0.meeting.room);
    }
    let upload = |i: usize| -> Result<u64> {
        h.clock().advance(std::time::Duration::from_secs(600))?;
        ok(erp.tick().with_context(|| format!("the tick before upload {i}"))?)?;
        let now = h.clock().now_ms();
        let event = RecordingEvent::Uploaded(RecordingUpload {
            room: rooms[i % GROUPS].clone(),
            link: format!("https://recordings.example/busy-{i}.mp4"),
            initiator: Some(format!("u{}", 10 * (i % GROUPS))),
            session_id: format!("busy-{i}"),
            duration_secs: 600,
            started_at: now - 600_000,
            ended_at: now,
            uploaded_at: now,
        });
        let (outcome, cost) = ok(erp.on_recording(&event).with_context(|| format!("upload {i}"))?)?;
        // The platform keeps its copy, so the recording stays on the due-list 30 days.
        let file = outcome.file.context("an upload makes a file")?;
        ok(erp.recording_archived(&file.id, &format!("https://files.example/{}", file.id))?)?;
        Ok(cost.fuel)
    };
    let measure = |i: usize| -> Result<[u64; 2]> {
        let new = upload(i)?;
        let tick = ok(erp.tick()?)?.1.fuel;
        Ok([new, tick])
    };
    let (full, short) = after_steps((n, BASELINE), upload, measure)?;
    let worst = full.iter().copied().max().unwrap_or(0) as f64;
    let kept = n.min(30 * 24 * 6);
    Ok(figure(
        &format!("a busy tenant's recordings: {kept} on the due-list"),
        worst,
        "instructions (max)",
        "<= 1000000",
        worst / 1e6,
        worst <= 1e6,
        format!(
            "after {n} uploads / after {BASELINE}: {}",
            side_by_side(["an upload", "a tick with nothing due"], &full, &short)
        ),
    ))
}
