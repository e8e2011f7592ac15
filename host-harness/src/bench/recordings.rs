//! What many recordings cost: a group that records its meetings has hundreds a year in
//! its context's index, and an upload, a tick and the group's first page must not grow
//! with them.

use super::worlds::erp_world;
use super::{BenchOptions, Figure, growth, harness, ok};
use crate::HarnessConfig;
use crate::bindings::recordings::{RecordingEvent, RecordingUpload};
use crate::bindings::types::Context;
use crate::runtime::Runtime;
use anyhow::Result;
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
