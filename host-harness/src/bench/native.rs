//! The component against native code on the same work: a join against the bare
//! signature it needs, and the domain core run natively on the same workloads.

use super::worlds::{erp_world, everyone_page, seeded_meeting};
use super::{BenchOptions, Figure, figure, harness, ms, ok, time_pair, us};
use crate::HarnessConfig;
use crate::bindings::meetings::EntryPoint;
use crate::bindings::types::Context;
use crate::keyvalue::KvBackend;
use crate::runtime::Runtime;
use anyhow::{Result, bail};
use std::sync::Arc;
use std::time::Duration;

pub(super) fn join_against_signature(
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

pub(super) fn lobby(
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
pub(super) fn overview(
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
