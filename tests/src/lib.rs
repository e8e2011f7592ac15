//! Fixtures of the end-to-end tests: one compiled component shared by every test of a
//! binary (and cached on disk across binaries), a fresh data folder and virtual clock
//! per test, and an independent verifier of the tokens the host signs.

pub mod faulty;
pub mod platform;
pub mod redis;
pub mod storage;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use meetkit_host::bindings::call_requests::{RequestAction, RequestOutcome};
use meetkit_host::bindings::overview::{Appointment, GuestDetails, ScheduleRequest};
use meetkit_host::bindings::time_zones::LocalDateTime;
use meetkit_host::bindings::types::{Error, JoinTicket};
use meetkit_host::clock::Clock;
use meetkit_host::effects::Effect;
use meetkit_host::{Call, Harness, HarnessOptions, Runtime};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

/// 2026-11-23T09:00:00Z: where every test's virtual clock starts.
pub const T0: i64 = 1_795_424_400_000;

/// The precompiled component's cache, shared by all test binaries.
pub fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/meetkit-test-cache")
}

/// The one runtime of this test binary.
pub fn runtime() -> Arc<Runtime> {
    static RUNTIME: OnceLock<Arc<Runtime>> = OnceLock::new();
    RUNTIME.get_or_init(|| Harness::runtime(&cache_dir()).expect("the component loads")).clone()
}

/// A harness in a fresh data folder, on a virtual clock at [`T0`].
pub struct World {
    pub dir: tempfile::TempDir,
    pub harness: Arc<Harness>,
    pub clock: Clock,
}

impl World {
    pub fn new() -> Self {
        Self::with_store(None)
    }

    pub fn with_store(store: Option<String>) -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let clock = Clock::virtual_at(T0);
        let harness = Harness::open_with(
            HarnessOptions {
                data_dir: dir.path().to_path_buf(),
                store,
                clock: Some(clock.clone()),
                config: Some(shared_config()),
            },
            runtime(),
        )
        .expect("the harness opens");
        World { dir, harness: Arc::new(harness), clock }
    }

    /// A world whose store fails on demand: the harness's own store behind [`Faulty`].
    pub fn faulty() -> (Self, Arc<faulty::Faulty>) {
        let mut w = Self::new();
        let harness = Arc::into_inner(w.harness).expect("the harness is not shared yet");
        let store = faulty::Faulty::new(harness.store().clone());
        w.harness = Arc::new(harness.with_store(store.clone()));
        (w, store)
    }

    /// Makes the platform's own database refuse what the component shows, as a platform
    /// whose database is down would: effects of the kind `Some(kind)` (`"comment"`,
    /// `"notification"`; `""` for every kind, and the copies it is asked for); `None`
    /// takes everything again.
    pub fn platform_refuses(&self, kind: Option<&str>) {
        let db = rusqlite::Connection::open(self.dir.path().join("platform.db")).unwrap();
        db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
        let sql = match kind {
            Some(kind) => format!(
                "CREATE TRIGGER refuse_effects BEFORE INSERT ON effects
                   WHEN NEW.body LIKE '{{\"effect\":\"{kind}%'
                   BEGIN SELECT RAISE(ABORT, 'the platform is down'); END;
                 CREATE TRIGGER refuse_copies BEFORE INSERT ON owed_copies WHEN '{kind}' = ''
                   BEGIN SELECT RAISE(ABORT, 'the platform is down'); END;"
            ),
            None => "DROP TRIGGER refuse_effects; DROP TRIGGER refuse_copies;".into(),
        };
        db.execute_batch(&sql).unwrap();
    }

    /// What `user`'s presence shows on `platform` (`erp`, `perfex`) now.
    pub fn presence(&self, platform: &str, user: &str) -> meetkit_host::bindings::presence::PresenceState {
        meetkit_host::views::presence_of(&self.harness.db().effects(platform).unwrap(), user)
    }

    /// Every key and value of the component's store, to prove a refusal changed nothing.
    pub fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        let kv = self.harness.store();
        let mut out = BTreeMap::new();
        for bucket in ["erp/meetkit", "perfex/meetkit"] {
            let mut cursor: Option<String> = None;
            loop {
                let (keys, next) = kv.list_keys(bucket, cursor.as_deref(), 500).unwrap();
                for k in keys {
                    out.insert(format!("{bucket}/{k}"), kv.get(bucket, &k).unwrap().unwrap_or_default());
                }
                match next {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
        }
        out
    }

    /// Serves the harness's webhook endpoint on a loopback port; returns its base address.
    pub fn serve(&self) -> String {
        let harness = self.harness.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt =
                tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                meetkit_host::serve::serve(harness, listener, None).await.unwrap();
            });
        });
        format!("http://{}", rx.recv().unwrap())
    }

    /// Verifies a join token with the host's public key and returns its claims.
    pub fn verify(&self, ticket: &JoinTicket) -> Value {
        verify_token(&self.harness, &ticket.token)
    }
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

/// One development configuration (and so one RSA key) for all tests of a binary:
/// generating a 4096-bit key per test would dominate the suite's time.
fn shared_config() -> meetkit_host::HarnessConfig {
    static CONFIG: OnceLock<(tempfile::TempDir, meetkit_host::HarnessConfig)> = OnceLock::new();
    let (_dir, config) = CONFIG.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut config = meetkit_host::HarnessConfig::development();
        config.jaas.private_key = dir.path().join("jaas-private-key.pem");
        config.jaas.signer(dir.path(), true).unwrap();
        (dir, config)
    });
    config.clone()
}

/// Checks the RS256 signature with the public key (PEM), the header, and the fixed
/// claims; returns the claims for the test to check the rest.
pub fn verify_token(harness: &Harness, token: &str) -> Value {
    let pem = harness.signer().public_key_pem();
    let key = DecodingKey::from_rsa_pem(pem.as_bytes()).expect("the public key is PEM");
    let header = jsonwebtoken::decode_header(token).expect("a JWT header");
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let app_id = &harness.config().jaas.app_id;
    assert_eq!(header.kid.as_deref(), Some(format!("{app_id}/{}", harness.config().jaas.key_id).as_str()));
    let mut validation = Validation::new(Algorithm::RS256);
    // Times are checked against the virtual clock by the tests, not the machine's.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.set_audience(&["jitsi"]);
    validation.set_issuer(&["chat"]);
    validation.set_required_spec_claims(&["exp", "nbf", "aud", "iss", "sub", "room"]);
    let data = jsonwebtoken::decode::<Value>(token, &key, &validation).expect("the signature verifies");
    assert_eq!(data.claims["sub"], app_id.as_str());
    data.claims
}

/// The value of a call that must succeed.
pub fn ok<T: std::fmt::Debug>(call: Call<Result<T, Error>>) -> (T, Vec<Effect>) {
    match call.value {
        Ok(v) => (v, call.effects),
        Err(e) => panic!("expected success, got {e:?}"),
    }
}

/// The error of a call that must fail, checking it showed nothing.
pub fn refused<T: std::fmt::Debug>(call: Call<Result<T, Error>>) -> Error {
    match call.value {
        Ok(v) => panic!("expected a refusal, got {v:?}"),
        Err(e) => {
            assert!(call.effects.is_empty(), "a refusal showed something: {:?}", call.effects);
            e
        }
    }
}

/// Several staff accept one request at the same moment, each from its own thread with its
/// own component instance, over the shared store: exactly one wins, every round.
/// Ana's intake with Ola Nord at 12:00 UTC on the test day, lasting `minutes`.
pub fn anas_intake_at_noon(erp: &meetkit_host::PlatformHost<'_>, minutes: u32) -> Appointment {
    let request = ScheduleRequest {
        actor: "ana".into(),
        host: "ana".into(),
        guest: GuestDetails { name: "Ola Nord".into(), email: "ola@client.example".into(), phone: None },
        meeting_type: "Intake".into(),
        details: String::new(),
        description: String::new(),
        zone: "UTC".into(),
        slots: vec![LocalDateTime { year: 2026, month: 11, day: 23, hour: 12, minute: 0 }],
        duration_mins: minutes,
    };
    ok(erp.schedule(&request).unwrap()).0
}

pub fn accept_race(w: &World, rounds: usize) {
    let staff = ["maria", "tom", "lena"];
    let barrier = std::sync::Barrier::new(staff.len());
    for round in 0..rounds {
        let crm = w.harness.perfex().unwrap();
        let r = match crm
            .handle_request(&RequestAction::RequestCall(("acme".into(), "john".into())))
            .unwrap()
            .value
        {
            Ok(RequestOutcome::Requested(r)) => r,
            other => panic!("round {round}: expected a new request, got {other:?}"),
        };
        let outcomes: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = staff
                .iter()
                .map(|who| {
                    let (h, id, barrier) = (&w.harness, r.id.clone(), &barrier);
                    s.spawn(move || {
                        let crm = h.perfex().unwrap();
                        barrier.wait();
                        (
                            who.to_string(),
                            crm.handle_request(&RequestAction::Accept((id, who.to_string()))).unwrap().value,
                        )
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let winners: Vec<&String> = outcomes
            .iter()
            .filter(|(_, o)| matches!(o, Ok(RequestOutcome::Accepted(_))))
            .map(|(w, _)| w)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {outcomes:?}");
        for (who, o) in &outcomes {
            if who != winners[0] {
                assert!(
                    matches!(o, Err(Error::AlreadyTaken(t)) if &t.by == winners[0]),
                    "round {round}: {who} got {o:?}"
                );
            }
        }
        ok(crm.handle_request(&RequestAction::Complete((r.id.clone(), winners[0].clone()))).unwrap());
    }
}
