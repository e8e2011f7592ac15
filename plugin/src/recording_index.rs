//! A context's recordings, newest first, kept by week: an upload rewrites its week's
//! record and the context's short list of weeks, and a page reads the weeks it shows.
//! In one record per context, every upload and every listing decoded all of the
//! context's recordings: with a thousand (a group that records its daily meeting, for a
//! few years) an upload cost 2.4 M instructions, and from about twelve thousand more
//! than a call's budget.
//!
//! Keys: a context's weeks `index/recording-weeks/<context>` (each week's number and
//! how many recordings it holds, oldest first); a week's recordings
//! `index/recordings-in-week/<week>/<context>` (the context last, so that no id can make
//! two keys alike). `index/recordings-of/<context>`, the one record earlier versions
//! kept, is moved into weeks the first time its context is read or written.

use crate::order;
use crate::prelude::*;

use crate::Meetkit;
use crate::due_list::{Due, Kept};
use crate::error::{MeetError, Result};
use crate::model::{Context, HOUR, Instant};
use crate::recording::RecordingFile;
use core::cmp::Ordering;

/// The span of one record: a week's record holds one week's recordings of a context
/// (dozens, however long its history), and the list of weeks grows by 52 entries a year.
const WEEK: Instant = 7 * 24 * HOUR;

fn weeks_key(context: &Context) -> String {
    format!("index/recording-weeks/{context}")
}

fn week_key(week: u32, context: &Context) -> String {
    format!("index/recordings-in-week/{week}/{context}")
}

/// The one record an earlier version kept of a context's recordings.
fn unsplit_key(context: &Context) -> String {
    format!("index/recordings-of/{context}")
}

/// Present once every recording of the store is in its context's index: a context
/// without an index then has no recordings, and is not looked for among the records.
const CONTEXTS_INDEXED: &str = "index/recordings-of-contexts-complete";

/// A context's weeks as stored: a layout byte, then for each week, oldest first, its
/// number and how many recordings it holds (u32 each, little-endian). Fixed widths, so
/// that an upload finds its week by halving and a listing reads back from the newest,
/// neither decoding the years before (decoded whole, a list of 240 weeks cost an upload
/// 200 k instructions).
const WEEKS_LAYOUT: u8 = 1;

/// A week's entry in [`WEEKS_LAYOUT`].
type WeekEntry = [u8; 8];

fn week_number(at: Instant) -> u32 {
    u32::try_from(at.div_euclid(WEEK).max(0)).unwrap_or(u32::MAX)
}

fn number(entry: &WeekEntry) -> u32 {
    u32::from_le_bytes([entry[0], entry[1], entry[2], entry[3]])
}

fn count(entry: &WeekEntry) -> u32 {
    u32::from_le_bytes([entry[4], entry[5], entry[6], entry[7]])
}

/// The entries of a context's weeks record.
fn weeks(record: Option<&[u8]>) -> Result<&[WeekEntry]> {
    match record {
        None => Ok(&[]),
        Some([WEEKS_LAYOUT, entries @ ..]) => match entries.as_chunks::<8>() {
            (weeks, []) => Ok(weeks),
            _ => Err(damaged()),
        },
        Some(_) => Err(damaged()),
    }
}

fn damaged() -> MeetError {
    MeetError::StoreFailure("a context's list of recordings by week is unreadable".into())
}

/// Newest first; of two uploaded at once, by id.
fn newest_first(a: &Due, b: &Due) -> Ordering {
    b.at.cmp(&a.at).then_with(|| a.id.cmp(&b.id))
}

impl Meetkit<'_> {
    /// Puts recording `id`, uploaded `at`, in `context`'s index. A recording indexed
    /// already changes nothing.
    pub(crate) fn index_in_context(&self, context: &Context, id: &str, at: Instant) -> Result<()> {
        self.context_indexed(context)?;
        self.add_to_weeks(context, vec![Due { id: id.into(), at }])
    }

    /// Entries `skip..skip + take` of `context`'s recordings, newest first, and how many
    /// it has. Only the weeks of those entries are read.
    pub(crate) fn context_recordings(
        &self,
        context: &Context,
        skip: usize,
        take: usize,
    ) -> Result<(Vec<Due>, u32)> {
        self.context_indexed(context)?;
        let record = self.store.get_bytes(&weeks_key(context))?;
        let weeks = weeks(record.as_deref())?;
        let total = weeks.iter().fold(0_u32, |n, w| n.saturating_add(count(w)));
        let (mut skip, mut page) = (skip, Vec::new());
        for week in weeks.iter().rev() {
            if page.len() == take {
                break;
            }
            let count = count(week) as usize;
            if skip >= count {
                skip -= count;
                continue;
            }
            let entries = order::sorted_by(self.store.due(&week_key(number(week), context))?, newest_first);
            page.extend(entries.into_iter().skip(skip).take(take - page.len()));
            skip = 0;
        }
        Ok((page, total))
    }

    /// Adds `entries` of `context` to their weeks, one write a week (none for a week
    /// that has them all), then counts them in the context's list of weeks.
    fn add_to_weeks(&self, context: &Context, entries: Vec<Due>) -> Result<()> {
        let entries = order::sorted_by(entries, |a, b| week_number(a.at).cmp(&week_number(b.at)));
        let mut counted: Vec<(u32, u32)> = Vec::new();
        for week in entries.chunk_by(|a, b| week_number(a.at) == week_number(b.at)) {
            let number = week_number(week[0].at);
            // A recording's upload time never changes: setting its entry again keeps it.
            let entries: Vec<_> = week.iter().map(|d| (d.id.clone(), Some(d.at))).collect();
            let count = self.store.set_dues(&week_key(number, context), &entries, Kept::AsAdded)?;
            counted.push((number, u32::try_from(count).unwrap_or(u32::MAX)));
        }
        // A week's count only grows, so of two uploads counting at once the larger count
        // stands, whichever writes last.
        self.store.update_bytes(&weeks_key(context), |current| {
            let mut record = match current {
                Some(bytes) => bytes.to_vec(),
                None => vec![WEEKS_LAYOUT],
            };
            let mut changed = false;
            for &(n, c) in &counted {
                let entries = weeks(Some(&record))?;
                let at = 1 + 8 * entries.partition_point(|w| number(w) < n);
                match entries.get((at - 1) / 8) {
                    Some(w) if number(w) == n && count(w) >= c => continue,
                    Some(w) if number(w) == n => record[at + 4..at + 8].copy_from_slice(&c.to_le_bytes()),
                    _ => {
                        let mut entry = n.to_le_bytes().to_vec();
                        entry.extend(c.to_le_bytes());
                        record.splice(at..at, entry);
                    }
                }
                changed = true;
            }
            Ok(changed.then_some(record))
        })
    }

    /// Makes sure `context`'s recordings are in its weeks: those of a store written
    /// before there were indexes, and those in the one record of an earlier version.
    fn context_indexed(&self, context: &Context) -> Result<()> {
        self.contexts_indexed()?;
        let key = unsplit_key(context);
        if self.store.get_bytes(&key)?.is_none() {
            return Ok(());
        }
        self.add_to_weeks(context, self.store.due(&key)?)?;
        // Removed once its entries are in their weeks: a call stopped before moves them again.
        self.store.delete(&key)
    }

    /// Makes sure every recording is in its context's index. A store written before the
    /// indexes existed gets them from its records, in one pass, once; after that a
    /// context's listing never reads other records.
    fn contexts_indexed(&self) -> Result<()> {
        if self.store.get::<bool>(CONTEXTS_INDEXED)?.is_some() {
            return Ok(());
        }
        // Grouped by sorting, not by searching: a store may hold many recordings.
        let found = order::sorted_by(self.store.scan::<RecordingFile>("recording/")?, |a, b| {
            a.context.to_string().cmp(&b.context.to_string())
        });
        for context in found.chunk_by(|a, b| a.context == b.context) {
            let entries = context.iter().map(|r| Due { id: r.id.clone(), at: r.uploaded_at }).collect();
            self.add_to_weeks(&context[0].context, entries)?;
        }
        self.store.put(CONTEXTS_INDEXED, &true)
    }
}
