//! The runtime's guarantees: a call that traps is reported and the harness keeps
//! serving; the compiled component is reused from the disk cache.

use meetkit_host::bindings::directory::{ContextInfo, Member, Relation};
use meetkit_host::bindings::types::{Context, Licence, User, UserKind};
use meetkit_host::platform::Platform;
use meetkit_host::{Harness, Limits, Runtime};
use meetkit_tests::{World, cache_dir, ok};
use std::sync::Arc;

/// A platform whose directory answers with more than the component may hold in memory.
struct Oversized;

fn huge_user() -> User {
    User {
        id: "u".into(),
        name: "x".repeat(80 << 20),
        email: String::new(),
        avatar: None,
        kind: UserKind::Internal,
    }
}

impl Platform for Oversized {
    fn describe_context(&self, _: &Context) -> Option<ContextInfo> {
        Some(ContextInfo {
            title: "huge".into(),
            members: vec![Member { user: huge_user(), relation: Relation::Member }],
        })
    }
    fn user(&self, _: &str) -> Option<User> {
        Some(huge_user())
    }
    fn licence(&self) -> Licence {
        Licence::X20Advanced
    }
}

#[test]
fn a_trap_is_an_error_and_the_harness_keeps_serving() {
    let w = World::new();
    let bad = w.harness.platform("erp", Arc::new(Oversized));
    let failure = bad.resolve_participants(&Context::Group("g".into()), "u").unwrap_err();
    let text = format!("{failure}");
    assert!(text.contains("the component failed"), "{text}");
    // The same runtime serves the next call.
    let (lobby, _) =
        ok(w.harness.erp().unwrap().resolve_participants(&Context::Group("sales".into()), "ana").unwrap());
    assert_eq!(lobby.candidates.len(), 3);
}

#[test]
fn a_call_over_its_fuel_budget_is_stopped_and_reported() {
    let runtime = Arc::new(
        Runtime::new(
            meetkit_host::runtime::COMPONENT,
            Some(&cache_dir()),
            Limits { fuel: 10_000, ..Limits::default() },
        )
        .unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let h = Harness::open_with(
        meetkit_host::HarnessOptions { data_dir: dir.path().into(), ..Default::default() },
        runtime,
    )
    .unwrap();
    let err = h.erp().unwrap().resolve_participants(&Context::Group("sales".into()), "ana").unwrap_err();
    assert!(format!("{err}").contains("budget of 10000 wasm instructions"), "{err}");
}

#[test]
fn the_precompiled_component_comes_from_the_cache() {
    let _warm = meetkit_tests::runtime();
    let again = Harness::runtime(&cache_dir()).unwrap();
    assert!(again.report().cache_hit);
    assert!(again.report().cache_file.as_ref().unwrap().exists());
}

/// A host may keep one instance of the component for many calls: each call's memory is
/// reused by the next, whether the host placed arguments for it or not.
#[test]
fn one_instance_serves_many_calls_without_its_memory_growing() {
    let w = World::new();
    let erp = w.harness.erp().unwrap();
    let group = Context::Group("sales".into());
    let calls = |n: usize| {
        erp.call(|plugin, store| {
            let mut lobbies = Vec::new();
            for _ in 0..n {
                // With strings to place, then with none.
                lobbies.push(plugin.resolve_participants(&mut *store, &group, "ana")?);
                plugin.tick(&mut *store)?.map_err(|e| wasmtime::Error::msg(format!("{e:?}")))?;
            }
            Ok(lobbies)
        })
        .unwrap()
    };
    let once = calls(1);
    let many = calls(300);
    let first = format!("{:?}", once.value[0]);
    assert!(first.contains("Ok"), "{first}");
    assert!(many.value.iter().all(|lobby| format!("{lobby:?}") == first), "every call answers alike");
    assert_eq!(many.memory, once.memory, "300 calls on one instance use the memory of one");

    // Calls with nothing for the host to place start the arena over themselves.
    let ticks = |n: usize| {
        erp.call(|plugin, store| {
            for _ in 0..n {
                plugin.tick(&mut *store)?.map_err(|e| wasmtime::Error::msg(format!("{e:?}")))?;
            }
            Ok(())
        })
        .unwrap()
        .memory
    };
    assert_eq!(ticks(1000), ticks(1), "1000 ticks on one instance use the memory of one");
}

/// A component built from the contract, its code left out (every function traps), with
/// `alter` applied to the contract first.
fn component_from_the_contract(alter: impl FnOnce(&mut wit_parser::Resolve)) -> Vec<u8> {
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve.push_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../wit")).unwrap();
    alter(&mut resolve);
    let world = resolve.select_world(&[package], Some("meeting-plugin")).unwrap();
    let mut module = wit_component::dummy_module(&resolve, world, wit_parser::ManglingAndAbi::Standard32);
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )
    .unwrap();
    wit_component::ComponentEncoder::default().module(&module).unwrap().encode().unwrap()
}

/// Calls do not check an export's type again: the runtime checks every export once, when
/// it loads the component, and refuses one built against another contract, naming the
/// function that differs.
#[test]
fn a_component_built_against_another_contract_is_refused_at_load() {
    let dir = tempfile::tempdir().unwrap();
    let load = |component: &[u8]| Runtime::new(component, Some(dir.path()), Limits::default());

    // The contract as it is: the stand-in loads (its imports and exports all match).
    load(&component_from_the_contract(|_| {})).expect("a component of this contract loads");

    // `tick` answering a plain number instead of its report.
    let tick_answers_a_number = component_from_the_contract(|resolve| {
        let clock = resolve
            .interfaces
            .iter()
            .find(|(_, i)| i.name.as_deref() == Some("clock"))
            .map(|(id, _)| id)
            .unwrap();
        resolve.interfaces[clock].functions.get_mut("tick").unwrap().result = Some(wit_parser::Type::U32);
    });
    let err = load(&tick_answers_a_number).err().expect("a component of another contract is refused");
    let message = format!("{err:#}");
    assert!(message.contains("does not match the meetkit contract"), "{message}");
    assert!(message.contains("tick in meetkit:meet/clock@0.1.0"), "{message}");
}
