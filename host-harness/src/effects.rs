//! What the component asked the platform to show: chat comments, bell notifications,
//! toasters, page signals, presence, files. A simulated platform keeps them in its own
//! database, in order, and derives every view (a chat, a bell, a panel) from them.

use crate::bindings::{files, messaging, presence, types};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "kebab-case")]
pub enum Effect {
    Comment {
        context: types::Context,
        comment: messaging::Comment,
    },
    Notification {
        user: String,
        notification: messaging::Notification,
    },
    /// The user's notifications about `context` so far leave their bell: with a
    /// `meeting`, only those about that meeting.
    NotificationsWithdrawn {
        user: String,
        context: types::Context,
        // Absent from logs written before withdrawals could name a meeting.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        meeting: Option<String>,
    },
    Toast {
        user: String,
        toast: messaging::Toast,
    },
    Signal {
        user: String,
        signal: messaging::PageSignal,
    },
    Presence {
        user: String,
        state: presence::PresenceState,
    },
    FileSaved {
        file_id: String,
        context: types::Context,
        file: files::LinkFile,
    },
    FileDeleted {
        context: types::Context,
        file_id: String,
    },
    Flag {
        context: types::Context,
        text: String,
    },
    Archive {
        recording: String,
        url: String,
        keep_until: i64,
    },
    Email {
        email: messaging::Email,
    },
}

impl Effect {
    /// The user the effect is shown to, if it is personal.
    pub fn user(&self) -> Option<&str> {
        match self {
            Effect::Notification { user, .. }
            | Effect::NotificationsWithdrawn { user, .. }
            | Effect::Toast { user, .. }
            | Effect::Signal { user, .. }
            | Effect::Presence { user, .. } => Some(user),
            _ => None,
        }
    }
}

/// An effect with when it happened and its place in the platform's log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Logged {
    pub seq: i64,
    pub at: i64,
    #[serde(flatten)]
    pub effect: Effect,
}
