//! meetkit's domain core: the meeting rules of ERP and CRM platforms, in plain Rust.
//!
//! Everything here runs natively (and is unit-tested so); `glue.rs` binds it to the WIT
//! contract when built for `wasm32-wasip2`. The core reaches the platform only through
//! the [`host::Host`] and [`host::Kv`] traits.

pub mod agenda;
pub mod call_request;
pub mod clock;
pub mod error;
pub mod host;
mod ids;
pub mod lobby;
pub mod meeting;
pub mod model;
pub mod overview;
mod overview_index;
pub mod recording;
pub mod store;
pub mod token;
pub mod webhook;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

#[cfg(target_arch = "wasm32")]
mod glue;

use host::{Host, Kv};
use store::Store;

/// One call's view of the platform and the store.
pub struct Meetkit<'a> {
    host: &'a dyn Host,
    store: Store<'a>,
}

impl<'a> Meetkit<'a> {
    pub fn new(host: &'a dyn Host, kv: &'a dyn Kv) -> Self {
        Meetkit { host, store: Store::new(kv) }
    }
}
