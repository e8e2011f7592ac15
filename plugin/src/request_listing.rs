//! The listing of every call request, so that a page of a listing reads only the records
//! on that page.
//!
//! Each entry is a request's id, client and time. New entries go to chunks of at most
//! [`CHUNK`] entries (`index/request-chunks/<n>`), and the head (`index/request-chunks`)
//! names the chunk that takes them: a new request copies one chunk, never the whole
//! history. What was listed before there were chunks stays in one frozen base record
//! (`index/requests`): written so by earlier versions, or taken from the records once,
//! when a store that has neither opens its first chunk.
//!
//! Layouts, each behind a version byte: the base is entries one after another (postcard);
//! a chunk is its entry count (u16, little-endian), then entries; the head is the open
//! chunk's number (u32, little-endian).

use crate::prelude::*;

use crate::Meetkit;
use crate::call_request::{CallRequest, Unread, request_key};
use crate::error::{MeetError, Result};
use crate::model::Instant;
use serde::{Deserialize, Serialize};

const BASE: &str = "index/requests";
const BASE_LAYOUT: u8 = 1;
const HEAD: &str = "index/request-chunks";
const HEAD_LAYOUT: u8 = 1;
const CHUNK_LAYOUT: u8 = 1;
/// Entries per chunk: a new request copies at most this many (about 5 KiB).
pub(crate) const CHUNK: u16 = 128;

fn chunk_key(n: u32) -> String {
    format!("{HEAD}/{n}")
}

fn damaged(what: &str) -> MeetError {
    MeetError::StoreFailure(format!("the request listing is unreadable: {what}"))
}

/// One listed request.
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

fn empty_chunk() -> Vec<u8> {
    vec![CHUNK_LAYOUT, 0, 0]
}

fn set_count(chunk: &mut [u8], count: u16) {
    chunk[1..3].copy_from_slice(&count.to_le_bytes());
}

/// A chunk's entry count and entries.
fn split_chunk(chunk: &[u8]) -> Result<(u16, &[u8])> {
    match chunk {
        [CHUNK_LAYOUT, a, b, entries @ ..] => Ok((u16::from_le_bytes([*a, *b]), entries)),
        _ => Err(damaged("a chunk has an unknown layout")),
    }
}

fn head(open: u32) -> Vec<u8> {
    let mut head = vec![HEAD_LAYOUT];
    head.extend(open.to_le_bytes());
    head
}

fn open_of(head: &[u8]) -> Result<u32> {
    match head {
        [HEAD_LAYOUT, a, b, c, d] => Ok(u32::from_le_bytes([*a, *b, *c, *d])),
        _ => Err(damaged("the head has an unknown layout")),
    }
}

/// The records of the listing, as read: the base, then the chunks in order.
pub(crate) struct Listing {
    base: Option<Vec<u8>>,
    chunks: Vec<Vec<u8>>,
}

impl Listing {
    /// Every entry, in the order listed (oldest first, as a rule).
    pub(crate) fn entries(&self) -> Result<Vec<Listed<'_>>> {
        let mut out = Vec::new();
        if let Some(base) = &self.base {
            let [BASE_LAYOUT, entries @ ..] = base.as_slice() else {
                return Err(damaged("the base has an unknown layout"));
            };
            Listed::read_into(entries, &mut out)?;
        }
        for chunk in &self.chunks {
            Listed::read_into(split_chunk(chunk)?.1, &mut out)?;
        }
        Ok(out)
    }
}

impl Meetkit<'_> {
    /// The listing's records, for a listing to read the entries of.
    pub(crate) fn listing(&self) -> Result<Listing> {
        // The head first: a base is frozen before the first head is written, so a reader
        // that sees chunks sees their base too.
        let open = self.open_chunk()?;
        let base = self.store.get_bytes(BASE)?;
        let Some(open) = open else {
            // No chunk yet: the base of an earlier version, or the records themselves.
            let base = match base {
                Some(base) => base,
                None => self.base_by_scan()?,
            };
            return Ok(Listing { base: Some(base), chunks: Vec::new() });
        };
        let mut chunks = Vec::new();
        for n in 0..=open {
            chunks.extend(self.store.get_bytes(&chunk_key(n))?);
        }
        Ok(Listing { base, chunks })
    }

    /// Lists a new request: appends its entry to the open chunk, opening the next one
    /// when that is full.
    pub(crate) fn list_request<H>(&self, request: &CallRequest<H>) -> Result<()> {
        let entry = Listed::of(request);
        let mut open = match self.open_chunk()? {
            Some(open) => open,
            None => self.open_first_chunk()?,
        };
        loop {
            let mut full = false;
            self.store.update_bytes(&chunk_key(open), |current| {
                let mut chunk = current.map_or_else(empty_chunk, <[u8]>::to_vec);
                let (count, _) = split_chunk(&chunk)?;
                full = count >= CHUNK;
                if full {
                    return Ok(None);
                }
                set_count(&mut chunk, count + 1);
                entry.append_to(&mut chunk);
                Ok(Some(chunk))
            })?;
            if !full {
                return Ok(());
            }
            open = self.open_after(open)?;
        }
    }

    /// Takes request `id` off the listing (a request that lost to another of its client's).
    /// It was listed moments ago, so the search starts at the open chunk.
    pub(crate) fn unlist_request(&self, id: &str) -> Result<()> {
        let Some(open) = self.open_chunk()? else { return Ok(()) };
        for n in (0..=open).rev() {
            let mut found = false;
            self.store.update_bytes(&chunk_key(n), |current| {
                let Some(chunk) = current else { return Ok(None) };
                let (count, entries) = split_chunk(chunk)?;
                let mut listed = Vec::new();
                Listed::read_into(entries, &mut listed)?;
                found = listed.iter().any(|l| l.id == id);
                if !found {
                    return Ok(None);
                }
                let mut kept = empty_chunk();
                set_count(&mut kept, count.saturating_sub(1));
                listed.iter().filter(|l| l.id != id).for_each(|l| l.append_to(&mut kept));
                Ok(Some(kept))
            })?;
            if found {
                break;
            }
        }
        Ok(())
    }

    fn open_chunk(&self) -> Result<Option<u32>> {
        self.store.get_bytes(HEAD)?.as_deref().map(open_of).transpose()
    }

    /// Moves the head past the full chunk `full`, unless another writer did; answers
    /// the open chunk.
    fn open_after(&self, full: u32) -> Result<u32> {
        let mut open = full + 1;
        self.store.update_bytes(HEAD, |current| {
            let current = current.map(open_of).transpose()?.unwrap_or(0);
            open = current.max(full + 1);
            Ok((current <= full).then(|| head(open)))
        })?;
        Ok(open)
    }

    /// Freezes what is listed so far as the base (an earlier version's base stays as it
    /// is; otherwise the records make it) and opens chunk 0.
    fn open_first_chunk(&self) -> Result<u32> {
        if self.store.get_bytes(BASE)?.is_none() {
            let base = self.base_by_scan()?;
            // Whoever freezes the base first wins; the records are the same for all.
            self.store.update_bytes(BASE, |current| Ok(current.is_none().then(|| base.clone())))?;
        }
        let mut open = 0;
        self.store.update_bytes(HEAD, |current| match current {
            Some(current) => {
                open = open_of(current)?;
                Ok(None)
            }
            None => Ok(Some(head(0))),
        })?;
        Ok(open)
    }

    /// A base record of every stored request.
    fn base_by_scan(&self) -> Result<Vec<u8>> {
        let mut base = vec![BASE_LAYOUT];
        for r in self.store.scan::<CallRequest<Unread>>(&request_key(""))? {
            Listed::of(&r).append_to(&mut base);
        }
        Ok(base)
    }
}
