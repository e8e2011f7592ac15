//! A platform as the component sees it: its directory and its settings. The simulated
//! ERP and CRM hosts implement it; so would a vendor's own.

use crate::bindings::config::{CallRequestConfig, RecordingConfig, StaffRule};
use crate::bindings::crm::{Client, StaffMember};
use crate::bindings::directory::{ContextInfo, Relation};
use crate::bindings::types::{Context, DisplayMode, Licence, User};

pub trait Platform: Send + Sync {
    /// The group or record, with every user related to it.
    fn describe_context(&self, context: &Context) -> Option<ContextInfo>;

    /// The title of the group or record, if it exists.
    fn context_title(&self, context: &Context) -> Option<String> {
        self.describe_context(context).map(|c| c.title)
    }

    /// How one user relates to the group or record.
    fn relation_of(&self, context: &Context, user: &str) -> Option<Relation> {
        self.describe_context(context)?.members.into_iter().find(|m| m.user.id == user).map(|m| m.relation)
    }
    fn user(&self, id: &str) -> Option<User>;
    fn licence(&self) -> Licence;

    /// The groups a user is a member of.
    fn groups_of(&self, _user: &str) -> Vec<String> {
        Vec::new()
    }

    /// The members of a group.
    fn group_members(&self, group: &str) -> Vec<String> {
        self.describe_context(&Context::Group(group.into()))
            .map(|c| c.members.into_iter().map(|m| m.user.id).collect())
            .unwrap_or_default()
    }

    /// Whether the user's calendar is blocked at some moment of `start..end` (ms).
    fn calendar_blocked(&self, _user: &str, _start: i64, _end: i64) -> bool {
        false
    }

    fn client(&self, _id: &str) -> Option<Client> {
        None
    }
    fn staff(&self) -> Vec<StaffMember> {
        Vec::new()
    }
    fn call_request_config(&self) -> CallRequestConfig {
        CallRequestConfig {
            notify: vec![StaffRule::AllStaff],
            display: DisplayMode::NewTab,
            expiry_secs: 300,
        }
    }
    fn recording_config(&self) -> RecordingConfig {
        RecordingConfig { keep_copies: false, retention_hours: 0, time_zone: String::new() }
    }

    /// Whether the platform's Files lets a file go. A real platform may refuse (a file
    /// someone has locked or shared); the component then tries again at a later tick.
    fn may_delete_file(&self, _context: &Context, _file_id: &str) -> Result<(), String> {
        Ok(())
    }
}

/// Reads a TOML file the user wrote (a world, the configuration) into `T`; a mistake is
/// one line, where it is and what is wrong (the parser's own report quotes the file over
/// several).
pub(crate) fn parse_toml<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &str,
) -> Result<T, crate::InputError> {
    toml::from_str(text).map_err(|e| {
        let message = e.message().trim_end_matches('\n').replace('\n', "; ");
        let place = e.span().map(|span| {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!(" at line {line}, column {column}")
        });
        crate::InputError::Invalid(format!("not {what}{}: {message}", place.unwrap_or_default()))
    })
}
