//! What the domain core needs from the platform and from the key-value store.
//!
//! In the component these traits are implemented over the imported WIT interfaces
//! (`glue.rs`); in native unit tests by an in-memory fake (`testing.rs`).

use crate::prelude::*;

use crate::call_request::CallRequestConfig;
use crate::model::{
    Context, ContextInfo, Instant, JaasConfig, JoinTicket, Licence, LocalDateTime, Relation, User, ZoneOffset,
};
use core::any::Any;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub label: String,
    pub url: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub text: String,
    pub link: Option<Link>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub title: String,
    pub text: String,
    pub link: Option<Link>,
    pub context: Context,
    /// The meeting it asks to join, which that meeting's end takes back.
    pub meeting: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Colour {
    Red,
    Green,
    Blue,
    Grey,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toast {
    pub text: String,
    pub colour: Colour,
    pub duration_ms: u32,
    pub melody: Option<String>,
    pub link: Option<Link>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestCard {
    pub request_id: String,
    pub client_name: String,
    pub contact_name: String,
    pub requested_at: Instant,
    pub expires_at: Instant,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClosedReason {
    Cancelled,
    Expired,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageSignal {
    OpenMeeting(JoinTicket),
    ShowJoin(String),
    MeetingEnded(String),
    RequestAdded(RequestCard),
    RequestRemoved(String),
    RequestClosed(String, ClosedReason),
    VoiceCue(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    Available,
    Busy,
}

/// A CRM staff member with what notification settings select on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaffMember {
    pub user: User,
    pub departments: Vec<String>,
    pub roles: Vec<String>,
    pub active: bool,
}

/// A CRM client company.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    pub id: String,
    pub company: String,
    pub contacts: Vec<String>,
    pub assigned_staff: Vec<String>,
}

/// Recording settings of the administrator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordingConfig {
    pub keep_copies: bool,
    pub retention_hours: u32,
    /// The zone recordings' times are written in; empty: UTC.
    pub time_zone: String,
}

/// A file that is a link, for a context's Files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkFile {
    pub name: String,
    pub url: String,
    pub expires_at: Option<Instant>,
}

/// An e-mail to someone outside the platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub to_name: String,
    pub subject: String,
    pub body: String,
    pub calendar: Option<String>,
}

/// The platform: directory, settings, user interface, signing, time and randomness.
pub trait Host {
    fn now(&self) -> Instant;
    fn random_bytes(&self, buf: &mut [u8]);

    fn describe_context(&self, context: &Context) -> Option<ContextInfo>;
    fn context_title(&self, context: &Context) -> Option<String>;
    fn relation_of(&self, context: &Context, user: &str) -> Option<Relation>;
    fn user(&self, id: &str) -> Option<User>;
    fn groups_of(&self, user: &str) -> Vec<String>;
    fn group_members(&self, group: &str) -> Vec<String>;
    /// Whether `user`'s calendar on the platform is blocked at some moment of `start..end`.
    fn calendar_blocked(&self, user: &str, start: Instant, end: Instant) -> bool;
    fn licence(&self) -> Licence;
    fn client(&self, id: &str) -> Option<Client>;
    fn staff(&self) -> Vec<StaffMember>;

    fn jaas(&self) -> JaasConfig;
    fn call_request_config(&self) -> CallRequestConfig;
    fn recording_config(&self) -> RecordingConfig;
    /// The platform's public address, ending in `/`.
    fn public_address(&self) -> String;

    fn post_comment(&self, context: &Context, comment: Comment);
    // Each of these tells several users at once: one crossing of the component's
    // boundary for a panel of staff, not one for each of them.
    fn notify(&self, users: &[String], notification: Notification);
    /// Takes back the notifications about `context`; with a `meeting`, only those about it.
    fn withdraw_notifications(&self, users: &[String], context: &Context, meeting: Option<&str>);
    fn show_toast(&self, users: &[String], toast: Toast);
    fn signal_page(&self, users: &[String], signal: PageSignal);
    fn set_presence(&self, user: &str, presence: Presence);
    fn flag_to_admins(&self, context: &Context, text: &str);
    fn send_email(&self, email: Email);

    fn save_link_file(&self, context: &Context, file: LinkFile) -> Result<String, String>;
    fn delete_file(&self, context: &Context, file_id: &str) -> Result<(), String>;
    /// Asks the host to keep its own copy of a recording until `keep_until`.
    fn archive_recording(&self, recording: &str, url: &str, keep_until: Instant);

    fn to_local(&self, zone: &str, at: Instant) -> Result<(LocalDateTime, ZoneOffset), String>;
    fn to_instant(&self, zone: &str, local: LocalDateTime) -> Result<Instant, String>;
    fn transitions(&self, zone: &str, start: Instant, end: Instant) -> Result<Vec<ZoneOffset>, String>;

    /// Signs a token's claims (a JSON object) and returns the compact JWT.
    fn sign_jaas_token(&self, claims: &str) -> Result<String, String>;
}

/// Failure of the key-value store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvError(pub String);

/// A compare-and-swap handle: the value a key had when it was taken, and the
/// implementation's token for the version it saw.
pub struct CasSlot {
    pub current: Option<Vec<u8>>,
    pub handle: Box<dyn Any>,
}

/// The `wasi:keyvalue` store and atomics, as the core uses them.
pub trait Kv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError>;
    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError>;
    fn delete(&self, key: &str) -> Result<(), KvError>;
    /// One page of keys and the cursor of the next page.
    fn list_keys(&self, cursor: Option<String>) -> Result<(Vec<String>, Option<String>), KvError>;
    /// Takes a CAS handle on `key`.
    fn cas(&self, key: &str) -> Result<CasSlot, KvError>;
    /// Writes `value` if the key is unchanged since `slot` was taken; on conflict returns a
    /// fresh slot on the current version.
    fn swap(&self, slot: CasSlot, value: &[u8]) -> Result<Result<(), CasSlot>, KvError>;
}
