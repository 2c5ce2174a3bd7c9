use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A random bearer secret (API key, admin session, one-time sign-in link):
/// the secret is handed out once, only its hash is stored.
pub struct SecretToken {
    pub secret: String,
    pub hash: Vec<u8>,
}

impl SecretToken {
    /// Random bytes in every token.
    pub const BYTES: usize = 32;

    /// 256 random bits after `prefix`. With that much entropy a plain SHA-256
    /// is a safe stored form (no password-style stretching is needed).
    pub fn generate(prefix: &str) -> Self {
        let mut raw = [0u8; Self::BYTES];
        rand::thread_rng().fill_bytes(&mut raw);
        let secret = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(raw));
        let hash = hash_secret(&secret);
        Self { secret, hash }
    }
}

/// The stored form of a secret token.
pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}
