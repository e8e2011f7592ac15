//! The harness: a data folder (configuration, keys, the component's store, the
//! platforms' own database, the compiled-component cache), a clock, and the two
//! simulated platforms, each calling the component through the same runtime.

use crate::archive::Archiver;
use crate::bindings::HostState;
use crate::bindings::config::JaasConfig;
use crate::bindings::tick::TickReport;
use crate::bindings::types::Error;
use crate::clock::Clock;
use crate::effects::Effect;
use crate::erp::ErpWorld;
use crate::hostdb::{HostDb, OwedCopy};
use crate::keyvalue::{self, KvBackend};
use crate::perfex::{PerfexWorld, Settings};
use crate::platform::Platform;
use crate::runtime::{COMPONENT, CallFailure, Limits, Runtime};
use crate::signer::Signer;
use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use wasmtime::Store;

/// The platforms the harness simulates, as addresses and the CLI name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PlatformName {
    /// The ERP.net-style platform: groups, records, the meetings overview.
    Erp,
    /// The Perfex-style CRM: call requests from its client area.
    Perfex,
}

impl PlatformName {
    pub fn as_str(self) -> &'static str {
        match self {
            PlatformName::Erp => "erp",
            PlatformName::Perfex => "perfex",
        }
    }
}

impl std::str::FromStr for PlatformName {
    type Err = crate::InputError;
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "erp" => Ok(PlatformName::Erp),
            "perfex" => Ok(PlatformName::Perfex),
            other => Err(crate::InputError::NotFound(format!("no platform {other:?}: erp or perfex"))),
        }
    }
}

/// `meetkit.toml` in the data folder.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HarnessConfig {
    pub jaas: JaasSection,
    pub webhooks: WebhookSection,
    /// Where people outside the simulated platforms reach them (guests' links).
    #[serde(default)]
    pub platform: PlatformSection,
    /// The JSON API of `meetkit serve`.
    #[serde(default)]
    pub api: ApiSection,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSection {
    /// The Bearer token a caller of `/api` sends; the API is off without one.
    pub token: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformSection {
    /// The platforms' public address: guests' e-mails and calendar files link here.
    pub public_address: String,
}

impl Default for PlatformSection {
    fn default() -> Self {
        // Where `meetkit serve` listens unless told otherwise.
        PlatformSection { public_address: "http://127.0.0.1:8080/".into() }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JaasSection {
    /// `vpaas-magic-cookie-<32 hex>`.
    pub app_id: String,
    /// The key id 8x8 assigned to the uploaded public key.
    pub key_id: String,
    /// PKCS#8 PEM private key; relative paths are in the data folder. Created as a
    /// development key when missing, but only while `key_id` is the development one
    /// ([`DEVELOPMENT_KEY_ID`]): with a tenant's key id a missing file is an error.
    pub private_key: PathBuf,
    #[serde(default = "default_domain")]
    pub domain: String,
    #[serde(default = "default_ttl")]
    pub token_ttl_secs: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSection {
    /// The endpoint secret as the JaaS console shows it (`whsec_...`).
    pub secret: String,
    /// How old a delivery's signature time may be, in seconds.
    #[serde(default = "default_tolerance")]
    pub tolerance_secs: u64,
}

/// The key id of the configuration meetkit writes for development. Only with it does a
/// missing key file get a new key: tokens signed by any other key than the tenant's
/// uploaded one are rejected by JaaS, so a mistyped path must not pass unnoticed.
pub const DEVELOPMENT_KEY_ID: &str = "meetkit-dev";

impl JaasSection {
    /// The signer of this tenant, its key read from `data_dir` when relative. A
    /// development key is made when missing: quietly when the data folder is new
    /// (`first_use`), with a warning otherwise, since it no longer matches the public key
    /// printed before.
    pub fn signer(&self, data_dir: &Path, first_use: bool) -> Result<Signer> {
        let path = data_dir.join(&self.private_key);
        if self.key_id == DEVELOPMENT_KEY_ID && !path.exists() {
            Signer::create_key(&path)?;
            if first_use {
                tracing::info!(path = %path.display(), "created a development JaaS key pair");
            } else {
                tracing::warn!(
                    path = %path.display(),
                    "the development JaaS key was missing: made a new one, which `meetkit keys public` prints"
                );
            }
        }
        Signer::load(&self.app_id, &self.key_id, &path)
    }
}

fn default_domain() -> String {
    "8x8.vc".into()
}
/// Two hours, as in 8x8's samples: JaaS checks a token again when a dropped connection
/// reconnects with it, and a token that has expired by then sends the user back to the
/// platform for a new one.
fn default_ttl() -> u32 {
    7200
}
fn default_tolerance() -> u64 {
    300
}

/// A fresh random identifier with a prefix, for the platform's own records.
pub fn fresh_id(prefix: &str) -> String {
    format!("{prefix}-{}", random_hex(12))
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    aws_lc_rs::rand::fill(&mut b).expect("system randomness");
    crate::runtime::hex(&b)
}

impl HarnessConfig {
    /// A development configuration: a random AppID and webhook secret.
    pub fn development() -> Self {
        HarnessConfig {
            jaas: JaasSection {
                app_id: format!("vpaas-magic-cookie-{}", random_hex(16)),
                key_id: DEVELOPMENT_KEY_ID.into(),
                private_key: "jaas-private-key.pem".into(),
                domain: default_domain(),
                token_ttl_secs: default_ttl(),
            },
            webhooks: WebhookSection {
                secret: format!("whsec_{}", random_hex(24)),
                tolerance_secs: default_tolerance(),
            },
            platform: PlatformSection::default(),
            api: ApiSection { token: Some(random_hex(24)) },
        }
    }

    /// Reads `meetkit.toml` from the data folder, writing a development one first if absent.
    pub fn load_or_create(data_dir: &Path) -> Result<Self> {
        let path = data_dir.join("meetkit.toml");
        if !path.exists() {
            std::fs::create_dir_all(data_dir)?;
            let text = format!(
                "# meetkit harness configuration. Replace the development values with your JaaS tenant's.\n{}",
                toml::to_string_pretty(&Self::development())?
            );
            std::fs::write(&path, text)?;
        }
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        // The file is the user's to edit: a mistake in it is their input to correct (a
        // misspelled setting too, rather than its default in silence).
        let invalid =
            |e: &dyn std::fmt::Display| crate::InputError::Invalid(format!("{}: {e}", path.display()));
        let config: Self =
            crate::platform::parse_toml(&text, "a valid configuration").map_err(|e| invalid(&e))?;
        config.check().map_err(|e| invalid(&e))?;
        Ok(config)
    }

    /// What the file's types cannot say.
    fn check(&self) -> Result<(), &'static str> {
        let hex = self.jaas.app_id.strip_prefix("vpaas-magic-cookie-");
        if !hex.is_some_and(|h| h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit())) {
            return Err("[jaas] app_id is vpaas-magic-cookie-<32 hex digits>, as the JaaS console shows it");
        }
        if self.api.token.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err("[api] token is empty: set one, or remove it to turn the API off");
        }
        // Anyone can sign with an empty key: every delivery would pass.
        if self.webhooks.secret.trim().is_empty() {
            return Err("[webhooks] secret is empty: copy the endpoint's secret from the JaaS console");
        }
        if self.jaas.key_id.trim().is_empty() {
            return Err("[jaas] key_id is empty: the id JaaS gave the uploaded public key");
        }
        let domain = &self.jaas.domain;
        let host_name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':');
        if domain.is_empty() || !domain.chars().all(host_name) {
            return Err("[jaas] domain is a host name alone, as 8x8.vc: no scheme, path or slash");
        }
        if !(60..=86_400).contains(&self.jaas.token_ttl_secs) {
            return Err("[jaas] token_ttl_secs is from 60 (a minute) to 86400 (a day)");
        }
        // Guests' links are this address and a path: it must be one a mail can carry.
        let address = &self.platform.public_address;
        let rest = address.strip_prefix("https://").or_else(|| address.strip_prefix("http://"));
        if !rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/') && !r.contains(['?', '#', ' '])) {
            return Err(
                "[platform] public_address is an http(s) address, as https://erp.example.com/, without ? or #",
            );
        }
        Ok(())
    }
}

/// How to open a harness.
#[derive(Clone, Debug, Default)]
pub struct HarnessOptions {
    /// The data folder (default `.meetkit` in the working folder).
    pub data_dir: PathBuf,
    /// The component's store: an SQLite path or `redis://...` (default `<data>/state.db`).
    pub store: Option<String>,
    /// A clock to use instead of the persisted one (tests).
    pub clock: Option<Clock>,
    /// A configuration to use instead of `meetkit.toml`.
    pub config: Option<HarnessConfig>,
}

pub struct Harness {
    runtime: Arc<Runtime>,
    kv: Arc<dyn KvBackend>,
    db: Arc<HostDb>,
    signer: Arc<Signer>,
    config: HarnessConfig,
    clock: Clock,
    data_dir: PathBuf,
    /// Held while this process copies recordings.
    copying: std::sync::Mutex<()>,
}

/// A component call's value and what it asked the platform to show.
#[derive(Debug)]
pub struct Call<T> {
    pub value: T,
    pub effects: Vec<Effect>,
    /// Wasm instructions the call ran (fuel used, instantiation included).
    pub fuel: u64,
    /// The largest the component's linear memory grew to during the call, in bytes.
    pub memory: usize,
}

impl<T> Call<T> {
    /// Whether the call owes the platform copies of recordings (to download and keep).
    pub fn asks_for_copies(&self) -> bool {
        self.effects.iter().any(|e| matches!(e, Effect::Archive { .. }))
    }
}

const CLOCK_SETTING: &str = "clock.virtual-ms";
const ERP_WORLD: &str = "erp.world";
const PERFEX_WORLD: &str = "perfex.world";
const PERFEX_SETTINGS: &str = "perfex.settings";

impl Harness {
    /// The runtime of the embedded component, with its compiled form cached in `cache_dir`.
    pub fn runtime(cache_dir: &Path) -> Result<Arc<Runtime>> {
        Ok(Arc::new(Runtime::new(COMPONENT, Some(cache_dir), Limits::default())?))
    }

    pub fn open(options: HarnessOptions) -> Result<Self> {
        let runtime = Self::runtime(&options.data_dir.join("cache"))?;
        Self::open_with(options, runtime)
    }

    /// Opens a harness on an existing runtime (tests share one).
    pub fn open_with(options: HarnessOptions, runtime: Arc<Runtime>) -> Result<Self> {
        let data_dir = options.data_dir;
        std::fs::create_dir_all(&data_dir).with_context(|| format!("creating {}", data_dir.display()))?;
        let first_use = options.config.is_some() || !data_dir.join("meetkit.toml").exists();
        let config = match options.config {
            Some(c) => c,
            None => HarnessConfig::load_or_create(&data_dir)?,
        };
        let signer = Arc::new(config.jaas.signer(&data_dir, first_use)?);
        let store = options.store.unwrap_or_else(|| data_dir.join("state.db").display().to_string());
        let kv = keyvalue::open(&store)?;
        let db = Arc::new(HostDb::open(&data_dir.join("platform.db"))?);
        let clock = match options.clock {
            Some(c) => c,
            None => Clock::following(stored_time(&db)?),
        };
        Ok(Harness { runtime, kv, db, signer, config, clock, data_dir, copying: Default::default() })
    }

    /// The same harness on another store backend (benchmarks wrap the store).
    pub fn with_store(mut self, kv: Arc<dyn KvBackend>) -> Self {
        self.kv = kv;
        self
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
    pub fn config(&self) -> &HarnessConfig {
        &self.config
    }
    pub fn signer(&self) -> &Signer {
        &self.signer
    }
    pub fn store(&self) -> &Arc<dyn KvBackend> {
        &self.kv
    }
    pub fn db(&self) -> &HostDb {
        &self.db
    }
    pub fn clock(&self) -> &Clock {
        &self.clock
    }
    pub fn runtime_ref(&self) -> &Runtime {
        &self.runtime
    }

    /// Where the host keeps its own copies of recordings.
    pub fn archiver(&self) -> Archiver {
        Archiver::new(self.data_dir.join("recordings"))
    }

    /// Switches to a virtual clock at `ms` and remembers it for later commands.
    pub fn set_virtual_time(&mut self, ms: i64) -> Result<()> {
        self.db.set_setting(CLOCK_SETTING, &ms.to_string())?;
        match &self.clock {
            Clock::Real => {
                self.clock = Clock::virtual_at(ms);
                Ok(())
            }
            _ => self.clock.set(ms),
        }
    }

    /// Takes up the time other commands stored since this harness opened: a long-running
    /// `serve` follows `meetkit clock set`, `advance` and `real` run beside it. A harness
    /// given the real clock by its caller keeps it; one given a virtual clock takes up a
    /// stored time only.
    pub fn follow_stored_clock(&self) -> Result<()> {
        match (&self.clock, stored_time(&self.db)?) {
            (Clock::Real, _) => {}
            (_, Some(ms)) => self.clock.set(ms)?,
            (_, None) => self.clock.follow_real_time(),
        }
        Ok(())
    }

    /// Returns to the real clock.
    pub fn use_real_time(&mut self) -> Result<()> {
        self.db.clear_setting(CLOCK_SETTING)?;
        match &self.clock {
            Clock::Following(_) => self.clock.follow_real_time(),
            _ => self.clock = Clock::Real,
        }
        Ok(())
    }

    pub fn erp_world(&self) -> Result<ErpWorld> {
        let text = self.db.setting(ERP_WORLD)?;
        ErpWorld::parse(text.as_deref().unwrap_or(crate::erp::EXAMPLE_WORLD))
    }

    /// Replaces the ERP world with the one in `text` (checked first).
    pub fn load_erp_world(&self, text: &str) -> Result<ErpWorld> {
        let world = ErpWorld::parse(text)?;
        self.db.set_setting(ERP_WORLD, text)?;
        Ok(world)
    }

    pub fn perfex_world(&self) -> Result<PerfexWorld> {
        let text = self.db.setting(PERFEX_WORLD)?;
        let mut world = PerfexWorld::parse(text.as_deref().unwrap_or(crate::perfex::EXAMPLE_WORLD))?;
        if let Some(json) = self.db.setting(PERFEX_SETTINGS)? {
            world.settings = serde_json::from_str(&json)?;
        }
        Ok(world)
    }

    pub fn load_perfex_world(&self, text: &str) -> Result<PerfexWorld> {
        let world = PerfexWorld::parse(text)?;
        self.db.set_setting(PERFEX_WORLD, text)?;
        self.db.clear_setting(PERFEX_SETTINGS)?;
        Ok(world)
    }

    /// The administrator changes the call-request settings.
    pub fn set_perfex_settings(&self, settings: &Settings) -> Result<()> {
        settings.check(&self.perfex_world()?.staff)?;
        self.db.set_setting(PERFEX_SETTINGS, &serde_json::to_string(settings)?)
    }

    /// The ERP platform, as its world is now.
    pub fn erp(&self) -> Result<PlatformHost<'_>> {
        Ok(PlatformHost { harness: self, name: "erp", platform: Arc::new(self.erp_world()?), log: true })
    }

    /// The simulated platform `name`, as it is now.
    pub fn host(&self, name: PlatformName) -> Result<PlatformHost<'_>> {
        match name {
            PlatformName::Erp => self.erp(),
            PlatformName::Perfex => self.perfex(),
        }
    }

    /// The CRM platform, as its world and settings are now.
    pub fn perfex(&self) -> Result<PlatformHost<'_>> {
        Ok(PlatformHost {
            harness: self,
            name: "perfex",
            platform: Arc::new(self.perfex_world()?),
            log: true,
        })
    }

    /// A platform of one's own (an embedding vendor's, or a test's).
    pub fn platform(&self, name: &'static str, platform: Arc<dyn Platform>) -> PlatformHost<'_> {
        PlatformHost { harness: self, name, platform, log: true }
    }

    fn state(&self, namespace: &'static str, platform: Arc<dyn Platform>, log: bool) -> HostState {
        let now_ms = self.clock.now_ms();
        let mut wasi = wasmtime_wasi::WasiCtxBuilder::new();
        wasi.wall_clock(self.clock.wall()).monotonic_clock(self.clock.monotonic());
        HostState {
            wasi: wasi.build(),
            table: wasmtime::component::ResourceTable::new(),
            limits: crate::runtime::CallLimits::default(),
            kv: self.kv.clone(),
            platform,
            signer: Some(self.signer.clone()),
            jaas: JaasConfig {
                app_id: self.config.jaas.app_id.clone(),
                domain: self.config.jaas.domain.clone(),
                token_ttl_secs: self.config.jaas.token_ttl_secs,
            },
            public_address: self.config.platform.public_address.clone(),
            now_ms,
            namespace,
            effects: Vec::new(),
            screens: log.then(|| self.db.clone()),
            shown: 0,
            owed_copies: Some(self.db.clone()),
        }
    }
}

/// A host state that reaches nothing and cannot sign: for checking the contract when the
/// runtime loads the component, and for measuring instantiation alone.
pub(crate) fn idle_state() -> HostState {
    HostState {
        wasi: wasmtime_wasi::WasiCtxBuilder::new().build(),
        table: wasmtime::component::ResourceTable::new(),
        limits: crate::runtime::CallLimits::default(),
        kv: Arc::new(crate::keyvalue::MemoryBackend::default()),
        platform: Arc::new(
            crate::erp::ErpWorld::parse(crate::erp::EXAMPLE_WORLD).expect("the example world parses"),
        ),
        signer: None,
        jaas: JaasConfig { app_id: String::new(), domain: String::new(), token_ttl_secs: 0 },
        public_address: String::new(),
        now_ms: 0,
        namespace: "idle",
        effects: Vec::new(),
        screens: None,
        shown: 0,
        owed_copies: None,
    }
}

/// One simulated platform bound to the harness: every method is one component call,
/// whose effects are appended to the platform's log.
pub struct PlatformHost<'h> {
    harness: &'h Harness,
    name: &'static str,
    platform: Arc<dyn Platform>,
    /// Whether effects go to the platform's log (the simulated screens).
    log: bool,
}

impl PlatformHost<'_> {
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The same platform without its simulated screens: effects are returned by each
    /// call but not kept (the benchmarks measure the component, not the simulation).
    pub fn unlogged(mut self) -> Self {
        self.log = false;
        self
    }

    pub fn platform(&self) -> &Arc<dyn Platform> {
        &self.platform
    }

    /// Runs `f` against a fresh instance of the component.
    pub fn call<R>(
        &self,
        f: impl FnOnce(&crate::runtime::Plugin<'_>, &mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<Call<R>, CallFailure> {
        let state = self.harness.state(self.name, self.platform.clone(), self.log);
        let (value, state, fuel) = self.harness.runtime.call(state, f)?;
        // What could not be written as it came (`HostState::emit`).
        if self.log {
            self.harness
                .db
                .append(self.name, state.now_ms, &state.effects[state.shown..])
                .map_err(|e| CallFailure(e.context("recording the platform's effects")))?;
        }
        let memory = state.limits.peak_memory();
        Ok(Call { value, effects: state.effects, fuel, memory })
    }
}

/// How long a copy that failed `attempts` times waits before the next try: doubling from
/// 30 seconds to an hour, so that an outage of JaaS's storage costs a few dozen requests
/// a day, not one every tick.
fn retry_after(attempts: u32) -> i64 {
    (30_000_i64 << attempts.saturating_sub(1).min(7)).min(3_600_000)
}

/// The virtual time the data folder's commands stored, if any.
fn stored_time(db: &HostDb) -> Result<Option<i64>> {
    db.setting(CLOCK_SETTING)?
        .map(|ms| ms.parse().context("the stored virtual time is unreadable"))
        .transpose()
}

/// What became of one owed copy in a round.
enum Made {
    /// Downloaded and reported to the component.
    Reported,
    /// No longer wanted: the component knows no such recording, or JaaS deleted it.
    Unwanted,
    /// Still owed, for this reason.
    Not(String),
}

/// Runs `work` while a thread renews `by`'s claim on the copy of `recording` for
/// `lease` ms every quarter of it: the claim lasts as long as the work, and lapses soon
/// after a kill.
fn renewing_claim<R>(db: &HostDb, recording: &str, by: &str, lease: i64, work: impl FnOnce() -> R) -> R {
    std::thread::scope(|scope| {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        scope.spawn(move || {
            let renewal = std::time::Duration::from_millis(u64::try_from(lease / 4).unwrap_or(1).max(1));
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(renewal) {
                let until = crate::clock::real_now_ms().saturating_add(lease);
                match db.renew_copy_claim(recording, until, by) {
                    Ok(true) => {}
                    // It lapsed while this process stood still: the copy is another's to
                    // make now, and this download's failure is not recorded against it.
                    Ok(false) => {
                        tracing::warn!(recording, "a copy's claim was lost");
                        break;
                    }
                    Err(e) => tracing::warn!(recording, error = %e, "a copy's claim was not renewed"),
                }
            }
        });
        let done = work();
        drop(stop);
        done
    })
}

/// What one round of copying recordings did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CopyRound {
    /// Recordings copied and reported to the component.
    pub copied: Vec<String>,
    /// Copies still owed after this round, with why it failed.
    pub owed: Vec<OwedCopy>,
}

impl PlatformHost<'_> {
    /// Makes the copies of recordings the platform owes (every copy the component asked
    /// for, kept in the platform's database until made), with `archiver`'s retries, and
    /// reports each to the component. A copy that fails stays owed for the next round:
    /// the next tick, or the next webhook that asks for a copy.
    pub fn keep_copies(&self, archiver: &Archiver) -> Result<CopyRound> {
        // One round at a time in this process, and each copy claimed across processes:
        // two would fetch the same files twice.
        let _one_round = self.harness.copying.lock().unwrap_or_else(|p| p.into_inner());
        let db = &self.harness.db;
        let now = self.harness.clock.now_ms();
        let lease = i64::try_from(archiver.claim().as_millis()).unwrap_or(i64::MAX);
        let mut round = CopyRound::default();
        // This round's name on its claims: what it renews, fails or gives up is its own.
        let by = fresh_id("round");
        for owed in db.owed_copies(self.name)? {
            let real_now = crate::clock::real_now_ms();
            if owed.next_try_at > now
                || !db.claim_copy(&owed.recording, now, real_now, real_now.saturating_add(lease), &by)?
            {
                round.owed.push(owed);
                continue;
            }
            let made = renewing_claim(db, &owed.recording, &by, lease, || {
                self.make_copy(archiver, &owed.recording, &owed.url)
            });
            let failure = match made {
                Ok(Made::Reported) => {
                    round.copied.push(owed.recording);
                    continue;
                }
                Ok(Made::Unwanted) => continue,
                Ok(Made::Not(failure)) => failure,
                Err(e) => {
                    // Left to the next round of any process, not to the claim's end.
                    db.unclaim_copy(&owed.recording, &by)?;
                    return Err(e);
                }
            };
            tracing::info!(recording = owed.recording, error = failure, "a copy stays owed");
            let attempts = owed.attempts + archiver.attempts();
            let next_try_at = now + retry_after(attempts);
            db.copy_failed(&owed.recording, &by, archiver.attempts(), &failure, next_try_at)?;
            round.owed.push(OwedCopy { attempts, last_error: Some(failure), next_try_at, ..owed });
        }
        Ok(round)
    }

    /// Downloads one owed copy and reports it to the component; settles it unless it
    /// failed.
    fn make_copy(&self, archiver: &Archiver, recording: &str, url: &str) -> Result<Made> {
        if let Err(e) = archiver.download(recording, url) {
            // The last download's own error: the count is the owed copy's.
            return Ok(Made::Not(e.chain().skip(1).map(ToString::to_string).collect::<Vec<_>>().join(": ")));
        }
        // The platform serves its copies (`meetkit serve`, GET /recordings/...), to those
        // it shows the address to.
        let location = format!(
            "{}/recordings/{}?key={}",
            self.harness.config.platform.public_address.trim_end_matches('/'),
            crate::archive::file_name(recording),
            archiver.key_for(recording)?
        );
        let made = match self.recording_archived(recording, &location)?.value {
            Ok(file) => {
                self.harness.db.name_copy(recording, &file.name)?;
                Made::Reported
            }
            // Unknown, or deleted before the copy came: nothing to keep it for.
            Err(Error::NotFound(message) | Error::Expired(message)) => {
                tracing::warn!(recording, message, "a copy no longer wanted");
                // Downloaded for nothing (JaaS's deletion came first): not kept.
                archiver.release(recording)?;
                Made::Unwanted
            }
            Err(e) => return Ok(Made::Not(format!("the component refused the copy: {e:?}"))),
        };
        self.harness.db.settle_copy(recording)?;
        Ok(made)
    }

    /// Ticks, then deletes the copies whose retention ended and forgets the copies owed
    /// of recordings JaaS has deleted (their links lead nowhere now).
    pub fn tick_and_release(&self) -> Result<Call<Result<TickReport, Error>>> {
        let call = self.tick()?;
        if let Ok(report) = &call.value {
            // Every copy is released even when one fails: their records already say so.
            let archiver = self.harness.archiver();
            for recording in &report.released_copies {
                if let Err(e) =
                    archiver.release(recording).and_then(|()| self.harness.db.forget_copy_name(recording))
                {
                    tracing::error!(recording, error = %format!("{e:#}"), "a released copy could not be deleted");
                }
            }
            for recording in &report.deleted_files {
                self.harness.db.settle_copy(recording)?;
            }
            for postponed in &report.postponed {
                tracing::warn!(
                    platform = self.name(),
                    postponed,
                    "Files refused a recording's change; the next tick retries"
                );
            }
        }
        Ok(call)
    }

    /// One round of the platform's clock work: the copies owed first (so that one made in
    /// time is kept rather than deleted), then the tick.
    pub fn copy_and_tick(&self, archiver: &Archiver) -> Result<(CopyRound, Call<Result<TickReport, Error>>)> {
        let mut round = self.keep_copies(archiver)?;
        let call = self.tick_and_release()?;
        // A copy JaaS's deletion settled is owed no longer.
        if let Ok(report) = &call.value {
            round.owed.retain(|o| !report.deleted_files.contains(&o.recording));
        }
        Ok((round, call))
    }
}
