use super::token::{hash_secret, SecretToken};

/// The prefix of every key, so a leaked key is easy to recognise in logs and scanners.
const KEY_PREFIX: &str = "insg_";

/// Random bytes in a key.
const KEY_BYTES: usize = SecretToken::BYTES;

/// The length of every key: the prefix and the unpadded base64url of its bytes.
const KEY_LEN: usize = KEY_PREFIX.len() + (KEY_BYTES * 4).div_ceil(3);

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

/// Could `secret` be a key this service made? Checked before any lookup, so
/// that text which cannot be a key never costs a database read.
pub fn is_well_formed_api_key(secret: &str) -> bool {
    secret.len() == KEY_LEN
        && secret.starts_with(KEY_PREFIX)
        && secret[KEY_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
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

    #[test]
    fn only_the_shape_of_a_made_key_is_well_formed() {
        let key = generate_api_key().secret;
        assert!(is_well_formed_api_key(&key));
        let body = &key[KEY_PREFIX.len()..];
        for bad in [
            String::new(),
            "insg_made_up".to_owned(),
            format!("{key}x"),
            key[..key.len() - 1].to_owned(),
            format!("insk_{body}"),
            format!("insg_{}!", &body[1..]),
            format!("Insg_{body}"),
        ] {
            assert!(!is_well_formed_api_key(&bad), "{bad:?}");
        }
    }
}
