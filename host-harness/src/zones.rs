//! Time-zone rules for the component, from jiff's bundled IANA database, so that results
//! do not depend on the machine's own zone files.

use crate::bindings::time_zones::{LocalDateTime, ZoneOffset};
use jiff::civil::DateTime;
use jiff::tz::{TimeZone, TimeZoneTransition};
use jiff::{Timestamp, ToSpan as _};

fn zone(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name).map_err(|_| format!("unknown time zone {name:?}"))
}

/// Whether `name` is a zone the database knows; the error says it is not.
pub fn check(name: &str) -> Result<(), String> {
    zone(name).map(drop)
}

fn timestamp(ms: i64) -> Result<Timestamp, String> {
    Timestamp::from_millisecond(ms).map_err(|e| format!("instant out of range: {e}"))
}

fn offset_at(tz: &TimeZone, since: Timestamp) -> ZoneOffset {
    let info = tz.to_offset_info(since);
    ZoneOffset {
        since: since.as_millisecond(),
        offset_secs: info.offset().seconds(),
        abbreviation: info.abbreviation().to_string(),
        dst: info.dst().is_dst(),
    }
}

pub fn to_instant(zone_name: &str, local: &LocalDateTime) -> Result<i64, String> {
    let tz = zone(zone_name)?;
    let dt = DateTime::new(
        local.year,
        local.month as i8,
        local.day as i8,
        local.hour as i8,
        local.minute as i8,
        0,
        0,
    )
    .map_err(|e| format!("invalid date or time: {e}"))?;
    // Gaps move forward, folds take the earlier instant (jiff's "compatible" rule).
    // The only failure left is a time whose instant falls outside jiff's range (years
    // -9999 to 9999, offsets applied): say so in the user's terms, not jiff's.
    let zoned = dt.to_zoned(tz).map_err(|_| "beyond the dates this calendar handles".to_string())?;
    Ok(zoned.timestamp().as_millisecond())
}

pub fn to_local(zone_name: &str, at: i64) -> Result<(LocalDateTime, ZoneOffset), String> {
    let tz = zone(zone_name)?;
    let ts = timestamp(at)?;
    let dt = tz.to_datetime(ts);
    let local = LocalDateTime {
        year: dt.year(),
        month: dt.month() as u8,
        day: dt.day() as u8,
        hour: dt.hour() as u8,
        minute: dt.minute() as u8,
    };
    Ok((local, offset_at(&tz, ts)))
}

pub fn transitions(zone_name: &str, start: i64, end: i64) -> Result<Vec<ZoneOffset>, String> {
    let tz = zone(zone_name)?;
    let (start, end) = (timestamp(start)?, timestamp(end)?);
    let mut out = vec![offset_at(&tz, start)];
    // Bounded: a zone changes a few times a year at most.
    let limit = end.checked_add(1.second()).unwrap_or(end);
    out.extend(
        tz.following(start)
            .take_while(|t: &TimeZoneTransition| t.timestamp() < limit)
            .take(1000)
            .map(|t| offset_at(&tz, t.timestamp())),
    );
    Ok(out)
}
