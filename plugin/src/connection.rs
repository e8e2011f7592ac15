//! A participant's connections to a meeting's JaaS room. One person may be in a room
//! more than once (a second tab, a phone beside the laptop, a client that reconnects
//! before its old connection times out); JaaS reports each connection by its own
//! `participantId`. The meeting's participant list is of people: a connection closing
//! takes its person out only when it was their last.

use crate::prelude::*;

use crate::Meetkit;
use crate::error::Result;
use crate::meeting::meeting_key;
use crate::model::{Instant, MINUTE, Meeting};
use crate::store::Update;

/// The record of a meeting's connections: (user, participant id, still open). A closed
/// connection is kept until the room ends, so that its join arriving late (deliveries
/// come in any order) does not open it again.
fn connections_key(meeting: &str) -> String {
    format!("connections/{meeting}")
}

type Connections = Vec<(String, String, bool)>;

/// When JaaS first reported a connection of the meeting (the record's start): from then
/// on its reports are known to arrive, so that a ticket JaaS never saw used can be told.
fn since_key(meeting: &str) -> String {
    format!("connections-since/{meeting}")
}

/// How long a person handed a ticket has to appear in JaaS's reports before they count
/// as never having come: connecting takes seconds, a browser's permission prompts a
/// minute or two.
pub const TO_APPEAR: Instant = 10 * MINUTE;

/// What JaaS has shown of a meeting: since when it reports, and whom.
pub struct Reported {
    since: Instant,
    seen: Vec<String>,
}

impl Reported {
    /// Whether `user`, handed a ticket at `ticket`, never came: JaaS reported the meeting
    /// while they had time to appear, has not seen them, and that time is over at `at`.
    pub fn never_came(&self, user: &str, ticket: Instant, at: Instant) -> bool {
        self.since <= ticket + TO_APPEAR && ticket + TO_APPEAR <= at && !self.seen.iter().any(|s| s == user)
    }
}

/// When the tick is to look at the running meeting `m` again for whoever never came:
/// when the first ticket of someone in it that is still within its time to appear runs
/// out, and [`TO_APPEAR`] from `now` at the latest, for the tickets handed out since.
pub(crate) fn next_look(m: &Meeting, now: Instant) -> Instant {
    m.present
        .iter()
        .filter_map(|p| m.marked(p))
        .map(|ticket| ticket + TO_APPEAR)
        .filter(|&due| due > now)
        .fold(now + TO_APPEAR, Instant::min)
}

impl Meetkit<'_> {
    /// Notes that `user` is in `meeting`'s room through `connection`; false when that
    /// connection has closed already (its join came late), which changes nothing.
    pub(crate) fn connection_opened(
        &self,
        meeting: &str,
        user: &str,
        connection: &str,
        at: Instant,
    ) -> Result<bool> {
        self.change_connections(meeting, at, |known| {
            match known.iter().find(|(u, c, _)| u == user && c == connection) {
                Some((_, _, open)) => (false, *open),
                None => {
                    known.push((user.to_string(), connection.to_string(), true));
                    (true, true)
                }
            }
        })
    }

    /// Notes that `connection` of `user` closed (also one never seen opening), and
    /// answers whether `user` is still in the room through another.
    pub(crate) fn connection_closed(
        &self,
        meeting: &str,
        user: &str,
        connection: &str,
        at: Instant,
    ) -> Result<bool> {
        self.change_connections(meeting, at, |known| {
            let another = known.iter().any(|(u, c, open)| u == user && c != connection && *open);
            match known.iter_mut().find(|(u, c, _)| u == user && c == connection) {
                Some((_, _, open)) if !*open => return (false, another),
                Some((_, _, open)) => *open = false,
                None => known.push((user.to_string(), connection.to_string(), false)),
            }
            (true, another)
        })
    }

    /// Changes `meeting`'s connections record as `change` answers (whether to write, and
    /// what to return), and keeps when JaaS's reports of the meeting began if this made
    /// the record. (A stop between the two writes leaves no time: nobody is then judged
    /// absent.)
    fn change_connections<R>(
        &self,
        meeting: &str,
        at: Instant,
        mut change: impl FnMut(&mut Connections) -> (bool, R),
    ) -> Result<R> {
        let (answer, made) = self.store.update(&connections_key(meeting), |known: Option<Connections>| {
            let first = known.is_none();
            let mut known = known.unwrap_or_default();
            let (write, answer) = change(&mut known);
            Ok(if write { Update::Write(known, (answer, first)) } else { Update::Keep((answer, false)) })
        })?;
        if made {
            self.store.put(&since_key(meeting), &at)?;
        }
        Ok(answer)
    }

    /// What JaaS has reported of `meeting`, if its reports are known to arrive.
    pub(crate) fn reported(&self, meeting: &str) -> Result<Option<Reported>> {
        let Some(since) = self.store.get::<Instant>(&since_key(meeting))? else { return Ok(None) };
        let known: Connections = self.store.get(&connections_key(meeting))?.unwrap_or_default();
        Ok(Some(Reported { since, seen: known.into_iter().map(|(u, _, _)| u).collect() }))
    }

    /// Takes out of the running meeting `m` whoever was handed a ticket and never
    /// appeared in JaaS's reports of it (a window closed at once, a blocked pop-up), so
    /// that they stay Busy no longer; `but` is the person the caller's event is about, if
    /// any. Answers whom it took out. Asked after the rules of leaving have counted them:
    /// a person in the room whose join JaaS has yet to deliver must never end the meeting
    /// under the others. Reads the reports afresh, as a compare-and-swap's attempt must.
    pub(crate) fn take_out_never_came(
        &self,
        m: &mut Meeting,
        but: Option<&str>,
        at: Instant,
    ) -> Result<Vec<String>> {
        if !m.is_running() {
            return Ok(Vec::new());
        }
        let Some(r) = self.reported(&m.id)? else { return Ok(Vec::new()) };
        let never_came: Vec<String> = m
            .present
            .iter()
            .filter(|p| {
                Some(p.as_str()) != but && m.marked(p).is_some_and(|ticket| r.never_came(p, ticket, at))
            })
            .cloned()
            .collect();
        m.present.retain(|p| !never_came.contains(p));
        m.attended.retain(|p| !never_came.contains(p));
        Ok(never_came)
    }

    /// The tick's look at the running meeting `m`, as it read it: takes out whoever never
    /// came by `now` (see [`Self::take_out_never_came`]) when no event of the meeting
    /// came to do it (nobody joined or left since), and answers whom.
    pub(crate) fn take_out_absent(&self, m: &Meeting, now: Instant) -> Result<Vec<String>> {
        // Most looks find nobody: the record is rewritten only when someone is absent.
        if self.take_out_never_came(&mut m.clone(), None, now)?.is_empty() {
            return Ok(Vec::new());
        }
        let absent = self.store.update(&meeting_key(&m.id), |current: Option<Meeting>| {
            let Some(mut current) = current else { return Ok(Update::Keep(Vec::new())) };
            let absent = self.take_out_never_came(&mut current, None, now)?;
            Ok(if absent.is_empty() { Update::Keep(absent) } else { Update::Write(current, absent) })
        })?;
        for user in &absent {
            self.left(user, None);
        }
        Ok(absent)
    }

    /// Forgets a meeting's connections once a leave has ended it or JaaS has destroyed
    /// its room: nothing reads them then. A meeting ended on the platform keeps them
    /// until JaaS destroys its room, as it does once the last connection closes; a
    /// meeting without webhooks never has any.
    pub(crate) fn forget_connections(&self, meeting: &str) -> Result<()> {
        self.store.delete(&connections_key(meeting))?;
        self.store.delete(&since_key(meeting))
    }
}

#[cfg(test)]
mod tests {
    use crate::Meetkit;
    use crate::model::Licence;
    use crate::testing::{FakeHost, MemoryKv};

    #[test]
    fn a_person_stays_until_their_last_connection_closes() {
        let (host, kv) = (FakeHost::new(Licence::X20Advanced), MemoryKv::default());
        let core = Meetkit::new(&host, &kv);
        assert!(core.connection_opened("m", "tom", "p1", 0).unwrap());
        assert!(core.connection_opened("m", "tom", "p2", 0).unwrap());
        assert!(core.connection_opened("m", "tom", "p2", 0).unwrap(), "a repeated delivery");
        assert!(core.connection_opened("m", "hank", "p3", 0).unwrap());
        assert!(core.connection_closed("m", "tom", "p2", 0).unwrap(), "tom is still in through p1");
        assert!(!core.connection_closed("m", "tom", "p1", 0).unwrap(), "that was tom's last");
        assert!(!core.connection_closed("m", "tom", "p1", 0).unwrap(), "closing twice changes nothing");
        // A join that arrives after its leave opens nothing.
        assert!(!core.connection_opened("m", "tom", "p2", 0).unwrap());
        assert!(!core.connection_closed("m", "tom", "p1", 0).unwrap());
        // A connection never seen opening (its delivery lost) takes out nobody still in,
        // and its join, should it come, opens nothing.
        assert!(core.connection_closed("m", "hank", "p9", 0).unwrap());
        assert!(!core.connection_opened("m", "hank", "p9", 0).unwrap());
        assert!(!core.connection_closed("m", "hank", "p3", 0).unwrap());
        assert!(!core.connection_closed("other", "tom", "p1", 0).unwrap(), "an unknown meeting");
    }

    #[test]
    fn a_ticket_never_seen_in_the_reports_is_judged_only_once_they_are_known_to_arrive() {
        use super::TO_APPEAR;
        let (host, kv) = (FakeHost::new(Licence::X20Advanced), MemoryKv::default());
        let core = Meetkit::new(&host, &kv);
        assert!(core.reported("m").unwrap().is_none(), "no reports: nobody is judged");
        core.connection_opened("m", "ana", "p1", 1_000).unwrap();
        let r = core.reported("m").unwrap().expect("reports since the first");
        // Ben's ticket came before the first report, but his time to appear ran after it.
        assert!(!r.never_came("ben", 0, TO_APPEAR - 1), "still time to appear");
        assert!(r.never_came("ben", 0, TO_APPEAR));
        assert!(!r.never_came("ana", 0, 10 * TO_APPEAR), "seen");
        // A ticket whose time ran out before JaaS reported anything is not judged.
        assert!(!r.never_came("old", 1_000 - TO_APPEAR - 1, 10 * TO_APPEAR));
        core.forget_connections("m").unwrap();
        assert!(core.reported("m").unwrap().is_none());
    }

    #[test]
    fn the_tick_looks_again_when_the_next_ticket_runs_out_and_every_ten_minutes_at_most() {
        use super::{TO_APPEAR, next_look};
        use crate::model::{Context, Meeting, MeetingState};
        use crate::prelude::*;
        let mut m = Meeting {
            id: "m".into(),
            context: Context::Group("g".into()),
            title: String::new(),
            room: String::new(),
            initiator: "ana".into(),
            invited: Vec::new(),
            present: vec!["ana".into(), "ben".into()],
            attended: Vec::new(),
            state: MeetingState::Running,
            started_at: 0,
            ended_at: None,
            recording: false,
            recorded: Vec::new(),
            marks: vec![("ana".into(), 0), ("ben".into(), 4_000), ("gone".into(), 1_000)],
        };
        assert_eq!(next_look(&m, 2_000), TO_APPEAR, "Ana's ticket runs out first");
        let now = TO_APPEAR + 1;
        assert_eq!(next_look(&m, now), 4_000 + TO_APPEAR, "Ben's; Ana's ran out");
        // Someone no longer in the meeting is not waited for.
        m.present.retain(|p| p != "ben");
        assert_eq!(next_look(&m, now), now + TO_APPEAR, "for the tickets handed out later");
    }
}
