//! Presence: a platform user is Busy while in any running meeting, Available in none.
//!
//! Someone can be in two meetings at once (a case's meeting, then a group's): leaving
//! one must not show them Available. Each platform user has a record of the meetings
//! they are in, and their presence follows whether that set is empty. Guests and JaaS
//! visitors, who are no platform users, have no presence and no record.

use crate::prelude::*;

use crate::Meetkit;
use crate::host::Presence;
use crate::meeting::meeting_key;
use crate::model::Meeting;
use crate::order;
use crate::store::Update;

fn presence_key(user: &str) -> String {
    format!("presence/{user}")
}

impl Meetkit<'_> {
    /// `user` is in meeting `id` now (its record says so already): Busy. Presence is what
    /// the platform shows; a store failure here does not fail the join that happened,
    /// and the user is shown Busy all the same.
    pub(crate) fn entered(&self, user: &str, id: &str) {
        if self.host.user(user).is_none() {
            return;
        }
        let added = self.store.update(&presence_key(user), |ids: Option<Vec<String>>| {
            let mut ids = ids.unwrap_or_default();
            Ok(if order::insert_new(&mut ids, id.to_string()) {
                Update::Write(ids, ())
            } else {
                Update::Keep(())
            })
        });
        self.host.set_presence(user, Presence::Busy);
        // The meeting may have ended since its write, and its end have looked at the set
        // before `id` was in it: settle the user's presence as that end would have.
        if added.is_ok() && !self.is_inside(id, user) {
            self.left(user, None);
        }
    }

    /// `user` left a meeting: Available, unless still in another running one. The
    /// meetings in the set are checked against their records, in order, up to the first
    /// that still runs with the user in it: one the user has just rejoined stays, and
    /// one that ended, or that a process stopped between two writes left behind, goes.
    /// Those after the first still running wait for a later leave: one meeting is reason
    /// enough to stay Busy, and reading them all made a tick that ends twenty meetings
    /// of someone in a hundred run out of its budget. A store failure shows the user
    /// Available, as before there was a set. `ended` names the meeting they left when it
    /// has ended for good: it is not read back (an ended meeting never runs again; one
    /// merely left might have been rejoined).
    pub(crate) fn left(&self, user: &str, ended: Option<&str>) {
        if self.host.user(user).is_none() {
            return;
        }
        let key = presence_key(user);
        let still_inside = self.store.update(&key, |ids: Option<Vec<String>>| {
            let ids = ids.unwrap_or_default();
            let (mut kept, mut inside) = (Vec::new(), false);
            for m in ids.iter().filter(|m| Some(m.as_str()) != ended) {
                inside = inside || self.is_inside(m, user);
                if inside {
                    kept.push(m.clone());
                }
            }
            Ok(match kept.len() {
                0 if ids.is_empty() => Update::Keep(false),
                0 => Update::Clear(false),
                n if n == ids.len() => Update::Keep(true),
                _ => Update::Write(kept, true),
            })
        });
        if still_inside.unwrap_or(false) {
            return;
        }
        self.host.set_presence(user, Presence::Available);
        // An entry into another meeting at this moment may have shown Busy first.
        if matches!(self.store.get::<Vec<String>>(&key), Ok(Some(ids)) if !ids.is_empty()) {
            self.host.set_presence(user, Presence::Busy);
        }
    }

    /// Whether the meeting runs with `user` in it; one that cannot be read counts as not,
    /// so that it cannot keep the user Busy for ever.
    fn is_inside(&self, meeting: &str, user: &str) -> bool {
        let m = self.store.get::<Meeting>(&meeting_key(meeting));
        matches!(m, Ok(Some(m)) if m.is_running() && m.is_present(user))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Context, Licence, Relation, UserKind};
    use crate::testing::{Effect, FakeHost, MemoryKv};

    fn host() -> FakeHost {
        let mut host = FakeHost::new(Licence::X20Advanced);
        host.add_user("ana", UserKind::Internal);
        host.add_user("ben", UserKind::Internal);
        for g in ["G1", "G2"] {
            host.add_context(
                Context::Group(g.into()),
                &[("ana", Relation::Member), ("ben", Relation::Member)],
            );
        }
        host
    }

    /// The presence the platform shows last for `user`.
    fn shown(host: &FakeHost, user: &str) -> Option<Presence> {
        host.take_effects().into_iter().rev().find_map(|e| match e {
            Effect::Presence(u, p) if u == user => Some(p),
            _ => None,
        })
    }

    #[test]
    fn a_meeting_left_behind_by_a_stopped_process_does_not_keep_anyone_busy() {
        let (host, kv) = (host(), MemoryKv::default());
        let mk = Meetkit::new(&host, &kv);
        // The set names a meeting that is gone: written, then the process stopped before
        // the meeting's own record was kept.
        mk.store.put(&presence_key("ana"), &vec!["m-gone".to_string()]).unwrap();
        let sel = ["ana".to_string()];
        let m = mk.start_meeting_from_context(&Context::Group("G1".into()), "ana", &sel).unwrap();
        assert_eq!(shown(&host, "ana"), Some(Presence::Busy));
        mk.leave_meeting(&m.meeting.id, "ana").unwrap();
        assert_eq!(shown(&host, "ana"), Some(Presence::Available));
        assert_eq!(
            mk.store.get::<Vec<String>>(&presence_key("ana")).unwrap(),
            None,
            "the set is empty again"
        );
    }

    #[test]
    fn an_entry_into_a_meeting_that_ended_meanwhile_leaves_the_user_available() {
        let (host, kv) = (host(), MemoryKv::default());
        let mk = Meetkit::new(&host, &kv);
        let sel = ["ana".to_string(), "ben".to_string()];
        let m = mk.start_meeting_from_context(&Context::Group("G1".into()), "ana", &sel).unwrap();
        let id = m.meeting.id;
        mk.join_meeting(&id, "ben", crate::meeting::EntryPoint::MeetTab).unwrap();
        mk.leave_meeting(&id, "ana").unwrap();
        host.take_effects();
        // Ben's entry is recorded after the meeting's end had settled everyone's presence.
        mk.entered("ben", &id);
        assert_eq!(shown(&host, "ben"), Some(Presence::Available));
        assert_eq!(mk.store.get::<Vec<String>>(&presence_key("ben")).unwrap(), None);
    }

    #[test]
    fn busy_until_out_of_every_meeting() {
        let (host, kv) = (host(), MemoryKv::default());
        let mk = Meetkit::new(&host, &kv);
        let one =
            mk.start_meeting_from_context(&Context::Group("G1".into()), "ana", &["ana".into()]).unwrap();
        let two =
            mk.start_meeting_from_context(&Context::Group("G2".into()), "ana", &["ana".into()]).unwrap();
        host.take_effects();
        mk.leave_meeting(&one.meeting.id, "ana").unwrap();
        assert_eq!(shown(&host, "ana"), None, "still in the other: nothing changes");
        mk.leave_meeting(&two.meeting.id, "ana").unwrap();
        assert_eq!(shown(&host, "ana"), Some(Presence::Available));
    }

    /// A leave reads the meetings of the set only up to one that still holds the user;
    /// one left behind after it goes at a later leave, and leaves nobody Busy.
    #[test]
    fn a_leave_reads_no_further_than_a_meeting_that_still_holds_the_user() {
        let (host, kv) = (host(), MemoryKv::default());
        let mk = Meetkit::new(&host, &kv);
        let one =
            mk.start_meeting_from_context(&Context::Group("G1".into()), "ana", &["ana".into()]).unwrap();
        let one = one.meeting.id;
        // Sorted after every meeting id: read last.
        mk.store.put(&presence_key("ana"), &vec![one.clone(), "zz-gone".to_string()]).unwrap();
        let two =
            mk.start_meeting_from_context(&Context::Group("G2".into()), "ana", &["ana".into()]).unwrap();
        host.take_effects();
        mk.leave_meeting(&two.meeting.id, "ana").unwrap();
        assert_eq!(shown(&host, "ana"), None, "still in the first: nothing changes");
        let set = mk.store.get::<Vec<String>>(&presence_key("ana")).unwrap().unwrap();
        assert_eq!(set, [one.clone(), "zz-gone".to_string()], "the meeting left goes, the rest is not read");
        mk.leave_meeting(&one, "ana").unwrap();
        assert_eq!(shown(&host, "ana"), Some(Presence::Available));
        assert_eq!(mk.store.get::<Vec<String>>(&presence_key("ana")).unwrap(), None);
    }
}
