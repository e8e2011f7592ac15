//! The listing of every call request: bounded chunks, stores written by earlier
//! versions, and a request that loses the race for its client.

use std::cell::RefCell;

use meetkit_plugin::Meetkit;
use meetkit_plugin::call_request::{RequestAction, RequestFilter, RequestOutcome};
use meetkit_plugin::host::{CasSlot, Kv, KvError};
use meetkit_plugin::model::{Licence, SECOND};
use meetkit_plugin::testing::{FakeHost, MemoryKv};

fn crm(clients: usize) -> FakeHost {
    let mut host = FakeHost::new(Licence::X20Advanced);
    host.add_staff("s1", &["Support"]);
    for i in 0..clients {
        host.add_client(&format!("client{i}"), &[&format!("contact{i}")]);
    }
    host
}

fn call(mk: &Meetkit<'_>, i: usize) -> RequestOutcome {
    let action = RequestAction::RequestCall { client: format!("client{i}"), contact: format!("contact{i}") };
    mk.handle_request(action).unwrap()
}

fn new_id(outcome: RequestOutcome) -> String {
    match outcome {
        RequestOutcome::Requested(r) => r.id,
        other => panic!("expected a new request, got {other:?}"),
    }
}

/// Requests from clients `clients`, a second apart: their ids, newest first.
fn calls(host: &FakeHost, mk: &Meetkit<'_>, clients: std::ops::Range<usize>) -> Vec<String> {
    let mut made = Vec::new();
    for i in clients {
        host.advance(SECOND);
        made.push(new_id(call(mk, i)));
    }
    made.reverse();
    made
}

/// Every listed id, newest first, read page by page as a person would; and the total.
fn every_id(mk: &Meetkit<'_>) -> (Vec<String>, u32) {
    let mut ids = Vec::new();
    let mut total = 0;
    for page in 0.. {
        let p = mk.list_requests(&RequestFilter::All, page, 50).unwrap();
        total = p.total;
        if p.items.is_empty() {
            break;
        }
        ids.extend(p.items.into_iter().map(|r| r.id));
    }
    (ids, total)
}

/// The entry count a chunk record starts with (after its layout byte).
fn chunk_len(kv: &MemoryKv, n: u32) -> Option<u16> {
    kv.get(&format!("index/request-chunks/{n}")).unwrap().map(|c| u16::from_le_bytes([c[1], c[2]]))
}

#[test]
fn a_new_request_copies_one_bounded_chunk_and_listings_see_every_request_once() {
    let host = crm(300);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let made = calls(&host, &mk, 0..300);
    // 128 + 128 + 44: no record grows with the history.
    assert_eq!((chunk_len(&kv, 0), chunk_len(&kv, 1), chunk_len(&kv, 2)), (Some(128), Some(128), Some(44)));
    assert_eq!(chunk_len(&kv, 3), None);
    let largest = kv.get("index/request-chunks/0").unwrap().unwrap().len();
    assert!(largest < 8 * 1024, "a chunk of 128 entries takes {largest} bytes");
    assert_eq!(every_id(&mk), (made.clone(), 300), "newest first, each once");
    let client = mk.list_requests(&RequestFilter::Client("client7".into()), 0, 20).unwrap();
    assert_eq!(client.items.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), [made[292].as_str()]);
}

#[test]
fn a_store_listed_by_an_earlier_version_keeps_its_entries_and_lists_new_ones_in_chunks() {
    let host = crm(6);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let mut made = calls(&host, &mk, 0..5);
    // An earlier version kept every entry in one record: the same entries, without the
    // chunk's count, behind the same layout byte.
    let chunk = kv.get("index/request-chunks/0").unwrap().unwrap();
    let mut whole = vec![chunk[0]];
    whole.extend(&chunk[3..]);
    kv.set("index/requests", &whole).unwrap();
    kv.delete("index/request-chunks").unwrap();
    kv.delete("index/request-chunks/0").unwrap();
    assert_eq!(every_id(&mk), (made.clone(), 5));

    let newest = calls(&host, &mk, 5..6);
    assert_eq!(kv.get("index/requests").unwrap().unwrap(), whole, "the earlier entries stay where they were");
    assert_eq!(chunk_len(&kv, 0), Some(1), "the new request opens the first chunk");
    made.splice(0..0, newest);
    assert_eq!(every_id(&mk), (made, 6));
}

/// A store that lets a second request of the same client win while the first one is
/// about to claim the client.
struct Race<'a> {
    kv: &'a MemoryKv,
    rival: RefCell<Option<Box<dyn FnOnce() + 'a>>>,
}

impl Kv for Race<'_> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        self.kv.get(key)
    }
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.kv.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.kv.delete(key)
    }
    fn list_keys(&self, cursor: Option<String>) -> Result<(Vec<String>, Option<String>), KvError> {
        self.kv.list_keys(cursor)
    }
    fn cas(&self, key: &str) -> Result<CasSlot, KvError> {
        if key.starts_with("client-request/") {
            let rival = self.rival.borrow_mut().take();
            if let Some(rival) = rival {
                rival();
            }
        }
        self.kv.cas(key)
    }
    fn swap(&self, slot: CasSlot, value: &[u8]) -> Result<Result<(), CasSlot>, KvError> {
        self.kv.swap(slot, value)
    }
}

#[test]
fn a_request_that_loses_its_client_to_another_is_taken_off_the_listing() {
    let host = crm(2);
    let kv = MemoryKv::default();
    let earlier = Meetkit::new(&host, &kv);
    host.advance(SECOND);
    let other = new_id(call(&earlier, 1));
    host.advance(SECOND);
    let winner = RefCell::new(None);
    let race = Race {
        kv: &kv,
        rival: RefCell::new(Some(Box::new(|| {
            *winner.borrow_mut() = Some(new_id(call(&Meetkit::new(&host, &kv), 0)));
        }))),
    };
    let outcome = call(&Meetkit::new(&host, &race), 0);
    drop(race);
    let winner = winner.into_inner().expect("the rival ran");
    match outcome {
        RequestOutcome::Existing(r) => assert_eq!(r.id, winner),
        other => panic!("expected the rival's request, got {other:?}"),
    }
    let mk = Meetkit::new(&host, &kv);
    assert_eq!(every_id(&mk), (vec![winner, other], 2), "the loser is listed nowhere");
    assert_eq!(chunk_len(&kv, 0), Some(2));
}
