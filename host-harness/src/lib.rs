//! The meetkit host: a wasmtime embedding of the meetkit component, with its
//! key-value stores, a JaaS signer, a virtual clock, and two simulated platforms (an
//! ERP.net-style ERP and a Perfex-style CRM). The `meetkit` CLI is built on it.

pub mod archive;
pub mod bench;
pub mod bindings;
pub mod clock;
pub mod effects;
pub mod erp;
pub mod harness;
pub mod hostdb;
pub mod jaas_signature;
pub mod keyvalue;
pub mod ops;
pub mod perfex;
pub mod platform;
pub mod runtime;
pub mod serve;
pub mod signer;
pub mod views;
mod zones;

pub use harness::{Call, Harness, HarnessConfig, HarnessOptions, PlatformHost};
pub use runtime::{CallFailure, Limits, Runtime};
