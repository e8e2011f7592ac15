//! The host side of the contract: generated bindings, and the imports implemented over
//! a [`Platform`], the signer and the effects a call produces.

wasmtime::component::bindgen!({
    world: "meeting-plugin",
    path: "../wit",
    with: {
        "wasi:keyvalue": crate::keyvalue::bindings::wasi::keyvalue,
        // Served by wasmtime-wasi (`add_to_linker_sync`).
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        "wasi:random": wasmtime_wasi::p2::bindings::random,
    },
    additional_derives: [PartialEq, serde::Serialize, serde::Deserialize],
    // What announces is kept before these return, or the call fails: the component
    // notes an announcement made only after them, so that a later call makes a lost one.
    imports: {
        "meetkit:meet/messaging.post-comment": trappable,
        "meetkit:meet/messaging.notify": trappable,
        "meetkit:meet/messaging.show-toast": trappable,
        "meetkit:meet/messaging.send-email": trappable,
        "meetkit:meet/files.archive-recording": trappable,
    },
});

pub use exports::meetkit::meet::{call_requests, clock as tick, meetings, overview, recordings, webhooks};
pub use meetkit::meet::{config, crm, directory, files, messaging, presence, signing, time_zones, types};

use crate::effects::Effect;
use crate::platform::Platform;
use crate::signer::Signer;
use anyhow::Context as _;
use std::sync::Arc;
use types::{Context, Licence, User, UserId};
use wasmtime::ToWasmtimeResult as _;
use wasmtime::component::{HasSelf, Linker};

/// Everything one component call may reach.
pub struct HostState {
    pub(crate) wasi: wasmtime_wasi::WasiCtx,
    pub(crate) table: wasmtime::component::ResourceTable,
    pub(crate) limits: crate::runtime::CallLimits,
    pub(crate) kv: Arc<dyn crate::keyvalue::KvBackend>,
    pub(crate) platform: Arc<dyn Platform>,
    /// The JaaS signing key; none in a state that only instantiates the component.
    pub(crate) signer: Option<Arc<Signer>>,
    pub(crate) jaas: config::JaasConfig,
    pub(crate) public_address: String,
    pub(crate) now_ms: i64,
    /// Bucket prefix of this platform in the shared store.
    pub(crate) namespace: &'static str,
    /// What the component asked the platform to show, in order.
    pub(crate) effects: Vec<Effect>,
    /// The platform's screens (its effect log), when kept: each effect is written as it
    /// is asked for, as a platform shows a notification at once, so that a call killed
    /// or failing afterwards has still shown what it stored. What announces (comments,
    /// bells, toasters, mails, files, owed copies) fails the call when it cannot be
    /// written; the rest (page signals, presence, withdrawals, flags) waits for the end
    /// of the call.
    pub(crate) screens: Option<Arc<crate::hostdb::HostDb>>,
    /// How many of `effects` are on the screens already.
    pub(crate) shown: usize,
    /// Where copies of recordings are owed: written when the component asks, before the
    /// call returns (the contract's promise; the call's other effects are logged after).
    pub(crate) owed_copies: Option<Arc<crate::hostdb::HostDb>>,
}

/// Adds the platform interfaces (everything but WASI and keyvalue) to `linker`.
pub fn add_platform_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    types::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    directory::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    crm::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    config::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    messaging::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    presence::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    files::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    signing::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    time_zones::add_to_linker::<_, HasSelf<_>>(linker, |s| s)
}

impl wasmtime_wasi::WasiView for HostState {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        wasmtime_wasi::WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl HostState {
    /// Shows `effect`, with any waiting before it, in order. What `announces` must be
    /// kept before the component goes on, or the call fails (a trap); anything else that
    /// cannot be written now waits for the end of the call (`PlatformHost::call`).
    fn emit(&mut self, effect: Effect, announces: bool) -> wasmtime::Result<()> {
        tracing::debug!(?effect, "component effect");
        self.effects.push(effect);
        let Some(db) = &self.screens else {
            self.shown = self.effects.len();
            return Ok(());
        };
        match db.append(self.namespace, self.now_ms, &self.effects[self.shown..]) {
            Ok(()) => self.shown = self.effects.len(),
            Err(e) if announces => {
                // Not shown: neither written later nor reported as shown.
                self.effects.pop();
                return Err(e.context("the platform could not keep what the component showed"))
                    .to_wasmtime_result();
            }
            Err(e) => tracing::warn!(error = %format!("{e:#}"), "an effect waits for the end of the call"),
        }
        Ok(())
    }
}

impl types::Host for HostState {}

impl directory::Host for HostState {
    fn describe_context(&mut self, context: Context) -> Option<directory::ContextInfo> {
        self.platform.describe_context(&context)
    }
    fn context_title(&mut self, context: Context) -> Option<String> {
        self.platform.context_title(&context)
    }
    fn relation_of(&mut self, context: Context, user: UserId) -> Option<directory::Relation> {
        self.platform.relation_of(&context, &user)
    }
    fn get_user(&mut self, id: UserId) -> Option<User> {
        self.platform.user(&id)
    }
    fn groups_of(&mut self, user: UserId) -> Vec<String> {
        self.platform.groups_of(&user)
    }
    fn group_members(&mut self, group: String) -> Vec<String> {
        self.platform.group_members(&group)
    }
    fn calendar_blocked(&mut self, user: UserId, start: i64, end: i64) -> bool {
        self.platform.calendar_blocked(&user, start, end)
    }
    fn licence_tier(&mut self) -> Licence {
        self.platform.licence()
    }
}

impl crm::Host for HostState {
    fn get_client(&mut self, id: String) -> Option<crm::Client> {
        self.platform.client(&id)
    }
    fn staff(&mut self) -> Vec<crm::StaffMember> {
        self.platform.staff()
    }
}

impl config::Host for HostState {
    fn jaas(&mut self) -> config::JaasConfig {
        self.jaas.clone()
    }
    fn call_requests(&mut self) -> config::CallRequestConfig {
        self.platform.call_request_config()
    }
    fn recordings(&mut self) -> config::RecordingConfig {
        self.platform.recording_config()
    }
    fn public_address(&mut self) -> String {
        self.public_address.clone()
    }
}

impl messaging::Host for HostState {
    fn post_comment(&mut self, context: Context, comment: messaging::Comment) -> wasmtime::Result<()> {
        self.emit(Effect::Comment { context, comment }, true)
    }
    // One effect for each user, as the platform shows them.
    fn notify(&mut self, users: Vec<UserId>, notification: messaging::Notification) -> wasmtime::Result<()> {
        for user in users {
            self.emit(Effect::Notification { user, notification: notification.clone() }, true)?;
        }
        Ok(())
    }
    fn withdraw_notifications(&mut self, users: Vec<UserId>, context: Context, meeting: Option<String>) {
        for user in users {
            let withdrawn =
                Effect::NotificationsWithdrawn { user, context: context.clone(), meeting: meeting.clone() };
            let _ = self.emit(withdrawn, false);
        }
    }
    fn show_toast(&mut self, users: Vec<UserId>, toast: messaging::Toast) -> wasmtime::Result<()> {
        for user in users {
            self.emit(Effect::Toast { user, toast: toast.clone() }, true)?;
        }
        Ok(())
    }
    fn signal_page(&mut self, users: Vec<UserId>, signal: messaging::PageSignal) {
        for user in users {
            let _ = self.emit(Effect::Signal { user, signal: signal.clone() }, false);
        }
    }
    fn flag_to_admins(&mut self, context: Context, text: String) {
        let _ = self.emit(Effect::Flag { context, text }, false);
    }
    fn send_email(&mut self, email: messaging::Email) -> wasmtime::Result<()> {
        self.emit(Effect::Email { email }, true)
    }
}

impl presence::Host for HostState {
    fn set_presence(&mut self, user: UserId, state: presence::PresenceState) {
        let _ = self.emit(Effect::Presence { user, state }, false);
    }
}

impl files::Host for HostState {
    fn save_link_file(&mut self, context: Context, file: files::LinkFile) -> Result<String, String> {
        let file_id = crate::harness::fresh_id("file");
        self.emit(Effect::FileSaved { file_id: file_id.clone(), context, file }, true)
            .map_err(|e| format!("{e:#}"))?;
        Ok(file_id)
    }
    fn delete_file(&mut self, context: Context, file_id: String) -> Result<(), String> {
        self.platform.may_delete_file(&context, &file_id)?;
        self.emit(Effect::FileDeleted { context, file_id }, true).map_err(|e| format!("{e:#}"))
    }
    fn archive_recording(
        &mut self,
        recording: String,
        url: String,
        keep_until: types::Instant,
    ) -> wasmtime::Result<()> {
        if let Some(db) = &self.owed_copies {
            db.owe_copy(self.namespace, &recording, &url)
                .context("the platform could not note the copy it owes")
                .to_wasmtime_result()?;
        }
        self.emit(Effect::Archive { recording, url, keep_until }, true)
    }
}

impl signing::Host for HostState {
    fn sign_jaas_token(&mut self, claims: String) -> Result<String, String> {
        let signer = self.signer.as_ref().ok_or("this host holds no signing key")?;
        signer.sign(&claims).map_err(|e| format!("{e:#}"))
    }
}

impl time_zones::Host for HostState {
    fn to_instant(
        &mut self,
        zone: String,
        local: time_zones::LocalDateTime,
    ) -> Result<types::Instant, String> {
        crate::zones::to_instant(&zone, &local)
    }
    fn to_local(
        &mut self,
        zone: String,
        at: types::Instant,
    ) -> Result<(time_zones::LocalDateTime, time_zones::ZoneOffset), String> {
        crate::zones::to_local(&zone, at)
    }
    fn transitions(
        &mut self,
        zone: String,
        start: types::Instant,
        end: types::Instant,
    ) -> Result<Vec<time_zones::ZoneOffset>, String> {
        crate::zones::transitions(&zone, start, end)
    }
}
