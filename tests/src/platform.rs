//! A platform that misbehaves on purpose: it answers as the platform it wraps, except
//! where a test tells it to refuse a file's deletion, to leave a user out of a
//! context's listing (as a platform changed between two questions would), or to answer
//! another licence (as a vendor who lowered it would).

use meetkit_host::bindings::config::{CallRequestConfig, RecordingConfig};
use meetkit_host::bindings::crm::{Client, StaffMember};
use meetkit_host::bindings::directory::{ContextInfo, Relation};
use meetkit_host::bindings::types::{Context, Licence, User};
use meetkit_host::platform::Platform;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub struct Wayward {
    inner: Arc<dyn Platform>,
    refuse_deletes: AtomicBool,
    locked: Mutex<Option<String>>,
    unlisted: Mutex<Option<String>>,
    licence: Mutex<Option<Licence>>,
}

impl Wayward {
    pub fn new(inner: Arc<dyn Platform>) -> Arc<Self> {
        Arc::new(Wayward {
            inner,
            refuse_deletes: AtomicBool::new(false),
            locked: Mutex::new(None),
            unlisted: Mutex::new(None),
            licence: Mutex::new(None),
        })
    }

    /// Makes Files refuse every deletion, as for a file someone has locked.
    pub fn refuse_deletes(&self, refuse: bool) {
        self.refuse_deletes.store(refuse, Ordering::SeqCst);
    }

    /// Makes Files refuse to delete the one file `file_id` (none: no file is locked).
    pub fn lock_file(&self, file_id: Option<&str>) {
        *self.locked.lock().unwrap() = file_id.map(String::from);
    }

    /// Leaves `user` out of every context's listing while `relation_of` still relates them.
    pub fn leave_out_of_listings(&self, user: Option<&str>) {
        *self.unlisted.lock().unwrap() = user.map(String::from);
    }

    /// Answers `licence` from now on (none: the wrapped platform's own).
    pub fn set_licence(&self, licence: Option<Licence>) {
        *self.licence.lock().unwrap() = licence;
    }
}

impl Platform for Wayward {
    fn describe_context(&self, context: &Context) -> Option<ContextInfo> {
        let mut info = self.inner.describe_context(context)?;
        if let Some(user) = self.unlisted.lock().unwrap().as_deref() {
            info.members.retain(|m| m.user.id != user);
        }
        Some(info)
    }
    fn context_title(&self, context: &Context) -> Option<String> {
        self.inner.context_title(context)
    }
    fn relation_of(&self, context: &Context, user: &str) -> Option<Relation> {
        self.inner.relation_of(context, user)
    }
    fn user(&self, id: &str) -> Option<User> {
        self.inner.user(id)
    }
    fn licence(&self) -> Licence {
        self.licence.lock().unwrap().unwrap_or_else(|| self.inner.licence())
    }
    fn groups_of(&self, user: &str) -> Vec<String> {
        self.inner.groups_of(user)
    }
    fn group_members(&self, group: &str) -> Vec<String> {
        self.inner.group_members(group)
    }
    fn calendar_blocked(&self, user: &str, start: i64, end: i64) -> bool {
        self.inner.calendar_blocked(user, start, end)
    }
    fn client(&self, id: &str) -> Option<Client> {
        self.inner.client(id)
    }
    fn staff(&self) -> Vec<StaffMember> {
        self.inner.staff()
    }
    fn call_request_config(&self) -> CallRequestConfig {
        self.inner.call_request_config()
    }
    fn recording_config(&self) -> RecordingConfig {
        self.inner.recording_config()
    }
    fn may_delete_file(&self, context: &Context, file_id: &str) -> Result<(), String> {
        if self.refuse_deletes.load(Ordering::SeqCst)
            || self.locked.lock().unwrap().as_deref() == Some(file_id)
        {
            return Err(format!("{file_id} is locked by a colleague"));
        }
        self.inner.may_delete_file(context, file_id)
    }
}
