//! The overview's index: per host, one record with a row per meeting holding what the
//! overview filters and sorts on. A listing reads one record per host and decodes the
//! rows in place (strings borrowed, not copied), then loads only the page it shows.

use crate::prelude::*;

use crate::Meetkit;
use crate::collation;
use crate::error::Result;
use crate::model::{Instant, MINUTE, Window};
use crate::overview::{Appointment, MediaCheck, SETTLE_AFTER, SOON, SortKey, Status};
use alloc::borrow::Cow;
use core::cmp::Ordering;
use serde::{Deserialize, Serialize};

/// The events and times a meeting's status and media check are derived from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub start: Option<Instant>,
    pub first_proposed: Option<Instant>,
    /// For a meeting waiting for its guest to pick a slot: the last slot there is. Once
    /// it has begun no slot can be picked, and the meeting is missed.
    pub last_slot: Option<Instant>,
    pub created_at: Instant,
    pub duration_mins: u32,
    pub cancelled: bool,
    pub host_entered: Option<Instant>,
    pub host_ended: Option<Instant>,
    pub guest_entered: Option<Instant>,
    pub check: Option<bool>,
    pub connection_failed: bool,
}

impl Facts {
    /// The date the overview sorts and files a meeting by.
    #[inline(always)]
    pub fn date(&self) -> Instant {
        self.start.or(self.first_proposed).unwrap_or(self.created_at)
    }

    #[inline(always)]
    pub fn duration(&self) -> Instant {
        i64::from(self.duration_mins) * MINUTE
    }

    /// When missed, failed and completed are decided.
    #[inline(always)]
    pub fn settles_at(&self) -> Instant {
        self.date() + self.duration() + SETTLE_AFTER
    }

    #[inline(always)]
    pub fn media_check(&self) -> MediaCheck {
        // A check taken by a guest who has not entered shows once they enter.
        match (self.guest_entered, self.check) {
            (None, _) => MediaCheck::NotEntered,
            (Some(_), Some(true)) => MediaCheck::Passed,
            (Some(_), Some(false)) => MediaCheck::Failed,
            (Some(_), None) => MediaCheck::Entered,
        }
    }

    #[inline(always)]
    pub fn live(&self, now: Instant) -> bool {
        self.host_entered.is_some() && self.host_ended.is_none() && now < self.settles_at()
    }

    /// The status at `now`.
    #[inline(always)]
    pub fn status(&self, now: Instant) -> Status {
        if self.cancelled {
            return Status::Cancelled;
        }
        let Some(start) = self.start else {
            return if self.slots_passed(now) { Status::Missed } else { Status::Planning };
        };
        if self.live(now) {
            return Status::Live;
        }
        if now < self.settles_at() {
            // Not settled: a meeting the host ended has its outcome already; any other
            // whose time has come but that is not live stays "scheduled" until it settles
            // (a late entry may still complete it).
            if let Some(outcome) = self.taken_place() {
                return outcome;
            }
            // "Starting soon" from an hour before until the planned end: a meeting whose
            // time has come and that nobody has entered yet is still about to start.
            let due = now + SOON >= start && now < start + self.duration();
            return if due { Status::StartingSoon } else { Status::Scheduled };
        }
        // A party that never entered makes the meeting missed, whatever befell the other:
        // it could not have taken place. Failed is for a meeting both came to.
        if self.host_entered.is_none() || self.guest_entered.is_none() {
            Status::Missed
        } else if self.check == Some(false) || self.connection_failed {
            Status::Failed
        } else {
            Status::Completed
        }
    }

    /// The outcome of a meeting the host has ended before it settles: missed when the
    /// guest never came (a guest may not enter after the host ended it), failed when its
    /// media check or connection failed, else completed. The host entering again makes
    /// it live again, so none of these is final before the meeting settles.
    #[inline(always)]
    fn taken_place(&self) -> Option<Status> {
        if self.host_ended.is_none() || self.host_entered.is_none() {
            None
        } else if self.guest_entered.is_none() {
            Some(Status::Missed)
        } else if self.check == Some(false) || self.connection_failed {
            Some(Status::Failed)
        } else {
            Some(Status::Completed)
        }
    }

    /// Whether the meeting waited for a slot to be picked until none was left.
    #[inline(always)]
    fn slots_passed(&self, now: Instant) -> bool {
        self.last_slot.is_some_and(|last| now >= last)
    }

    /// Whether the meeting belongs to "upcoming" (not settled and not ended by its host, or
    /// waiting for a slot that can still be picked); a cancelled one until its planned
    /// end, as nothing about it is left to settle.
    #[inline(always)]
    pub fn upcoming(&self, now: Instant) -> bool {
        if self.cancelled {
            return now < self.date() + self.duration();
        }
        if self.start.is_none() {
            return !self.slots_passed(now);
        }
        now < self.settles_at() && self.taken_place().is_none()
    }
}

/// A meeting's row in its host's index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IndexRow {
    facts: Facts,
    /// id, guest name, guest e-mail, guest key, meeting type, details.
    texts: [String; 6],
}

mod layout;
mod window;

use layout::{DETAILS, GUEST_EMAIL, GUEST_KEY, GUEST_NAME, ID, MEETING_TYPE};
use window::{Key, NEAR_TOP, Primary, text, window};

/// The record to write when it had to be converted from the first layout; none when it
/// is stored as it should be.
fn owned(record: Cow<'_, [u8]>) -> Option<Vec<u8>> {
    match record {
        Cow::Borrowed(_) => None,
        Cow::Owned(bytes) => Some(bytes),
    }
}

fn index_key(host: &str) -> String {
    format!("overview/{host}")
}

impl From<&Appointment> for IndexRow {
    fn from(a: &Appointment) -> Self {
        let guest = a.guests.first();
        IndexRow {
            facts: a.facts(),
            texts: [
                a.id.clone(),
                guest.map(|g| g.name.clone()).unwrap_or_default(),
                guest.map(|g| g.email.clone()).unwrap_or_default(),
                a.guest_key.clone(),
                a.meeting_type.clone(),
                a.details.clone(),
            ],
        }
    }
}

impl Meetkit<'_> {
    /// Puts the meeting's row in its host's index (and out of `old_host`'s). The row is
    /// built from the stored record at each attempt (from `a` only before it is stored),
    /// so that of two changes racing, the index ends with the later one. The new host's
    /// index comes first: a change cut short in between lists the meeting twice for a
    /// while (until the tick, see `overview_reindex`), never nowhere.
    pub(crate) fn reindex(&self, a: &Appointment, old_host: Option<&str>) -> Result<()> {
        self.settle_row(a, &a.host)?;
        match old_host.filter(|h| *h != a.host) {
            Some(old) => self.settle_row(a, old),
            None => Ok(()),
        }
    }

    /// Makes `host`'s index agree with the stored record of `a`: its row there, as it is
    /// now, if `host` hosts it, and none otherwise. A write decided on a record that a
    /// racing change has since given another host is followed by another look: the
    /// compare-and-swap guards the index record only, and the other change's own look
    /// may have found nothing to do before this write landed.
    fn settle_row(&self, a: &Appointment, host: &str) -> Result<()> {
        let stored = || -> Result<Appointment> {
            Ok(self
                .store
                .get::<Appointment>(&crate::overview::appointment_key(&a.id))?
                .unwrap_or_else(|| a.clone()))
        };
        for _ in 0..crate::store::MAX_ATTEMPTS {
            let mut wrote = None;
            // Rows are spliced in and out of the record's bytes: a change costs one copy
            // of the record, whatever the number of meetings the host has.
            self.store.update_bytes(&index_key(host), |record| {
                let current = stored()?;
                let hosted = current.host == host;
                let record = match record {
                    Some(record) => layout::upgraded(record)?,
                    None if hosted => Cow::Borrowed(&[layout::VERSION][..]),
                    None => return Ok(None),
                };
                let mut row = Vec::new();
                if hosted {
                    layout::encode_row(&mut row, &IndexRow::from(&current));
                }
                let bytes = match layout::find(&record, &a.id)? {
                    Some(span) if hosted && record[span.clone()] == row[..] => owned(record),
                    Some(span) => Some(layout::splice(&record, span, &row)),
                    None if hosted => Some([&record, &row[..]].concat()),
                    // A record in the first layout is written in the current one anyway.
                    None => owned(record),
                };
                wrote = bytes.is_some().then_some(hosted);
                Ok(bytes)
            })?;
            match wrote {
                Some(hosted) if (stored()?.host == host) != hosted => continue,
                _ => return Ok(()),
            }
        }
        Err(crate::error::MeetError::StoreFailure(format!(
            "the overview's index of {host} kept changing under meeting {}",
            a.id
        )))
    }

    /// The index record of `host`, in the current layout (converted as it is read, while
    /// it is stored in the first one).
    fn index_record(&self, host: &str) -> Result<Option<Vec<u8>>> {
        let Some(bytes) = self.store.get_bytes(&index_key(host))? else { return Ok(None) };
        Ok(Some(match layout::upgraded(&bytes)? {
            Cow::Borrowed(_) => bytes,
            Cow::Owned(upgraded) => upgraded,
        }))
    }

    /// Whether `host` hosts a meeting other than `except`, not cancelled, that holds
    /// their time in one of `windows` at `now` (see [`Appointment::held`]). Reads the
    /// host's index in place and stops at the first overlap; a meeting whose guest has
    /// not picked a slot yet is read whole when the span of its slots overlaps (or, in a
    /// row written before rows carried their last slot, always), to check each slot.
    pub(crate) fn busy_between(
        &self,
        host: &str,
        except: Option<&str>,
        windows: &[Window],
        now: Instant,
    ) -> Result<bool> {
        let Some(record) = self.index_record(host)? else { return Ok(false) };
        for row in layout::rows(&record)? {
            let row = row?;
            let f = row.facts();
            // Without a start, a meeting waits for its guest to pick (see `Facts::status`).
            let planning = f.start.is_none();
            let span = Window { from: f.date(), to: f.last_slot.unwrap_or(f.date()) + f.duration() };
            let span_known = !planning || f.last_slot.is_some();
            // The cheap tests first: most rows are far from the time asked.
            if f.cancelled
                || span_known && !span.overlaps_any(windows)
                || except.is_some_and(|e| row.text(ID) == e.as_bytes())
            {
                continue;
            }
            if !planning {
                return Ok(true);
            }
            // The record decides: the row may be a step behind a change cut short (see
            // `overview_reindex`). One without a record counts as its row says.
            let key = crate::overview::appointment_key(&String::from_utf8_lossy(row.text(ID)));
            let held = |a: &Appointment| {
                !a.cancelled && a.host == host && a.held(now).iter().any(|slot| slot.overlaps_any(windows))
            };
            if self.store.get::<Appointment>(&key)?.as_ref().is_none_or(held) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The facts of every meeting `host` hosts, by id.
    #[cfg(test)]
    pub(crate) fn hosted(&self, host: &str) -> Result<Vec<(String, Facts)>> {
        let Some(record) = self.index_record(host)? else { return Ok(Vec::new()) };
        layout::rows(&record)?
            .map(|row| row.map(|row| (String::from_utf8_lossy(row.text(ID)).into_owned(), row.facts())))
            .collect()
    }

    /// The ids of one page of the meetings of `hosts`, filtered and sorted, and the total.
    pub(crate) fn overview_page(&self, listing: &Listing<'_>) -> Result<(Vec<String>, usize)> {
        let page = self.page_once(listing)?;
        if page.stale.is_empty() {
            return Ok((page.ids, page.total));
        }
        // Rows written before waiting meetings carried their last slot are written again
        // from their records, once, and the page is read again.
        let mut rewritten = false;
        for id in &page.stale {
            // A row without a record (see `schedule`) stays as it is: listings skip it.
            if let Some(a) = self.store.get::<Appointment>(&crate::overview::appointment_key(id))? {
                self.reindex(&a, None)?;
                rewritten = true;
            }
        }
        let page = if rewritten { self.page_once(listing)? } else { page };
        Ok((page.ids, page.total))
    }

    /// For each of `hosts`, its place among them by name, as people sort names (equal
    /// names share a place).
    fn ranked_by_name<'h>(&self, hosts: impl Iterator<Item = &'h str>) -> Vec<i64> {
        let names: Vec<String> = hosts.map(|h| self.name_of(h)).collect();
        let by_name = |a: &usize, b: &usize| collation::compare(names[*a].as_bytes(), names[*b].as_bytes());
        let sorted = crate::order::sorted_by((0..names.len()).collect(), by_name);
        let mut ranks = vec![0; names.len()];
        for k in 1..sorted.len() {
            let (before, this) = (sorted[k - 1], sorted[k]);
            ranks[this] = if by_name(&before, &this) == Ordering::Equal { ranks[before] } else { k as i64 };
        }
        ranks
    }

    fn page_once(&self, listing: &Listing<'_>) -> Result<IndexPage> {
        let Listing { hosts, upcoming, sort, descending, skip, take } = *listing;
        let now = self.host.now();
        let mut records: Vec<(&str, Vec<u8>)> = Vec::new();
        for host in hosts {
            if let Some(bytes) = self.index_record(host)? {
                records.push((host, bytes));
            }
        }
        // Sorted by host, a row's key is its host's place among the hosts by name.
        let host_rank: Vec<i64> = match sort {
            SortKey::Host => self.ranked_by_name(records.iter().map(|(h, _)| *h)),
            _ => Vec::new(),
        };
        // Each row's sort key is computed once, when it streams past; the kept rows keep
        // theirs, so a comparison never decodes a row again.
        let order = |a: &Key<'_>, b: &Key<'_>| {
            let by = match (&a.primary, &b.primary) {
                (Primary::Number(x), Primary::Number(y)) => x.cmp(y),
                (Primary::Text(x), Primary::Text(y)) => x.cmp(y),
                (Primary::Exact(x), Primary::Exact(y)) => x.cmp(y),
                _ => Ordering::Equal,
            };
            let by = if descending { by.reverse() } else { by };
            // Ties: upcoming, the nearest first; past, the most recent first; then by id,
            // so that pages never overlap.
            let by_date = if upcoming { a.date.cmp(&b.date) } else { b.date.cmp(&a.date) };
            by.then(by_date).then_with(|| a.id.cmp(b.id))
        };
        // Near the top (where people look), keep only the best `end` rows, in order, as
        // they stream past: a comparison per row, not a sort of them all.
        let end = skip.saturating_add(take);
        let near_top = end <= NEAR_TOP;
        let mut best: Vec<Key<'_>> = Vec::new();
        let mut total = 0;
        let mut stale = Vec::new();
        for (i, (_, bytes)) in records.iter().enumerate() {
            layout::each_row(bytes, |row| {
                let facts = row.facts();
                // (A cancelled one's status does not depend on its slots.)
                if facts.start.is_none()
                    && facts.last_slot.is_none()
                    && facts.first_proposed.is_some()
                    && !facts.cancelled
                {
                    stale.push(String::from_utf8_lossy(row.text(ID)).into_owned());
                }
                if facts.upcoming(now) != upcoming {
                    return;
                }
                total += 1;
                let primary = match sort {
                    SortKey::Date => Primary::Number(facts.date()),
                    SortKey::GuestName => text(row.text(GUEST_NAME)),
                    SortKey::GuestEmail => text(row.text(GUEST_EMAIL)),
                    SortKey::GuestKey => Primary::Exact(row.text(GUEST_KEY)),
                    SortKey::MediaCheck => Primary::Number(facts.media_check() as i64),
                    SortKey::MeetingType => text(row.text(MEETING_TYPE)),
                    SortKey::Details => text(row.text(DETAILS)),
                    SortKey::Status => Primary::Number(facts.status(now) as i64),
                    SortKey::Host => Primary::Number(host_rank[i]),
                };
                let key = Key { primary, date: facts.date(), id: row.text(ID) };
                if !near_top {
                    best.push(key);
                    return;
                }
                if best.len() == end && best.last().is_some_and(|worst| order(&key, worst) != Ordering::Less)
                {
                    return;
                }
                let at = best.partition_point(|kept| order(kept, &key) == Ordering::Less);
                best.insert(at, key);
                best.truncate(end);
            })?;
        }
        let page = if near_top {
            best.split_off(skip.min(best.len()))
        } else {
            window(best, skip, take, descending, order)
        };
        let ids = page.into_iter().map(|k| String::from_utf8_lossy(k.id).into_owned()).collect();
        Ok(IndexPage { ids, total, stale })
    }
}

/// Which page of which meetings a listing asks the index for.
#[derive(Clone, Copy)]
pub(crate) struct Listing<'a> {
    /// The hosts whose meetings are listed.
    pub hosts: &'a [String],
    /// Upcoming meetings, or past ones.
    pub upcoming: bool,
    pub sort: SortKey,
    pub descending: bool,
    /// Rows before the page.
    pub skip: usize,
    /// Rows on the page.
    pub take: usize,
}

/// One page read from the index: its ids, the total, and the ids of rows written before
/// the `WAITING` flag existed.
struct IndexPage {
    ids: Vec<String>,
    total: usize,
    stale: Vec<String>,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{Licence, UserKind};
    use crate::overview::Guest;
    use crate::testing::{FakeHost, MemoryKv};

    pub(crate) fn appointment(i: usize, host: &str) -> Appointment {
        // Spread dates, names and states so that every column has ties and non-ties (a
        // date is shared by nine meetings of 900).
        let start = 1_800_000_000_000 + ((i * 7919) % 97) as i64 * 3_600_000;
        Appointment {
            id: format!("a{i:05}"),
            host: host.into(),
            guests: vec![Guest {
                // Some names are not ASCII: a listing sorted by them selects its window
                // without narrowing it down by their leading bytes.
                name: format!("{} {}", if i.is_multiple_of(50) { "Émile" } else { "Guest" }, (i * 31) % 97),
                email: format!("g{i}@x.example"),
                phone: None,
            }],
            guest_key: format!("k{:08x}", (i * 2_654_435_761) % 1_000_000_007),
            meeting_type: ["Intake", "review", "Demo"][i % 3].into(),
            details: format!("{}", (i * 13) % 17),
            description: String::new(),
            review: None,
            summary: None,
            zone: "UTC".into(),
            start: (!i.is_multiple_of(11)).then_some(start),
            proposed: if i.is_multiple_of(11) { vec![start] } else { Vec::new() },
            duration_mins: 30,
            reason: None,
            sequence: 0,
            cancelled: i.is_multiple_of(13),
            host_entered: i.is_multiple_of(5).then_some(start),
            host_ended: None,
            guest_entered: i.is_multiple_of(7).then_some(start),
            check: i.is_multiple_of(14).then_some(i.is_multiple_of(28)),
            connection_failed: false,
            meeting: None,
            created_at: 1_790_000_000_000,
        }
    }

    /// A meeting's row follows it to its new host, changes in place and leaves the other
    /// rows as they were.
    #[test]
    fn rows_move_between_hosts_and_change_in_place() {
        use crate::host::Kv as _;
        let host = FakeHost::new(Licence::X20Advanced);
        let kv = MemoryKv::default();
        let mk = Meetkit::new(&host, &kv);
        let all: Vec<Appointment> = (1..=3).map(|i| appointment(i, "h0")).collect();
        for a in &all {
            mk.reindex(a, None).unwrap();
        }
        let ids = |h: &str| mk.hosted(h).unwrap().into_iter().map(|(id, _)| id).collect::<Vec<_>>();
        assert_eq!(ids("h0"), ["a00001", "a00002", "a00003"]);

        let mut moved = all[1].clone();
        moved.host = "h1".into();
        mk.store.put(&crate::overview::appointment_key(&moved.id), &moved).unwrap();
        mk.reindex(&moved, Some("h0")).unwrap();
        assert_eq!(ids("h0"), ["a00001", "a00003"]);
        assert_eq!(ids("h1"), ["a00002"]);

        let mut changed = all[0].clone();
        changed.start = Some(42);
        changed.details = "a longer text than before".into();
        mk.store.put(&crate::overview::appointment_key(&changed.id), &changed).unwrap();
        let before = kv.get(&index_key("h0")).unwrap();
        mk.reindex(&changed, None).unwrap();
        let hosted = mk.hosted("h0").unwrap();
        assert_eq!(hosted.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(), ["a00001", "a00003"]);
        assert_eq!(hosted[0].1.start, Some(42));
        assert_eq!(hosted[1].1, all[2].facts());
        // The same row again writes nothing.
        let after = kv.get(&index_key("h0")).unwrap();
        assert_ne!(before, after);
        mk.reindex(&changed, None).unwrap();
        assert_eq!(kv.get(&index_key("h0")).unwrap(), after);
    }

    /// A record in the first layout, where each text follows its length.
    fn length_prefixed(rows: &[&IndexRow]) -> Vec<u8> {
        let mut record = vec![layout::LENGTH_PREFIXED];
        for row in rows {
            let mut current = Vec::new();
            layout::encode_row(&mut current, row);
            record.extend_from_slice(&current[..layout::FIXED]);
            for text in &row.texts {
                record.extend_from_slice(&(text.len() as u16).to_le_bytes());
                record.extend_from_slice(text.as_bytes());
            }
        }
        record
    }

    /// A meeting whose guest has not picked a slot yet is checked slot by slot from its
    /// record, even in a row written before rows carried the last slot; and the record,
    /// not a row a step behind it, says who hosts it.
    #[test]
    fn a_planning_row_holds_its_host_as_its_record_says() {
        use crate::model::HOUR;
        let host = FakeHost::new(Licence::X20Advanced);
        let kv = MemoryKv::default();
        let mk = Meetkit::new(&host, &kv);
        let now = host.now.get();
        let mut a = appointment(1, "h0");
        (a.start, a.cancelled, a.proposed) = (None, false, vec![now + HOUR, now + 3 * HOUR]);
        mk.store.put(&crate::overview::appointment_key(&a.id), &a).unwrap();
        let mut row = IndexRow::from(&a);
        row.facts.last_slot = None;
        mk.store.update_bytes(&index_key("h0"), |_| Ok(Some(length_prefixed(&[&row])))).unwrap();
        let busy_at =
            |from: Instant| mk.busy_between("h0", None, &[Window { from, to: from + 1 }], now).unwrap();
        assert!(busy_at(now + HOUR) && busy_at(now + 3 * HOUR), "both slots");
        assert!(!busy_at(now + 2 * HOUR), "between them");

        a.host = "h1".into();
        mk.store.put(&crate::overview::appointment_key(&a.id), &a).unwrap();
        assert!(!busy_at(now + 3 * HOUR), "given to h1, whose row h0's index still has");
    }

    /// A record in the first layout lists, finds and changes its rows like any other, and
    /// is stored in the current layout once changed.
    #[test]
    fn records_in_the_first_layout_are_read_and_rewritten() {
        use crate::host::Kv as _;
        let host = FakeHost::new(Licence::X20Advanced);
        let kv = MemoryKv::default();
        let mk = Meetkit::new(&host, &kv);
        let all: Vec<Appointment> = (1..=3).map(|i| appointment(i, "h0")).collect();
        let rows: Vec<IndexRow> = all.iter().map(IndexRow::from).collect();
        let record = length_prefixed(&rows.iter().collect::<Vec<_>>());
        mk.store.update_bytes(&index_key("h0"), |_| Ok(Some(record.clone()))).unwrap();
        let hosted = mk.hosted("h0").unwrap();
        let expected: Vec<(String, Facts)> = all.iter().map(|a| (a.id.clone(), a.facts())).collect();
        assert_eq!(hosted, expected);
        let at = all[1].facts().date();
        assert!(mk.busy_between("h0", None, &[Window { from: at, to: at + 1 }], host.now.get()).unwrap());

        let mut changed = all[1].clone();
        changed.guest_key = "a new key".into();
        mk.store.put(&crate::overview::appointment_key(&changed.id), &changed).unwrap();
        mk.reindex(&changed, None).unwrap();
        let stored = kv.get(&index_key("h0")).unwrap().unwrap();
        assert_eq!(stored[0], layout::VERSION);
        let hosts = ["h0".to_string()];
        let listing = Listing {
            hosts: &hosts,
            upcoming: all[1].facts().upcoming(host.now.get()),
            sort: SortKey::GuestKey,
            descending: false,
            skip: 0,
            take: 1,
        };
        assert_eq!(mk.overview_page(&listing).unwrap().0, [changed.id.clone()]);
        assert_eq!(mk.hosted("h0").unwrap().len(), 3);
    }

    /// A row written before rows carried the last proposed slot is written again from its
    /// record when a listing meets it, so that the meeting is missed once its slots passed.
    #[test]
    fn rows_from_before_the_last_slot_are_brought_up_to_date() {
        let host = FakeHost::new(Licence::X20Advanced);
        let kv = MemoryKv::default();
        let mk = Meetkit::new(&host, &kv);
        let mut a = appointment(1, "h0");
        a.start = None;
        a.cancelled = false;
        a.host_entered = None;
        a.guest_entered = None;
        a.proposed = vec![host.now.get() + 1000, host.now.get() + 2000];
        mk.store.put(&crate::overview::appointment_key(&a.id), &a).unwrap();
        let mut old = IndexRow::from(&a);
        old.facts.last_slot = None;
        let record = length_prefixed(&[&old]);
        mk.store.update_bytes(&index_key("h0"), |_| Ok(Some(record.clone()))).unwrap();
        assert_eq!(mk.hosted("h0").unwrap()[0].1.last_slot, None);

        host.now.set(host.now.get() + 2000);
        let hosts = ["h0".to_string()];
        let page = |upcoming| {
            let listing = Listing {
                hosts: &hosts,
                upcoming,
                sort: SortKey::Date,
                descending: false,
                skip: 0,
                take: 20,
            };
            mk.overview_page(&listing).unwrap()
        };
        assert_eq!(page(true), (vec![], 0));
        assert_eq!(page(false), (vec![a.id.clone()], 1));
        assert_eq!(mk.hosted("h0").unwrap()[0].1, a.facts());
        assert_eq!(a.facts().status(host.now.get()), Status::Missed);
    }

    /// Pages read from the index are the same as a full sort of every appointment.
    #[test]
    fn pages_match_a_full_sort_for_every_column() {
        // With every name ASCII, a deep page sorted by name is narrowed down by the names'
        // first bytes; with some not, it is selected among all rows.
        for accented in [false, true] {
            let host = FakeHost::new(Licence::X20Advanced);
            let kv = MemoryKv::default();
            let mk = Meetkit::new(&host, &kv);
            let hosts = ["h0", "h1", "h2"];
            let all: Vec<Appointment> = (0..900)
                .map(|i| {
                    let mut a = appointment(i, hosts[i % 3]);
                    if !accented {
                        a.guests[0].name = a.guests[0].name.replace("Émile", "Emile");
                    }
                    a
                })
                .collect();
            for a in &all {
                mk.reindex(a, None).unwrap();
            }
            let now = host.now.get();
            for sort in [
                SortKey::Date,
                SortKey::GuestName,
                SortKey::GuestEmail,
                SortKey::GuestKey,
                SortKey::MediaCheck,
                SortKey::MeetingType,
                SortKey::Details,
                SortKey::Status,
            ] {
                for descending in [false, true] {
                    for upcoming in [true, false] {
                        let mut expected: Vec<&Appointment> =
                            all.iter().filter(|a| a.facts().upcoming(now) == upcoming).collect();
                        let key = |a: &Appointment| -> (Vec<u8>, i64) {
                            let f = a.facts();
                            let lower = |s: &str| -> Vec<u8> {
                                crate::collation::folded(s.as_bytes()).flat_map(u32::to_be_bytes).collect()
                            };
                            let k = match sort {
                                SortKey::Date => f.date().to_be_bytes().to_vec(),
                                SortKey::GuestName => lower(&a.guests[0].name),
                                SortKey::GuestEmail => lower(&a.guests[0].email),
                                SortKey::GuestKey => a.guest_key.clone().into_bytes(),
                                SortKey::MediaCheck => vec![f.media_check() as u8],
                                SortKey::MeetingType => lower(&a.meeting_type),
                                SortKey::Details => lower(&a.details),
                                SortKey::Status => vec![f.status(now) as u8],
                                SortKey::Host => unreachable!(),
                            };
                            (k, f.date())
                        };
                        expected.sort_by(|a, b| {
                            let (ka, da) = key(a);
                            let (kb, db) = key(b);
                            let by = ka.cmp(&kb);
                            let by = if descending { by.reverse() } else { by };
                            let by_date = if upcoming { da.cmp(&db) } else { db.cmp(&da) };
                            by.then(by_date).then(a.id.cmp(&b.id))
                        });
                        let expected: Vec<String> = expected.iter().map(|a| a.id.clone()).collect();
                        for (skip, take) in
                            [(0, 20), (20, 20), (90, 20), (400, 20), (expected.len().saturating_sub(5), 20)]
                        {
                            let (ids, total) = mk
                                .overview_page(&Listing {
                                    hosts: &hosts.map(String::from),
                                    upcoming,
                                    sort,
                                    descending,
                                    skip,
                                    take,
                                })
                                .unwrap();
                            assert_eq!(total, expected.len());
                            let want: Vec<String> = expected.iter().skip(skip).take(take).cloned().collect();
                            assert_eq!(
                                ids, want,
                                "{sort:?} descending={descending} upcoming={upcoming} skip={skip}"
                            );
                        }
                    }
                }
            }
        }
        let _ = UserKind::Internal;
    }
}

#[cfg(test)]
mod profile {
    use super::*;
    use crate::testing::{FakeHost, MemoryKv};

    #[test]
    #[ignore]
    fn list_ten_thousand() {
        let host = FakeHost::new(crate::model::Licence::X20Advanced);
        let kv = MemoryKv::default();
        let mk = Meetkit::new(&host, &kv);
        for i in 0..10_000 {
            mk.reindex(&super::tests::appointment(i, &format!("h{}", i % 10)), None).unwrap();
        }
        let hosts: Vec<String> = (0..10).map(|h| format!("h{h}")).collect();
        let listing = Listing {
            hosts: &hosts,
            upcoming: true,
            sort: SortKey::Date,
            descending: true,
            skip: 0,
            take: 20,
        };
        let (ids, total) = mk.overview_page(&listing).unwrap();
        assert_eq!(ids.len(), 20);
        assert!(total > 0);
    }
}
