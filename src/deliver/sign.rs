//! Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256 of
//! "{id}.{timestamp}.{body}">`, keyed with the bytes of the secret after its `whsec_` prefix
//! (base64). While a rotated secret's grace period lasts, both signatures are sent, space
//! separated, so receivers can switch keys without losing a message.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The prefix of generated secrets.
pub const PREFIX: &str = "whsec_";

/// Why a secret cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("a webhook secret must look like whsec_<base64>, with at least 16 key bytes")]
    Malformed,
    #[error("the system's random source failed: {0}")]
    Random(String),
}

/// `n` random bytes from the operating system.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, SecretError> {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).map_err(|e| SecretError::Random(e.to_string()))?;
    Ok(b)
}

/// A new secret: `whsec_` and 32 random bytes in base64.
pub fn generate_secret() -> Result<String, SecretError> {
    Ok(format!("{PREFIX}{}", STANDARD.encode(random_bytes(32)?)))
}

/// The key bytes of a secret (`whsec_…`; a secret without the prefix is taken as base64 too).
pub fn key_bytes(secret: &str) -> Result<Vec<u8>, SecretError> {
    let b64 = secret.strip_prefix(PREFIX).unwrap_or(secret);
    let key = STANDARD
        .decode(b64.trim())
        .map_err(|_| SecretError::Malformed)?;
    if key.len() < 16 {
        return Err(SecretError::Malformed);
    }
    Ok(key)
}

/// The `v1,<base64>` signature of one message.
pub fn sign(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` header value: one signature per key, space separated.
pub fn header(keys: &[Vec<u8>], id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter()
        .map(|k| sign(k, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks an inbound request signed the same way: one of the header's `v1` signatures matches
/// and the timestamp is within `tolerance_secs` of `now`.
pub fn verify(
    key: &[u8],
    id: &str,
    timestamp: &str,
    body: &[u8],
    signatures: &str,
    now: i64,
    tolerance_secs: i64,
) -> bool {
    let Ok(ts) = timestamp.trim().parse::<i64>() else {
        return false;
    };
    if (now - ts).abs() > tolerance_secs {
        return false;
    }
    let expected = sign(key, id, ts, body);
    let expected = expected.as_bytes();
    signatures.split_whitespace().any(|s| {
        // Constant time: compare every byte whatever the first difference.
        s.len() == expected.len()
            && s.bytes()
                .zip(expected)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_and_signatures_verify() {
        let s = generate_secret().unwrap();
        assert!(s.starts_with("whsec_"));
        let key = key_bytes(&s).unwrap();
        assert_eq!(key.len(), 32);
        let sig = sign(&key, "msg_1", 1_700_000_000, b"{\"a\":1}");
        assert!(sig.starts_with("v1,"));
        assert!(verify(
            &key,
            "msg_1",
            "1700000000",
            b"{\"a\":1}",
            &format!("v1,xxx {sig}"),
            1_700_000_010,
            300
        ));
        assert!(!verify(
            &key,
            "msg_1",
            "1700000000",
            b"{\"a\":2}",
            &sig,
            1_700_000_010,
            300
        ));
        assert!(!verify(
            &key,
            "msg_1",
            "1700000000",
            b"{\"a\":1}",
            &sig,
            1_700_009_999,
            300
        ));
        assert!(key_bytes("whsec_c2hvcnQ=").is_err());
        assert!(key_bytes("whsec_!!!").is_err());
    }
}
