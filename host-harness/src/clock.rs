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
}

impl Clock {
    pub fn virtual_at(ms: Millis) -> Self {
        Clock::Virtual(Arc::new(AtomicI64::new(ms)))
    }

    pub fn now_ms(&self) -> Millis {
        match self {
            Clock::Real => real_now_ms(),
            Clock::Virtual(t) => t.load(Ordering::SeqCst),
        }
    }

    /// Moves a virtual clock forward; the real clock cannot be moved.
    pub fn advance(&self, by: Duration) -> anyhow::Result<Millis> {
        match self {
            Clock::Real => anyhow::bail!(crate::InputError::Invalid(
                "the real clock cannot be moved; use a virtual clock".into()
            )),
            Clock::Virtual(t) => {
                Ok(t.fetch_add(by.as_millis() as Millis, Ordering::SeqCst) + by.as_millis() as Millis)
            }
        }
    }

    pub fn set(&self, ms: Millis) -> anyhow::Result<()> {
        match self {
            Clock::Real => {
                anyhow::bail!(crate::InputError::Invalid(
                    "the real clock cannot be set; use a virtual clock".into()
                ))
            }
            Clock::Virtual(t) => {
                t.store(ms, Ordering::SeqCst);
                Ok(())
            }
        }
    }

    pub fn is_virtual(&self) -> bool {
        matches!(self, Clock::Virtual(_))
    }

    pub(crate) fn wall(&self) -> impl HostWallClock + 'static {
        WasiClock(self.clone())
    }

    pub(crate) fn monotonic(&self) -> impl HostMonotonicClock + 'static {
        WasiClock(self.clone())
    }
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
