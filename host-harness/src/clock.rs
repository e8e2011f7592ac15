//! The time the component sees: the real clock, or a virtual one that scenarios and
//! tests set and move (a request's expiry, a recording's 24 hours).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock};

/// Milliseconds since the Unix epoch.
pub type Millis = i64;

/// The real time, whatever the platform's clock says: for what takes real time (a
/// download's claim).
pub fn real_now_ms() -> Millis {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as Millis)
}

#[derive(Clone, Debug, Default)]
pub enum Clock {
    #[default]
    Real,
    /// A clock that stands still until moved; shared by every clone.
    Virtual(Arc<AtomicI64>),
    /// A data folder's clock, shared by every clone: virtual while a time is stored, the
    /// real one otherwise ([`REAL`]). A long-running server switches it both ways as
    /// `meetkit clock set` and `meetkit clock real` run beside it.
    Following(Arc<AtomicI64>),
}

/// The value of a [`Clock::Following`] that follows the real time.
const REAL: Millis = Millis::MIN;

impl Clock {
    pub fn virtual_at(ms: Millis) -> Self {
        Clock::Virtual(Arc::new(AtomicI64::new(ms)))
    }

    /// A data folder's clock, at the virtual time `stored` or else on the real time.
    pub fn following(stored: Option<Millis>) -> Self {
        Clock::Following(Arc::new(AtomicI64::new(stored.unwrap_or(REAL))))
    }

    pub fn now_ms(&self) -> Millis {
        match self.virtual_ms() {
            Some(ms) => ms,
            None => real_now_ms(),
        }
    }

    /// The virtual time, or none on the real time.
    fn virtual_ms(&self) -> Option<Millis> {
        match self {
            Clock::Real => None,
            Clock::Virtual(t) => Some(t.load(Ordering::SeqCst)),
            Clock::Following(t) => Some(t.load(Ordering::SeqCst)).filter(|ms| *ms != REAL),
        }
    }

    /// Moves a virtual clock forward; the real clock cannot be moved.
    pub fn advance(&self, by: Duration) -> anyhow::Result<Millis> {
        let by = by.as_millis() as Millis;
        match self {
            Clock::Virtual(t) => Ok(t.fetch_add(by, Ordering::SeqCst) + by),
            Clock::Following(t) => {
                let moved =
                    t.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |ms| (ms != REAL).then(|| ms + by));
                moved.map(|ms| ms + by).map_err(|_| real_is_fixed("moved"))
            }
            Clock::Real => Err(real_is_fixed("moved")),
        }
    }

    pub fn set(&self, ms: Millis) -> anyhow::Result<()> {
        match self {
            Clock::Virtual(t) | Clock::Following(t) => {
                t.store(ms, Ordering::SeqCst);
                Ok(())
            }
            Clock::Real => Err(real_is_fixed("set")),
        }
    }

    /// Returns a data folder's clock to the real time (other clocks stay as they are).
    pub fn follow_real_time(&self) {
        if let Clock::Following(t) = self {
            t.store(REAL, Ordering::SeqCst);
        }
    }

    pub fn is_virtual(&self) -> bool {
        self.virtual_ms().is_some()
    }

    pub(crate) fn wall(&self) -> impl HostWallClock + 'static {
        WasiClock(self.clone())
    }

    pub(crate) fn monotonic(&self) -> impl HostMonotonicClock + 'static {
        WasiClock(self.clone())
    }
}

fn real_is_fixed(what: &str) -> anyhow::Error {
    crate::InputError::Invalid(format!("the real clock cannot be {what}; use a virtual clock")).into()
}

struct WasiClock(Clock);

impl HostWallClock for WasiClock {
    fn resolution(&self) -> Duration {
        Duration::from_millis(1)
    }
    fn now(&self) -> Duration {
        Duration::from_millis(self.0.now_ms().max(0) as u64)
    }
}

impl HostMonotonicClock for WasiClock {
    fn resolution(&self) -> u64 {
        1_000_000
    }
    fn now(&self) -> u64 {
        self.0.now_ms().max(0) as u64 * 1_000_000
    }
}
