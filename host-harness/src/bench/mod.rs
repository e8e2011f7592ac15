//! `meetkit bench`: the figures meetkit promises, each measured in the same run as the
//! baseline it is compared with. Times are medians; fuel (wasm instructions) is exact.

mod fuel;
mod native;
mod recordings;
mod throughput;
mod worlds;

pub use worlds::{erp_world, perfex_world};

use crate::clock::Clock;
use crate::runtime::{COMPONENT, Limits, Runtime};
use crate::{Harness, HarnessConfig, HarnessOptions};
use anyhow::{Result, bail};
use serde::Serialize;
use std::sync::Arc;
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

/// A figure of growth, in instructions (exact): `measure` after `n` steps against after
/// `baseline` (see [`after_steps`]); the largest ratio of the parts, each named in
/// `parts`, must stay within 2x.
fn growth<const K: usize>(
    name: &str,
    (n, baseline): (usize, usize),
    parts: [&str; K],
    step: impl FnMut(usize) -> Result<u64>,
    measure: impl FnMut(usize) -> Result<[u64; K]>,
) -> Result<Figure> {
    let (long, short) = after_steps((n, baseline), step, measure)?;
    let ratio = long.iter().zip(&short).map(|(l, s)| *l as f64 / *s as f64).fold(0.0, f64::max);
    Ok(figure(
        &format!("{name}: {n} against {baseline}"),
        ratio,
        "x (max)",
        "<= 2x",
        ratio / 2.0,
        ratio <= 2.0,
        format!("instructions after {n} / after {baseline}: {}", side_by_side(parts, &long, &short)),
    ))
}

/// `measure` after `n` steps and after `baseline` (each measure taking a step of its
/// own), the steps taken by `step`.
fn after_steps<const K: usize>(
    (n, baseline): (usize, usize),
    mut step: impl FnMut(usize) -> Result<u64>,
    mut measure: impl FnMut(usize) -> Result<[u64; K]>,
) -> Result<([u64; K], [u64; K])> {
    for i in 0..baseline - 1 {
        step(i)?;
    }
    let short = measure(baseline - 1)?;
    for i in baseline..n - 1 {
        step(i)?;
    }
    Ok((measure(n - 1)?, short))
}

/// "part long / short; ..." for a figure's note.
fn side_by_side<const K: usize>(parts: [&str; K], long: &[u64; K], short: &[u64; K]) -> String {
    let each: Vec<String> =
        parts.iter().zip(long.iter().zip(short)).map(|(part, (l, s))| format!("{part} {l} / {s}")).collect();
    each.join("; ")
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
    figures.extend(fuel::per_export(&runtime, dir.path(), &config)?);
    figures.push(fuel::long_history(&options, &runtime, dir.path(), &config)?);
    figures.push(recordings::many(&options, &runtime, dir.path(), &config)?);
    figures.push(recordings::busy_tenant(&options, &runtime, dir.path(), &config)?);
    figures.push(native::join_against_signature(&options, &runtime, dir.path(), &config)?);
    figures.push(native::lobby(&options, &runtime, dir.path(), &config)?);
    figures.push(native::overview(&options, &runtime, dir.path(), &config)?);
    figures.push(throughput::lifecycles(&options, &runtime, dir.path(), &config)?);
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
