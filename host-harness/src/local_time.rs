//! A wall-clock time as people type it (`2026-11-24T10:00`, as the CLI's `--at` and a
//! page's `datetime-local` input give it), for the component's `local-date-time`.

use crate::InputError;
use crate::bindings::time_zones::LocalDateTime;

/// A wall-clock time exactly as `2026-11-24T10:00`: the zone is the meeting's, so
/// an offset, or a date without a time, would be silently misread.
pub fn local_time(text: &str) -> Result<LocalDateTime, InputError> {
    let refused = || {
        InputError::Invalid(format!(
            "{text:?} is not a local time like 2026-11-24T10:00 (no seconds and no offset: the zone is the meeting's)"
        ))
    };
    // The shape first, digit by digit: the parser alone lets "T9:5" or a sign through.
    let shape = text.len() == 16
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 => b == b':',
            _ => b.is_ascii_digit(),
        });
    if !shape {
        return Err(refused());
    }
    // The right shape, but no such day or time (2026-02-30, 25:00).
    let dt = jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M", text).map_err(|_| {
        InputError::Invalid(format!("{text} is not a date and time of the calendar (no such day or hour)"))
    })?;
    Ok(LocalDateTime {
        year: dt.year(),
        month: dt.month() as u8,
        day: dt.day() as u8,
        hour: dt.hour() as u8,
        minute: dt.minute() as u8,
    })
}
