//! The domain's vocabulary: plain Rust mirrors of the contract's shared types.

use crate::prelude::*;

use core::fmt;
use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch, UTC.
pub type Instant = i64;

pub const SECOND: Instant = 1_000;
pub const MINUTE: Instant = 60 * SECOND;
pub const HOUR: Instant = 60 * MINUTE;

/// A span of time, `from` included and `to` not: a meeting that ends at ten does not
/// overlap one that starts at ten.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from: Instant,
    pub to: Instant,
}

impl Window {
    /// Whether this window overlaps any of `others`.
    pub fn overlaps_any(self, others: &[Window]) -> bool {
        others.iter().any(|o| self.from < o.to && o.from < self.to)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Licence {
    X19Basic,
    X20Advanced,
}

impl Licence {
    /// Whether users of this kind may take part in meetings at all.
    pub fn admits(self, kind: UserKind) -> bool {
        matches!((self, kind), (_, UserKind::Internal) | (Licence::X20Advanced, UserKind::External))
    }

    /// Whether this user's token carries the recording feature: X20 and internal only.
    pub fn may_record(self, kind: UserKind) -> bool {
        self == Licence::X20Advanced && kind == UserKind::Internal
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserKind {
    Internal,
    External,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: String,
    pub avatar: Option<String>,
    pub kind: UserKind,
}

/// What a meeting belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Context {
    Group(String),
    Case(String),
    Activity(String),
    ServiceActivity(String),
    MarketingActivity(String),
    CallRequest(String),
    Appointment(String),
}

impl Context {
    pub fn id(&self) -> &str {
        match self {
            Context::Group(id)
            | Context::Case(id)
            | Context::Activity(id)
            | Context::ServiceActivity(id)
            | Context::MarketingActivity(id)
            | Context::CallRequest(id)
            | Context::Appointment(id) => id,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Context::Group(_) => "group",
            Context::Case(_) => "case",
            Context::Activity(_) => "activity",
            Context::ServiceActivity(_) => "service-activity",
            Context::MarketingActivity(_) => "marketing-activity",
            Context::CallRequest(_) => "call-request",
            Context::Appointment(_) => "appointment",
        }
    }

    /// A group or an ERP record (case, activity, service or marketing activity): a
    /// context whose participants the platform's directory lists, unlike a call
    /// request's or a scheduled meeting's, whose participants are fixed.
    pub fn is_group_or_record(&self) -> bool {
        !matches!(self, Context::CallRequest(_) | Context::Appointment(_))
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind(), self.id())
    }
}

/// How a user relates to an ERP context.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Relation {
    Member,
    Listed,
    Tagged,
    Following,
    Favorite,
    NotFollowing,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub user: User,
    pub relation: Relation,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextInfo {
    pub title: String,
    pub members: Vec<Member>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DisplayMode {
    NewWindow,
    NewTab,
    Iframe,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Embed {
    pub domain: String,
    pub room_name: String,
    pub script_url: String,
    pub config_overwrite: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JoinTicket {
    pub meeting_id: String,
    pub room: String,
    pub address: String,
    pub token: String,
    pub expires_at: Instant,
    pub moderator: bool,
    pub recording_allowed: bool,
    pub display: DisplayMode,
    pub embed: Embed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MeetingState {
    Running,
    Ended,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meeting {
    pub id: String,
    pub context: Context,
    pub title: String,
    pub room: String,
    pub initiator: String,
    pub invited: Vec<String>,
    pub present: Vec<String>,
    pub attended: Vec<String>,
    pub state: MeetingState,
    pub started_at: Instant,
    pub ended_at: Option<Instant>,
    pub recording: bool,
    /// The recording sessions uploaded, in order: a file's number in its name. Only the
    /// latest [`SESSIONS_NAMED`] are listed (a retried upload finds its number), after
    /// `#<n>` counting those before them: a meeting recorded thousands of times is not
    /// thousands of ids long in every read and write of it. Session ids have no `#`.
    pub recorded: Vec<String>,
    /// The time of the latest JaaS participant event applied per user, so that a late
    /// delivery of an older event changes nothing; under [`RECORDING_MARK`], of the
    /// latest recording start or stop. Stored as a map is (postcard writes a map and a
    /// list of pairs alike); a list of a few pairs needs no B-tree code.
    pub marks: Vec<(String, Instant)>,
}

/// The entry of [`Meeting::marks`] for the meeting's recording starts and stops: no
/// user id is empty.
pub const RECORDING_MARK: &str = "";

/// Longer than any working day: a meeting quiet this long is one nobody ended.
pub const MAX_QUIET: Instant = 12 * HOUR;

/// How many of a meeting's latest recording sessions keep their id (see `recorded`).
pub const SESSIONS_NAMED: usize = 16;

impl Meeting {
    /// The sessions recorded before those listed, and those listed.
    fn recorded_split(&self) -> (usize, &[String]) {
        match self.recorded.split_first() {
            Some((count, listed)) if count.starts_with('#') => (count[1..].parse().unwrap_or(0), listed),
            _ => (0, &self.recorded),
        }
    }

    /// The number of recording session `session` among the meeting's, if it is listed.
    pub fn recording_number(&self, session: &str) -> Option<usize> {
        let (before, listed) = self.recorded_split();
        listed.iter().position(|s| s == session).map(|i| before + i + 1)
    }

    /// Records `session` (unless listed) and answers its number.
    pub fn record_session(&mut self, session: &str) -> usize {
        if let Some(n) = self.recording_number(session) {
            return n;
        }
        let (before, listed) = self.recorded_split();
        let number = before + listed.len() + 1;
        // The oldest listed leave (a record from before the count lists them all), and
        // are counted.
        let leaving = (listed.len() + 1).saturating_sub(SESSIONS_NAMED);
        if leaving > 0 {
            let mut kept = Vec::with_capacity(SESSIONS_NAMED + 1);
            kept.push(format!("#{}", before + leaving));
            kept.extend(listed[leaving..].iter().cloned());
            self.recorded = kept;
        }
        self.recorded.push(session.to_string());
        number
    }

    /// When the meeting will have been quiet too long: [`MAX_QUIET`] after its start or
    /// its latest participant event (a join, or JaaS's join or leave), whichever is later.
    pub fn quiet_until(&self) -> Instant {
        self.marks.iter().map(|(_, at)| *at).fold(self.started_at, Instant::max) + MAX_QUIET
    }

    /// The time of the latest participant event applied for `user`.
    pub fn marked(&self, user: &str) -> Option<Instant> {
        self.marks.iter().find(|(u, _)| u == user).map(|(_, at)| *at)
    }

    /// Records `at` as the latest participant event for `user`.
    pub fn mark(&mut self, user: &str, at: Instant) {
        match self.marks.iter_mut().find(|(u, _)| u == user) {
            Some((_, last)) => *last = at,
            None => self.marks.push((user.to_string(), at)),
        }
    }

    pub fn is_running(&self) -> bool {
        self.state == MeetingState::Running
    }

    pub fn is_present(&self, user: &str) -> bool {
        self.present.iter().any(|p| p == user)
    }

    /// Takes `user` out of the meeting. With two participants or fewer before, the
    /// meeting ends: returns who was still in it. A scheduled meeting's room is its
    /// host's instead: it ends when the host (its initiator) leaves, or the last one; a
    /// guest who closed their tab is not the host ending the meeting, and may come back.
    pub fn depart(&mut self, user: &str, now: Instant) -> Option<Vec<String>> {
        let before = self.present.len();
        self.present.retain(|p| p != user);
        let ends = match self.context {
            Context::Appointment(_) => user == self.initiator || self.present.is_empty(),
            _ => before <= 2,
        };
        ends.then(|| self.end(now))
    }

    /// Ends the meeting now; returns who was still in it.
    pub fn end(&mut self, now: Instant) -> Vec<String> {
        self.state = MeetingState::Ended;
        self.ended_at = Some(now);
        self.recording = false;
        core::mem::take(&mut self.present)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JaasConfig {
    pub app_id: String,
    pub domain: String,
    pub token_ttl_secs: u32,
}

/// A wall-clock time without a zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LocalDateTime {
    pub year: i16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
}

impl fmt::Display for LocalDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let LocalDateTime { year, month, day, hour, minute } = self;
        write!(f, "{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}")
    }
}

/// The offset a zone has from a moment on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneOffset {
    pub since: Instant,
    pub offset_secs: i32,
    pub abbreviation: String,
    pub dst: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meeting(recorded: Vec<String>) -> Meeting {
        Meeting {
            id: "m-1".into(),
            context: Context::Group("sales".into()),
            title: "Sales".into(),
            room: "mk1".into(),
            initiator: "ana".into(),
            invited: Vec::new(),
            present: Vec::new(),
            attended: Vec::new(),
            state: MeetingState::Running,
            started_at: 0,
            ended_at: None,
            recording: false,
            recorded,
            marks: Vec::new(),
        }
    }

    /// Sessions are numbered in order however many there are, a repeat keeps its number,
    /// and the record lists only the latest.
    #[test]
    fn recording_sessions_are_numbered_in_order_and_only_the_latest_listed() {
        let mut m = meeting(Vec::new());
        for n in 1..=40 {
            assert_eq!(m.record_session(&format!("s{n}")), n);
        }
        assert_eq!(m.record_session("s40"), 40, "a repeat");
        assert_eq!(m.record_session("s30"), 30, "a recent repeat");
        assert_eq!(m.recorded.len(), SESSIONS_NAMED + 1, "{:?}", m.recorded);
        assert_eq!(m.record_session("s41"), 41);
        // A record from before the count listed every session: the next trims it.
        let mut old = meeting((1..=100).map(|n| format!("s{n}")).collect());
        assert_eq!(old.record_session("s100"), 100);
        assert_eq!(old.record_session("s101"), 101);
        assert_eq!(old.recorded.len(), SESSIONS_NAMED + 1);
        assert_eq!(old.recording_number("s101"), Some(101));
        assert_eq!(old.recording_number("s86"), Some(86));
        assert_eq!(old.recording_number("s85"), None, "no longer listed");
    }
}
