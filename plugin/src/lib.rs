//! meetkit's domain core: the meeting rules of ERP and CRM platforms, in plain Rust.
//!
//! Everything here runs natively (and is unit-tested so); `glue.rs` binds it to the WIT
//! contract when built for `wasm32-wasip2`. The core reaches the platform only through
//! the [`host::Host`] and [`host::Kv`] traits.
//!
//! The crate is `no_std` (with `alloc`): the component then carries no standard-library
//! runtime (stdio, environment, panic printing), a tenth of its size before.

#![no_std]

extern crate alloc;
#[cfg(any(test, feature = "testing"))]
extern crate std;

/// What `std`'s prelude would bring, from `alloc`.
mod prelude {
    pub(crate) use super::CannotFail;
    pub use alloc::boxed::Box;
    pub use alloc::string::{String, ToString};
    pub use alloc::vec::Vec;
    pub use alloc::{format, vec};
}

/// `expect` for results that cannot be errors. It does not print the error, as `expect`
/// would: that links the error type's `Debug`, and the formatting machinery behind it,
/// into the component for a message nobody sees (8 KiB for four call sites).
pub(crate) trait CannotFail<T> {
    fn cannot_fail(self, why: &'static str) -> T;
}

impl<T, E> CannotFail<T> for Result<T, E> {
    fn cannot_fail(self, why: &'static str) -> T {
        self.unwrap_or_else(|_| unreachable!("{why}"))
    }
}

pub mod agenda;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod allocator;
mod announcement;
mod appointment_change;
mod call_acceptance;
pub mod call_request;
pub mod clock;
mod collation;
mod connection;
pub mod due_list;
pub mod error;
pub mod host;
mod ids;
mod json;
pub mod lobby;
pub mod meeting;
mod meeting_end;
pub mod model;
mod order;
pub mod overview;
mod overview_index;
mod overview_reindex;
mod presence;
pub mod recording;
mod recording_index;
mod recording_retention;
mod request_closing;
mod request_listing;
mod room;
mod room_closing;
pub mod store;
pub mod token;
mod typed_input;
pub mod webhook;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

#[cfg(target_arch = "wasm32")]
mod glue;

// `memcpy`, `memcmp` and the like come from the target's libc, as they would with `std`.
#[cfg(target_arch = "wasm32")]
#[link(name = "c")]
unsafe extern "C" {}

/// A panic is a bug: the call traps and the host reports it. Nothing is printed, so no
/// formatting machinery is linked in for panic messages.
#[cfg(all(target_arch = "wasm32", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

use host::{Host, Kv};
use store::Store;

/// One call's view of the platform and the store.
pub struct Meetkit<'a> {
    host: &'a dyn Host,
    store: Store<'a>,
    /// The time parts of the last calendar file made in this call (see `agenda`).
    calendar_times: core::cell::RefCell<Option<alloc::rc::Rc<agenda::CalendarTimes>>>,
}

impl<'a> Meetkit<'a> {
    pub fn new(host: &'a dyn Host, kv: &'a dyn Kv) -> Self {
        Meetkit { host, store: Store::new(kv), calendar_times: Default::default() }
    }

    /// A user of the platform, or `unknown-user`: checked before any rule about them.
    pub(crate) fn known_user(&self, user: &str) -> error::Result<model::User> {
        self.host.user(user).ok_or_else(|| {
            error::MeetError::UnknownUser(prelude::format!("{user} is not a user of the platform"))
        })
    }

    /// A user's name, or their id when the platform does not know them.
    pub(crate) fn name_of(&self, user: &str) -> prelude::String {
        self.host.user(user).map_or_else(|| user.into(), |u| u.name)
    }
}
