//! The rooms of scheduled meetings close when the meetings settle (start + duration + 2
//! hours). From then on the status is final and nobody may enter, so a room that nobody
//! left through the platform or JaaS does not keep its meeting running, or its host
//! busy, for ever.

use crate::prelude::*;

use crate::Meetkit;
use crate::error::Result;
use crate::model::Instant;
use crate::overview::{Appointment, appointment_key};

/// The due-list of the scheduled meetings whose room was opened: when each settles.
const OPEN_ROOMS: &str = "index/open-rooms";

impl Meetkit<'_> {
    /// Notes that the room of `a` is open until `a` settles.
    pub(crate) fn room_opened(&self, a: &Appointment) -> Result<()> {
        self.store.set_due(OPEN_ROOMS, &a.id, Some(a.settles_at()))
    }

    /// Ends the meetings of the scheduled meetings that have settled with their room
    /// still open; answers the meetings ended.
    pub(crate) fn close_settled_rooms(&self, now: Instant) -> Result<Vec<String>> {
        let mut ended = Vec::new();
        for due in self.store.due(OPEN_ROOMS)?.into_iter().filter(|d| d.at <= now) {
            let a = self.store.get::<Appointment>(&appointment_key(&due.id))?;
            if let Some(a) = &a
                && now < a.settles_at()
            {
                // Moved since its room opened (the guest waited, the host never came).
                self.store.set_due(OPEN_ROOMS, &due.id, Some(a.settles_at()))?;
                continue;
            }
            if let Some(meeting) = a.and_then(|a| a.meeting)
                && self.end_meeting(&meeting)?.1
            {
                ended.push(meeting);
            }
            self.store.set_due(OPEN_ROOMS, &due.id, None)?;
        }
        Ok(ended)
    }
}
