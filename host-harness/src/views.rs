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

/// A user's bell notifications, newest first (all unread: the simulation has no reader).
pub fn bell(log: &[Logged], user: &str) -> Vec<At<Notification>> {
    let mut out: Vec<_> = log
        .iter()
        .filter_map(|l| match &l.effect {
            Effect::Notification { user: u, notification } if u == user => {
                Some(At { at: l.at, item: notification.clone() })
            }
            _ => None,
        })
        .collect();
    out.reverse();
    out
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
