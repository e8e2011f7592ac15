//! Presence: a platform user is Busy while in any running meeting, Available in none.
//!
//! Someone can be in two meetings at once (a case's meeting, then a group's): leaving
//! one must not show them Available. Each platform user has a record of the meetings
//! they are in, and their presence follows whether that set is empty. Guests and JaaS
//! visitors, who are no platform users, have no presence and no record.

use crate::prelude::*;

use crate::Meetkit;
use crate::error::Result;
use crate::host::Presence;
use crate::meeting::meeting_key;
use crate::model::Meeting;
use crate::order;
use crate::store::Update;

fn presence_key(user: &str) -> String {
    format!("presence/{user}")
}

impl Meetkit<'_> {
    /// `user` is in meeting `id` now: Busy.
    pub(crate) fn entered(&self, user: &str, id: &str) -> Result<()> {
        if self.host.user(user).is_none() {
            return Ok(());
        }
        self.store.update(&presence_key(user), |ids: Option<Vec<String>>| {
            let mut ids = ids.unwrap_or_default();
            Ok(if order::insert_new(&mut ids, id.to_string()) {
                Update::Write(ids, ())
            } else {
                Update::Keep(())
            })
        })?;
        self.host.set_presence(user, Presence::Busy);
        Ok(())
    }

    /// `user` is out of meeting `id`: Available, unless still in another running one.
    pub(crate) fn left(&self, user: &str, id: &str) -> Result<()> {
        if self.host.user(user).is_none() {
            return Ok(());
        }
        let still_busy = self.store.update(&presence_key(user), |ids: Option<Vec<String>>| {
            let ids = ids.unwrap_or_default();
            if ids.is_empty() {
                return Ok(Update::Keep(false));
            }
            // A meeting that ended or no longer lists the user leaves the set too: what a
            // process stopped between the meeting's write and this one leaves behind.
            let mut kept = Vec::with_capacity(ids.len());
            for other in &ids {
                if other != id && self.is_inside(other, user)? {
                    kept.push(other.clone());
                }
            }
            Ok(match kept.len() {
                0 => Update::Clear(false),
                n if n == ids.len() => Update::Keep(true),
                _ => Update::Write(kept, true),
            })
        })?;
        if !still_busy {
            self.host.set_presence(user, Presence::Available);
        }
        Ok(())
    }

    fn is_inside(&self, meeting: &str, user: &str) -> Result<bool> {
        let m = self.store.get::<Meeting>(&meeting_key(meeting))?;
        Ok(m.is_some_and(|m| m.is_running() && m.is_present(user)))
    }
}
