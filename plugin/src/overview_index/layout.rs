//! The index's layout, read without a parser: per row, six i64 times (i64::MIN for
//! none; the first is the start, or with `WAITING` the last proposed slot), the duration
//! (u32), a flag byte, where each of the six texts ends (u16 each), then the texts. A
//! row is stepped over without reading its texts, and only the texts a listing uses are
//! sliced: a listing of ten thousand meetings costs a few wasm instructions per row.

use super::{Facts, IndexRow};
use crate::error::{MeetError, Result};
use crate::prelude::*;
use alloc::borrow::Cow;
use core::ops::Range;

const NONE: i64 = i64::MIN;
pub(super) const VERSION: u8 = 2;
/// The first layout: each text after a u16 length. Read and rewritten as `VERSION`.
pub(super) const LENGTH_PREFIXED: u8 = 1;

fn time(t: Option<i64>) -> i64 {
    t.unwrap_or(NONE)
}

/// Appends one row's bytes to `out`.
pub(super) fn encode_row(out: &mut Vec<u8>, r: &IndexRow) {
    let f = &r.facts;
    for t in [
        time(f.start.or(f.last_slot)),
        time(f.first_proposed),
        f.created_at,
        time(f.host_entered),
        time(f.host_ended),
        time(f.guest_entered),
    ] {
        out.extend_from_slice(&t.to_le_bytes());
    }
    out.extend_from_slice(&f.duration_mins.to_le_bytes());
    let flags = u8::from(f.cancelled)
        | u8::from(f.connection_failed) << 1
        | u8::from(f.check.is_some()) << 2
        | u8::from(f.check == Some(true)) << 3
        | if f.start.is_none() && f.last_slot.is_some() { WAITING } else { 0 };
    out.push(flags);
    push_texts(out, r.texts.each_ref().map(|t| t.as_bytes()));
}

/// The text ends and the texts. Texts are short by construction (ids, names, e-mail,
/// a type, details); all six together are cut to what a u16 end can point at.
fn push_texts(out: &mut Vec<u8>, texts: [&[u8]; 6]) {
    let mut end = 0usize;
    let cut = texts.map(|t| {
        let t = &t[..t.len().min(usize::from(u16::MAX) - end)];
        end += t.len();
        t
    });
    let mut end = 0u16;
    for t in &cut {
        end += t.len() as u16;
        out.extend_from_slice(&end.to_le_bytes());
    }
    for t in cut {
        out.extend_from_slice(t);
    }
}

/// Where in `record` the row of meeting `id` lies, if it has one.
pub(super) fn find(record: &[u8], id: &str) -> Result<Option<Range<usize>>> {
    let mut rows = rows(record)?;
    let mut start = record.len() - rows.bytes.len();
    while !rows.bytes.is_empty() {
        let row = rows.row().ok_or_else(cut_short)?;
        let end = record.len() - rows.bytes.len();
        if row.text(ID) == id.as_bytes() {
            return Ok(Some(start..end));
        }
        start = end;
    }
    Ok(None)
}

/// `record` with the bytes at `span` replaced by `row` (removed, with an empty row).
pub(super) fn splice(record: &[u8], span: Range<usize>, row: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(record.len() - span.len() + row.len());
    out.extend_from_slice(&record[..span.start]);
    out.extend_from_slice(row);
    out.extend_from_slice(&record[span.end..]);
    out
}

fn cut_short() -> MeetError {
    MeetError::StoreFailure("an overview index record is cut short".into())
}

/// `record` in the current layout: as it is, or rewritten from the first layout.
pub(super) fn upgraded(record: &[u8]) -> Result<Cow<'_, [u8]>> {
    let Some((&LENGTH_PREFIXED, mut rest)) = record.split_first() else {
        return Ok(Cow::Borrowed(record));
    };
    let mut out = Vec::with_capacity(record.len());
    out.push(VERSION);
    while !rest.is_empty() {
        let fixed = split(&mut rest, FIXED).ok_or_else(cut_short)?;
        out.extend_from_slice(fixed);
        let mut texts: [&[u8]; 6] = [&[]; 6];
        for text in &mut texts {
            let len = split(&mut rest, 2).ok_or_else(cut_short)?;
            let len = u16::from_le_bytes([len[0], len[1]]) as usize;
            *text = split(&mut rest, len).ok_or_else(cut_short)?;
        }
        push_texts(&mut out, texts);
    }
    Ok(Cow::Owned(out))
}

/// The rows of a record, in place, one at a time.
pub(super) fn rows(record: &[u8]) -> Result<Rows<'_>> {
    match record {
        [VERSION, rest @ ..] => Ok(Rows { bytes: rest }),
        _ => Err(MeetError::StoreFailure("an overview index record has an unknown layout".into())),
    }
}

pub(super) struct Rows<'a> {
    bytes: &'a [u8],
}

#[inline(always)]
fn split<'a>(bytes: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (head, tail) = bytes.split_at_checked(n)?;
    *bytes = tail;
    Some(head)
}

impl<'a> Rows<'a> {
    /// One row: a bounds check for its fixed part and text ends, one for its texts.
    #[inline(always)]
    fn row(&mut self) -> Option<RowView<'a>> {
        let (fixed, rest) = self.bytes.split_first_chunk::<FIXED>()?;
        let (ends, rest) = rest.split_first_chunk::<TEXT_ENDS>()?;
        let len = u16::from_le_bytes([ends[TEXT_ENDS - 2], ends[TEXT_ENDS - 1]]) as usize;
        let (texts, rest) = rest.split_at_checked(len)?;
        self.bytes = rest;
        Some(RowView { fixed, ends, texts })
    }
}

/// Calls `f` with each row of a record, in place (no row is moved or collected).
#[inline(always)]
pub(super) fn each_row<'a>(record: &'a [u8], mut f: impl FnMut(RowView<'a>)) -> Result<()> {
    let mut rows = rows(record)?;
    while !rows.bytes.is_empty() {
        // The error is built here, not by `cut_short`: in this, the overview's hot
        // loop, the call cost the size-optimised component 15% more instructions.
        let row = rows
            .row()
            .ok_or_else(|| MeetError::StoreFailure("an overview index record is cut short".into()))?;
        f(row);
    }
    Ok(())
}

impl<'a> Iterator for Rows<'a> {
    type Item = Result<RowView<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.bytes.is_empty() {
            return None;
        }
        match self.row() {
            Some(row) => Some(Ok(row)),
            None => {
                self.bytes = &[];
                Some(Err(cut_short()))
            }
        }
    }
}

/// A row read in place: the texts borrow the record's bytes.
pub(super) struct RowView<'a> {
    /// The times, duration and flags, decoded when asked (a row is small to move).
    fixed: &'a [u8; FIXED],
    /// Where each text ends in `texts`, as six u16.
    ends: &'a [u8; TEXT_ENDS],
    texts: &'a [u8],
}

/// Bytes of a row before its text ends: six times, the duration and the flags.
pub(super) const FIXED: usize = 6 * 8 + 4 + 1;
/// Bytes of a row's text ends.
pub(super) const TEXT_ENDS: usize = 6 * 2;

impl<'a> RowView<'a> {
    #[inline(always)]
    fn end(&self, i: usize) -> usize {
        u16::from_le_bytes([self.ends[2 * i], self.ends[2 * i + 1]]) as usize
    }

    /// Text `i` (`ID` and the constants after it). A listing slices only the texts it
    /// uses; ends out of order (a damaged record) read as an empty text.
    #[inline(always)]
    pub(super) fn text(&self, i: usize) -> &'a [u8] {
        let start = if i == 0 { 0 } else { self.end(i - 1) };
        self.texts.get(start..self.end(i)).unwrap_or_default()
    }

    #[inline(always)]
    pub(super) fn facts(&self) -> Facts {
        let f = self.fixed;
        let time = |i: usize| {
            i64::from_le_bytes([
                f[i * 8],
                f[i * 8 + 1],
                f[i * 8 + 2],
                f[i * 8 + 3],
                f[i * 8 + 4],
                f[i * 8 + 5],
                f[i * 8 + 6],
                f[i * 8 + 7],
            ])
        };
        let none = |t: i64| (t != i64::MIN).then_some(t);
        let flags = f[FIXED - 1];
        let waiting = flags & WAITING != 0;
        Facts {
            start: if waiting { None } else { none(time(0)) },
            last_slot: if waiting { Some(time(0)) } else { None },
            first_proposed: none(time(1)),
            created_at: time(2),
            host_entered: none(time(3)),
            host_ended: none(time(4)),
            guest_entered: none(time(5)),
            duration_mins: u32::from_le_bytes([f[48], f[49], f[50], f[51]]),
            cancelled: flags & 1 != 0,
            check: (flags & 4 != 0).then_some(flags & 8 != 0),
            connection_failed: flags & 2 != 0,
        }
    }
}

pub(super) const ID: usize = 0;
pub(super) const GUEST_NAME: usize = 1;
pub(super) const GUEST_EMAIL: usize = 2;
pub(super) const GUEST_KEY: usize = 3;
pub(super) const MEETING_TYPE: usize = 4;
pub(super) const DETAILS: usize = 5;

/// The flag of a row whose first time is the last proposed slot of a meeting waiting for
/// one to be picked, not a start. Rows written before the flag existed lack it, and such
/// a meeting shows as planning until its row is written again (see `overview_page`).
const WAITING: u8 = 16;
