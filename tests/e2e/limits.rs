//! Limits of every call: a component that loops forever or allocates without bound is
//! stopped within 100 ms, the failure is reported, and the host keeps serving. The
//! misbehaving component is built here, for the tests only (the real one has no such
//! export).

use meetkit_host::bindings::types::Context;
use meetkit_host::{Limits, Runtime};
use meetkit_tests::{World, ok};
use std::time::{Duration, Instant};
use wasmtime::component::{Component, Linker};

/// A component with two exports: one that never returns, one that grows its memory forever.
const MISBEHAVING: &str = r#"
(component
  (core module $m
    (memory (export "memory") 1)
    (func (export "spin") (loop $forever (br $forever)))
    (func (export "hog")
      (loop $more
        (drop (memory.grow (i32.const 16)))
        (br $more))))
  (core instance $i (instantiate $m))
  (func (export "spin") (canon lift (core func $i "spin")))
  (func (export "hog") (canon lift (core func $i "hog"))))
"#;

fn call(export: &str) -> (anyhow::Error, Duration) {
    let limits = Limits::default();
    let engine = Runtime::engine(&limits).unwrap();
    let component = Component::new(&engine, MISBEHAVING).unwrap();
    let pre = Linker::<wasmtime::StoreLimits>::new(&engine).instantiate_pre(&component).unwrap();
    let mut store = limits.store(&engine).unwrap();
    let instance = pre.instantiate(&mut store).unwrap();
    let f = instance.get_typed_func::<(), ()>(&mut store, export).unwrap();
    let started = Instant::now();
    let err = f.call(&mut store, ()).expect_err("the call must be stopped");
    (err.into(), started.elapsed())
}

/// One test, so that nothing else competes for the cores while it is timed.
#[test]
fn misbehaving_calls_are_stopped_within_100_ms_and_the_host_keeps_serving() {
    let (err, took) = call("spin");
    assert!(format!("{err:?}").contains("fuel"), "{err:?}");
    eprintln!("the loop was stopped after {took:?}");
    assert!(took < Duration::from_millis(100), "the loop was stopped after {took:?}");

    let (err, took) = call("hog");
    assert!(format!("{err:?}").contains("memory"), "{err:?}");
    assert!(took < Duration::from_millis(100), "the allocation was stopped after {took:?}");

    let w = World::new();
    let (lobby, _) =
        ok(w.harness.erp().unwrap().resolve_participants(&Context::Group("sales".into()), "ana").unwrap());
    assert_eq!(lobby.candidates.len(), 3);
}
