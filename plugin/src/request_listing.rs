//! The listings of call requests, every request and each client's, so that a page of a
//! listing reads only the chunks and the records on that page.
//!
//! Each entry is a request's id, client and time. Entries go to chunks of at most
//! [`CHUNK`] records, and a head names the chunk that takes them and counts what the
//! chunks before it list: a new request copies one chunk of each listing, never the
//! whole history, and a listing's first pages read the newest chunks only. Chunks are
//! append-only: a request taken off the listings (one that lost its client to another)
//! gets a withdrawal in the open chunks, its id with no client, so a full chunk never
//! changes and a head's count stays exact. What was listed before there were chunks
//! stays in one frozen base record: for every request, the one record of earlier
//! versions, or one taken from the records when a store that has neither opens its
//! first chunk; for a client, its entries in the listing of every request, taken when
//! its own listing opens. Until then a client's requests are read from that listing.
//!
//! Keys: every request's head `index/request-chunks`, chunks `index/request-chunks/<n>`
//! and base `index/requests`; a client's head `index/client-requests/<client>`, chunks
//! `index/client-request-chunks/<n>/<client>` and base `index/client-request-base/<client>`
//! (the client id last, so that no id can make two keys alike).
//!
//! Layouts, each behind a version byte: a base is entries one after another (postcard);
//! a chunk is its counts of entries and of withdrawals (u16 each, little-endian), then
//! both, in the order written; a head is the open chunk's number, then how many requests
//! the base and the chunks before it list (u32 each, little-endian). Earlier versions
//! wrote chunks with one count (their withdrawals were taken out in place) and heads
//! without the count; both are still read, and a head is given its count at the next
//! request.

use crate::prelude::*;

use crate::Meetkit;
use crate::call_request::{CallRequest, Unread, request_key};
use crate::error::{MeetError, Result};
use crate::model::Instant;
use serde::{Deserialize, Serialize};

const BASE: &str = "index/requests";
const BASE_LAYOUT: u8 = 1;
const HEAD: &str = "index/request-chunks";
/// The open chunk's number, the count before it, the first chunk listed by client too.
const HEAD_LAYOUT: u8 = 2;
/// The open chunk's number only.
const HEAD_LAYOUT_UNCOUNTED: u8 = 1;
/// Counts of entries and withdrawals, then both.
const CHUNK_LAYOUT: u8 = 2;
/// A count of entries, then entries.
const CHUNK_LAYOUT_ENTRIES: u8 = 1;
/// Entries and withdrawals per chunk: a new request copies at most this many (about
/// 5 KiB).
pub(crate) const CHUNK: u16 = 128;

/// Which listing.
#[derive(Clone, Copy)]
pub(crate) enum Of<'a> {
    Every,
    Client(&'a str),
}

impl Of<'_> {
    fn head(self) -> String {
        match self {
            Of::Every => HEAD.into(),
            Of::Client(client) => format!("index/client-requests/{client}"),
        }
    }

    fn chunk(self, n: u32) -> String {
        match self {
            Of::Every => format!("{HEAD}/{n}"),
            Of::Client(client) => format!("index/client-request-chunks/{n}/{client}"),
        }
    }

    fn base(self) -> String {
        match self {
            Of::Every => BASE.into(),
            Of::Client(client) => format!("index/client-request-base/{client}"),
        }
    }
}

fn damaged(what: &str) -> MeetError {
    MeetError::StoreFailure(format!("the request listing is unreadable: {what}"))
}

/// One listed request; with no client, the withdrawal of an earlier one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Listed<'a> {
    pub id: &'a str,
    pub client: &'a str,
    pub at: Instant,
}

impl<'a> Listed<'a> {
    pub(crate) fn of<H>(r: &'a CallRequest<H>) -> Self {
        Listed { id: &r.id, client: &r.client_id, at: r.requested_at }
    }

    /// Client ids are never empty, so an entry without one cannot be a request.
    fn withdrawal(id: &'a str) -> Self {
        Listed { id, client: "", at: 0 }
    }

    fn is_withdrawal(&self) -> bool {
        self.client.is_empty()
    }

    fn append_to(&self, record: &mut Vec<u8>) {
        record.extend(postcard::to_allocvec(self).cannot_fail("entries serialise infallibly"));
    }

    /// Reads the entries that fill `bytes`, in place.
    fn read_into(mut bytes: &'a [u8], out: &mut Vec<Listed<'a>>) -> Result<()> {
        while !bytes.is_empty() {
            let (entry, rest) =
                postcard::take_from_bytes::<Listed<'a>>(bytes).map_err(|e| damaged(&format!("{e}")))?;
            out.push(entry);
            bytes = rest;
        }
        Ok(())
    }
}

/// A chunk as read: its counts and its entries and withdrawals.
struct Chunk<'a> {
    entries: u16,
    withdrawals: u16,
    listed: &'a [u8],
}

impl<'a> Chunk<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Self> {
        let count = |a, b| u16::from_le_bytes([a, b]);
        match *bytes {
            [CHUNK_LAYOUT, a, b, c, d, ref listed @ ..] => {
                Ok(Chunk { entries: count(a, b), withdrawals: count(c, d), listed })
            }
            [CHUNK_LAYOUT_ENTRIES, a, b, ref listed @ ..] => {
                Ok(Chunk { entries: count(a, b), withdrawals: 0, listed })
            }
            _ => Err(damaged("a chunk has an unknown layout")),
        }
    }

    fn is_full(&self) -> bool {
        self.entries + self.withdrawals >= CHUNK
    }

    /// What this chunk adds to the count of listed requests.
    fn listed(&self) -> i64 {
        i64::from(self.entries) - i64::from(self.withdrawals)
    }

    /// This chunk with `entry` appended, in this version's layout.
    fn with(&self, entry: &Listed<'_>) -> Vec<u8> {
        let (mut entries, mut withdrawals) = (self.entries, self.withdrawals);
        if entry.is_withdrawal() {
            withdrawals += 1;
        } else {
            entries += 1;
        }
        let mut out = vec![CHUNK_LAYOUT];
        out.extend(entries.to_le_bytes());
        out.extend(withdrawals.to_le_bytes());
        out.extend(self.listed);
        entry.append_to(&mut out);
        out
    }
}

const EMPTY_CHUNK: Chunk<'static> = Chunk { entries: 0, withdrawals: 0, listed: &[] };

/// A head: the open chunk, how many requests the base and the chunks before it list
/// (unknown in an earlier version's head) and, in the listing of every request, the
/// first chunk whose requests are also in their clients' listings.
#[derive(Clone, Copy, PartialEq)]
struct Head {
    open: u32,
    before: Option<u32>,
    clients_from: u32,
}

impl Head {
    fn parse(bytes: &[u8]) -> Result<Self> {
        let word = |w: &[u8]| u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        match bytes {
            [HEAD_LAYOUT, rest @ ..] if rest.len() == 12 => {
                Ok(Head { open: word(rest), before: Some(word(&rest[4..])), clients_from: word(&rest[8..]) })
            }
            [HEAD_LAYOUT_UNCOUNTED, rest @ ..] if rest.len() == 4 => {
                Ok(Head { open: word(rest), before: None, clients_from: u32::MAX })
            }
            _ => Err(damaged("the head has an unknown layout")),
        }
    }

    fn encode(open: u32, before: i64, clients_from: u32) -> Vec<u8> {
        let mut head = vec![HEAD_LAYOUT];
        head.extend(open.to_le_bytes());
        head.extend((before.max(0) as u32).to_le_bytes());
        head.extend(clients_from.to_le_bytes());
        head
    }
}

/// The listing's records as read: newest chunks first, then the base if it was reached.
pub(crate) struct Listing {
    chunks: Vec<Vec<u8>>,
    base: Option<Vec<u8>>,
    /// How many requests the whole listing holds, as its head counts them (none for
    /// an earlier version's head, or before there is a head).
    counted: Option<u32>,
}

impl Listing {
    fn of_base(base: Vec<u8>) -> Self {
        Listing { chunks: Vec::new(), base: Some(base), counted: None }
    }

    /// The entries read, newest listed first, without the withdrawn ones.
    pub(crate) fn entries(&self) -> Result<Vec<Listed<'_>>> {
        let mut read = Vec::new();
        for chunk in &self.chunks {
            let from = read.len();
            Listed::read_into(Chunk::parse(chunk)?.listed, &mut read)?;
            read[from..].reverse();
        }
        if let Some(base) = &self.base {
            let [BASE_LAYOUT, entries @ ..] = base.as_slice() else {
                return Err(damaged("the base has an unknown layout"));
            };
            let from = read.len();
            Listed::read_into(entries, &mut read)?;
            read[from..].reverse();
        }
        // A withdrawal is written after its entry, so newest first it comes before it.
        let mut withdrawn = Vec::new();
        read.retain(|l| {
            if l.is_withdrawal() {
                withdrawn.push(l.id);
            }
            !l.is_withdrawal() && !withdrawn.contains(&l.id)
        });
        Ok(read)
    }

    /// How many requests are listed in all: counted by the head, or those read when the
    /// listing was read whole (`read`, the length of [`Listing::entries`]).
    pub(crate) fn total(&self, read: usize) -> u32 {
        self.counted.unwrap_or(read as u32)
    }
}

impl Meetkit<'_> {
    /// Listing `of` newest first: whole chunks until they list `wanted` requests, and
    /// one chunk more, for requests listed a moment out of their order; all of it when
    /// `wanted` is `None`.
    pub(crate) fn listing(&self, of: Of<'_>, wanted: Option<usize>) -> Result<Listing> {
        // The head first: a base is frozen before the first head is written, so a reader
        // that sees chunks sees their base too.
        let head = self.head(of)?;
        let base = || self.store.get_bytes(&of.base());
        let Some(head) = head else {
            // No chunk yet: the base frozen before, or what it would be.
            let base = match base()? {
                Some(base) => base,
                None => self.base_of(of)?,
            };
            return Ok(Listing::of_base(base));
        };
        // An earlier version's head does not count: read everything.
        let wanted = if head.before.is_some() { wanted } else { None };
        let mut chunks = Vec::new();
        let mut listed = 0;
        let mut open_listed = 0;
        let mut enough_at = None;
        for n in (0..=head.open).rev() {
            if enough_at.is_some_and(|at| chunks.len() > at) {
                break;
            }
            // The head moves on before its new chunk is written.
            let Some(chunk) = self.store.get_bytes(&of.chunk(n))? else { continue };
            let adds = Chunk::parse(&chunk)?.listed();
            if n == head.open {
                open_listed = adds;
            }
            listed += adds;
            chunks.push(chunk);
            if enough_at.is_none() && wanted.is_some_and(|w| listed >= w as i64) {
                enough_at = Some(chunks.len());
            }
        }
        let reached_base = enough_at.is_none_or(|at| chunks.len() <= at);
        let counted = head.before.map(|before| (i64::from(before) + open_listed).max(0) as u32);
        Ok(Listing { chunks, base: if reached_base { base()? } else { None }, counted })
    }

    /// Lists a new request, in its client's listing and in every request's.
    pub(crate) fn list_request<H>(&self, request: &CallRequest<H>) -> Result<()> {
        self.list_in_both(&Listed::of(request), &request.client_id)
    }

    /// Takes request `id` of `client`, listed moments ago, off the listings (a request
    /// that lost to another of its client's).
    pub(crate) fn unlist_request(&self, id: &str, client: &str) -> Result<()> {
        self.list_in_both(&Listed::withdrawal(id), client)
    }

    /// Appends `entry` to `client`'s listing, then to every request's (so that a
    /// client's base, taken from the latter, never holds it already).
    fn list_in_both(&self, entry: &Listed<'_>, client: &str) -> Result<()> {
        // Which of every request's chunks came before clients' listings is settled first.
        let every = self.counted_head(Of::Every)?;
        let client = Of::Client(client);
        self.append(client, self.counted_head(client)?, entry)?;
        // The head may have moved on meanwhile: a full chunk sends the entry on.
        self.append(Of::Every, every, entry)
    }

    /// Appends `entry` to listing `of`, from chunk `open` on: to the first that is not
    /// full, opening the next one when that is full.
    fn append(&self, of: Of<'_>, mut open: u32, entry: &Listed<'_>) -> Result<()> {
        loop {
            let mut full = None;
            self.store.update_bytes(&of.chunk(open), |current| {
                let chunk = current.map_or(Ok(EMPTY_CHUNK), Chunk::parse)?;
                if chunk.is_full() {
                    full = Some(chunk.listed());
                    return Ok(None);
                }
                Ok(Some(chunk.with(entry)))
            })?;
            let Some(listed) = full else { return Ok(()) };
            open = self.open_after(of, open, listed)?;
        }
    }

    fn head(&self, of: Of<'_>) -> Result<Option<Head>> {
        self.store.get_bytes(&of.head())?.as_deref().map(Head::parse).transpose()
    }

    /// The open chunk of listing `of`, once its head counts what comes before it: opens
    /// the first chunk in a store without one, and counts for an earlier version's head.
    fn counted_head(&self, of: Of<'_>) -> Result<u32> {
        for _ in 0..crate::store::MAX_ATTEMPTS {
            let head = match self.head(of)? {
                None => return self.open_first_chunk(of),
                Some(Head { open, before: Some(_), .. }) => return Ok(open),
                Some(head) => head,
            };
            // An earlier version's head, of every request's listing: its chunks change no
            // more, and clients' listings start with a new one.
            let open = head.open + 1;
            let before = self.frozen(of, open)?.entries()?.len() as i64;
            // Unless another request moved the head meanwhile: then count again.
            self.store.update_bytes(&of.head(), |current| {
                let current = current.map(Head::parse).transpose()?;
                Ok((current == Some(head)).then(|| Head::encode(open, before, open)))
            })?;
        }
        Err(MeetError::StoreFailure("a request listing's head kept changing".into()))
    }

    /// Moves the head of listing `of` past the full chunk `full`, which lists `listed`,
    /// unless another writer did; answers the open chunk.
    fn open_after(&self, of: Of<'_>, full: u32, listed: i64) -> Result<u32> {
        let mut open = full + 1;
        self.store.update_bytes(&of.head(), |current| {
            let head = Head::parse(current.ok_or_else(|| damaged("the head is gone"))?)?;
            open = head.open.max(full + 1);
            if head.open > full {
                return Ok(None);
            }
            let before = head.before.ok_or_else(|| damaged("the head lost its count"))?;
            Ok(Some(Head::encode(open, i64::from(before) + listed, head.clients_from)))
        })?;
        Ok(open)
    }

    /// Freezes what listing `of` holds so far as its base (a base frozen before stays as
    /// it is) and opens its chunk 0.
    fn open_first_chunk(&self, of: Of<'_>) -> Result<u32> {
        let key = of.base();
        let base = match self.store.get_bytes(&key)? {
            Some(base) => base,
            // A client without earlier requests (every client of a store that began with
            // this version) needs no base. Unlike every request's base, which is scanned
            // from records that others may be writing, a client's is read from chunks that
            // change no more, so all instances find the same and none need freeze it.
            None => match self.base_of(of)? {
                base if matches!(of, Of::Client(_)) && base == [BASE_LAYOUT] => base,
                base => {
                    // Whoever freezes the base first wins; they all read the same.
                    self.store.update_bytes(&key, |current| Ok(current.is_none().then(|| base.clone())))?;
                    self.store.get_bytes(&key)?.unwrap_or(base)
                }
            },
        };
        let before = Listing::of_base(base).entries()?.len();
        let mut open = 0;
        self.store.update_bytes(&of.head(), |current| match current {
            Some(current) => {
                open = Head::parse(current)?.open;
                Ok(None)
            }
            // Every request from now on is listed by client too.
            None => Ok(Some(Head::encode(0, before as i64, 0))),
        })?;
        Ok(open)
    }

    /// A base record for listing `of` as it stands: every stored request, or a client's
    /// requests listed before clients had listings of their own.
    fn base_of(&self, of: Of<'_>) -> Result<Vec<u8>> {
        let mut base = vec![BASE_LAYOUT];
        match of {
            Of::Every => {
                for r in self.store.scan::<CallRequest<Unread>>(&request_key(""))? {
                    Listed::of(&r).append_to(&mut base);
                }
            }
            Of::Client(client) => {
                let before_clients = self.before_clients()?;
                // Oldest first, as a base is written.
                for l in before_clients.entries()?.iter().rev().filter(|l| l.client == client) {
                    l.append_to(&mut base);
                }
            }
        }
        Ok(base)
    }

    /// What every request's listing held before clients had listings of their own: its
    /// base and the chunks before the head's `clients_from` (in a new store, an empty
    /// base); all of it while its head is an earlier version's.
    fn before_clients(&self) -> Result<Listing> {
        let Some(Head { before: Some(_), clients_from, .. }) = self.head(Of::Every)? else {
            return self.listing(Of::Every, None);
        };
        self.frozen(Of::Every, clients_from)
    }

    /// The base of listing `of` and its chunks before chunk `end`: a part that changes no
    /// more.
    fn frozen(&self, of: Of<'_>, end: u32) -> Result<Listing> {
        let mut chunks = Vec::new();
        for n in (0..end).rev() {
            chunks.extend(self.store.get_bytes(&of.chunk(n))?);
        }
        Ok(Listing { chunks, base: self.store.get_bytes(&of.base())?, counted: None })
    }
}
