//! The wasmtime runtime: one engine, the component compiled once and cached on disk by
//! its hash, a linker and an `InstancePre`, the pooling allocator, and a fresh store per
//! call with a fuel budget and a memory limit. A trap ends that call only.

use crate::bindings::HostState;
use crate::exports::Exports;
pub use crate::exports::Plugin;
use crate::keyvalue::{self, KvCtx};
use anyhow::{Context as _, Result};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use wasmtime::component::{Component, InstancePre, Linker};
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, ResourceLimiter, Store,
    StoreLimitsBuilder,
};

/// The component built from `plugin/` with the sources of this build.
pub static COMPONENT: &[u8] = include_bytes!(env!("MEETKIT_COMPONENT_PATH"));

/// Limits of one call.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Wasm instructions (fuel) a call may run; a runaway loop stops here.
    pub fuel: u64,
    /// Largest linear memory a call may grow to, in bytes.
    pub memory_bytes: usize,
    /// Component instances that may exist at once (pool slots).
    pub instances: u32,
}

impl Limits {
    /// The limits of one meetkit call, which also note how much memory it reached.
    pub fn call_limits(&self) -> CallLimits {
        CallLimits { limits: self.store_limits(), peak_memory: 0 }
    }

    /// The memory limits of one store: growing past them traps.
    pub fn store_limits(&self) -> wasmtime::StoreLimits {
        StoreLimitsBuilder::new()
            .memory_size(self.memory_bytes)
            .instances(16)
            .trap_on_grow_failure(true)
            .build()
    }

    /// A store with these limits for any component on an engine from [`Runtime::engine`]
    /// (what every meetkit call runs in; tests use it for components of their own).
    pub fn store(&self, engine: &Engine) -> Result<Store<wasmtime::StoreLimits>> {
        let mut store = Store::new(engine, self.store_limits());
        store.limiter(|s| s);
        store.set_fuel(self.fuel)?;
        Ok(store)
    }
}

impl Default for Limits {
    fn default() -> Self {
        // A runaway loop burns this in about 60 ms; the largest export measured (a
        // middle page of an overview of 10 000 meetings) needs about half of it.
        Limits { fuel: 30_000_000, memory_bytes: 64 << 20, instances: 64 }
    }
}

/// A call's resource limits, and the largest linear memory the call reached.
#[derive(Default)]
pub struct CallLimits {
    limits: wasmtime::StoreLimits,
    peak_memory: usize,
}

impl CallLimits {
    /// The largest size, in bytes, any of the call's memories was allowed to reach.
    pub fn peak_memory(&self) -> usize {
        self.peak_memory
    }
}

impl ResourceLimiter for CallLimits {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
        if allowed {
            self.peak_memory = self.peak_memory.max(desired);
        }
        Ok(allowed)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.memory_grow_failed(error)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

/// How the component was obtained, for `inspect` and the benchmarks.
#[derive(Clone, Debug)]
pub struct LoadReport {
    pub component_bytes: usize,
    pub hash: String,
    pub cache_file: Option<PathBuf>,
    pub cache_hit: bool,
    pub load_time: Duration,
}

pub struct Runtime {
    engine: Engine,
    component: Component,
    pre: InstancePre<HostState>,
    exports: Exports,
    limits: Limits,
    report: LoadReport,
}

/// What failed in a call: a trap or a host error, never a domain error (those are
/// typed `Result`s inside the call's value).
#[derive(Debug, thiserror::Error)]
#[error("the component failed: {0:#}")]
pub struct CallFailure(pub anyhow::Error);

impl Runtime {
    /// The engine configuration every host of meetkit uses.
    pub fn engine(limits: &Limits) -> Result<Engine> {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(limits.instances)
            .total_core_instances(limits.instances * 4)
            .total_memories(limits.instances * 2)
            .total_tables(limits.instances * 4)
            .max_memory_size(limits.memory_bytes)
            .max_core_instances_per_component(16)
            .max_memories_per_component(4)
            .max_tables_per_component(16)
            .table_keep_resident(1 << 16)
            // A reused slot's first 2 MiB stay mapped and are zeroed, not handed back to
            // the kernel: a call then takes no page faults there (on a virtual machine a
            // fault costs microseconds). The component's 256 KiB stack, data and the heap
            // of a typical call fit; a page of the overview got 35% faster.
            .linear_memory_keep_resident(2 << 20);
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .consume_fuel(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
            // Every 32-bit address of a memory falls into its reservation or the guard
            // pages after it, so compiled code checks no bounds on loads and stores (a
            // 1 GiB reservation needs a check on each: a page of the overview took 15%
            // longer). Only address space is reserved, 4 GiB per memory slot, no RAM.
            .memory_reservation(4 << 30);
        Ok(Engine::new(&config)?)
    }

    /// Loads `component` (compiling it or taking it from `cache_dir`) and links it.
    pub fn new(component: &[u8], cache_dir: Option<&Path>, limits: Limits) -> Result<Self> {
        let engine = Self::engine(&limits)?;
        let started = Instant::now();
        let hash = hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, component).as_ref());
        let (component_compiled, cache_file, cache_hit) = load(&engine, component, &hash, cache_dir)?;
        let load_time = started.elapsed();

        let mut linker = Linker::<HostState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        keyvalue::add_to_linker(&mut linker, kv_view)?;
        crate::bindings::add_platform_to_linker(&mut linker)?;
        let pre = linker.instantiate_pre(&component_compiled)?;
        let exports = Exports::find(&component_compiled)?;
        let runtime = Runtime {
            engine,
            component: component_compiled,
            pre,
            exports,
            limits,
            report: LoadReport { component_bytes: component.len(), hash, cache_file, cache_hit, load_time },
        };
        // Every export's type is checked here, once: a component that does not match the
        // contract is refused at load, and calls need not check again.
        runtime
            .call(crate::harness::idle_state(), |plugin, store| plugin.exports.check(store, &plugin.instance))
            .map_err(|e| e.0.context("the component does not match the meetkit contract"))?;
        Ok(runtime)
    }

    pub fn report(&self) -> &LoadReport {
        &self.report
    }

    pub fn engine_ref(&self) -> &Engine {
        &self.engine
    }

    pub fn component(&self) -> &Component {
        &self.component
    }

    /// Instantiates the component in a fresh store over `state` and runs `f`. Returns
    /// `f`'s value and the state (with the effects the call produced).
    pub fn call<R>(
        &self,
        mut state: HostState,
        f: impl FnOnce(&Plugin<'_>, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<(R, HostState, u64), CallFailure> {
        state.limits = self.limits.call_limits();
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        store.set_fuel(self.limits.fuel).map_err(|e| CallFailure(e.into()))?;
        let result = self
            .pre
            .instantiate(&mut store)
            .and_then(|instance| f(&Plugin { instance, exports: &self.exports }, &mut store));
        match result {
            Ok(value) => {
                let used = self.limits.fuel - store.get_fuel().unwrap_or(0);
                Ok((value, store.into_data(), used))
            }
            Err(trap) => {
                let fuel_left = store.get_fuel().unwrap_or(0);
                let err = if fuel_left == 0 {
                    trap.context(format!(
                        "the call ran out of its budget of {} wasm instructions",
                        self.limits.fuel
                    ))
                } else {
                    trap
                };
                let err = anyhow::Error::from(err);
                tracing::warn!(error = %format!("{err:#}"), "component call trapped");
                Err(CallFailure(err))
            }
        }
    }

    /// Median time of `n` instantiations into fresh stores, and of creating the store
    /// alone (the baseline), for the benchmarks.
    pub fn measure_instantiation(&self, n: usize) -> Result<(Duration, Duration)> {
        let mut instantiate = Vec::with_capacity(n);
        let mut store_only = Vec::with_capacity(n);
        for _ in 0..n {
            let t = Instant::now();
            let mut store = Store::new(&self.engine, ());
            store.set_fuel(self.limits.fuel)?;
            store_only.push(t.elapsed());
            drop(store);
            let state = crate::harness::idle_state();
            let mut store = Store::new(&self.engine, state);
            store.set_fuel(self.limits.fuel)?;
            let t = Instant::now();
            self.pre.instantiate(&mut store)?;
            instantiate.push(t.elapsed());
        }
        instantiate.sort_unstable();
        store_only.sort_unstable();
        Ok((instantiate[n / 2], store_only[n / 2]))
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }
}

fn kv_view(state: &mut HostState) -> KvCtx<'_> {
    KvCtx { backend: &*state.kv, table: &mut state.table, namespace: state.namespace }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compiles the component, or deserialises the precompiled artifact cached for this
/// exact component and engine configuration.
fn load(
    engine: &Engine,
    bytes: &[u8],
    hash: &str,
    cache_dir: Option<&Path>,
) -> Result<(Component, Option<PathBuf>, bool)> {
    let Some(dir) = cache_dir else {
        return Ok((Component::new(engine, bytes)?, None, false));
    };
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
    let engine_key = std::hash::Hasher::finish(&hasher);
    let path = dir.join(format!("meetkit-{}-{engine_key:016x}.cwasm", &hash[..16]));
    if path.exists() {
        // SAFETY: the file was written by `precompile_component` of an engine with the
        // same configuration (the name says so), in a folder only this harness writes.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(c) => return Ok((c, Some(path), true)),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "ignoring an unusable cached component")
            }
        }
    }
    let compiled = engine.precompile_component(bytes)?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // A name of its own for each writer, threads of one process too: two runtimes
    // loading the same component at once each write theirs, and the last rename wins.
    static WRITERS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let writer = WRITERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{writer}", std::process::id()));
    std::fs::write(&tmp, &compiled)?;
    std::fs::rename(&tmp, &path)?;
    // SAFETY: just produced by this engine.
    let component = unsafe { Component::deserialize(engine, &compiled)? };
    Ok((component, Some(path), false))
}
