//! The meetkit host: a wasmtime embedding of the meetkit component, with its
//! key-value stores, a JaaS signer, a virtual clock, and two simulated platforms (an
//! ERP.net-style ERP and a Perfex-style CRM). The `meetkit` CLI is built on it.

pub mod api;
mod appointment_page;
pub mod archive;
pub mod bench;
pub mod bindings;
pub mod clock;
pub mod effects;
pub mod erp;
mod exports;
mod guest_page;
pub mod harness;
mod header_deadline;
pub mod hostdb;
pub mod jaas_signature;
pub mod keyvalue;
pub mod local_time;
mod names;
pub mod ops;
mod page;
pub mod perfex;
pub mod platform;
pub mod runtime;
pub mod serve;
pub mod signer;
pub mod views;
mod zones;

pub use harness::{Call, Harness, HarnessConfig, HarnessOptions, PlatformHost, PlatformName};

/// Input a person or a file gave the harness that it cannot use: a malformed context,
/// a department no staff member is in, a world file that contradicts itself, a user the
/// platform does not have. The CLI answers it as it answers a refusal of the component
/// (exit code 2, and the same kinds), unlike a failure of the machine (exit code 1).
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    UnknownUser(String),
    #[error("{0}")]
    UnknownContext(String),
    #[error("{0}")]
    NotFound(String),
    /// Asked of something whose state does not allow it (joining a request's call before
    /// it was accepted).
    #[error("{0}")]
    NotNow(String),
}

impl InputError {
    /// The name of the component's error of the same kind, as its JSON says it.
    pub fn kind(&self) -> &'static str {
        match self {
            InputError::Invalid(_) => "InvalidInput",
            InputError::UnknownUser(_) => "UnknownUser",
            InputError::UnknownContext(_) => "UnknownContext",
            InputError::NotFound(_) => "NotFound",
            InputError::NotNow(_) => "InvalidTransition",
        }
    }

    /// The same kind as the CLI writes a component's refusal: `unknown-user`.
    pub fn label(&self) -> &'static str {
        match self {
            InputError::Invalid(_) => "invalid-input",
            InputError::UnknownUser(_) => "unknown-user",
            InputError::UnknownContext(_) => "unknown-context",
            InputError::NotFound(_) => "not-found",
            InputError::NotNow(_) => "invalid-transition",
        }
    }
}
pub use runtime::{CallFailure, Limits, Runtime};
