//! The listing of every call request: bounded chunks, pages that read the newest chunks
//! only, stores written by earlier versions, and a request that loses the race for its
//! client.

use std::cell::{Cell, RefCell};

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

/// The counts of entries and of withdrawals a chunk record starts with.
fn chunk_counts(kv: &MemoryKv, n: u32) -> Option<(u16, u16)> {
    kv.get(&format!("index/request-chunks/{n}"))
        .unwrap()
        .map(|c| (u16::from_le_bytes([c[1], c[2]]), u16::from_le_bytes([c[3], c[4]])))
}

fn chunk_len(kv: &MemoryKv, n: u32) -> Option<u16> {
    chunk_counts(kv, n).map(|(entries, _)| entries)
}

/// A listed request: id, client, time; with no client, a withdrawal.
#[derive(serde::Serialize, serde::Deserialize)]
struct Entry(String, String, i64);

fn decode_all<T: serde::de::DeserializeOwned>(mut bytes: &[u8]) -> Vec<T> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (value, rest) = postcard::take_from_bytes(bytes).unwrap();
        out.push(value);
        bytes = rest;
    }
    out
}

/// Every entry of chunk `n`, in the order written.
fn chunk_entries(kv: &MemoryKv, n: u32) -> Vec<Entry> {
    let chunk = kv.get(&format!("index/request-chunks/{n}")).unwrap().unwrap();
    decode_all::<Entry>(&chunk[5..]).into_iter().filter(|e| !e.1.is_empty()).collect()
}

fn encode_all(entries: &[Entry]) -> Vec<u8> {
    entries.iter().flat_map(|e| postcard::to_allocvec(e).unwrap()).collect()
}

/// A store that counts the chunks a listing reads (of every request's listing, and of
/// clients'), and can let a rival request of the same client win while another one is
/// about to claim the client.
struct Watched<'a> {
    kv: &'a MemoryKv,
    chunk_reads: Cell<usize>,
    client_chunk_reads: Cell<usize>,
    rival: RefCell<Option<Box<dyn FnOnce() + 'a>>>,
}

impl<'a> Watched<'a> {
    fn new(kv: &'a MemoryKv) -> Self {
        Watched { kv, chunk_reads: Cell::new(0), client_chunk_reads: Cell::new(0), rival: RefCell::new(None) }
    }
}

impl Kv for Watched<'_> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        let count = if key.starts_with("index/request-chunks/") {
            &self.chunk_reads
        } else if key.starts_with("index/client-request-chunks/") {
            &self.client_chunk_reads
        } else {
            return self.kv.get(key);
        };
        count.set(count.get() + 1);
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

/// Page `page` of every request, and how many chunks reading it took.
fn page_reading(host: &FakeHost, kv: &MemoryKv, page: u32, size: u32) -> (Vec<String>, u32, usize) {
    let watched = Watched::new(kv);
    let p = Meetkit::new(host, &watched).list_requests(&RequestFilter::All, page, size).unwrap();
    (p.items.into_iter().map(|r| r.id).collect(), p.total, watched.chunk_reads.get())
}

/// Page `page` of a client's requests, and how many chunks of every request's listing
/// and of the client's reading it took.
fn client_page_reading(
    host: &FakeHost,
    kv: &MemoryKv,
    client: &str,
    page: u32,
) -> (Vec<String>, u32, usize, usize) {
    let watched = Watched::new(kv);
    let filter = RequestFilter::Client(client.into());
    let p = Meetkit::new(host, &watched).list_requests(&filter, page, 5).unwrap();
    let ids = p.items.into_iter().map(|r| r.id).collect();
    (ids, p.total, watched.chunk_reads.get(), watched.client_chunk_reads.get())
}

/// `n` requests from clients 0-99 in turn, a second apart, each cancelled by its
/// contact: the ids of each client's, newest first.
fn rounds(host: &FakeHost, mk: &Meetkit<'_>, n: usize) -> Vec<Vec<String>> {
    let mut of_client = vec![Vec::new(); 100];
    for i in 0..n {
        host.advance(SECOND);
        let id = new_id(call(mk, i % 100));
        let cancel = RequestAction::Cancel { request: id.clone(), contact: format!("contact{}", i % 100) };
        mk.handle_request(cancel).unwrap();
        of_client[i % 100].insert(0, id);
    }
    of_client
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
fn a_page_reads_the_newest_chunks_only_and_the_head_counts_the_rest() {
    let host = crm(700);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let made = calls(&host, &mk, 0..700);
    // Chunks 0-4 are full; chunk 5 holds the newest 60.
    assert_eq!(chunk_len(&kv, 5), Some(60));
    // The first page: the open chunk, and the one before it for requests listed a
    // moment out of their order.
    assert_eq!(page_reading(&host, &kv, 0, 20), (made[..20].to_vec(), 700, 2));
    // A later page reads as far back as it lists (60 + 128 + 128 for rows 150-199), and
    // one chunk more.
    assert_eq!(page_reading(&host, &kv, 3, 50), (made[150..200].to_vec(), 700, 4));
    // The last page reads everything, as before.
    assert_eq!(page_reading(&host, &kv, 6, 100), (made[600..].to_vec(), 700, 6));
}

#[test]
fn a_clients_page_reads_that_clients_listing_only() {
    let host = crm(100);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let of_client = rounds(&host, &mk, 1_200);
    let seven = &of_client[7];
    assert_eq!(client_page_reading(&host, &kv, "client7", 0), (seven[..5].to_vec(), 12, 0, 1));
    assert_eq!(client_page_reading(&host, &kv, "client7", 2), (seven[10..].to_vec(), 12, 0, 1));
}

#[test]
fn clients_without_a_listing_are_read_from_every_requests_until_their_next_request() {
    let host = crm(100);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let mut of_client = rounds(&host, &mk, 300);
    to_earlier_layout(&kv);
    // Read from every request's listing, all of it.
    let three = of_client[3].clone();
    assert_eq!(client_page_reading(&host, &kv, "client3", 0), (three.clone(), 3, 3, 0));

    host.advance(SECOND);
    of_client[3].insert(0, new_id(call(&mk, 3)));
    assert!(kv.get("index/client-request-base/client3").unwrap().is_some(), "the base is frozen");
    assert_eq!(client_page_reading(&host, &kv, "client3", 0), (of_client[3].clone(), 4, 0, 1));
    // Other clients are read from the chunks from before clients' listings, not later ones.
    host.advance(SECOND);
    new_id(call(&mk, 50));
    assert_eq!(client_page_reading(&host, &kv, "client4", 0), (of_client[4].clone(), 3, 3, 0));
}

#[test]
fn a_store_listed_by_an_earlier_version_keeps_its_entries_and_lists_new_ones_in_chunks() {
    let host = crm(6);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let mut made = calls(&host, &mk, 0..5);
    // An earlier version kept every entry in one record, behind a layout byte.
    let mut whole = vec![1];
    whole.extend(encode_all(&chunk_entries(&kv, 0)));
    kv.set("index/requests", &whole).unwrap();
    kv.delete("index/request-chunks").unwrap();
    kv.delete("index/request-chunks/0").unwrap();
    assert_eq!(every_id(&mk), (made.clone(), 5));

    let newest = calls(&host, &mk, 5..6);
    assert_eq!(kv.get("index/requests").unwrap().unwrap(), whole, "the earlier entries stay where they were");
    assert_eq!(chunk_len(&kv, 0), Some(1), "the new request opens the first chunk");
    made.splice(0..0, newest);
    assert_eq!(every_id(&mk), (made.clone(), 6));
    assert_eq!(page_reading(&host, &kv, 0, 3), (made[..3].to_vec(), 6, 1), "the head counts the base");
}

/// Rewrites the listings as the first chunked version kept them: a chunk is its entry
/// count and its entries, the head the open chunk's number; clients have no listings.
fn to_earlier_layout(kv: &MemoryKv) {
    let mut open = 0;
    while chunk_counts(kv, open + 1).is_some() {
        open += 1;
    }
    for n in 0..=open {
        let entries = chunk_entries(kv, n);
        let mut chunk = vec![1];
        chunk.extend((entries.len() as u16).to_le_bytes());
        chunk.extend(encode_all(&entries));
        kv.set(&format!("index/request-chunks/{n}"), &chunk).unwrap();
    }
    let mut head = vec![1];
    head.extend(open.to_le_bytes());
    kv.set("index/request-chunks", &head).unwrap();
    let mut cursor = None;
    loop {
        let (keys, next) = kv.list_keys(cursor).unwrap();
        keys.iter().filter(|k| k.starts_with("index/client-")).for_each(|k| kv.delete(k).unwrap());
        let Some(next) = next else { break };
        cursor = Some(next);
    }
}

#[test]
fn chunks_and_a_head_in_an_earlier_layout_are_read_and_counted_at_the_next_request() {
    let host = crm(131);
    let kv = MemoryKv::default();
    let mk = Meetkit::new(&host, &kv);
    let mut made = calls(&host, &mk, 0..130);
    to_earlier_layout(&kv);
    assert_eq!(every_id(&mk), (made.clone(), 130));
    // Without a count in the head, a page reads every chunk.
    assert_eq!(page_reading(&host, &kv, 0, 2).2, 2);

    let newest = calls(&host, &mk, 130..131);
    made.splice(0..0, newest);
    // Counted once; the next entries, listed by client too, start a chunk of their own.
    let head = kv.get("index/request-chunks").unwrap().unwrap();
    let words: Vec<u8> = [2u32, 130, 2].iter().flat_map(|w| w.to_le_bytes()).collect();
    assert_eq!(head, [[2].as_slice(), &words].concat());
    assert_eq!(chunk_counts(&kv, 2), Some((1, 0)));
    assert_eq!(kv.get("index/request-chunks/1").unwrap().unwrap()[0], 1, "earlier chunks stay as they were");
    assert_eq!(every_id(&mk), (made.clone(), 131));
    assert_eq!(page_reading(&host, &kv, 0, 2), (made[..2].to_vec(), 131, 3));
    assert_eq!(client_page_reading(&host, &kv, "client130", 0), (made[..1].to_vec(), 1, 0, 1));
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
    let race = Watched::new(&kv);
    *race.rival.borrow_mut() = Some(Box::new(|| {
        *winner.borrow_mut() = Some(new_id(call(&Meetkit::new(&host, &kv), 0)));
    }));
    let outcome = call(&Meetkit::new(&host, &race), 0);
    drop(race);
    let winner = winner.into_inner().expect("the rival ran");
    match outcome {
        RequestOutcome::Existing(r) => assert_eq!(r.id, winner),
        other => panic!("expected the rival's request, got {other:?}"),
    }
    let mk = Meetkit::new(&host, &kv);
    assert_eq!(every_id(&mk), (vec![winner.clone(), other], 2), "the loser is listed nowhere");
    assert_eq!(client_page_reading(&host, &kv, "client0", 0), (vec![winner], 1, 0, 1));
    // Three entries and one withdrawal: a chunk only grows.
    assert_eq!(chunk_counts(&kv, 0), Some((3, 1)));
}
