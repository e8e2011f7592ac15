//! A participant's connections to a meeting's JaaS room. One person may be in a room
//! more than once (a second tab, a phone beside the laptop, a client that reconnects
//! before its old connection times out); JaaS reports each connection by its own
//! `participantId`. The meeting's participant list is of people: a connection closing
//! takes its person out only when it was their last.

use crate::prelude::*;

use crate::Meetkit;
use crate::error::Result;
use crate::store::Update;

/// The record of a meeting's open connections: (user, participant id) pairs.
fn connections_key(meeting: &str) -> String {
    format!("connections/{meeting}")
}

impl Meetkit<'_> {
    /// Notes that `user` is in `meeting`'s room through `connection`.
    pub(crate) fn connection_opened(&self, meeting: &str, user: &str, connection: &str) -> Result<()> {
        self.store.update(&connections_key(meeting), |open: Option<Vec<(String, String)>>| {
            let mut open = open.unwrap_or_default();
            if open.iter().any(|(u, c)| u == user && c == connection) {
                return Ok(Update::Keep(()));
            }
            open.push((user.to_string(), connection.to_string()));
            Ok(Update::Write(open, ()))
        })
    }

    /// Notes that `connection` of `user` closed, and answers whether `user` is still in
    /// the room through another.
    pub(crate) fn connection_closed(&self, meeting: &str, user: &str, connection: &str) -> Result<bool> {
        self.store.update(&connections_key(meeting), |open: Option<Vec<(String, String)>>| {
            let Some(mut open) = open else { return Ok(Update::Keep(false)) };
            let before = open.len();
            open.retain(|(u, c)| !(u == user && c == connection));
            let another = open.iter().any(|(u, _)| u == user);
            Ok(match (open.len() == before, open.is_empty()) {
                (true, _) => Update::Keep(another),
                (false, true) => Update::Clear(another),
                (false, false) => Update::Write(open, another),
            })
        })
    }

    /// Forgets a meeting's connections once JaaS has destroyed its room. (Until then each
    /// connection's `PARTICIPANT_LEFT` takes it out, and the last one the record: a
    /// meeting without webhooks never has one.)
    pub(crate) fn forget_connections(&self, meeting: &str) -> Result<()> {
        self.store.delete(&connections_key(meeting))
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
        core.connection_opened("m", "tom", "p1").unwrap();
        core.connection_opened("m", "tom", "p2").unwrap();
        core.connection_opened("m", "tom", "p2").unwrap(); // a repeated delivery
        core.connection_opened("m", "hank", "p3").unwrap();
        assert!(core.connection_closed("m", "tom", "p2").unwrap(), "tom is still in through p1");
        assert!(!core.connection_closed("m", "tom", "p1").unwrap(), "that was tom's last");
        assert!(!core.connection_closed("m", "tom", "p1").unwrap(), "closing twice changes nothing");
        // A connection never seen opening (its delivery lost) takes out nobody still in.
        assert!(core.connection_closed("m", "hank", "p9").unwrap());
        assert!(!core.connection_closed("m", "hank", "p3").unwrap());
        assert!(!core.connection_closed("other", "tom", "p1").unwrap(), "an unknown meeting");
    }
}
