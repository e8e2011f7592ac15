//! Unguessable identifiers: 128 random bits, lower-case base32, URL-safe.

use crate::host::Host;
use data_encoding::BASE32_NOPAD;

/// A fresh identifier with 128 bits of randomness from the host.
pub fn fresh(host: &dyn Host, prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    host.random_bytes(&mut bytes);
    let mut id = String::with_capacity(prefix.len() + 26);
    id.push_str(prefix);
    id.push_str(&BASE32_NOPAD.encode(&bytes).to_ascii_lowercase());
    id
}
