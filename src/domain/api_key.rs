use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The prefix of every key, so a leaked key is easy to recognise in logs and scanners.
const KEY_PREFIX: &str = "insg_";

/// A freshly generated API key: the secret shown once, and the hash kept.
pub struct GeneratedKey {
    pub secret: String,
    pub hash: Vec<u8>,
    /// Public handle for listing and revoking.
    pub id: String,
}

/// 256 random bits; with that much entropy a plain SHA-256 is a safe
/// stored form (no password-style stretching is needed).
pub fn generate_api_key() -> GeneratedKey {
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    let secret = format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(raw));
    let hash = hash_api_key(&secret);
    let id = hash[..6].iter().map(|b| format!("{b:02x}")).collect();
    GeneratedKey { secret, hash, id }
}

pub fn hash_api_key(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_only_their_hash_matches() {
        let a = generate_api_key();
        let b = generate_api_key();
        assert_ne!(a.secret, b.secret);
        assert!(a.secret.len() > 40);
        assert_eq!(hash_api_key(&a.secret), a.hash);
        assert_ne!(hash_api_key(&b.secret), a.hash);
    }
}
