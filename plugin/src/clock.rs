//! Time-driven rules, applied when the host ticks.

use crate::prelude::*;

use crate::Meetkit;
use crate::error::Result;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TickReport {
    pub expired_requests: Vec<String>,
    pub deleted_files: Vec<String>,
    pub released_copies: Vec<String>,
    /// Recordings whose change Files refused, each with the reason: tried again next tick.
    pub postponed: Vec<String>,
    /// Meetings ended because nobody ended them: scheduled meetings that settled with
    /// their room open, and other meetings quiet for twelve hours.
    pub ended_meetings: Vec<String>,
}

impl Meetkit<'_> {
    /// Applies every rule whose time has come; a second tick at the same time does nothing.
    pub fn tick(&self) -> Result<TickReport> {
        let now = self.host.now();
        let mut report = TickReport::default();
        self.expire_overdue(now, &mut report)?;
        self.expire_recordings(now, &mut report)?;
        report.ended_meetings.extend(self.close_settled_rooms(now)?);
        report.ended_meetings.extend(self.close_quiet_meetings(now)?);
        Ok(report)
    }
}
