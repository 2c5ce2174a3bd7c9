use super::token::{hash_secret, SecretToken};

/// The prefix of every key, so a leaked key is easy to recognise in logs and scanners.
const KEY_PREFIX: &str = "insg_";

/// A freshly generated API key: the secret shown once, and the hash kept.
pub struct GeneratedKey {
    pub secret: String,
    pub hash: Vec<u8>,
    /// Public handle for listing and revoking.
    pub id: String,
}

pub fn generate_api_key() -> GeneratedKey {
    let SecretToken { secret, hash } = SecretToken::generate(KEY_PREFIX);
    let id = hash[..6].iter().map(|b| format!("{b:02x}")).collect();
    GeneratedKey { secret, hash, id }
}

pub fn hash_api_key(secret: &str) -> Vec<u8> {
    hash_secret(secret)
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
