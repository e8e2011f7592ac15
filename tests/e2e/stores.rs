//! One conformance suite for every store backend (SQLite on disk, Redis), and the
//! component's concurrency guarantees on each.

use meetkit_host::bindings::types::{Context, MeetingState};
use meetkit_host::keyvalue::{KvBackend, RedisBackend, SqliteBackend};
use meetkit_tests::redis::RedisServer;
use meetkit_tests::{World, accept_race, ok};
use std::collections::BTreeSet;
use std::sync::Arc;

fn conformance(kv: &dyn KvBackend) {
    let b = "conformance";
    // get, set, exists, delete
    assert_eq!(kv.get(b, "a").unwrap(), None);
    assert!(!kv.exists(b, "a").unwrap());
    kv.set(b, "a", b"1").unwrap();
    assert_eq!(kv.get(b, "a").unwrap().as_deref(), Some(&b"1"[..]));
    assert!(kv.exists(b, "a").unwrap());
    kv.set(b, "a", b"").unwrap();
    assert_eq!(kv.get(b, "a").unwrap().as_deref(), Some(&b""[..]), "an empty value is a value");
    kv.delete(b, "a").unwrap();
    assert_eq!(kv.get(b, "a").unwrap(), None);
    kv.delete(b, "a").unwrap(); // deleting an absent key is fine
    // buckets are separate
    kv.set("other", "a", b"x").unwrap();
    assert_eq!(kv.get(b, "a").unwrap(), None);

    // list-keys with cursors: every key once, in pages
    let all: BTreeSet<String> = (0..2500).map(|i| format!("k/{i:05}")).collect();
    for k in &all {
        kv.set(b, k, b"v").unwrap();
    }
    let (mut seen, mut cursor, mut pages) = (BTreeSet::new(), None::<String>, 0);
    loop {
        let (keys, next) = kv.list_keys(b, cursor.as_deref(), 1000).unwrap();
        pages += 1;
        for k in keys {
            assert!(seen.insert(k), "a key came twice");
        }
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, all);
    assert_eq!(pages, 3);
    assert!(kv.list_keys("empty-bucket", None, 10).unwrap().0.is_empty());

    // CAS success and conflict
    let seen = kv.read_versioned(b, "c").unwrap();
    assert_eq!((seen.value.clone(), seen.version), (None, 0));
    assert!(kv.swap(b, "c", seen.version, b"first").unwrap());
    assert!(!kv.swap(b, "c", seen.version, b"second").unwrap(), "a stale version loses");
    let now = kv.read_versioned(b, "c").unwrap();
    assert_eq!(now.value.as_deref(), Some(&b"first"[..]));
    kv.set(b, "c", b"changed").unwrap();
    assert!(!kv.swap(b, "c", now.version, b"x").unwrap(), "any write makes the version stale");
    // versions never repeat, even across delete and re-create
    let before = kv.read_versioned(b, "c").unwrap().version;
    kv.delete(b, "c").unwrap();
    kv.set(b, "c", b"changed").unwrap();
    assert_ne!(kv.read_versioned(b, "c").unwrap().version, before);
    assert!(!kv.swap(b, "c", before, b"x").unwrap());

    // increment
    assert_eq!(kv.increment(b, "n", 5).unwrap(), 5);
    assert_eq!(kv.increment(b, "n", -7).unwrap(), -2);
    assert!(kv.increment(b, "a-text", 1).is_ok());
    kv.set(b, "t", b"text").unwrap();
    assert!(kv.increment(b, "t", 1).is_err(), "text is not an integer");
}

/// Many threads add to one counter through read + swap loops: no update is lost.
fn concurrent_cas(kv: Arc<dyn KvBackend>) {
    const THREADS: usize = 8;
    const EACH: usize = 60;
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            let kv = kv.clone();
            s.spawn(move || {
                for _ in 0..EACH {
                    loop {
                        let seen = kv.read_versioned("cas", "counter").unwrap();
                        let n: usize =
                            seen.value.map_or(0, |v| String::from_utf8(v).unwrap().parse().unwrap());
                        if kv.swap("cas", "counter", seen.version, (n + 1).to_string().as_bytes()).unwrap() {
                            break;
                        }
                    }
                }
            });
        }
    });
    let total: usize =
        String::from_utf8(kv.get("cas", "counter").unwrap().unwrap()).unwrap().parse().unwrap();
    assert_eq!(total, THREADS * EACH);
}

fn simultaneous_starts(w: &World) {
    let case = Context::Case("CASE-1042".into());
    for _ in 0..10 {
        let created: Vec<_> = std::thread::scope(|s| {
            let hs: Vec<_> = ["ana", "ben", "erik"]
                .into_iter()
                .map(|u| {
                    let (h, case) = (&w.harness, case.clone());
                    s.spawn(move || ok(h.erp().unwrap().start_meeting(&case, u, &[u.to_string()]).unwrap()).0)
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(created.iter().filter(|s| s.created).count(), 1);
        let erp = w.harness.erp().unwrap();
        for u in ["ana", "ben", "erik"] {
            let _ = erp.leave_meeting(&created[0].meeting.id, u).unwrap();
        }
        assert_eq!(ok(erp.get_meeting(&created[0].meeting.id).unwrap()).0.state, MeetingState::Ended);
    }
}

#[test]
fn sqlite_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let kv = Arc::new(SqliteBackend::open(dir.path().join("kv.db")).unwrap());
    conformance(&*kv);
    concurrent_cas(kv);
}

#[test]
fn redis_passes_the_conformance_suite() {
    let redis = RedisServer::start();
    let kv = Arc::new(RedisBackend::open(&redis.url()).unwrap());
    conformance(&*kv);
    concurrent_cas(kv);
}

#[test]
fn simultaneous_accepts_have_exactly_one_winner_on_redis() {
    let redis = RedisServer::start();
    accept_race(&World::with_store(Some(redis.url())), 25);
}

#[test]
fn simultaneous_starts_make_one_meeting_on_every_store() {
    simultaneous_starts(&World::new());
    let redis = RedisServer::start();
    simultaneous_starts(&World::with_store(Some(redis.url())));
}

#[test]
fn an_unreachable_redis_is_a_clear_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let err = RedisBackend::open(&format!("redis://127.0.0.1:{port}/")).err().expect("no server there");
    let said = format!("{err:#}");
    assert!(said.contains("does not answer"), "{said}");
    // The cause is said once, not once by the error and again by its source.
    let cause = said.rsplit_once("does not answer: ").unwrap().1;
    assert_eq!(said.matches(cause).count(), 1, "{said}");
}
