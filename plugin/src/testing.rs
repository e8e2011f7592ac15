//! In-memory stand-ins for the platform and the store, for native tests and benchmarks.

use crate::prelude::*;

use crate::call_request::{CallRequestConfig, StaffRule};
use crate::host::{
    CasSlot, Client, Comment, Email, Host, Kv, KvError, LinkFile, Notification, PageSignal, Presence,
    RecordingConfig, StaffMember, Toast,
};
use crate::model::{
    Context, ContextInfo, DisplayMode, Instant, JaasConfig, Licence, LocalDateTime, Member, Relation, User,
    UserKind, ZoneOffset,
};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};

/// Everything the core asked the platform to do, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    Comment(Context, Comment),
    Notify(String, Notification),
    Withdraw(String, Context, Option<String>),
    Toast(String, Toast),
    Signal(String, PageSignal),
    Presence(String, Presence),
    Flag(Context, String),
    FileSaved(String, Context, LinkFile),
    FileDeleted(Context, String),
    Archive(String, String, Instant),
    Email(Email),
}

pub struct FakeHost {
    pub now: Cell<Instant>,
    pub licence: Licence,
    pub users: HashMap<String, User>,
    pub contexts: HashMap<Context, ContextInfo>,
    pub clients: HashMap<String, Client>,
    pub staff: Vec<StaffMember>,
    /// Times each user's calendar is blocked, as `(user, start, end)`.
    pub blocked: Vec<(String, Instant, Instant)>,
    pub call_config: CallRequestConfig,
    pub recording_config: RecordingConfig,
    pub effects: RefCell<Vec<Effect>>,
    /// Make the host refuse to sign tokens, or Files to save, to test failure paths.
    pub fail_signing: Cell<bool>,
    pub fail_files: Cell<bool>,
    /// Files refuses to delete this one file (by id).
    pub undeletable: RefCell<Option<String>>,
    seed: Cell<u64>,
}

impl FakeHost {
    pub fn new(licence: Licence) -> Self {
        FakeHost {
            now: Cell::new(1_767_225_600_000), // 2026-01-01T00:00:00Z
            licence,
            users: HashMap::new(),
            contexts: HashMap::new(),
            clients: HashMap::new(),
            staff: Vec::new(),
            blocked: Vec::new(),
            call_config: CallRequestConfig {
                notify: vec![StaffRule::AllStaff],
                display: DisplayMode::NewTab,
                expiry_secs: 300,
            },
            recording_config: RecordingConfig {
                keep_copies: false,
                retention_hours: 0,
                time_zone: String::new(),
            },
            effects: RefCell::new(Vec::new()),
            fail_signing: Cell::new(false),
            fail_files: Cell::new(false),
            undeletable: RefCell::new(None),
            seed: Cell::new(1),
        }
    }

    pub fn add_user(&mut self, id: &str, kind: UserKind) {
        let user = User {
            id: id.into(),
            name: format!("User {id}"),
            email: format!("{id}@example.com"),
            avatar: None,
            kind,
        };
        self.users.insert(id.into(), user);
    }

    pub fn add_context(&mut self, context: Context, members: &[(&str, Relation)]) {
        let members = members
            .iter()
            .map(|(id, relation)| Member { user: self.users[*id].clone(), relation: *relation })
            .collect();
        self.contexts.insert(context.clone(), ContextInfo { title: format!("Title of {context}"), members });
    }

    pub fn add_staff(&mut self, id: &str, departments: &[&str]) {
        self.add_user(id, UserKind::Internal);
        self.staff.push(StaffMember {
            user: self.users[id].clone(),
            departments: departments.iter().map(|d| d.to_string()).collect(),
            roles: Vec::new(),
            active: true,
        });
    }

    pub fn add_client(&mut self, id: &str, contacts: &[&str]) {
        for c in contacts {
            self.add_user(c, UserKind::External);
        }
        self.clients.insert(
            id.into(),
            Client {
                id: id.into(),
                company: format!("Company {id}"),
                contacts: contacts.iter().map(|c| c.to_string()).collect(),
                assigned_staff: Vec::new(),
            },
        );
    }

    pub fn advance(&self, ms: Instant) {
        self.now.set(self.now.get() + ms);
    }

    pub fn take_effects(&self) -> Vec<Effect> {
        std::mem::take(&mut self.effects.borrow_mut())
    }

    fn push(&self, effect: Effect) {
        self.effects.borrow_mut().push(effect);
    }
}

impl Host for FakeHost {
    fn now(&self) -> Instant {
        self.now.get()
    }

    fn random_bytes(&self, buf: &mut [u8]) {
        // xorshift: deterministic, distinct ids.
        for b in buf {
            let mut x = self.seed.get();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.seed.set(x);
            *b = x as u8;
        }
    }

    fn describe_context(&self, context: &Context) -> Option<ContextInfo> {
        self.contexts.get(context).cloned()
    }

    fn context_title(&self, context: &Context) -> Option<String> {
        self.contexts.get(context).map(|c| c.title.clone())
    }

    fn relation_of(&self, context: &Context, user: &str) -> Option<Relation> {
        self.contexts.get(context)?.members.iter().find(|m| m.user.id == user).map(|m| m.relation)
    }

    fn user(&self, id: &str) -> Option<User> {
        self.users.get(id).cloned()
    }

    fn groups_of(&self, user: &str) -> Vec<String> {
        let mut groups: Vec<String> = self
            .contexts
            .iter()
            .filter_map(|(c, info)| match c {
                Context::Group(id) if info.members.iter().any(|m| m.user.id == user) => Some(id.clone()),
                _ => None,
            })
            .collect();
        groups.sort();
        groups
    }

    fn licence(&self) -> Licence {
        self.licence
    }

    fn calendar_blocked(&self, user: &str, start: Instant, end: Instant) -> bool {
        self.blocked.iter().any(|(u, from, to)| u == user && *from < end && start < *to)
    }

    fn group_members(&self, group: &str) -> Vec<String> {
        self.contexts
            .get(&Context::Group(group.into()))
            .map(|c| c.members.iter().map(|m| m.user.id.clone()).collect())
            .unwrap_or_default()
    }

    fn send_email(&self, email: Email) {
        self.push(Effect::Email(email));
    }

    fn client(&self, id: &str) -> Option<Client> {
        self.clients.get(id).cloned()
    }

    fn staff(&self) -> Vec<StaffMember> {
        self.staff.clone()
    }

    fn jaas(&self) -> JaasConfig {
        JaasConfig {
            app_id: "vpaas-magic-cookie-0123456789abcdef0123456789abcdef".into(),
            domain: "8x8.vc".into(),
            token_ttl_secs: 3600,
        }
    }

    fn call_request_config(&self) -> CallRequestConfig {
        self.call_config.clone()
    }

    fn post_comment(&self, context: &Context, comment: Comment) {
        self.push(Effect::Comment(context.clone(), comment));
    }

    fn notify(&self, users: &[String], notification: Notification) {
        for user in users {
            self.push(Effect::Notify(user.clone(), notification.clone()));
        }
    }

    fn withdraw_notifications(&self, users: &[String], context: &Context, meeting: Option<&str>) {
        for user in users {
            self.push(Effect::Withdraw(user.clone(), context.clone(), meeting.map(str::to_string)));
        }
    }

    fn show_toast(&self, users: &[String], toast: Toast) {
        for user in users {
            self.push(Effect::Toast(user.clone(), toast.clone()));
        }
    }

    fn signal_page(&self, users: &[String], signal: PageSignal) {
        for user in users {
            self.push(Effect::Signal(user.clone(), signal.clone()));
        }
    }

    fn set_presence(&self, user: &str, presence: Presence) {
        self.push(Effect::Presence(user.into(), presence));
    }

    fn sign_jaas_token(&self, claims: &str) -> Result<String, String> {
        if self.fail_signing.get() {
            return Err("the signing service is down".into());
        }
        Ok(format!("unsigned.{claims}.sig"))
    }

    fn recording_config(&self) -> RecordingConfig {
        self.recording_config.clone()
    }

    fn public_address(&self) -> String {
        "https://platform.example/".into()
    }

    fn flag_to_admins(&self, context: &Context, text: &str) {
        self.push(Effect::Flag(context.clone(), text.into()));
    }

    fn save_link_file(&self, context: &Context, file: LinkFile) -> Result<String, String> {
        if self.fail_files.get() {
            return Err("Files is unavailable".into());
        }
        let id = format!("file-{}", self.effects.borrow().len());
        self.push(Effect::FileSaved(id.clone(), context.clone(), file));
        Ok(id)
    }

    fn delete_file(&self, context: &Context, file_id: &str) -> Result<(), String> {
        if self.fail_files.get() || self.undeletable.borrow().as_deref() == Some(file_id) {
            return Err("Files is unavailable".into());
        }
        self.push(Effect::FileDeleted(context.clone(), file_id.into()));
        Ok(())
    }

    fn archive_recording(&self, recording: &str, url: &str, keep_until: Instant) {
        self.push(Effect::Archive(recording.into(), url.into(), keep_until));
    }

    /// UTC only: enough for naming files in tests.
    fn to_local(&self, zone: &str, at: Instant) -> Result<(LocalDateTime, ZoneOffset), String> {
        if zone != "UTC" {
            return Err(format!("the fake host knows only UTC, not {zone}"));
        }
        let days = at.div_euclid(86_400_000);
        let secs = at.rem_euclid(86_400_000) / 1000;
        // Civil date from days since 1970-01-01 (proleptic Gregorian).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i16;
        let local =
            LocalDateTime { year, month, day, hour: (secs / 3600) as u8, minute: (secs % 3600 / 60) as u8 };
        Ok((local, ZoneOffset { since: i64::MIN, offset_secs: 0, abbreviation: "UTC".into(), dst: false }))
    }

    fn to_instant(&self, _zone: &str, _local: LocalDateTime) -> Result<Instant, String> {
        Err("the fake host has no time-zone database".into())
    }

    fn transitions(&self, _zone: &str, _start: Instant, _end: Instant) -> Result<Vec<ZoneOffset>, String> {
        Err("the fake host has no time-zone database".into())
    }
}

/// A versioned in-memory key-value store with compare-and-swap.
#[derive(Default)]
pub struct MemoryKv {
    entries: RefCell<BTreeMap<String, (u64, Vec<u8>)>>,
    version: Cell<u64>,
    /// Make compare-and-swap fail on keys starting with this, to test a process that
    /// dies between two writes.
    pub fail_cas_on: Cell<Option<&'static str>>,
    /// How many times the keys were listed (a scan of the store).
    pub listings: Cell<usize>,
}

impl MemoryKv {
    fn version_of(&self, key: &str) -> u64 {
        self.entries.borrow().get(key).map_or(0, |(v, _)| *v)
    }
}

impl Kv for MemoryKv {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, KvError> {
        Ok(self.entries.borrow().get(key).map(|(_, v)| v.clone()))
    }

    fn set(&self, key: &str, value: &[u8]) -> Result<(), KvError> {
        self.version.set(self.version.get() + 1);
        self.entries.borrow_mut().insert(key.into(), (self.version.get(), value.to_vec()));
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), KvError> {
        self.entries.borrow_mut().remove(key);
        Ok(())
    }

    fn list_keys(&self, cursor: Option<String>) -> Result<(Vec<String>, Option<String>), KvError> {
        const PAGE: usize = 100;
        self.listings.set(self.listings.get() + 1);
        let entries = self.entries.borrow();
        let keys: Vec<String> = match &cursor {
            Some(after) => entries
                .range::<String, _>((std::ops::Bound::Excluded(after), std::ops::Bound::Unbounded))
                .map(|(k, _)| k.clone())
                .take(PAGE + 1)
                .collect(),
            None => entries.keys().take(PAGE + 1).cloned().collect(),
        };
        let more = keys.len() > PAGE;
        let page: Vec<String> = keys.into_iter().take(PAGE).collect();
        let next = if more { page.last().cloned() } else { None };
        Ok((page, next))
    }

    fn cas(&self, key: &str) -> Result<CasSlot, KvError> {
        if self.fail_cas_on.get().is_some_and(|prefix| key.starts_with(prefix)) {
            return Err(KvError("the store failed (as the test asked)".into()));
        }
        Ok(CasSlot { current: self.get(key)?, handle: Box::new((key.to_string(), self.version_of(key))) })
    }

    fn swap(&self, slot: CasSlot, value: &[u8]) -> Result<Result<(), CasSlot>, KvError> {
        let (key, seen) = *slot.handle.downcast::<(String, u64)>().expect("a MemoryKv slot");
        if self.version_of(&key) != seen {
            return Ok(Err(self.cas(&key)?));
        }
        self.set(&key, value)?;
        Ok(Ok(()))
    }
}
