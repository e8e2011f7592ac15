//! The rooms of scheduled meetings close when the meetings settle (start + duration + 2
//! hours). From then on the status is final and nobody may enter, so a room that nobody
//! left through the platform or JaaS does not keep its meeting running, or its host
//! busy, for ever.

use crate::prelude::*;

use crate::Meetkit;
use crate::error::Result;
use crate::model::{Context, Instant};
use crate::overview::{Appointment, appointment_key};

/// The due-list of the scheduled meetings whose room was opened: when each settles.
const OPEN_ROOMS: &str = "index/open-rooms";
/// At most this many rooms close in one tick (each is a meeting's end and an overview
/// change); the others close at the next.
const MAX_PER_TICK: usize = 20;

impl Meetkit<'_> {
    /// Notes that the room of `a` is open until `a` settles.
    pub(crate) fn room_opened(&self, a: &Appointment) -> Result<()> {
        self.store.set_due(OPEN_ROOMS, &a.id, Some(a.settles_at()))
    }

    /// Ends the meetings of the scheduled meetings that have settled with their room
    /// still open; answers the meetings ended.
    pub(crate) fn close_settled_rooms(&self, now: Instant) -> Result<Vec<String>> {
        let mut ended = Vec::new();
        for due in self.store.due(OPEN_ROOMS)?.into_iter().filter(|d| d.at <= now).take(MAX_PER_TICK) {
            let a = self.store.get::<Appointment>(&appointment_key(&due.id))?;
            if let Some(a) = &a
                && now < a.settles_at()
            {
                // Moved since its room opened (the guest waited, the host never came).
                self.store.move_due(OPEN_ROOMS, &due.id, a.settles_at())?;
                continue;
            }
            // The meeting running in the room, whether or not the appointment recorded it
            // (a failure between opening the room and recording it).
            let context = Context::Appointment(due.id.clone());
            if let Some(meeting) = self.running_meeting(&context)?
                && self.end_meeting(&meeting.id)?.1
            {
                ended.push(meeting.id);
            }
            self.store.set_due(OPEN_ROOMS, &due.id, None)?;
        }
        Ok(ended)
    }
}
