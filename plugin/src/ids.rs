//! Unguessable identifiers: 128 random bits from the host, as lower-case hex (URL-safe).

use crate::prelude::*;

use crate::host::Host;
use core::fmt::Write as _;

/// A fresh identifier with 128 bits of randomness from the host.
pub fn fresh(host: &dyn Host, prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    host.random_bytes(&mut bytes);
    let mut id = String::with_capacity(prefix.len() + 32);
    id.push_str(prefix);
    for b in bytes {
        let _ = write!(id, "{b:02x}");
    }
    id
}
