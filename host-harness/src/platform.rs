//! A platform as the component sees it: its directory and its settings. The simulated
//! ERP and CRM hosts implement it; so would a vendor's own.

use crate::bindings::config::{CallRequestConfig, RecordingConfig, StaffRule};
use crate::bindings::crm::{Client, StaffMember};
use crate::bindings::directory::ContextInfo;
use crate::bindings::types::{Context, DisplayMode, Licence, User};

pub trait Platform: Send + Sync {
    /// The group or record, with every user related to it.
    fn describe_context(&self, context: &Context) -> Option<ContextInfo>;
    fn user(&self, id: &str) -> Option<User>;
    fn licence(&self) -> Licence;

    /// The groups a user is a member of.
    fn groups_of(&self, _user: &str) -> Vec<String> {
        Vec::new()
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
        RecordingConfig { keep_copies: false, retention_hours: 0 }
    }
}
