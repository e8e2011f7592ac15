//! Call-request lifecycles through the component against the same store operations
//! replayed bare.

use super::worlds::perfex_world;
use super::{BenchOptions, Figure, figure, harness, median, ms, ok};
use crate::bindings::call_requests::{RequestAction, RequestOutcome};
use crate::keyvalue::{KvBackend, SqliteBackend, Version, Versioned};
use crate::runtime::Runtime;
use crate::{HarnessConfig, PlatformHost};
use anyhow::{Context as _, Result, bail};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// A request, an accept (which starts the meeting) and a completion.
fn lifecycle(crm: &PlatformHost<'_>, client: &str, contact: &str) -> Result<()> {
    let (r, _) = ok(crm.handle_request(&RequestAction::RequestCall((client.into(), contact.into())))?)?;
    let RequestOutcome::Requested(r) = r else { bail!("not requested") };
    ok(crm.handle_request(&RequestAction::Accept((r.id.clone(), "s0".into())))?)?;
    ok(crm.handle_request(&RequestAction::Complete((r.id, "s0".into())))?)?;
    Ok(())
}

pub(super) fn lifecycles(
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
