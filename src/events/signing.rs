//! Signing deliveries: RS256 compact JWS, the body of every webhook
//! (spec §A2). Each attempt is signed afresh, with `iat` and a short `exp`,
//! so a retry after a long outage still carries a valid token.
//!
//! Keys are made (and their PEM read) with `rsa`; signing, which every
//! attempt pays, is `ring`'s: several times faster than `rsa`'s pure-Rust
//! big numbers, and constant-time (`rsa`'s private-key operation is not,
//! RUSTSEC-2023-0071). PKCS#1 v1.5 signatures are deterministic, so both
//! give the same bytes.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::RsaPrivateKey;
use serde_json::{json, Value};

/// How long a signed delivery stays valid.
pub const TOKEN_TTL_SECS: i64 = 300;

/// A key pair as stored: its id and both halves as PEM.
#[derive(Clone)]
pub struct KeyPair {
    pub id: String,
    pub private_pem: String,
    /// SPKI PEM (`-----BEGIN PUBLIC KEY-----`), the form `AppStrategy` takes.
    pub public_pem: String,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair").field("id", &self.id).finish_non_exhaustive()
    }
}

impl KeyPair {
    /// A new 2048-bit RSA key pair.
    pub fn generate() -> Result<KeyPair, String> {
        let key = RsaPrivateKey::new(&mut rand::thread_rng(), 2048).map_err(|e| e.to_string())?;
        let private_pem = key.to_pkcs8_pem(LineEnding::LF).map_err(|e| e.to_string())?.to_string();
        let public_pem = key
            .to_public_key()
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| e.to_string())?;
        Ok(KeyPair {
            id: uuid::Uuid::new_v4().simple().to_string(),
            private_pem,
            public_pem,
        })
    }

    pub fn signer(&self) -> Result<Signer256, String> {
        let der = RsaPrivateKey::from_pkcs8_pem(&self.private_pem)
            .and_then(|key| key.to_pkcs8_der())
            .map_err(|e| e.to_string())?;
        let key = RsaKeyPair::from_pkcs8(der.as_bytes()).map_err(|e| e.to_string())?;
        Ok(Signer256 {
            id: self.id.clone(),
            key,
            rng: SystemRandom::new(),
        })
    }
}

/// A key ready to sign.
pub struct Signer256 {
    id: String,
    key: RsaKeyPair,
    /// For `ring`'s blinding of the private-key operation.
    rng: SystemRandom,
}

impl Signer256 {
    pub fn key_id(&self) -> &str {
        &self.id
    }

    /// The compact JWS of `envelope`: claims `{data: <envelope as JSON
    /// text>, iat, exp, iss}`, header `{alg: RS256, typ: JWT, kid}`.
    pub fn sign_envelope(&self, envelope: &Value, now_secs: i64) -> Result<String, String> {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": self.id});
        let claims = json!({
            "data": envelope.to_string(),
            "iat": now_secs,
            "exp": now_secs + TOKEN_TTL_SECS,
            "iss": "wix.com",
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &self.rng, signing_input.as_bytes(), &mut signature)
            .map_err(|_| "signing failed".to_owned())?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::{SigningKey, VerifyingKey};
    use rsa::pkcs8::DecodePublicKey;
    use rsa::sha2::Sha256;
    use rsa::signature::{SignatureEncoding, Signer, Verifier};

    #[test]
    fn a_signed_envelope_verifies_with_the_public_pem_and_nests_data_as_text() {
        let pair = KeyPair::generate().unwrap();
        assert!(pair.public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        let envelope = json!({"eventType": "wix.badges.v4.badge_created", "data": "{\"id\":\"x\"}"});
        let token = pair.signer().unwrap().sign_envelope(&envelope, 1_700_000_000).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let public = rsa::RsaPublicKey::from_public_key_pem(&pair.public_pem).unwrap();
        let signature =
            rsa::pkcs1v15::Signature::try_from(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().as_slice()).unwrap();
        VerifyingKey::<Sha256>::new(public)
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .unwrap();
        let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["exp"], 1_700_000_000 + TOKEN_TTL_SECS);
        let data: Value = serde_json::from_str(claims["data"].as_str().unwrap()).unwrap();
        assert_eq!(data, envelope);
    }

    #[test]
    fn ring_signs_the_same_bytes_as_rsa() {
        let pair = KeyPair::generate().unwrap();
        let token = pair
            .signer()
            .unwrap()
            .sign_envelope(&json!({"a": 1}), 1_700_000_000)
            .unwrap();
        let (input, signature) = token.rsplit_once('.').unwrap();
        let key = SigningKey::<Sha256>::new(RsaPrivateKey::from_pkcs8_pem(&pair.private_pem).unwrap());
        let expected = URL_SAFE_NO_PAD.encode(key.sign(input.as_bytes()).to_bytes());
        assert_eq!(signature, expected);
    }
}
