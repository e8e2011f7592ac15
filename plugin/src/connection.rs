//! A participant's connections to a meeting's JaaS room. One person may be in a room
//! more than once (a second tab, a phone beside the laptop, a client that reconnects
//! before its old connection times out); JaaS reports each connection by its own
//! `participantId`. The meeting's participant list is of people: a connection closing
//! takes its person out only when it was their last.

use crate::prelude::*;

use crate::Meetkit;
use crate::error::Result;
use crate::store::Update;

/// The record of a meeting's connections: (user, participant id, still open). A closed
/// connection is kept until the room ends, so that its join arriving late (deliveries
/// come in any order) does not open it again.
fn connections_key(meeting: &str) -> String {
    format!("connections/{meeting}")
}

type Connections = Vec<(String, String, bool)>;

impl Meetkit<'_> {
    /// Notes that `user` is in `meeting`'s room through `connection`; false when that
    /// connection has closed already (its join came late), which changes nothing.
    pub(crate) fn connection_opened(&self, meeting: &str, user: &str, connection: &str) -> Result<bool> {
        self.store.update(&connections_key(meeting), |known: Option<Connections>| {
            let mut known = known.unwrap_or_default();
            match known.iter().find(|(u, c, _)| u == user && c == connection) {
                Some((_, _, open)) => Ok(Update::Keep(*open)),
                None => {
                    known.push((user.to_string(), connection.to_string(), true));
                    Ok(Update::Write(known, true))
                }
            }
        })
    }

    /// Notes that `connection` of `user` closed (also one never seen opening), and
    /// answers whether `user` is still in the room through another.
    pub(crate) fn connection_closed(&self, meeting: &str, user: &str, connection: &str) -> Result<bool> {
        self.store.update(&connections_key(meeting), |known: Option<Connections>| {
            let mut known = known.unwrap_or_default();
            let another = known.iter().any(|(u, c, open)| u == user && c != connection && *open);
            match known.iter_mut().find(|(u, c, _)| u == user && c == connection) {
                Some((_, _, open)) if !*open => return Ok(Update::Keep(another)),
                Some((_, _, open)) => *open = false,
                None => known.push((user.to_string(), connection.to_string(), false)),
            }
            Ok(Update::Write(known, another))
        })
    }

    /// Forgets a meeting's connections once a leave has ended it or JaaS has destroyed
    /// its room: nothing reads them then. A meeting ended on the platform keeps them
    /// until JaaS destroys its room, as it does once the last connection closes; a
    /// meeting without webhooks never has any.
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
        assert!(core.connection_opened("m", "tom", "p1").unwrap());
        assert!(core.connection_opened("m", "tom", "p2").unwrap());
        assert!(core.connection_opened("m", "tom", "p2").unwrap(), "a repeated delivery");
        assert!(core.connection_opened("m", "hank", "p3").unwrap());
        assert!(core.connection_closed("m", "tom", "p2").unwrap(), "tom is still in through p1");
        assert!(!core.connection_closed("m", "tom", "p1").unwrap(), "that was tom's last");
        assert!(!core.connection_closed("m", "tom", "p1").unwrap(), "closing twice changes nothing");
        // A join that arrives after its leave opens nothing.
        assert!(!core.connection_opened("m", "tom", "p2").unwrap());
        assert!(!core.connection_closed("m", "tom", "p1").unwrap());
        // A connection never seen opening (its delivery lost) takes out nobody still in,
        // and its join, should it come, opens nothing.
        assert!(core.connection_closed("m", "hank", "p9").unwrap());
        assert!(!core.connection_opened("m", "hank", "p9").unwrap());
        assert!(!core.connection_closed("m", "hank", "p3").unwrap());
        assert!(!core.connection_closed("other", "tom", "p1").unwrap(), "an unknown meeting");
    }
}
