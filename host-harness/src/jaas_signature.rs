//! The `X-Jaas-Signature` header of JaaS webhook deliveries: `t=<unix seconds>,v1=<sig>`
//! (several `v1` allowed), where each signature is the standard-base64 HMAC-SHA256 of
//! `<t>.<raw body>` keyed with the endpoint secret as shown (`whsec_` included).

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("the X-Jaas-Signature header is missing")]
    Missing,
    #[error("the X-Jaas-Signature header is malformed: {0}")]
    Malformed(String),
    #[error(
        "the signature's time is {} s in the {}, beyond the tolerance of {tolerance} s",
        age.unsigned_abs(),
        if *age < 0 { "future" } else { "past" }
    )]
    Stale { age: i64, tolerance: u64 },
    #[error("no v1 signature matches the body")]
    Mismatch,
}

fn key(secret: &str) -> hmac::Key {
    hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes())
}

fn signed_bytes(t: i64, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!("{t}.").into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// The header value JaaS would send for `body` at time `t`.
pub fn sign(secret: &str, t: i64, body: &[u8]) -> String {
    let tag = hmac::sign(&key(secret), &signed_bytes(t, body));
    format!("t={t},v1={}", STANDARD.encode(tag.as_ref()))
}

/// Checks a delivery: the header parses, its time is within `tolerance_secs` of
/// `now_secs`, and one `v1` signature matches (compared in constant time).
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secret: &str,
    now_secs: i64,
    tolerance_secs: u64,
) -> Result<(), SignatureError> {
    Signature::timely(header, now_secs, tolerance_secs)?.check(body, secret)
}

/// A header that parses and is timely: what can be checked before a body is read, so
/// that a delivery without one costs the server no body.
#[derive(Clone, Debug)]
pub struct Signature {
    t: i64,
    v1: Vec<Vec<u8>>,
}

impl Signature {
    /// Parses `header` and checks that its time is within `tolerance_secs` of `now_secs`.
    pub fn timely(header: Option<&str>, now_secs: i64, tolerance_secs: u64) -> Result<Self, SignatureError> {
        let header = header.ok_or(SignatureError::Missing)?;
        let mut t = None;
        let mut v1 = Vec::new();
        for element in header.split(',') {
            // Split on the first '=' only: base64 ends in '='.
            let (scheme, value) = element
                .trim()
                .split_once('=')
                .ok_or_else(|| SignatureError::Malformed(format!("{element:?} is not key=value")))?;
            match scheme {
                "t" => {
                    t = Some(
                        value
                            .parse::<i64>()
                            .map_err(|_| SignatureError::Malformed("t is not a number".into()))?,
                    )
                }
                "v1" => v1.push(
                    STANDARD
                        .decode(value)
                        .map_err(|_| SignatureError::Malformed("a v1 value is not base64".into()))?,
                ),
                _ => {} // other schemes are ignored
            }
        }
        let t = t.ok_or_else(|| SignatureError::Malformed("there is no t".into()))?;
        if v1.is_empty() {
            return Err(SignatureError::Malformed("there is no v1 signature".into()));
        }
        if now_secs.abs_diff(t) > tolerance_secs {
            return Err(SignatureError::Stale { age: now_secs.saturating_sub(t), tolerance: tolerance_secs });
        }
        Ok(Signature { t, v1 })
    }

    /// Whether one `v1` signature is that of `body` under `secret`.
    pub fn check(&self, body: &[u8], secret: &str) -> Result<(), SignatureError> {
        let message = signed_bytes(self.t, body);
        let key = key(secret);
        if self.v1.iter().any(|s| hmac::verify(&key, &message, s).is_ok()) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test";

    #[test]
    fn a_signed_body_verifies_and_any_change_does_not() {
        let body = br#"{"eventType":"ROOM_CREATED"}"#;
        let header = sign(SECRET, 1000, body);
        assert_eq!(verify(Some(&header), body, SECRET, 1000, 300), Ok(()));
        assert_eq!(verify(Some(&header), b"{}", SECRET, 1000, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify(Some(&header), body, "whsec_other", 1000, 300), Err(SignatureError::Mismatch));
        // The prefix is part of the key.
        assert_eq!(verify(Some(&header), body, "test", 1000, 300), Err(SignatureError::Mismatch));
    }

    #[test]
    fn several_signatures_and_unknown_schemes_are_allowed() {
        let body = b"x";
        let good = sign(SECRET, 5, body);
        let v1 = good.split_once(",v1=").unwrap().1;
        let header = format!("t=5,v0=abc,v1={},v1={v1}", STANDARD.encode([0u8; 32]));
        assert_eq!(verify(Some(&header), body, SECRET, 5, 0), Ok(()));
    }

    #[test]
    fn stale_missing_and_malformed_headers_are_refused() {
        let body = b"x";
        let header = sign(SECRET, 1000, body);
        assert!(matches!(verify(Some(&header), body, SECRET, 1301, 300), Err(SignatureError::Stale { .. })));
        assert!(matches!(verify(Some(&header), body, SECRET, 699, 300), Err(SignatureError::Stale { .. })));
        assert_eq!(verify(None, body, SECRET, 1000, 300), Err(SignatureError::Missing));
        let extreme = format!("t={},v1=AAAA", i64::MIN);
        assert!(matches!(verify(Some(&extreme), body, SECRET, 1000, 300), Err(SignatureError::Stale { .. })));
        for bad in ["", "t=1", "v1=AAAA", "t=x,v1=AAAA", "t=1,v1=***", "garbage"] {
            assert!(
                matches!(verify(Some(bad), body, SECRET, 1, 300), Err(SignatureError::Malformed(_))),
                "{bad}"
            );
        }
    }
}
