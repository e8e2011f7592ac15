//! What a platform's users see, derived from its effect log: a context's chat, a user's
//! bell, toasters and open pages, and everyone's presence.

use crate::bindings::messaging::{Comment, Notification, PageSignal, Toast};
use crate::bindings::presence::PresenceState;
use crate::bindings::types::Context;
use crate::effects::{Effect, Logged};
use std::collections::BTreeMap;

/// Something shown at a time.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct At<T> {
    pub at: i64,
    #[serde(flatten)]
    pub item: T,
}

/// The system comments of a context's chat, oldest first.
pub fn chat(log: &[Logged], context: &Context) -> Vec<At<Comment>> {
    log.iter()
        .filter_map(|l| match &l.effect {
            Effect::Comment { context: c, comment } if c == context => {
                Some(At { at: l.at, item: comment.clone() })
            }
            _ => None,
        })
        .collect()
}

/// A notification in a user's bell.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct BellEntry {
    /// Its place in the platform's log: what marks it read.
    pub seq: i64,
    #[serde(flatten)]
    pub notification: Notification,
    /// Notifications arrive unread; opening the bell, or joining the meeting they announce
    /// (from the bell, the toaster or the chat), reads them.
    pub read: bool,
}

/// A user's bell notifications, newest first, without those withdrawn since; `read`
/// holds those already read.
pub fn bell(log: &[Logged], user: &str, read: &std::collections::HashSet<i64>) -> Vec<At<BellEntry>> {
    let mut out = Vec::new();
    // Newest first, so that a withdrawal is seen before the notifications it takes out.
    let mut withdrawn = Vec::new();
    let taken = |withdrawn: &[(&Context, &Option<String>)], n: &Notification| {
        withdrawn.iter().any(|(context, meeting)| takes(context, meeting, n))
    };
    for l in log.iter().rev() {
        match &l.effect {
            Effect::NotificationsWithdrawn { user: u, context, meeting } if u == user => {
                withdrawn.push((context, meeting))
            }
            Effect::Notification { user: u, notification }
                if u == user && !taken(&withdrawn, notification) =>
            {
                let read = read.contains(&l.seq);
                let item = BellEntry { seq: l.seq, notification: notification.clone(), read };
                out.push(At { at: l.at, item });
            }
            _ => {}
        }
    }
    out
}

/// Whether a withdrawal about `context` (and `meeting`, if named) takes notification `n`.
/// A notification logged before notifications named their meeting names none: a
/// meeting's withdrawal takes it too, as the context's withdrawal took it then.
fn takes(context: &Context, meeting: &Option<String>, n: &Notification) -> bool {
    *context == n.context && (meeting.is_none() || n.meeting.is_none() || *meeting == n.meeting)
}

/// Whether `withdrawal`, as last logged in `log`, took anything out of its user's bell.
/// The component withdraws from everyone a meeting or request could have reached; the
/// user sees a change only where the bell held something. True when the withdrawal is
/// not in `log`, or is not a withdrawal: the caller then shows it as it is.
pub fn withdrawal_took_something(log: &[Logged], withdrawal: &Effect) -> bool {
    let Effect::NotificationsWithdrawn { user, context, meeting } = withdrawal else {
        return true;
    };
    let Some(at) = log.iter().rposition(|l| l.effect == *withdrawal) else {
        return true;
    };
    bell(&log[..at], user, &Default::default()).iter().any(|b| takes(context, meeting, &b.item.notification))
}

/// The name a file was saved under in `log`, whether or not it has been deleted since.
pub fn file_name<'a>(log: &'a [Logged], file_id: &str) -> Option<&'a str> {
    log.iter().rev().find_map(|l| match &l.effect {
        Effect::FileSaved { file_id: f, file, .. } if f == file_id => Some(file.name.as_str()),
        _ => None,
    })
}

/// The toasters a user was shown, oldest first.
pub fn toasts(log: &[Logged], user: &str) -> Vec<At<Toast>> {
    log.iter()
        .filter_map(|l| match &l.effect {
            Effect::Toast { user: u, toast } if u == user => Some(At { at: l.at, item: toast.clone() }),
            _ => None,
        })
        .collect()
}

/// The live page changes sent to a user, oldest first.
pub fn signals(log: &[Logged], user: &str) -> Vec<At<PageSignal>> {
    log.iter()
        .filter_map(|l| match &l.effect {
            Effect::Signal { user: u, signal } if u == user => Some(At { at: l.at, item: signal.clone() }),
            _ => None,
        })
        .collect()
}

/// Everyone's current state; users never set are available.
pub fn presence(log: &[Logged]) -> BTreeMap<String, PresenceState> {
    let mut out = BTreeMap::new();
    for l in log {
        if let Effect::Presence { user, state } = &l.effect {
            out.insert(user.clone(), *state);
        }
    }
    out
}

pub fn presence_of(log: &[Logged], user: &str) -> PresenceState {
    presence(log).get(user).copied().unwrap_or(PresenceState::Available)
}

/// A file in a context's Files.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FileEntry {
    pub file_id: String,
    pub name: String,
    pub url: String,
    pub expires_at: Option<i64>,
}

/// The files of a context now: saved and not deleted, oldest first.
pub fn files(log: &[Logged], context: &Context) -> Vec<At<FileEntry>> {
    let mut out: Vec<At<FileEntry>> = Vec::new();
    for l in log {
        match &l.effect {
            Effect::FileSaved { file_id, context: c, file } if c == context => out.push(At {
                at: l.at,
                item: FileEntry {
                    file_id: file_id.clone(),
                    name: file.name.clone(),
                    url: file.url.clone(),
                    expires_at: file.expires_at,
                },
            }),
            Effect::FileDeleted { file_id, context: c } if c == context => {
                out.retain(|f| &f.item.file_id != file_id)
            }
            _ => {}
        }
    }
    out
}

/// Something administrators were told to look at.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Flag {
    /// The context, as the platform names it ("group:sales").
    pub context: String,
    pub text: String,
}

/// What administrators were told to look at, oldest first.
pub fn flags(log: &[Logged]) -> Vec<At<Flag>> {
    log.iter()
        .filter_map(|l| match &l.effect {
            Effect::Flag { context, text } => Some(At {
                at: l.at,
                item: Flag { context: crate::erp::context_label(context), text: text.clone() },
            }),
            _ => None,
        })
        .collect()
}

/// A scheduled meeting's status in words, as the overview and the guest page show it.
pub fn status_word(s: crate::bindings::overview::Status) -> &'static str {
    use crate::bindings::overview::Status;
    match s {
        Status::StartingSoon => "starting soon",
        Status::Scheduled => "scheduled",
        Status::Planning => "planning",
        Status::Live => "live",
        Status::Completed => "completed",
        Status::Missed => "missed",
        Status::Cancelled => "cancelled",
        Status::Failed => "failed",
    }
}

/// The media-check indicator in words, as the platform's page of a meeting shows it.
pub fn media_word(m: crate::bindings::overview::MediaCheck) -> &'static str {
    use crate::bindings::overview::MediaCheck;
    match m {
        MediaCheck::NotEntered => "the guest has not entered",
        MediaCheck::Entered => "the guest entered, camera and microphone not checked",
        MediaCheck::Failed => "the guest's camera or microphone failed",
        MediaCheck::Passed => "the guest's camera and microphone work",
    }
}

/// `at` (milliseconds since the epoch) in `zone`, as people read it: `2026-11-23 13:00 CET`.
/// In UTC when the zone is unknown.
pub fn time_in(zone: &str, at: i64) -> String {
    let t = jiff::Timestamp::from_millisecond(at).ok();
    match t.and_then(|t| t.in_tz(zone).ok()) {
        Some(z) => z.strftime("%Y-%m-%d %H:%M %Z").to_string(),
        None => t.map_or_else(|| at.to_string(), |t| t.strftime("%Y-%m-%d %H:%M UTC").to_string()),
    }
}

/// A refusal of the component: its kind as the contract names it, and its message.
pub fn refusal(e: &crate::bindings::types::Error) -> (&'static str, &str) {
    use crate::bindings::types::Error;
    match e {
        Error::InvalidInput(m) => ("invalid-input", m),
        Error::UnknownContext(m) => ("unknown-context", m),
        Error::UnknownUser(m) => ("unknown-user", m),
        Error::NotAParticipant(m) => ("not-a-participant", m),
        Error::LicenceForbids(m) => ("licence-forbids", m),
        Error::NotFound(m) => ("not-found", m),
        Error::MeetingEnded(m) => ("meeting-ended", m),
        Error::AlreadyTaken(t) => ("already-taken", &t.message),
        Error::InvalidTransition(m) => ("invalid-transition", m),
        Error::Expired(m) => ("expired", m),
        Error::Forbidden(m) => ("forbidden", m),
        Error::HostFailure(m) => ("host-failure", m),
        Error::StoreFailure(m) => ("store-failure", m),
        Error::Unavailable(m) => ("unavailable", m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logged(seq: i64, effect: Effect) -> Logged {
        Logged { seq, at: seq, effect }
    }

    fn started(meeting: Option<&str>) -> Effect {
        Effect::Notification {
            user: "ben".into(),
            notification: Notification {
                title: "Meeting started".into(),
                text: "Ana started a meeting in Sales.".into(),
                link: None,
                context: Context::Group("sales".into()),
                meeting: meeting.map(String::from),
            },
        }
    }

    /// A meeting's withdrawal takes its own bells and those logged before bells named
    /// their meeting, and leaves another meeting's.
    #[test]
    fn a_meetings_withdrawal_takes_its_own_bells_and_those_that_name_none() {
        let withdrawn = Effect::NotificationsWithdrawn {
            user: "ben".into(),
            context: Context::Group("sales".into()),
            meeting: Some("m-1".into()),
        };
        let log = [
            logged(1, started(None)),
            logged(2, started(Some("m-1"))),
            logged(3, started(Some("m-2"))),
            logged(4, withdrawn),
        ];
        let left: Vec<_> = bell(&log, "ben", &Default::default()).into_iter().map(|b| b.item.seq).collect();
        assert_eq!(left, [3]);
    }

    /// A withdrawal is seen by the user whose bell held something it takes, and not by
    /// one who was never notified, nor by one whose bell was emptied before.
    #[test]
    fn a_withdrawal_is_seen_only_where_it_took_something() {
        let withdrawal = |user: &str| Effect::NotificationsWithdrawn {
            user: user.into(),
            context: Context::Group("sales".into()),
            meeting: Some("m-1".into()),
        };
        let log = [
            logged(1, started(Some("m-1"))),
            logged(2, withdrawal("ana")),
            logged(3, withdrawal("ben")),
            logged(4, withdrawal("ben")),
        ];
        assert!(!withdrawal_took_something(&log, &withdrawal("ana")));
        // The last of ben's two withdrawals found his bell already empty.
        assert!(!withdrawal_took_something(&log, &withdrawal("ben")));
        assert!(withdrawal_took_something(&log[..3], &withdrawal("ben")));
    }
}
