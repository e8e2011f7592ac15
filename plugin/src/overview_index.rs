//! The overview's index: per host, one record with a row per meeting holding what the
//! overview filters and sorts on. A listing reads one record per host and decodes the
//! rows in place (strings borrowed, not copied), then loads only the page it shows.

use crate::Meetkit;
use crate::error::{MeetError, Result};
use crate::model::{Instant, MINUTE};
use crate::overview::{Appointment, MediaCheck, SETTLE_AFTER, SOON, SortKey, Status};
use crate::store::Update;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// The events and times a meeting's status and media check are derived from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facts {
    pub start: Option<Instant>,
    pub first_proposed: Option<Instant>,
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
    pub fn date(&self) -> Instant {
        self.start.or(self.first_proposed).unwrap_or(self.created_at)
    }

    pub fn duration(&self) -> Instant {
        i64::from(self.duration_mins) * MINUTE
    }

    /// When missed, failed and completed are decided.
    pub fn settles_at(&self) -> Instant {
        self.date() + self.duration() + SETTLE_AFTER
    }

    pub fn media_check(&self) -> MediaCheck {
        match (self.guest_entered, self.check) {
            (None, None) => MediaCheck::NotEntered,
            (_, Some(true)) => MediaCheck::Passed,
            (_, Some(false)) => MediaCheck::Failed,
            (Some(_), None) => MediaCheck::Entered,
        }
    }

    pub fn live(&self, now: Instant) -> bool {
        self.host_entered.is_some() && self.host_ended.is_none() && now < self.settles_at()
    }

    /// The status at `now`.
    pub fn status(&self, now: Instant) -> Status {
        if self.cancelled {
            return Status::Cancelled;
        }
        let Some(start) = self.start else { return Status::Planning };
        if self.live(now) {
            return Status::Live;
        }
        if now < self.settles_at() {
            // Not settled: a meeting whose time has come but that is not live stays
            // "scheduled" until it settles (a late entry may still complete it).
            return if now < start && start - now <= SOON { Status::StartingSoon } else { Status::Scheduled };
        }
        let entered = self.guest_entered.is_some() || self.host_entered.is_some();
        if entered && (self.check == Some(false) || self.connection_failed) {
            Status::Failed
        } else if self.host_entered.is_some() && self.guest_entered.is_some() {
            Status::Completed
        } else {
            Status::Missed
        }
    }

    /// Whether the meeting belongs to "upcoming" (not settled, or waiting for a slot).
    pub fn upcoming(&self, now: Instant) -> bool {
        self.start.is_none() && !self.cancelled || now < self.settles_at()
    }
}

/// A meeting's row in its host's index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct IndexRow {
    id: String,
    guest_name: String,
    guest_email: String,
    guest_key: String,
    meeting_type: String,
    details: String,
    facts: Facts,
}

/// The same row, read in place.
#[derive(Debug, Deserialize)]
struct RowRef<'a> {
    id: &'a str,
    guest_name: &'a str,
    guest_email: &'a str,
    guest_key: &'a str,
    meeting_type: &'a str,
    details: &'a str,
    facts: Facts,
}

fn index_key(host: &str) -> String {
    format!("overview/{host}")
}

impl From<&Appointment> for IndexRow {
    fn from(a: &Appointment) -> Self {
        let guest = a.guests.first();
        IndexRow {
            id: a.id.clone(),
            guest_name: guest.map(|g| g.name.clone()).unwrap_or_default(),
            guest_email: guest.map(|g| g.email.clone()).unwrap_or_default(),
            guest_key: a.guest_key.clone(),
            meeting_type: a.meeting_type.clone(),
            details: a.details.clone(),
            facts: a.facts(),
        }
    }
}

/// Case-insensitive order without allocating.
fn folded(a: &str, b: &str) -> Ordering {
    a.chars().flat_map(char::to_lowercase).cmp(b.chars().flat_map(char::to_lowercase))
}

impl Meetkit<'_> {
    /// Puts the meeting's current row in its host's index (and out of `old_host`'s).
    pub(crate) fn reindex(&self, a: &Appointment, old_host: Option<&str>) -> Result<()> {
        if let Some(old) = old_host.filter(|h| *h != a.host) {
            self.store.update(&index_key(old), |rows: Option<Vec<IndexRow>>| {
                let mut rows = rows.unwrap_or_default();
                rows.retain(|r| r.id != a.id);
                Ok(Update::Write(rows, ()))
            })?;
        }
        let row = IndexRow::from(a);
        self.store.update(&index_key(&a.host), |rows: Option<Vec<IndexRow>>| {
            let mut rows = rows.unwrap_or_default();
            match rows.iter_mut().find(|r| r.id == row.id) {
                Some(r) if *r == row => return Ok(Update::Keep(())),
                Some(r) => *r = row.clone(),
                None => rows.push(row.clone()),
            }
            Ok(Update::Write(rows, ()))
        })
    }

    /// The facts of every meeting `host` hosts, by id.
    pub(crate) fn hosted(&self, host: &str) -> Result<Vec<(String, Facts)>> {
        let rows: Vec<IndexRow> = self.store.get(&index_key(host))?.unwrap_or_default();
        Ok(rows.into_iter().map(|r| (r.id, r.facts)).collect())
    }

    /// The ids of one page of the meetings of `hosts`, filtered and sorted, and the total.
    pub(crate) fn overview_page(
        &self,
        hosts: impl IntoIterator<Item = String>,
        upcoming: bool,
        sort: SortKey,
        descending: bool,
        skip: usize,
        take: usize,
    ) -> Result<(Vec<String>, usize)> {
        let now = self.host.now();
        let mut records: Vec<(String, Vec<u8>)> = Vec::new();
        for host in hosts {
            if let Some(bytes) = self.store.get_bytes(&index_key(&host))? {
                records.push((host, bytes));
            }
        }
        let names: Vec<String> = match sort {
            SortKey::Host => {
                records.iter().map(|(h, _)| self.host.user(h).map_or_else(|| h.clone(), |u| u.name)).collect()
            }
            _ => Vec::new(),
        };
        let mut rows: Vec<(usize, RowRef<'_>)> = Vec::new();
        for (i, (host, bytes)) in records.iter().enumerate() {
            let decoded: Vec<RowRef<'_>> = crate::store::decode_in_place(&index_key(host), bytes)?;
            rows.extend(decoded.into_iter().filter(|r| r.facts.upcoming(now) == upcoming).map(|r| (i, r)));
        }
        let order = |(ha, a): &(usize, RowRef<'_>), (hb, b): &(usize, RowRef<'_>)| {
            let by = match sort {
                SortKey::Date => a.facts.date().cmp(&b.facts.date()),
                SortKey::GuestName => folded(a.guest_name, b.guest_name),
                SortKey::GuestEmail => folded(a.guest_email, b.guest_email),
                SortKey::GuestKey => a.guest_key.cmp(b.guest_key),
                SortKey::MediaCheck => a.facts.media_check().cmp(&b.facts.media_check()),
                SortKey::MeetingType => folded(a.meeting_type, b.meeting_type),
                SortKey::Details => folded(a.details, b.details),
                SortKey::Status => a.facts.status(now).cmp(&b.facts.status(now)),
                SortKey::Host => folded(&names[*ha], &names[*hb]),
            };
            let by = if descending { by.reverse() } else { by };
            // Ties: most recent first, then by id, so that pages never overlap.
            by.then_with(|| b.facts.date().cmp(&a.facts.date())).then_with(|| a.id.cmp(b.id))
        };
        let total = rows.len();
        // Only the rows up to the end of the page need to be in order.
        let end = skip.saturating_add(take).min(total);
        if end > 0 && end < total {
            rows.select_nth_unstable_by(end - 1, order);
            rows.truncate(end);
        }
        rows.sort_unstable_by(order);
        let ids = rows.into_iter().skip(skip).take(take).map(|(_, r)| r.id.to_string()).collect();
        Ok((ids, total))
    }
}

/// For the overview's callers: an appointment missing from the store is an error.
pub(crate) fn missing(id: &str) -> MeetError {
    MeetError::StoreFailure(format!("the overview lists {id}, which is not stored"))
}
